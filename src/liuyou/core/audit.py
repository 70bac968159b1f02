"""The operation log and the login log: append-only, each entry chained to the one before by
an SM3 hash, written in the caller's transaction so a change and its log entry stand or fall
together.

`record` is called by services for every write and by views for every reveal of personal
data; `record_login` by the authentication views. `verify` re-walks a chain.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from liuyou.core import request_context
from liuyou.core.pii import sm3_hex

OPERATION = "operation"
LOGIN = "login"

# Fields never copied into before/after values: secrets and ciphertext.
_HIDDEN = {"password", "totp_secret", "key_hash"}


def _jsonable(value: Any) -> Any:
    """A value that survives a round trip through the database unchanged, so the hash
    computed on write is the hash recomputed on verify."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, float):
        # PostgreSQL jsonb stores numbers as numeric: 1e+20 comes back as an integer, -0.0 as 0.0,
        # and NaN/Infinity are refused. Normalise to what comes back.
        if not math.isfinite(value):
            return str(value)
        if value == 0:
            return 0.0
        if abs(value) >= 1e16:
            return int(value)
        return value
    if isinstance(value, dict):
        # JSON object keys are strings; an int key would come back as a string.
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """Plain field values of `obj` for before/after, secrets and ciphertext left out."""
    out: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        name = f.attname
        if fields is not None and f.name not in fields and name not in fields:
            continue
        if f.name in _HIDDEN or f.name.endswith(("_cipher", "_digest")):
            continue
        out[f.name] = _jsonable(getattr(obj, name))
    return out


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[dict | None, dict | None]:
    """Only the keys whose values changed, so the log shows what an edit did."""
    if before is None or after is None:
        return before, after
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(_jsonable(fields), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _clip(model: type[models.Model], fields: dict[str, Any]) -> dict[str, Any]:
    """Cut text to the column widths before hashing: PostgreSQL would refuse an over-long value
    (and lose the request with it), SQLite would store it uncut."""
    out = dict(fields)
    for f in model._meta.concrete_fields:
        value = out.get(f.name)
        if isinstance(f, models.CharField) and f.max_length and isinstance(value, str):
            out[f.name] = value[: f.max_length]
    return out


def _now() -> datetime:
    # Milliseconds are enough for a log and survive every database's timestamp type.
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _append(chain: str, model: type[models.Model], fields: dict[str, Any]) -> models.Model:
    from liuyou.system.models import AuditChain

    fields = _clip(model, fields)
    # Stored timestamps come back in UTC; hash the same instant in the same spelling.
    fields["created_at"] = fields["created_at"].astimezone(UTC)
    with transaction.atomic():
        head = AuditChain.objects.select_for_update().filter(name=chain).first()
        if head is None:  # the chain's first entry; concurrent first writers meet on the primary key
            AuditChain.objects.get_or_create(name=chain)
            head = AuditChain.objects.select_for_update().get(name=chain)
        seq = head.seq + 1
        fields = {**fields, "seq": seq, "prev_hash": head.last_hash}
        digest = sm3_hex(canonical(fields))
        entry = model._default_manager.create(**fields, hash=digest)
        AuditChain.objects.filter(name=chain).update(seq=seq, last_hash=digest)
    return entry


def _actor(user: Any) -> dict[str, Any]:
    if user is None or not getattr(user, "is_authenticated", False):
        return {"user_id": None, "staff_no": "", "user_name": "", "org_code": "", "org_name": ""}
    org = getattr(user, "org", None)
    return {
        "user_id": user.pk,
        "staff_no": user.staff_no,
        "user_name": user.name,
        "org_code": getattr(org, "code", ""),
        "org_name": getattr(org, "name", ""),
    }


def record(
    *,
    action: str,
    user: Any = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    success: bool = True,
    message: str = "",
) -> models.Model:
    """Append one operation-log entry. `user` defaults to the request's user."""
    from liuyou.system.models import OperationLog

    ctx = request_context.current()
    if user is None:
        user = ctx.user
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    fields = {
        "created_at": _now(),
        **_actor(user),
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr[:200],
        "before": _jsonable(before),
        "after": _jsonable(after),
        "request_id": ctx.request_id,
        "method": ctx.method,
        "path": ctx.path,
        "ip": ctx.ip,
        "duration_ms": ctx.elapsed_ms(),
        "result": "success" if success else "failure",
        "message": message[:500],
    }
    return _append(OPERATION, OperationLog, fields)


def record_login(*, staff_no: str, result: str, user: Any = None, reason: str = "") -> models.Model:
    from liuyou.system.models import LoginLog

    ctx = request_context.current()
    fields = {
        "created_at": _now(),
        "user_id": getattr(user, "pk", None),
        "staff_no": staff_no[:32],
        "ip": ctx.ip,
        "user_agent": ctx.user_agent,
        "result": result,
        "reason": reason[:200],
        "request_id": ctx.request_id,
    }
    return _append(LOGIN, LoginLog, fields)


CHAINS = (OPERATION, LOGIN)
CHAIN_LABELS = {OPERATION: "操作日志", LOGIN: "登录日志"}
GENESIS = "0" * 64


@dataclass
class VerifyResult:
    chain: str
    checked: int
    broken: list[tuple[int, str]]
    head_seq: int = 0
    head_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        return not self.broken


def _model_for(chain: str) -> type[models.Model]:
    from liuyou.system.models import LoginLog, OperationLog

    if chain == OPERATION:
        return OperationLog
    if chain == LOGIN:
        return LoginLog
    raise ValueError(f"unknown audit chain {chain!r}; expected one of {CHAINS}")


def _entry_fields(entry: models.Model) -> dict[str, Any]:
    out = {}
    for f in entry._meta.concrete_fields:
        if f.name in {"id", "hash"}:
            continue
        out[f.name] = getattr(entry, f.attname)
    return out


def entry_hash(entry: models.Model) -> str:
    """The hash `entry` should carry, recomputed from its stored fields."""
    return sm3_hex(canonical(_entry_fields(entry)))


def entry_intact(entry: models.Model) -> bool:
    """Whether one entry's stored fields still match its stored hash (its links are not checked)."""
    return entry_hash(entry) == entry.hash  # type: ignore[attr-defined]


def verify(chain: str = OPERATION, batch: int = 5000) -> VerifyResult:
    """Recompute every hash of `chain` in order; report each entry whose hash, link or
    sequence does not hold (edited, deleted or inserted rows), and a chain head that does not
    match the last entry (entries deleted from the end).

    The head is read first and only entries up to it are walked, so entries appended while
    the walk runs are left for the next run instead of being mistaken for a broken tail.
    """
    from liuyou.system.models import AuditChain

    model = _model_for(chain)
    head = AuditChain.objects.filter(name=chain).first()
    entries = model.objects.order_by("seq")  # type: ignore[attr-defined]
    if head is not None:
        entries = entries.filter(seq__lte=head.seq)
    broken: list[tuple[int, str]] = []
    prev = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        rows = list(entries.filter(seq__gt=last_seq)[:batch])
        if not rows:
            break
        for entry in rows:
            checked += 1
            if entry.seq != expected_seq:
                gap = f"序号不连续：应为 {expected_seq}，实为 {entry.seq}（有记录被删除）"
                broken.append((entry.seq, gap))
            if entry.prev_hash != prev:
                broken.append((entry.seq, "与上一条记录的链接不符"))
            if entry_hash(entry) != entry.hash:
                broken.append((entry.seq, "内容与哈希不符（记录被篡改）"))
            prev = entry.hash
            expected_seq = entry.seq + 1
            last_seq = entry.seq
    if head is None:
        if checked:
            broken.append((last_seq, "链头记录缺失（日志链头被删除）"))
        return VerifyResult(chain=chain, checked=checked, broken=broken, head_seq=last_seq, head_hash=prev)
    if head.seq != last_seq:
        broken.append((head.seq, f"链头序号 {head.seq} 与最后一条记录 {last_seq} 不符（末尾记录被删除）"))
    elif head.last_hash != prev:
        broken.append((head.seq, "链头哈希与最后一条记录不符（末尾记录被改写）"))
    return VerifyResult(
        chain=chain, checked=checked, broken=broken, head_seq=head.seq, head_hash=head.last_hash
    )
