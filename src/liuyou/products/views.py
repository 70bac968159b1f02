"""The product pages: catalogue, product detail with its versions, the head office's
structured product form, and the match list with its export. Thin views."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_tables2 import RequestConfig

from liuyou.core import excel
from liuyou.core.access import has_perm, requires
from liuyou.core.rendering import render_page
from liuyou.customers.selectors import dict_labels
from liuyou.customers.views import private
from liuyou.products import selectors, services
from liuyou.products.forms import MatchFilterForm, ProductForm
from liuyou.products.models import Product
from liuyou.products.tables import PER_PAGE, MatchTable, wan2

VIEW, MANAGE, EXPORT = "product:view", "product:manage", "customer:export"


def _product(code: str) -> Product:
    product = Product.objects.filter(code=code).first()
    if product is None:
        raise Http404("没有这个产品")
    return product


def _day(request: HttpRequest) -> tuple[date | None, list[date]]:
    """The data date asked for (?date=) among the built ones, else the latest; 404 for a date
    that was never built."""
    dates = selectors.match_dates()
    text = request.GET.get("date", "").strip()
    if not text:
        return (dates[0] if dates else None), dates
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Http404("数据日期格式应为 YYYY-MM-DD") from None
    if day not in dates:
        raise Http404("该数据日期没有匹配结果")
    return day, dates


@requires(VIEW, methods=("GET",))
@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    day = selectors.latest_feature_date()
    counts = selectors.match_counts(user=request.user, data_date=day)
    rows = [
        {
            "product": p,
            "segments": selectors.segment_labels(p),
            "guarantees": selectors.guarantee_labels(p),
            "amounts": f"{wan2(p.min_amount)}–{wan2(p.max_amount)}",
            "matches": counts.get(p.pk, 0),
        }
        for p in selectors.catalogue()
    ]
    context = {"rows": rows, "day": day, "can_manage": has_perm(request.user, MANAGE)}
    return render_page(request, "products/catalogue.html", context)


@requires(VIEW, methods=("GET",))
@require_GET
def detail(request: HttpRequest, product_code: str) -> HttpResponse:
    product = _product(product_code)
    day = selectors.latest_feature_date()
    context = {
        "product": product,
        "day": day,
        "matches": selectors.match_counts(user=request.user, data_date=day).get(product.pk, 0),
        "segments": selectors.segment_labels(product),
        "guarantees": selectors.guarantee_labels(product),
        "rules": selectors.describe(product),
        "pending": selectors.risk_pending(product),
        "versions": selectors.versions(product=product),
        "can_manage": has_perm(request.user, MANAGE),
    }
    return render_page(request, "products/detail.html", context)


def _edit(request: HttpRequest, product: Product | None) -> HttpResponse:
    if request.method == "POST":
        form = ProductForm(
            request.POST, product=product, initial=ProductForm.initial_for(product) if product else None
        )
        if form.is_valid():
            try:
                with transaction.atomic():
                    saved = services.save_product(
                        user=request.user,
                        data=form.data_for_service(),
                        product=product,
                        note=form.cleaned_data["note"],
                    )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.success(request, f"已保存产品“{saved.name}”（当前版本 v{saved.version}）")
                return redirect("products:detail", product_code=saved.code)
    elif product is not None:
        form = ProductForm(initial=ProductForm.initial_for(product), product=product)
    else:
        form = ProductForm(
            initial={
                "is_active": True,
                "amount_kind": "fixed",
                "sort_order": 100,
                "max_current_overdue_days": 0,
            }
        )
    context = {
        "product": product,
        "form": form,
        "versions": selectors.versions(product=product) if product else [],
    }
    return render_page(request, "products/form.html", context, status=400 if form.errors else 200)


@requires(MANAGE, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    return _edit(request, None)


@requires(MANAGE, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, product_code: str) -> HttpResponse:
    return _edit(request, _product(product_code))


def _matches(request: HttpRequest) -> tuple[date | None, list[date], MatchFilterForm, Any]:
    day, dates = _day(request)
    form = MatchFilterForm(request.GET or None, user=request.user)
    chosen = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if day is None:
        return day, dates, form, None
    qs = selectors.matches(
        user=request.user,
        data_date=day,
        product=chosen.get("product"),
        org=chosen.get("org"),
        manager=chosen.get("manager"),
        rank=1 if chosen.get("first_only") else None,
    )
    return day, dates, form, qs


@requires(VIEW, methods=("GET",))
@require_GET
def matches(request: HttpRequest) -> HttpResponse:
    day, dates, form, qs = _matches(request)
    context: dict[str, Any] = {"day": day, "dates": dates, "form": form, "watermark": True, "count": 0}
    if qs is not None:
        table = MatchTable(qs, segments=dict_labels("segment"))
        RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
        params = request.GET.copy()
        params.pop("page", None)
        context |= {
            "table": table,
            "count": table.paginator.count,
            "can_export": has_perm(request.user, EXPORT),
            "export_query": params.urlencode(),
        }
    return private(
        render_page(request, "products/matches.html", context, fragment_template="products/_matches.html")
    )


EXPORT_HEADERS = [
    "数据日期",
    "客户号",
    "客户名称",
    "客户分类",
    "开户机构",
    "主办客户经理",
    "产品",
    "推荐顺位",
    "建议额度（万元）",
    "匹配说明",
]


@requires(EXPORT, methods=("GET",))
@require_GET
def matches_export(request: HttpRequest) -> HttpResponse:
    # Taking customer rows off the system is customer:export's call; the list is the page's.
    if not has_perm(request.user, VIEW):
        raise PermissionDenied(VIEW)
    day, _, _, qs = _matches(request)
    if qs is None or day is None:
        raise Http404("尚无匹配结果")
    segments = dict_labels("segment")

    def rows() -> Any:
        batch: list[Any] = []
        for match in qs.iterator(chunk_size=2000):
            batch.append(match)
            if len(batch) == 2000:
                yield from _export_rows(batch, day, segments)
                batch = []
        yield from _export_rows(batch, day, segments)

    body = list(rows())
    services.log_export(user=request.user, data_date=day, filters=request.GET.dict(), rows=len(body))
    name = f"产品匹配-{day:%Y%m%d}-{timezone.localdate():%Y%m%d}.xlsx"
    return private(excel.response(name, EXPORT_HEADERS, body, title="产品匹配"))


def _export_rows(batch: list[Any], day: date, segments: dict[str, str]) -> list[list[Any]]:
    features = selectors.features_for(batch)
    return [
        [
            day.isoformat(),
            m.customer.customer_no,
            m.customer.name,
            segments.get(m.customer.segment, m.customer.segment),
            m.customer.org.name,
            m.customer.manager.name if m.customer.manager else "",
            m.product.name,
            m.rank,
            (m.amount / 10000).quantize(Decimal("0.01")),
            selectors.match_explanation(m, features.get(m.customer_id)),
        ]
        for m in batch
    ]
