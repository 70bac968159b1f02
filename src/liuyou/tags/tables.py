"""Columns of a tag's customer list and of one customer's tag history."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from liuyou.tags.models import CustomerTag, TagHistory

PER_PAGE = 20


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


class HoldersTable(tables.Table):
    customer_no = tables.Column(verbose_name="客户号", accessor="customer__customer_no", orderable=False)
    name = tables.Column(verbose_name="客户名称", accessor="customer__name", orderable=False)
    segment = tables.Column(verbose_name="客户分类", accessor="customer__segment", orderable=False)
    org = tables.Column(verbose_name="开户机构", accessor="customer__org__name", orderable=False)
    manager = tables.Column(
        verbose_name="主办客户经理", accessor="customer__manager__name", orderable=False, default="—"
    )
    source = tables.Column(verbose_name="来源", orderable=False)
    since = tables.Column(verbose_name="打标时间", orderable=False)
    by = tables.Column(verbose_name="打标人", accessor="by__name", orderable=False, default="—")
    data_date = tables.Column(verbose_name="规则数据日期", orderable=False, default="—")

    class Meta:
        model = CustomerTag
        fields = ("customer_no", "name", "segment", "org", "manager", "source", "since", "by", "data_date")
        attrs = {"class": "table table-sm table-hover align-middle ly-holders"}

    def __init__(self, *args: Any, segments: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.segments = segments

    def render_customer_no(self, value: str) -> str:
        return format_html('<a href="{}">{}</a>', reverse("customers:detail", args=[value]), value)

    def render_segment(self, value: str) -> str:
        return self.segments.get(value, value) or "—"

    def render_source(self, record: CustomerTag) -> str:
        return record.get_source_display()

    def render_since(self, value: Any) -> str:
        return _when(value)

    def render_data_date(self, value: Any) -> str:
        return value.isoformat() if value else "—"


class HistoryTable(tables.Table):
    at = tables.Column(verbose_name="时间", orderable=False)
    group = tables.Column(verbose_name="标签组", accessor="tag__group__name", orderable=False)
    tag = tables.Column(verbose_name="标签", accessor="tag__name", orderable=False)
    action = tables.Column(verbose_name="动作", orderable=False)
    source = tables.Column(verbose_name="来源", orderable=False)
    by = tables.Column(verbose_name="操作人", accessor="by__name", orderable=False, default="—")
    data_date = tables.Column(verbose_name="数据日期", orderable=False, default="—")
    note = tables.Column(verbose_name="说明", orderable=False, default="—")

    class Meta:
        model = TagHistory
        fields = ("at", "group", "tag", "action", "source", "by", "data_date", "note")
        attrs = {"class": "table table-sm table-hover align-middle ly-tag-history"}

    def render_at(self, value: Any) -> str:
        return _when(value)

    def render_action(self, record: TagHistory) -> str:
        css = "text-success" if record.action == "added" else "text-danger"
        return format_html('<span class="{}">{}</span>', css, record.get_action_display())

    def render_source(self, record: TagHistory) -> str:
        return record.get_source_display()

    def render_by(self, record: TagHistory) -> str:
        return record.by.name if record.by else "每日规则计算"

    def render_data_date(self, value: Any) -> str:
        return value.isoformat() if value else "—"
