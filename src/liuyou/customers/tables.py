"""Columns of the customer list. ID and phone columns show the stored masks only; the full
values never reach a list."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from liuyou.customers.models import Customer

PER_PAGE = 20

# column -> model ordering; the table and the export both read it
SORTS: dict[str, tuple[str, ...]] = {
    "customer_no": ("customer_no",),
    "name": ("name", "customer_no"),
    "customer_type": ("customer_type", "customer_no"),
    "segment": ("segment", "customer_no"),
    "org": ("org__code", "customer_no"),
    "manager": ("manager__staff_no", "customer_no"),
}


class CustomerTable(tables.Table):
    customer_no = tables.Column(verbose_name="客户号")
    name = tables.Column(verbose_name="客户名称", order_by=SORTS["name"])
    customer_type = tables.Column(verbose_name="客户类型", order_by=SORTS["customer_type"])
    id_no_masked = tables.Column(verbose_name="证件号码", orderable=False, empty_values=())
    phone_masked = tables.Column(verbose_name="手机号码", orderable=False, empty_values=())
    segment = tables.Column(verbose_name="客户分类", order_by=SORTS["segment"])
    org = tables.Column(verbose_name="开户机构", accessor="org__name", order_by=SORTS["org"])
    manager = tables.Column(verbose_name="客户经理", accessor="manager__name", order_by=SORTS["manager"])

    class Meta:
        model = Customer
        fields = (
            "customer_no",
            "name",
            "customer_type",
            "id_no_masked",
            "phone_masked",
            "segment",
            "org",
            "manager",
        )
        attrs = {"class": "table table-sm table-hover align-middle text-nowrap"}
        order_by = ("customer_no",)

    def __init__(self, *args: Any, labels: dict[str, dict[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.labels = labels or {}

    def render_customer_no(self, value: str) -> str:
        return format_html('<a href="{}">{}</a>', reverse("customers:detail", args=[value]), value)

    def render_customer_type(self, value: str) -> str:
        return self.labels.get("customer_type", {}).get(value, value)

    def render_segment(self, value: str) -> str:
        return self.labels.get("segment", {}).get(value, value)

    def render_id_no_masked(self, value: str) -> str:
        return value or "—"

    def render_phone_masked(self, value: str) -> str:
        return value or "—"


def ordering(sort: str | None) -> list[str]:
    """The model ordering for a `?sort=` value the list page accepts, so the export comes
    out in the order the user is looking at; unknown values fall back to customer number."""
    key = (sort or "").strip()
    name = key.lstrip("-")
    fields = SORTS.get(name)
    if not fields:
        return ["customer_no"]
    return [("-" + f if key.startswith("-") else f) for f in fields]


def manager_state(customer: Customer) -> str:
    """Why a customer is on the orphan report."""
    manager = customer.manager
    if manager is None:
        return "未分配主办客户经理"
    if manager.status == "left":
        return "客户经理已离职"
    return "客户经理账号已停用"


class OrphanTable(tables.Table):
    customer_no = tables.Column(verbose_name="客户号")
    name = tables.Column(verbose_name="客户名称", order_by=SORTS["name"])
    segment = tables.Column(verbose_name="客户分类", order_by=SORTS["segment"])
    org = tables.Column(verbose_name="开户机构", accessor="org__name", order_by=SORTS["org"])
    grid = tables.Column(verbose_name="所属网格", accessor="grid__name", orderable=False, default="—")
    manager = tables.Column(
        verbose_name="原主办客户经理", accessor="manager__name", order_by=SORTS["manager"], default="—"
    )
    state = tables.Column(verbose_name="情况", accessor="pk", orderable=False)
    action = tables.Column(verbose_name="", accessor="customer_no", orderable=False)

    class Meta:
        attrs = {"class": "table table-sm table-hover align-middle text-nowrap"}
        order_by = ("customer_no",)

    def __init__(self, *args: Any, labels: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.segment_labels = labels or {}

    def render_customer_no(self, value: str) -> str:
        return format_html('<a href="{}">{}</a>', reverse("customers:detail", args=[value]), value)

    def render_segment(self, value: str) -> str:
        return self.segment_labels.get(value, value)

    def render_manager(self, value: str, record: Customer) -> str:
        return f"{value}（{record.manager.staff_no}）" if record.manager else "—"

    def render_state(self, record: Customer) -> str:
        return format_html('<span class="badge text-bg-warning">{}</span>', manager_state(record))

    def render_action(self, value: str) -> str:
        return format_html(
            '<a class="btn btn-outline-primary btn-sm" href="{}#section-managers">调整客户经理</a>',
            reverse("customers:detail", args=[value]),
        )
