"""The analysis pages: counts of the 11 dimensions by branch and village with drill-down to
the customers and their reasons, and the head office's parameter settings. Thin views."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
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
from liuyou.mining import selectors, services
from liuyou.mining.definitions import BY_CODE
from liuyou.mining.forms import MembersFilterForm, ParamsForm
from liuyou.mining.tables import PER_PAGE, MembersTable

VIEW, CONFIG, EXPORT = "mining:view", "mining:config", "customer:export"


def _day(request: HttpRequest) -> tuple[date | None, list[date]]:
    """The data date asked for (?date=) among the built ones, else the latest; 404 for a
    date that was never built."""
    dates = selectors.feature_dates()
    text = request.GET.get("date", "").strip()
    if not text:
        return (dates[0] if dates else None), dates
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Http404("数据日期格式应为 YYYY-MM-DD") from None
    if day not in dates:
        raise Http404("该数据日期没有分析结果")
    return day, dates


@requires(VIEW, methods=("GET",))
@require_GET
def analysis(request: HttpRequest) -> HttpResponse:
    day, dates = _day(request)
    context: dict[str, Any] = {"day": day, "dates": dates, "watermark": True}
    if day is not None:
        items = selectors.in_force()
        counts = selectors.counts(user=request.user, data_date=day)
        rows = [{"item": i, **counts.get(i.code, {"customers": 0, "refused": 0})} for i in items]
        branches = selectors.branch_table(user=request.user, data_date=day)
        villages = Paginator(selectors.village_table(user=request.user, data_date=day), 20).get_page(
            request.GET.get("page")
        )
        context |= {
            "rows": rows,
            "branches": branches,
            "villages": villages,
            "codes": [i.code for i in items],
            "chart_json": json.dumps(
                {"names": [i.definition.name for i in items], "counts": [r["customers"] for r in rows]},
                ensure_ascii=False,
            ),
        }
    return private(render_page(request, "mining/analysis.html", context))


def _members(request: HttpRequest, code: str) -> tuple[Any, date, MembersFilterForm, Any]:
    if code not in BY_CODE:
        raise Http404("没有这个维度")
    day, _ = _day(request)
    if day is None:
        raise Http404("尚无分析结果")
    item = selectors.one_in_force(code)
    form = MembersFilterForm(request.GET or None, user=request.user)
    chosen = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = selectors.members(
        user=request.user,
        code=code,
        data_date=day,
        org=chosen.get("org"),
        village=chosen.get("village"),
        manager=chosen.get("manager"),
    )
    return item, day, form, qs


@requires(VIEW, methods=("GET",))
@require_GET
def members(request: HttpRequest, code: str) -> HttpResponse:
    item, day, form, qs = _members(request, code)
    table = MembersTable(qs, item=item, segments=dict_labels("segment"))
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "item": item,
        "day": day,
        "form": form,
        "table": table,
        "count": table.paginator.count,
        "can_export": has_perm(request.user, EXPORT),
        "export_query": params.urlencode(),
        "watermark": True,
    }
    return private(
        render_page(request, "mining/members.html", context, fragment_template="mining/_members.html")
    )


@requires(EXPORT, methods=("GET",))
@require_GET
def members_export(request: HttpRequest, code: str) -> HttpResponse:
    # Taking customer rows off the system is customer:export's call; the list is the page's.
    if not has_perm(request.user, VIEW):
        raise PermissionDenied(VIEW)
    item, day, _, qs = _members(request, code)
    segments = dict_labels("segment")
    headers = ["数据日期", "维度", "客户号", "客户名称", "客户分类", "开户机构", "主办客户经理", "入选理由"]
    rows = (
        [
            day.isoformat(),
            item.definition.name,
            f.customer.customer_no,
            f.customer.name,
            segments.get(f.customer.segment, f.customer.segment),
            f.customer.org.name,
            f.customer.manager.name if f.customer.manager else "",
            selectors.reason(item, f),
        ]
        for f in qs.iterator(chunk_size=2000)
    )
    name = f"{item.definition.name}-{day:%Y%m%d}-{timezone.localdate():%Y%m%d}.xlsx".replace("/", "_")
    services.log_export(user=request.user, code=code, data_date=day, filters=request.GET.dict())
    return private(excel.response(name, headers, rows, title=item.definition.name.replace("/", "_")))


@requires(CONFIG, methods=("GET",))
@require_GET
def config(request: HttpRequest) -> HttpResponse:
    context = {"items": selectors.in_force(), "history": selectors.recent_versions()}
    return render_page(request, "mining/config.html", context)


@requires(CONFIG, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def config_edit(request: HttpRequest, code: str) -> HttpResponse:
    if code not in BY_CODE:
        raise Http404("没有这个维度")
    item = selectors.one_in_force(code)
    definition = item.definition
    if request.method == "POST":
        form = ParamsForm(request.POST, definition=definition)
        if form.is_valid():
            try:
                with transaction.atomic():
                    row = services.update_params(
                        user=request.user,
                        code=code,
                        params=form.params(),
                        is_active=form.cleaned_data["is_active"],
                        note=form.cleaned_data["note"],
                    )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, f"已保存“{definition.name}”的参数（当前版本 v{row.version}）")
                return redirect("mining:config")
    else:
        form = ParamsForm(initial={**item.params, "is_active": item.is_active}, definition=definition)
    context = {"item": item, "form": form, "versions": selectors.versions(code=code)}
    return render_page(request, "mining/config_edit.html", context, status=200 if not form.errors else 400)
