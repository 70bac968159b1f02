"""Reads of the pipeline's records, always through the data scope for a user."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Max, QuerySet

from liuyou.core import scope
from liuyou.pipeline import steps as steps_mod
from liuyou.pipeline.models import JobBatch, JobRun


def latest_import_date() -> date | None:
    """The latest data date of a completed import: the pipeline's default data date."""
    from liuyou.ingest.models import ImportRun, RunStatus

    latest: date | None = ImportRun.objects.filter(
        status=RunStatus.COMPLETED, data_date__isnull=False
    ).aggregate(d=Max("data_date"))["d"]
    return latest


def run_list(*, user: Any) -> QuerySet[JobRun]:
    return scope.scoped(JobRun.objects.select_related("triggered_by", "batch"), user, "job:view")


def run_get(*, user: Any, run_id: int) -> JobRun:
    return scope.get_or_404(
        JobRun.objects.select_related("triggered_by", "batch"), user, "job:view", pk=run_id
    )


def batch_list(*, user: Any) -> QuerySet[JobBatch]:
    return scope.scoped(JobBatch.objects.select_related("triggered_by"), user, "job:view")


def batch_get(*, user: Any, batch_id: int) -> JobBatch:
    return scope.get_or_404(JobBatch.objects.select_related("triggered_by"), user, "job:view", pk=batch_id)


def batch_runs(*, batch: JobBatch) -> list[JobRun]:
    return list(batch.runs.select_related("triggered_by").order_by("step_order", "id"))


def running_batch(*, user: Any) -> JobBatch | None:
    return batch_list(user=user).filter(status="running").first()


def step_overview(*, user: Any) -> list[dict[str, Any]]:
    """Each registered step with its latest run the user may see (for the jobs page)."""
    runs = run_list(user=user)
    out = []
    for step in steps_mod.registry():
        last = runs.filter(step=step.code).order_by("-started_at", "-id").first()
        out.append({"step": step, "last": last})
    return out


def run_dict(run: JobRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "code": run.step,
        "label": steps_mod.label_of(run.step),
        "status": run.status,
        "rows": run.rows,
        "seconds": run.duration,
        "details": run.details,
        "message": run.message,
    }


def batch_summary(*, batch: JobBatch) -> dict[str, Any]:
    """The batch as one JSON-ready object: the command's --json output and the API's answer."""
    return {
        "data_date": batch.data_date.isoformat(),
        "batch": batch.pk,
        "status": batch.status,
        "channel": batch.channel,
        "started_at": batch.started_at.isoformat() if batch.started_at else None,
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        "seconds": batch.duration,
        "message": batch.message,
        "steps": [run_dict(r) for r in batch_runs(batch=batch)],
    }
