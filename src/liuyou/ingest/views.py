"""Import pages: upload a source file, follow its run, read the history, fetch a reject file.

The pages that only read (run detail and its progress fragment, history, reject download)
run outside the request transaction: on SQLite a running import holds the write lock for
its whole load, and a request transaction there begins by taking that lock, so the progress
page would otherwise wait for the very run it is showing.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from django.db import DatabaseError, transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_tables2 import RequestConfig

from liuyou.core import audit, excel, scope
from liuyou.core.access import has_perm, quiet_poll, requires
from liuyou.core.rendering import render_page
from liuyou.ingest import guard, jobs, reject_masking, tables
from liuyou.ingest.filters import RunFilter
from liuyou.ingest.forms import UploadForm, max_upload_bytes
from liuyou.ingest.models import ImportRun, RunStatus

log = logging.getLogger(__name__)

STAGES = {
    "reading": "正在读取文件",
    "loading": "正在校验并写入",
    "finishing": "文件已读完，正在收尾（写入剩余批次、关闭全量文件中缺失的记录）",
}


def _runs(request: HttpRequest) -> Any:
    return scope.scoped(ImportRun.objects.select_related("user"), request.user, "import:view")


def _reap(source: str | None = None) -> None:
    # Best effort: on SQLite another source's load may hold the write lock; the dead run is
    # then marked on a later visit rather than making this page wait.
    try:
        with transaction.atomic():
            guard.reap(source)
    except DatabaseError as exc:
        log.warning("could not mark interrupted import runs: %s", exc)


@requires("import:run", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    error = ""
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                run = jobs.start_upload(
                    user=request.user,
                    source=data["source"],
                    upload=data["file"],
                    mapping=data.get("mapping"),
                    data_date=data.get("data_date"),
                    validate_only=data.get("validate_only") or False,
                )
        except guard.Busy as exc:
            error, status = str(exc), 409
        except OSError as exc:
            error = f"文件保存失败（{exc.strerror or exc}），未导入任何数据；请检查服务器磁盘空间后重试"
        else:
            return HttpResponseRedirect(reverse("ingest:run", args=[run.pk]))
    running = scope.scoped(ImportRun.objects.select_related("user"), request.user, "import:run").filter(
        status=RunStatus.RUNNING
    )
    context = {
        "form": form,
        "error": error,
        "max_upload_mb": max_upload_bytes() // (1024 * 1024),
        "running": [{"run": r, "label": tables.source_label(r.source)} for r in running],
        "breadcrumb": ["数据导入", "上传导入"],
    }
    return render_page(request, "ingest/upload.html", context, status=status)


CONFLICTS_SHOWN = 50


def _run_context(request: HttpRequest, run: ImportRun) -> dict[str, Any]:
    progress = jobs.read_progress(run.pk) if run.status == RunStatus.RUNNING else None
    # Identity conflicts this run recorded (values are stored masked): what the data owners
    # are to correct at the source. Bounded; the count says how many there are in all.
    conflicts = run.conflicts.order_by("line_no", "id") if run.status == RunStatus.COMPLETED else None
    elapsed = (timezone.now() - run.started_at).total_seconds() if run.started_at else 0
    return {
        "run": run,
        "source_label": tables.source_label(run.source),
        "channel_label": tables.CHANNELS.get(run.channel, run.channel),
        "user_label": tables.user_label(run),
        "badge": tables.STATUS_BADGES.get(run.status, "text-bg-secondary"),
        "duration": tables.duration_label(run.duration_ms),
        "elapsed": tables.duration_label(int(elapsed * 1000)),
        "progress": progress,
        "stage": STAGES.get((progress or {}).get("stage", ""), "等待导入进程启动"),
        "running": run.status == RunStatus.RUNNING,
        "has_rejects": tables.has_rejects(run),
        "valid": run.read - run.rejected,
        "can_upload": has_perm(request.user, "import:run"),
        "validate_only": run.status == RunStatus.VALIDATED,
        "breadcrumb": ["数据导入", "导入记录", f"#{run.pk}"],
        "conflicts": list(conflicts[:CONFLICTS_SHOWN]) if conflicts is not None else [],
        "conflict_count": conflicts.count() if conflicts is not None else 0,
    }


@requires("import:view")
@transaction.non_atomic_requests
@require_GET
@quiet_poll
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = scope.get_or_404(ImportRun.objects.select_related("user"), request.user, "import:view", pk=run_id)
    if run.status == RunStatus.RUNNING and guard.interrupted(run):
        _reap(run.source)
        run.refresh_from_db()
    return render_page(
        request,
        "ingest/run_detail.html",
        _run_context(request, run),
        fragment_template="ingest/_run_status.html",
    )


@requires("import:view")
@transaction.non_atomic_requests
@require_GET
def run_rejects(request: HttpRequest, run_id: int) -> HttpResponse:
    """The reject file as an attachment. It holds the rejected rows as the bank sent them;
    without pii:view their ID and phone numbers come masked. Each download is logged."""
    run = scope.get_or_404(ImportRun.objects.all(), request.user, "import:view", pk=run_id)
    if not tables.has_rejects(run):
        raise Http404("该导入没有拒绝文件")
    path = Path(run.reject_file)
    audit.record(
        action="ingest.rejects_download",
        user=request.user,
        obj=run,
        after={"file": path.name, "rejected": run.rejected, "masked": not has_perm(request.user, "pii:view")},
        message=f"下载拒绝文件 {path.name}",
    )
    masked = not has_perm(request.user, "pii:view")
    if masked:
        response: Any = StreamingHttpResponse(
            reject_masking.masked_lines(path, run.source), content_type="text/csv; charset=utf-8"
        )
    else:
        response = FileResponse(path.open("rb"), as_attachment=True, content_type="text/csv; charset=utf-8")
    # The Chinese-safe form of the name; FileResponse's own header would need it ASCII.
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(path.name)}"
    response["Cache-Control"] = "private, no-store"
    # Streamed, not an HttpResponse; the access decorators' type only knows the latter.
    return cast(HttpResponse, response)


def _history(request: HttpRequest) -> tuple[RunFilter, Any]:
    filterset = RunFilter(request.GET or None, queryset=_runs(request))
    return filterset, filterset.filtered() if filterset.is_bound else filterset.queryset


@requires("import:view")
@transaction.non_atomic_requests
@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    _reap()
    filterset, runs = _history(request)
    table = tables.RunTable(runs)
    RequestConfig(request, paginate={"per_page": tables.PER_PAGE}).configure(table)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "table": table,
        "count": table.paginator.count,
        "export_url": reverse("ingest:runs_export") + (f"?{query.urlencode()}" if query else ""),
        "can_upload": has_perm(request.user, "import:run"),
        "breadcrumb": ["数据导入", "导入记录"],
    }
    return render_page(request, "ingest/runs.html", context, fragment_template="ingest/_runs.html")


@requires("import:view")
@require_GET
def run_export(request: HttpRequest) -> HttpResponse:
    filterset, runs = _history(request)
    runs = runs.order_by("-started_at", "-id")
    rows = list(tables.export_rows(runs))
    audit.record(
        action="ingest.runs_export",
        user=request.user,
        after={"rows": len(rows), "filters": {k: v for k, v in request.GET.items() if v}},
        message=f"导出导入记录 {len(rows)} 条",
    )
    filename = f"导入记录-{timezone.localdate():%Y%m%d}.xlsx"
    return excel.response(filename, tables.EXPORT_HEADERS, rows, title="导入记录")
