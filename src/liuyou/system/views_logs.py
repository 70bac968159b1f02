"""The auditor's pages: search and export the operation and login logs, read one operation
with its before/after values side by side, and check both hash chains.

Read-only by construction: every view accepts GET (and HEAD) only; the logs have no edit or
delete route, and the database refuses UPDATE/DELETE on them anyway. Exports and integrity
checks are themselves recorded in the operation log.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.db.models import Max, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe
from django_tables2 import RequestConfig

from liuyou.core import audit, excel
from liuyou.core.access import has_perm, requires
from liuyou.core.rendering import render_page
from liuyou.system import tables_logs
from liuyou.system.filters_logs import LoginLogFilter, OperationLogFilter
from liuyou.system.models import LoginLog, OperationLog

DEFAULT_EXPORT_MAX_ROWS = 100_000


def export_max_rows() -> int:
    return int(getattr(settings, "LIUYOU_LOG_EXPORT_MAX_ROWS", DEFAULT_EXPORT_MAX_ROWS))


def _filtered(filterset: Any, model: type[Any]) -> QuerySet[Any]:
    # An invalid filter must not fall back to "everything": show nothing and the message.
    return filterset.qs if filterset.is_valid() else model.objects.none()


def _list(
    request: HttpRequest,
    *,
    model: type[Any],
    filter_class: type[Any],
    table_class: type[Any],
    template: str,
    fragment: str,
    title: str,
    export_name: str,
) -> HttpResponse:
    filterset = filter_class(request.GET, queryset=model.objects.all())
    table = table_class(_filtered(filterset, model))
    RequestConfig(request, paginate={"per_page": tables_logs.PER_PAGE}).configure(table)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "table": table,
        "count": table.paginator.count,
        "title": title,
        "breadcrumb": ["审计", title],
        "export_url": reverse(export_name) + (f"?{query.urlencode()}" if query else ""),
        "object_types": tables_logs.object_type_choices() if model is OperationLog else [],
        "can_export": has_perm(request.user, "log:export"),
        "export_limit": export_max_rows(),
    }
    return render_page(request, template, context, fragment_template=fragment)


@requires("log:view")
@require_safe
def operation_list(request: HttpRequest) -> HttpResponse:
    return _list(
        request,
        model=OperationLog,
        filter_class=OperationLogFilter,
        table_class=tables_logs.OperationLogTable,
        template="system/logs/operations.html",
        fragment="system/logs/_operations.html",
        title="操作日志",
        export_name="log_operations_export",
    )


@requires("log:view")
@require_safe
def login_list(request: HttpRequest) -> HttpResponse:
    return _list(
        request,
        model=LoginLog,
        filter_class=LoginLogFilter,
        table_class=tables_logs.LoginLogTable,
        template="system/logs/logins.html",
        fragment="system/logs/_logins.html",
        title="登录日志",
        export_name="log_logins_export",
    )


@requires("log:view")
@require_safe
def operation_detail(request: HttpRequest, log_id: int) -> HttpResponse:
    entry = OperationLog.objects.filter(pk=log_id).first()
    if entry is None:
        raise Http404("日志不存在")
    context = {
        "entry": entry,
        "title": f"操作日志 #{entry.seq}",
        "breadcrumb": ["审计", "操作日志", f"#{entry.seq}"],
        "action_label": tables_logs.action_label(entry.action),
        "object_type_label": tables_logs.object_type_label(entry.object_type) if entry.object_type else "",
        "rows": tables_logs.diff_rows(entry),
        "intact": audit.entry_intact(entry),
        "same_request": (
            OperationLog.objects.filter(request_id=entry.request_id).exclude(pk=entry.pk).count()
            if entry.request_id
            else 0
        ),
    }
    return render_page(request, "system/logs/operation_detail.html", context)


def _export(
    request: HttpRequest,
    *,
    chain: str,
    model: type[Any],
    filter_class: type[Any],
    list_name: str,
    headers: list[str],
    rows: Any,
) -> HttpResponse:
    label = audit.CHAIN_LABELS[chain]
    back = reverse(list_name) + (f"?{request.GET.urlencode()}" if request.GET else "")
    filterset = filter_class(request.GET, queryset=model.objects.all())
    if not filterset.is_valid():
        messages.error(request, "筛选条件有误，未导出。请按提示修改后再导出。")
        return HttpResponseRedirect(back)
    # A snapshot up to the current last entry: the export is exactly the rows counted, and
    # entries appended meanwhile (this export's own record included) are left out.
    upto = model.objects.aggregate(m=Max("seq"))["m"] or 0
    qs = filterset.qs.filter(seq__lte=upto).order_by(tables_logs.ordering(request.GET.get("sort")))
    count = qs.count()
    limit = export_max_rows()
    described = filterset.describe()
    details = {"chain": chain, "rows": count, "upto_seq": upto, "filters": filterset.active()}
    if count > limit:
        audit.record(
            action="log.export",
            user=request.user,
            object_type=model._meta.label_lower,
            success=False,
            after=details,
            message=f"导出{label}被拒绝：{count} 条超过上限 {limit} 条；条件：{described}",
        )
        messages.error(
            request,
            f"符合条件的{label}共 {count:,} 条，超过单次导出上限 {limit:,} 条。"
            "请缩小日期范围或增加筛选条件后分批导出。",
        )
        return HttpResponseRedirect(back)
    audit.record(
        action="log.export",
        user=request.user,
        object_type=model._meta.label_lower,
        after=details,
        message=f"导出{label} {count} 条；条件：{described}",
    )
    filename = f"{label}_{timezone.localtime():%Y%m%d_%H%M%S}.xlsx"
    return excel.response(filename, headers, rows(qs.iterator(chunk_size=2000)), title=label)


# Exports and the integrity check read many rows: they run outside the request transaction so
# that on SQLite (where a write transaction locks the database) they do not hold up logins and
# other writers. Their audit record is a short transaction of its own, committed before the
# file or the result is produced: an export that then fails is still on record as attempted.


@requires("log:export")
@require_safe
@transaction.non_atomic_requests
def operation_export(request: HttpRequest) -> HttpResponse:
    return _export(
        request,
        chain=audit.OPERATION,
        model=OperationLog,
        filter_class=OperationLogFilter,
        list_name="log_operations",
        headers=tables_logs.OPERATION_HEADERS,
        rows=tables_logs.operation_rows,
    )


@requires("log:export")
@require_safe
@transaction.non_atomic_requests
def login_export(request: HttpRequest) -> HttpResponse:
    return _export(
        request,
        chain=audit.LOGIN,
        model=LoginLog,
        filter_class=LoginLogFilter,
        list_name="log_logins",
        headers=tables_logs.LOGIN_HEADERS,
        rows=tables_logs.login_rows,
    )


def _broken_links(result: audit.VerifyResult) -> list[dict[str, Any]]:
    ids: dict[int, int] = {}
    if result.chain == audit.OPERATION and result.broken:
        seqs = [seq for seq, _ in result.broken[:200]]
        ids = dict(OperationLog.objects.filter(seq__in=seqs).values_list("seq", "pk"))
    return [{"seq": seq, "reason": reason, "log_id": ids.get(seq)} for seq, reason in result.broken[:200]]


@requires("log:view")
@require_safe
@transaction.non_atomic_requests
def verify_status(request: HttpRequest) -> HttpResponse:
    started = timezone.now()
    results = [audit.verify(chain) for chain in audit.CHAINS]
    ok = all(r.ok for r in results)
    summary = "；".join(
        f"{audit.CHAIN_LABELS[r.chain]}校验 {r.checked} 条，"
        + ("完整" if r.ok else f"发现 {len(r.broken)} 处异常")
        for r in results
    )
    audit.record(
        action="log.verify",
        user=request.user,
        success=ok,
        message=summary,
        after={
            r.chain: {
                "checked": r.checked,
                "head_seq": r.head_seq,
                "head_hash": r.head_hash,
                "broken": [[seq, reason] for seq, reason in r.broken[:50]],
            }
            for r in results
        },
    )
    chains = [
        {
            "label": audit.CHAIN_LABELS[r.chain],
            "result": r,
            "broken": _broken_links(r),
            "more": max(0, len(r.broken) - 200),
        }
        for r in results
    ]
    context = {
        "chains": chains,
        "ok": ok,
        "checked_at": started,
        "title": "日志完整性校验",
        "breadcrumb": ["审计", "日志完整性校验"],
        "retention_days": settings.LIUYOU_AUDIT_RETENTION_DAYS,
    }
    return render_page(request, "system/logs/verify.html", context)
