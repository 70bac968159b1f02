"""Customer pages: the list (with its XLSX export), the customer 360 page and the reveal of a
full ID or phone number. Thin: parse input, call a selector or service, render."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from liuyou.core import excel
from liuyou.core.access import has_perm, requires
from liuyou.core.rendering import render_page, wants_fragment
from liuyou.customers import exports, selectors, selectors_360, services
from liuyou.customers.filters import FILTER_KEYS
from liuyou.customers.sections import SECTIONS
from liuyou.customers.tables import customer_results, ordering


def private(response: HttpResponse) -> HttpResponse:
    # Pages with customer data must not linger in shared caches or the browser's back cache.
    add_never_cache_headers(response)
    return response


def _export_query(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@requires("customer:view", methods=("GET",))
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    # An HTMX search swaps only the results: the filter form and its option lists are not
    # drawn, and a plain search (no other filter set) needs no filter set at all.
    fragment = wants_fragment(request)
    filterset = None
    qs = selectors.customer_search(user=request.user, data=request.GET) if fragment else None
    if qs is None:
        filterset = selectors.customer_filterset(user=request.user, data=request.GET, options=not fragment)
        qs = filterset.qs
    labels = {code: selectors.dict_labels(code) for code in ("customer_type", "segment")}
    results = customer_results(qs, request.GET, labels=labels)
    filtered = any(request.GET.get(k) for k in FILTER_KEYS)
    context: dict[str, Any] = {
        "filter": filterset,
        "results": results,
        "count": results.count,
        "filtered": filtered,
        "library_empty": not filtered and results.count == 0 and selectors.library_is_empty(),
        "can_export": has_perm(request.user, "customer:export"),
        "export_query": _export_query(request),
        "watermark": True,
    }
    return private(
        render_page(request, "customers/list.html", context, fragment_template="customers/_list_results.html")
    )


@requires("customer:export", methods=("GET",))
@require_GET
def customer_export(request: HttpRequest) -> HttpResponse:
    qs = selectors.customer_export_list(user=request.user, filters=request.GET)
    result = exports.customer_export(
        user=request.user, queryset=qs.order_by(*ordering(request.GET.get("sort")))
    )
    filename = f"客户清单-{timezone.localdate():%Y%m%d}.xlsx"
    return private(excel.response(filename, result.headers, result.rows, title="客户清单"))


def pii_items(
    request: HttpRequest,
    customer: Any,
    revealed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    can_reveal = has_perm(request.user, "pii:view")
    revealed, errors = revealed or {}, errors or {}
    return [
        {
            "field": field,
            "label": label,
            "masked": getattr(customer, f"{field}_masked"),
            "value": revealed.get(field),
            "error": errors.get(field),
            "can_reveal": can_reveal,
        }
        for field, (_, label) in services.PII_FIELDS.items()
    ]


def detail_context(
    request: HttpRequest,
    customer: Any,
    revealed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    types, segments, id_types = (selectors.dict_labels(c) for c in ("customer_type", "segment", "id_type"))
    c360 = selectors_360.customer_360(user=request.user, customer=customer)
    return {
        "customer": customer,
        "c360": c360,
        "chart_data_json": json.dumps(c360.transactions.as_data(), ensure_ascii=False),
        # The form itself (hundreds of staff to choose from) is fetched when asked for.
        "can_assign": selectors.can_assign(user=request.user, customer=customer),
        "industry_label": selectors.industry_label(customer.industry),
        "customer_type_label": types.get(customer.customer_type, customer.customer_type),
        "segment_label": segments.get(customer.segment, customer.segment),
        "id_type_label": id_types.get(customer.id_type, customer.id_type),
        "pii_values": pii_items(request, customer, revealed, errors),
        "sections": SECTIONS,
        # The tags and marketing sections load their own fragments (views_marketing, tags);
        # the page only says whether the viewer may see tags at all.
        "can_view_tags": has_perm(request.user, "tag:view"),
        "watermark": True,
    }


@requires("customer:view", methods=("GET",))
@require_GET
def customer_detail(request: HttpRequest, customer_no: str) -> HttpResponse:
    customer = selectors.customer_get(user=request.user, customer_no=customer_no)
    return private(render_page(request, "customers/detail.html", detail_context(request, customer)))


@requires("pii:view", methods=("POST",))
@require_POST
def customer_reveal(request: HttpRequest, customer_no: str, field: str) -> HttpResponse:
    """The full value of one protected field, logged. HTMX gets the value's fragment; a plain
    form post gets the 360 page with that value shown."""
    if field not in services.PII_FIELDS:
        raise Http404("没有这个字段")
    customer = selectors.customer_for_reveal(user=request.user, customer_no=customer_no)
    revealed: dict[str, str] = {}
    errors: dict[str, str] = {}
    try:
        revealed[field] = services.reveal_pii(user=request.user, customer=customer, field=field)
    except services.RevealError as exc:
        errors[field] = str(exc)
    if wants_fragment(request):
        item = next(v for v in pii_items(request, customer, revealed, errors) if v["field"] == field)
        return private(
            render_page(request, "customers/_pii_value.html", {"customer": customer, "item": item})
        )
    return private(
        render_page(request, "customers/detail.html", detail_context(request, customer, revealed, errors))
    )
