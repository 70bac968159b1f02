"""Writes and logged reads of the customer library. A reveal of a full ID or phone number is
a read, but it is recorded in the operation log in the caller's transaction like a write."""

from __future__ import annotations

from typing import Any

from liuyou.core import audit, pii
from liuyou.customers.models import Customer

# field -> (mask kind, Chinese name)
PII_FIELDS: dict[str, tuple[str, str]] = {"id_no": ("id", "证件号码"), "phone": ("phone", "手机号码")}


class RevealError(Exception):
    """The value could not be decrypted (missing key or tampered ciphertext); Chinese message."""


def reveal_pii(*, user: Any, customer: Customer, field: str) -> str:
    """The full value of `field`, logged as a reveal. The log entry names the customer and
    the field but never holds the value. The caller checks pii:view and the data scope."""
    if field not in PII_FIELDS:
        raise ValueError(f"not a protected customer field: {field}")
    label = PII_FIELDS[field][1]
    try:
        value = pii.reveal(customer, field)
    except pii.PIIError as exc:
        audit.record(
            action="pii.reveal", user=user, obj=customer, success=False, message=f"查看完整{label}失败：{exc}"
        )
        raise RevealError(f"无法显示完整{label}：{exc}") from exc
    audit.record(action="pii.reveal", user=user, obj=customer, message=f"查看完整{label}")
    return value
