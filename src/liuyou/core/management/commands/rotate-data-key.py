"""`liuyou rotate-data-key`: re-encrypt every protected value under the current data key.

Procedure (docs/personal-data.md): set LIUYOU_DATA_KEY to the new key and
LIUYOU_DATA_KEY_PREVIOUS to the old one (or pass --previous-key), run this command, then
remove the old key. Reads keep working throughout, because every configured key decrypts and
search looks up digests under every configured key.

All rows are rewritten in one transaction, in keyset-paginated batches with bulk_update, so
a failure leaves every value under the key it had before. Values already under the current
key are left alone, so running the command twice is harmless.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models import Count, Q
from django.db.models.functions import Substr

from liuyou.core import audit, pii

BATCH_SIZE = 2000


@dataclass(frozen=True)
class Target:
    """One protected value: `<name>_cipher` (+ `_digest`) for a registered field, or a plain
    encrypted column (kind None) such as a user's TOTP seed."""

    model: type[models.Model]
    name: str
    kind: str | None

    @property
    def cipher(self) -> str:
        return f"{self.name}_cipher" if self.kind else self.name

    @property
    def digest(self) -> str | None:
        return f"{self.name}_digest" if self.kind else None

    @property
    def label(self) -> str:
        meta = self.model._meta
        field = meta.get_field(f"{self.name}_masked" if self.kind else self.name)
        return f"{meta.verbose_name}.{getattr(field, 'verbose_name', self.name)}"


def targets() -> list[Target]:
    out = [Target(m, name, kind) for m, fields in pii.registered().items() for name, kind in fields.items()]
    secrets = dict(pii.registered_secrets())
    user_model = get_user_model()
    if any(f.name == "totp_secret" for f in user_model._meta.concrete_fields):
        secrets[user_model] = tuple(dict.fromkeys((*secrets.get(user_model, ()), "totp_secret")))
    out += [Target(m, col, None) for m, cols in secrets.items() for col in cols]
    return out


def _write_batch(model: type[models.Model], rows: list[models.Model], fields: list[str]) -> None:
    """One batch's UPDATE; a separate function so tests can make it fail mid-rotation."""
    model._default_manager.bulk_update(rows, fields)


def _parse_key(raw: str) -> bytes:
    try:
        key = bytes.fromhex(raw.strip())
    except ValueError:
        key = b""
    if len(key) != 16:
        raise CommandError("--previous-key 必须是 32 位十六进制字符串（128 位 SM4 密钥）")
    return key


def _survey(target: Target) -> Counter[str]:
    """How many values of `target` each key id wrote ("" = not one of our ciphertexts)."""
    col = target.cipher
    rows = (
        target.model._default_manager.exclude(**{col: ""})
        .exclude(**{f"{col}__isnull": True})
        .annotate(_kid=Substr(col, 1, 9))
        .values("_kid")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts: Counter[str] = Counter()
    for row in rows:
        counts[pii.key_id_of(row["_kid"] or "")] += row["n"]
    return counts


class Command(BaseCommand):
    help = (
        "用当前数据密钥（LIUYOU_DATA_KEY）重新加密全部个人信息密文并重算检索索引。"
        "旧密钥由 LIUYOU_DATA_KEY_PREVIOUS 或 --previous-key 提供；全部成功才提交，失败则不做任何修改。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--previous-key",
            action="append",
            default=[],
            metavar="HEX",
            help="旧数据密钥（32 位十六进制），可重复给出；与 LIUYOU_DATA_KEY_PREVIOUS 合并使用",
        )
        parser.add_argument("--dry-run", action="store_true", help="只检查并统计需重新加密的数量，不写入")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            metavar="N",
            help=f"每批处理的行数，默认 {BATCH_SIZE}",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        extra = tuple(_parse_key(k) for k in options["previous_key"])
        batch_size = max(1, int(options["batch_size"]))
        current, ring = pii.keyring(extra)
        found = {t: _survey(t) for t in targets()}

        unknown = sorted({kid for counts in found.values() for kid in counts if kid not in ring})
        if unknown:
            names = "、".join(kid or "（格式无效）" for kid in unknown)
            raise CommandError(
                f"有密文使用的密钥不在当前配置中：{names}。请通过 LIUYOU_DATA_KEY_PREVIOUS 或 --previous-key "
                "提供写入这些数据时使用的旧密钥后重试。未做任何修改。"
            )
        old_ids = sorted({kid for counts in found.values() for kid in counts if kid != current.key_id})
        self.stdout.write(
            f"当前数据密钥编号：{current.key_id}；待替换的旧密钥编号：{'、'.join(old_ids) or '无'}"
        )
        pending = 0
        for t, counts in found.items():
            todo = sum(n for kid, n in counts.items() if kid != current.key_id)
            pending += todo
            self.stdout.write(f"  {t.label}：共 {sum(counts.values())} 个，需重新加密 {todo} 个")
        if options["dry_run"]:
            self.stdout.write(f"试运行：需重新加密 {pending} 个值，未写入任何数据。")
            return

        started = time.monotonic()
        with transaction.atomic():
            done = self._rotate(found, current, ring, batch_size)
            total = sum(done.values())
            detail = "，".join(f"{t.label} {n} 个" for t, n in done.items() if n)
            audit.record(
                action="pii.rotate_key",
                object_type="pii.data_key",
                object_id=current.key_id,
                message=(
                    f"数据密钥轮换：旧密钥 {'、'.join(old_ids) or '无'} → 新密钥 {current.key_id}，"
                    f"重新加密 {total} 个值" + (f"（{detail}）" if detail else "")
                ),
            )
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"完成：已用密钥 {current.key_id} 重新加密 {total} 个值，用时 {elapsed:.1f} 秒。"
                "确认业务正常后，可从配置中删除旧密钥（LIUYOU_DATA_KEY_PREVIOUS）。"
            )
        )

    def _rotate(
        self,
        found: dict[Target, Counter[str]],
        current: pii.DataKey,
        ring: dict[str, pii.DataKey],
        batch_size: int,
    ) -> dict[Target, int]:
        done: dict[Target, int] = dict.fromkeys(found, 0)
        by_model: dict[type[models.Model], list[Target]] = {}
        for t in found:
            by_model.setdefault(t.model, []).append(t)
        prefix = f"{current.key_id}:"
        for model, ts in by_model.items():
            stale = Q(pk__in=[])
            for t in ts:
                stale |= ~Q(**{t.cipher: ""}) & ~Q(**{f"{t.cipher}__startswith": prefix})
            columns = [c for t in ts for c in (t.cipher, t.digest) if c]
            qs = model._default_manager.filter(stale).order_by("pk").only("pk", *columns)
            last_pk: Any = None
            while True:
                batch = list((qs if last_pk is None else qs.filter(pk__gt=last_pk))[:batch_size])
                if not batch:
                    break
                for obj in batch:
                    for t in ts:
                        if self._rotate_value(obj, t, current, ring):
                            done[t] += 1
                _write_batch(model, batch, columns)
                last_pk = batch[-1].pk
                self.stdout.write(f"  {model._meta.verbose_name}：已处理至 id={last_pk}")
        return done

    @staticmethod
    def _rotate_value(
        obj: models.Model, t: Target, current: pii.DataKey, ring: dict[str, pii.DataKey]
    ) -> bool:
        token = getattr(obj, t.cipher) or ""
        if not token or pii.key_id_of(token) == current.key_id:
            return False
        try:
            plain = pii.decrypt(token, ring)
        except pii.PIIError as exc:
            raise CommandError(
                f"{t.label}（id={obj.pk}）无法解密：{exc}。已全部回滚，未做任何修改。"
            ) from exc
        setattr(obj, t.cipher, pii.encrypt(plain, current))
        if t.digest:
            setattr(obj, t.digest, pii.digest(plain, current))
        return True
