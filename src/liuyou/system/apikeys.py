"""API keys for system integrations: create, revoke, authenticate.

A key reads `ly_<prefix>_<secret>`. Only the SHA-256 of the whole key is stored; the prefix
(also stored) finds the row, and the hash is compared in constant time. The plain key exists
once, in the answer to `create_api_key`, and is never logged. A key acts as its service
account, narrowed to the key's scopes (permission codes).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from liuyou.core import audit
from liuyou.system.models import ApiKey, Permission, User, UserStatus

KEY_PREFIX = "ly"
PREFIX_LENGTH = 8
SECRET_LENGTH = 40
# Lower-case letters and digits only: no "_" inside the parts, so the key splits unambiguously.
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits
# last_used_at is written at most this often, so a busy integration does not write every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class KeyStatus:
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"

    LABELS = {ACTIVE: "有效", REVOKED: "已吊销", EXPIRED: "已过期"}


def hash_key(plain_key: str) -> str:
    return hashlib.sha256(plain_key.encode("utf-8")).hexdigest()


def status_of(key: ApiKey, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if key.revoked_at is not None:
        return KeyStatus.REVOKED
    if key.expires_at is not None and key.expires_at <= now:
        return KeyStatus.EXPIRED
    return KeyStatus.ACTIVE


def _new_prefix() -> str:
    for _ in range(20):
        prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
        if not ApiKey.objects.filter(prefix=prefix).exists():
            return prefix
    raise RuntimeError("无法生成唯一的密钥前缀")  # 36^8 prefixes: practically unreachable


def _clean_scopes(scopes: Iterable[str]) -> list[str]:
    wanted = sorted({s.strip() for s in scopes if s and s.strip()})
    if not wanted:
        raise ValidationError({"scopes": "请至少选择一项授权范围"})
    known = set(Permission.objects.filter(code__in=wanted).values_list("code", flat=True))
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise ValidationError({"scopes": f"未知的权限标识：{'、'.join(unknown)}"})
    return wanted


def _snapshot(key: ApiKey) -> dict[str, Any]:
    # key_hash is hidden by audit.snapshot; the plain key never reaches here.
    out = audit.snapshot(key)
    out["user"] = key.user.staff_no
    return out


def create_api_key(
    *, name: str, user: User, scopes: Iterable[str], expires_at: datetime | None, actor: Any
) -> tuple[ApiKey, str]:
    """Create a key for service account `user`; returns the row and the plain key, which is
    shown once and cannot be recovered."""
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "请填写名称"
    elif len(name) > 64:
        errors["name"] = "名称不能超过 64 个字符"
    if not user.is_service_account:
        errors["user"] = "接口密钥只能发给系统接口账号（服务账号）"
    elif not user.is_active or user.status != UserStatus.ACTIVE:
        errors["user"] = "该账号已停用，不能发放接口密钥"
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = "到期时间必须晚于当前时间"
    try:
        clean_scopes = _clean_scopes(scopes)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)

    prefix = _new_prefix()
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(SECRET_LENGTH))
    plain = f"{KEY_PREFIX}_{prefix}_{secret}"
    key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        key_hash=hash_key(plain),
        user=user,
        scopes=clean_scopes,
        created_by=actor if getattr(actor, "pk", None) else None,
        expires_at=expires_at,
    )
    audit.record(action="apikey.create", user=actor, obj=key, after=_snapshot(key))
    return key, plain


def revoke_api_key(*, key: ApiKey, actor: Any) -> ApiKey:
    if key.revoked_at is not None:
        raise ValidationError("该密钥已吊销")
    before = _snapshot(key)
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    audit.record(action="apikey.revoke", user=actor, obj=key, before=before, after=_snapshot(key))
    return key


@dataclass(frozen=True)
class ParsedKey:
    prefix: str
    plain: str


def parse(plain_key: str) -> ParsedKey | None:
    parts = (plain_key or "").strip().split("_")
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    prefix, secret = parts[1], parts[2]
    if len(prefix) != PREFIX_LENGTH or not secret or len(secret) > 200:
        return None
    return ParsedKey(prefix=prefix, plain=plain_key.strip())


# Compared against when the prefix is unknown, so both paths do the same work.
_DUMMY_HASH = hash_key("ly_00000000_" + "0" * SECRET_LENGTH)


def authenticate(plain_key: str) -> ApiKey | None:
    """The usable key `plain_key` names, with its service account loaded and narrowed to the
    key's scopes (`user._liuyou_key_scopes`); None when unknown, wrong, revoked, expired or
    the account is disabled."""
    parsed = parse(plain_key)
    if parsed is None:
        return None
    key = ApiKey.objects.select_related("user", "user__org").filter(prefix=parsed.prefix).first()
    candidate = hash_key(parsed.plain)
    if key is None:
        hmac.compare_digest(candidate, _DUMMY_HASH)
        return None
    if not hmac.compare_digest(candidate, key.key_hash):
        return None
    now = timezone.now()
    if status_of(key, now) != KeyStatus.ACTIVE:
        return None
    user = key.user
    if not user.is_active or user.status != UserStatus.ACTIVE or not user.is_service_account:
        return None
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    user._liuyou_key_scopes = frozenset(key.scopes or [])  # type: ignore[attr-defined]
    user._liuyou_api_key = key  # type: ignore[attr-defined]
    return key
