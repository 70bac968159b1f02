"""Columns of a dimension's customer list. The reason column is drawn from the row's own
figures with the parameters in force (selectors.reason), never stored."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from liuyou.features.models import CustomerFeature
from liuyou.mining.selectors import InForce, reason

PER_PAGE = 20


class MembersTable(tables.Table):
    customer_no = tables.Column(verbose_name="客户号", accessor="customer__customer_no", orderable=False)
    name = tables.Column(verbose_name="客户名称", accessor="customer__name", orderable=False)
    segment = tables.Column(verbose_name="客户分类", accessor="customer__segment", orderable=False)
    org = tables.Column(verbose_name="开户机构", accessor="customer__org__name", orderable=False)
    manager = tables.Column(
        verbose_name="主办客户经理", accessor="customer__manager__name", orderable=False, default="—"
    )
    reason = tables.Column(verbose_name="入选理由", empty_values=(), orderable=False)

    class Meta:
        model = CustomerFeature
        fields = ("customer_no", "name", "segment", "org", "manager", "reason")
        attrs = {"class": "table table-sm table-hover align-middle"}

    def __init__(self, *args: Any, item: InForce, segments: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item = item
        self.segments = segments

    def render_customer_no(self, value: str) -> str:
        return format_html('<a href="{}">{}</a>', reverse("customers:detail", args=[value]), value)

    def render_segment(self, value: str) -> str:
        return self.segments.get(value, value) or "—"

    def render_reason(self, record: CustomerFeature) -> str:
        return reason(self.item, record)
