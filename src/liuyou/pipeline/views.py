"""The jobs page (批处理作业): job runs with filters and export, a batch's steps, one run's
details, and starting a batch or re-running one step (job:run).

A started batch runs in a background process (pipeline.jobs); the batch page polls every
2 seconds while it runs. The pages that only read run outside the request transaction (the
access decorator does that for GET), so on SQLite they never wait for a running step's lock.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_tables2 import RequestConfig

from liuyou.core import audit, excel
from liuyou.core.access import has_perm, quiet_poll, requires
from liuyou.core.rendering import render_page
from liuyou.pipeline import guard, selectors, services, tables
from liuyou.pipeline import steps as steps_mod
from liuyou.pipeline.filters import JobRunFilter
from liuyou.pipeline.forms import RunForm
from liuyou.pipeline.models import JobBatch, JobStatus

log = logging.getLogger(__name__)


def _reap() -> None:
    # Best effort: on SQLite a running step may hold the write lock; the dead batch is then
    # marked on a later visit rather than making this page wait.
    try:
        with transaction.atomic():
            guard.reap()
    except DatabaseError as exc:
        log.warning("could not mark interrupted pipeline batches: %s", exc)


def _history(request: HttpRequest) -> tuple[JobRunFilter, Any]:
    filterset = JobRunFilter(request.GET or None, queryset=selectors.run_list(user=request.user))
    return filterset, filterset.filtered() if filterset.is_bound else filterset.queryset


def _list_context(request: HttpRequest, *, form: RunForm | None = None, error: str = "") -> dict[str, Any]:
    filterset, runs = _history(request)
    table = tables.JobRunTable(runs)
    RequestConfig(request, paginate={"per_page": tables.PER_PAGE}).configure(table)
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "filter": filterset,
        "table": table,
        "count": table.paginator.count,
        "export_url": reverse("pipeline:export") + (f"?{query.urlencode()}" if query else ""),
        "can_run": has_perm(request.user, "job:run"),
        "form": form or RunForm(),
        "error": error,
        "overview": [
            {**item, "badge": tables.STATUS_BADGES.get(item["last"].status, "") if item["last"] else ""}
            for item in selectors.step_overview(user=request.user)
        ],
        "running": selectors.running_batch(user=request.user),
        "latest_import": selectors.latest_import_date(),
        "breadcrumb": ["数据与批处理", "日终批处理"],
    }


@requires("job:view")
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    _reap()
    return render_page(
        request, "pipeline/jobs.html", _list_context(request), fragment_template="pipeline/_runs.html"
    )


@requires("job:view")
@require_GET
def job_export(request: HttpRequest) -> HttpResponse:
    _, runs = _history(request)
    rows = list(tables.export_rows(runs.order_by("-started_at", "-id")))
    audit.record(
        action="pipeline.runs_export",
        user=request.user,
        after={"rows": len(rows), "filters": {k: v for k, v in request.GET.items() if v}},
        message=f"导出批处理作业记录 {len(rows)} 条",
    )
    filename = f"批处理作业-{timezone.localdate():%Y%m%d}.xlsx"
    return excel.response(filename, tables.EXPORT_HEADERS, rows, title="批处理作业")


@requires("job:run", methods=("POST",))
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    """Start a batch (all steps or the chosen ones) for a data date; a step's "重新运行"
    button posts here with that step and its data date."""
    form = RunForm(request.POST)
    error, status = "", 400
    if form.is_valid():
        data = form.cleaned()
        try:
            batch = services.start_batch(
                user=request.user, data_date=data["data_date"], steps=data["steps"], channel="web"
            )
        except guard.Busy as exc:
            error, status = str(exc), 409
        except services.PipelineError as exc:
            error = str(exc)
        else:
            return HttpResponseRedirect(reverse("pipeline:batch", args=[batch.pk]))
    return render_page(
        request, "pipeline/jobs.html", _list_context(request, form=form, error=error), status=status
    )


def _batch_context(request: HttpRequest, batch: JobBatch) -> dict[str, Any]:
    runs = selectors.batch_runs(batch=batch)
    planned = steps_mod.select(batch.steps) if _known(batch.steps) else []
    done = {r.step for r in runs}
    elapsed = (timezone.now() - batch.started_at).total_seconds() if batch.started_at else 0
    return {
        "batch": batch,
        "runs": [
            {
                "run": r,
                "label": tables.step_label(r.step),
                "duration": tables.seconds_label(r.duration),
                "badge": tables.STATUS_BADGES.get(r.status, "text-bg-secondary"),
            }
            for r in runs
        ],
        "waiting": [s for s in planned if s.code not in done] if batch.status == JobStatus.RUNNING else [],
        "running": batch.status == JobStatus.RUNNING,
        "badge": tables.STATUS_BADGES.get(batch.status, "text-bg-secondary"),
        "duration": tables.seconds_label(batch.duration),
        "elapsed": tables.seconds_label(elapsed),
        "user_label": tables.user_label(batch),
        "channel_label": tables.CHANNELS.get(batch.channel, batch.channel),
        "steps_label": "、".join(tables.step_label(c) for c in batch.steps) if batch.steps else "全部步骤",
        "can_run": has_perm(request.user, "job:run"),
        "breadcrumb": ["数据与批处理", "日终批处理", f"批次#{batch.pk}"],
    }


def _known(codes: list[str]) -> bool:
    try:
        steps_mod.select(codes)
    except steps_mod.UnknownStep:
        return False
    return True


@requires("job:view")
@require_GET
@quiet_poll
def batch_detail(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = selectors.batch_get(user=request.user, batch_id=batch_id)
    if batch.status == JobStatus.RUNNING and guard.interrupted(batch):
        _reap()
        batch.refresh_from_db()
    return render_page(
        request,
        "pipeline/batch.html",
        _batch_context(request, batch),
        fragment_template="pipeline/_batch_status.html",
    )


@requires("job:view")
@require_GET
def run_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    run = selectors.run_get(user=request.user, run_id=job_id)
    context = {
        "run": run,
        "label": tables.step_label(run.step),
        "registered": run.step in steps_mod.by_code(),
        "badge": tables.STATUS_BADGES.get(run.status, "text-bg-secondary"),
        "duration": tables.seconds_label(run.duration),
        "user_label": tables.user_label(run),
        "channel_label": tables.CHANNELS.get(run.channel, run.channel),
        "details": tables.detail_rows(run.details) if run.details else [],
        "can_run": has_perm(request.user, "job:run"),
        "breadcrumb": ["数据与批处理", "日终批处理", f"作业#{run.pk}"],
    }
    return render_page(request, "pipeline/run_detail.html", context)
