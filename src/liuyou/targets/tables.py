"""Columns of the target-list pages."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from liuyou.targets.models import Lead, TargetList, TargetMember

PER_PAGE = 20


def wan(value: Any) -> str:
    return "—" if value is None else f"{value / 10000:,.2f}"


class ListTable(tables.Table):
    name = tables.Column(verbose_name="名单名称")
    data_date = tables.DateColumn(verbose_name="数据日期", format="Y-m-d")
    members_count = tables.Column(verbose_name="客户数")
    status = tables.Column(verbose_name="状态")
    org = tables.Column(verbose_name="所属机构", accessor="org__name")
    created_by = tables.Column(verbose_name="创建人", accessor="created_by__name")
    created_at = tables.DateTimeColumn(verbose_name="创建时间", format="Y-m-d H:i")

    class Meta:
        model = TargetList
        fields = ("name", "data_date", "members_count", "status", "org", "created_by", "created_at")
        attrs = {"class": "table table-sm table-hover align-middle"}
        order_by = ("-created_at",)

    def render_name(self, record: TargetList, value: str) -> str:
        return format_html('<a href="{}">{}</a>', reverse("targets:detail", args=[record.pk]), value)


class MemberTable(tables.Table):
    customer_no = tables.Column(verbose_name="客户号", accessor="customer__customer_no", orderable=False)
    name = tables.Column(
        verbose_name="客户名称",
        accessor="customer__name",
        orderable=False,
        attrs={"td": {"class": "text-nowrap"}},
    )
    org = tables.Column(verbose_name="开户机构", accessor="customer__org__name", orderable=False)
    reasons = tables.Column(verbose_name="入选理由", orderable=False)
    product_name = tables.Column(verbose_name="匹配产品", orderable=False, default="—")
    suggested_amount = tables.Column(verbose_name="建议额度（万元）", orderable=False, empty_values=())
    lead_status = tables.Column(
        verbose_name="线索状态", accessor="lead__status", orderable=False, default="未分配"
    )
    assignee = tables.Column(
        verbose_name="跟进人",
        accessor="lead__assignee__name",
        orderable=False,
        default="—",
        attrs={"td": {"class": "text-nowrap"}},
    )

    class Meta:
        model = TargetMember
        fields = ("customer_no", "name", "org", "reasons", "product_name", "suggested_amount")
        attrs = {"class": "table table-sm table-hover align-middle"}

    def render_customer_no(self, value: str) -> str:
        return format_html('<a href="{}">{}</a>', reverse("customers:detail", args=[value]), value)

    def render_suggested_amount(self, value: Any) -> str:
        return wan(value)

    def render_lead_status(self, record: TargetMember) -> str:
        lead = getattr(record, "lead", None)
        if lead is None:
            return "未分配"
        return format_html(
            '<a href="{}">{}</a>', reverse("targets:lead", args=[lead.pk]), lead.get_status_display()
        )


class LeadTable(tables.Table):
    customer_no = tables.Column(verbose_name="客户号", accessor="customer__customer_no", orderable=False)
    name = tables.Column(verbose_name="客户名称", accessor="customer__name", orderable=False)
    list_name = tables.Column(verbose_name="名单", accessor="target_list__name", orderable=False)
    reasons = tables.Column(verbose_name="入选理由", accessor="member__reasons", orderable=False)
    product = tables.Column(
        verbose_name="匹配产品", accessor="member__product_name", orderable=False, default="—"
    )
    status = tables.Column(verbose_name="状态", orderable=False)
    distributed_on = tables.DateColumn(verbose_name="分配日期", format="Y-m-d", orderable=False)

    class Meta:
        model = Lead
        fields = ("customer_no", "name", "list_name", "reasons", "product", "status", "distributed_on")
        attrs = {"class": "table table-sm table-hover align-middle"}

    def render_customer_no(self, record: Lead, value: str) -> str:
        return format_html('<a href="{}">{}</a>', reverse("targets:lead", args=[record.pk]), value)
