"""Columns of the match list. The explanation is drawn from the match's feature row under the
product's rules (selectors.match_explanation), never stored."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from liuyou.products import selectors
from liuyou.products.models import ProductMatch

PER_PAGE = 20


def wan2(value: Any) -> str:
    """万元 with two decimals, as lists show amounts."""
    return f"{Decimal(value or 0) / 10000:,.2f}"


class MatchTable(tables.Table):
    customer_no = tables.Column(verbose_name="客户号", accessor="customer__customer_no", orderable=False)
    name = tables.Column(verbose_name="客户名称", accessor="customer__name", orderable=False)
    segment = tables.Column(verbose_name="客户分类", accessor="customer__segment", orderable=False)
    org = tables.Column(verbose_name="开户机构", accessor="customer__org__name", orderable=False)
    manager = tables.Column(
        verbose_name="主办客户经理", accessor="customer__manager__name", orderable=False, default="—"
    )
    product = tables.Column(verbose_name="产品", accessor="product__name", orderable=False)
    rank = tables.Column(verbose_name="推荐顺位", orderable=False)
    amount = tables.Column(
        verbose_name="建议额度（万元）", orderable=False, attrs={"td": {"class": "text-end"}}
    )
    explanation = tables.Column(verbose_name="匹配说明", empty_values=(), orderable=False)

    class Meta:
        model = ProductMatch
        fields = (
            "customer_no",
            "name",
            "segment",
            "org",
            "manager",
            "product",
            "rank",
            "amount",
            "explanation",
        )
        attrs = {"class": "table table-sm table-hover align-middle ly-matches"}

    def __init__(self, *args: Any, segments: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.segments = segments
        self.features: dict[int, Any] | None = None

    def render_customer_no(self, value: str) -> str:
        return format_html('<a href="{}">{}</a>', reverse("customers:detail", args=[value]), value)

    def render_segment(self, value: str) -> str:
        return self.segments.get(value, value) or "—"

    def render_product(self, value: str, record: ProductMatch) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("products:detail", args=[record.product.code]), value
        )

    def render_amount(self, value: Any) -> str:
        return wan2(value)

    def render_explanation(self, record: ProductMatch) -> str:
        if self.features is None:  # the page's feature rows, read once
            rows = [row.record for row in self.page.object_list] if hasattr(self, "page") else [record]
            self.features = selectors.features_for(rows)
        return selectors.match_explanation(record, self.features.get(record.customer_id))
