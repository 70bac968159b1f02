"""The customer list as XLSX: exactly the filtered rows, Chinese headers, dictionary labels.

ID and phone numbers are exported masked. Rows covered by a role granting pii:view carry the
full values instead, and such an export is logged as a reveal (action pii.export)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from liuyou.core import audit, pii
from liuyou.customers.models import Customer
from liuyou.customers.selectors import dict_labels

HEADERS = [
    "客户号",
    "客户名称",
    "客户类型",
    "证件类型",
    "证件号码",
    "手机号码",
    "客户分类",
    "开户机构",
    "所属网格",
    "客户经理工号",
    "客户经理",
]


@dataclass
class Export:
    headers: list[str]
    rows: list[list[Any]]
    unmasked: int  # rows exported with full ID and phone numbers


def _full(c: Customer, name: str) -> str:
    # A value that cannot be decrypted (key missing, tampered) is exported masked, not as an error.
    try:
        return pii.reveal(c, name)
    except pii.PIIError:
        return str(getattr(c, f"{name}_masked"))


def _rows(qs: QuerySet[Customer], stats: dict[str, int]) -> Iterator[list[Any]]:
    types, segments, id_types = dict_labels("customer_type"), dict_labels("segment"), dict_labels("id_type")
    for c in qs.iterator(chunk_size=2000):
        full = bool(getattr(c, "pii_visible", False))
        if full:
            stats["unmasked"] += 1
        yield [
            c.customer_no,
            c.name,
            types.get(c.customer_type, c.customer_type),
            id_types.get(c.id_type, c.id_type),
            _full(c, "id_no") if full else c.id_no_masked,
            _full(c, "phone") if full else c.phone_masked,
            segments.get(c.segment, c.segment),
            c.org.name,
            c.grid.name if c.grid else "",
            c.manager.staff_no if c.manager else "",
            c.manager.name if c.manager else "",
        ]


def customer_export(*, user: Any, queryset: QuerySet[Customer]) -> Export:
    """Rows of `queryset` (from selectors.customer_export_list) and the log entry for them."""
    stats = {"unmasked": 0}
    rows = list(_rows(queryset, stats))
    unmasked = stats["unmasked"]
    if unmasked:
        audit.record(
            action="pii.export",
            user=user,
            object_type="customers.customer",
            message=f"导出客户 {len(rows)} 条，其中 {unmasked} 条含完整证件号码和手机号码",
        )
    else:
        audit.record(
            action="customer.export",
            user=user,
            object_type="customers.customer",
            message=f"导出客户 {len(rows)} 条（证件号码、手机号码已脱敏）",
        )
    return Export(headers=HEADERS, rows=rows, unmasked=unmasked)


ORPHAN_HEADERS = [
    "客户号",
    "客户名称",
    "客户分类",
    "开户机构",
    "所属网格",
    "原主办客户经理工号",
    "原主办客户经理",
    "情况",
]


def orphan_export(*, user: Any, queryset: QuerySet[Customer]) -> Export:
    """The orphan report as rows (no ID or phone numbers: the report is about managers)."""
    from liuyou.customers.tables import manager_state

    segments = dict_labels("segment")
    rows = [
        [
            c.customer_no,
            c.name,
            segments.get(c.segment, c.segment),
            c.org.name,
            c.grid.name if c.grid else "",
            c.manager.staff_no if c.manager else "",
            c.manager.name if c.manager else "",
            manager_state(c),
        ]
        for c in queryset.iterator(chunk_size=2000)
    ]
    audit.record(
        action="customer.orphan_export",
        user=user,
        object_type="customers.customer",
        message=f"导出脱管客户 {len(rows)} 条",
    )
    return Export(headers=ORPHAN_HEADERS, rows=rows, unmasked=0)
