"""One batch at a time, one running row per step, and what to do with a batch whose process died.

The guards are the database's, as for imports (ingest.guard): partial unique indexes on
JobBatch (status = running: one running batch) and on JobRun(step) (status = running). A batch
claims its row when it starts, in its own transaction; a second claim fails on the index,
whatever process or server it comes from, and is refused with a message naming the holder.

A killed process cannot leave `running` by itself. Such a batch is recognised when its pid is
gone on this host, or when its heartbeat (written between steps) is older than
LIUYOU_JOB_STALE_MINUTES (a Django setting, default 120). It is then marked failed with its
running step: that step's transaction never committed, so its rows are as they were before.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from liuyou.core import audit
from liuyou.ingest.guard import pid_alive, this_host
from liuyou.pipeline import steps
from liuyou.pipeline.models import JobBatch, JobRun, JobStatus

INTERRUPTED = "进程中断：正在运行的步骤已整体回滚，该步骤的数据未变化；请重新运行"
DEFAULT_STALE_MINUTES = 120

__all__ = ["Busy", "claim_batch", "claim_run", "describe", "interrupted", "reap", "this_host"]


class Busy(Exception):
    """Another batch (or a run of the same step) is running; the message names it."""

    def __init__(self, message: str, holder: JobBatch | None) -> None:
        super().__init__(message)
        self.holder = holder


def stale_minutes() -> int:
    return int(getattr(settings, "LIUYOU_JOB_STALE_MINUTES", DEFAULT_STALE_MINUTES))


def last_sign_of_life(batch: JobBatch) -> datetime:
    marks = [m for m in (batch.started_at, batch.heartbeat_at) if m is not None]
    return max(marks) if marks else timezone.now()


def interrupted(batch: JobBatch, now: datetime | None = None) -> bool:
    if batch.status != JobStatus.RUNNING:
        return False
    if batch.pid and batch.host == this_host() and not pid_alive(batch.pid):
        return True
    now = now or timezone.now()
    return now - last_sign_of_life(batch) > timedelta(minutes=stale_minutes())


def reap() -> list[int]:
    """Mark interrupted batches (and their running step) failed; their ids. Also fails a
    running step row whose batch is no longer running (it cannot be running any more)."""
    now = timezone.now()
    dead = [b for b in JobBatch.objects.filter(status=JobStatus.RUNNING) if interrupted(b, now)]
    for batch in dead:
        changed = JobBatch.objects.filter(pk=batch.pk, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED,
            finished_at=now,
            message="；".join(m for m in (batch.message, INTERRUPTED) if m),
        )
        if changed:
            _fail_running(JobRun.objects.filter(batch=batch), now)
            audit.record(
                action="pipeline.batch",
                user=batch.triggered_by,
                obj=batch,
                success=False,
                after={"data_date": batch.data_date, "status": JobStatus.FAILED},
                message=INTERRUPTED,
            )
    _fail_running(JobRun.objects.exclude(batch__status=JobStatus.RUNNING), now)
    return [b.pk for b in dead]


def _fail_running(runs: Any, now: datetime) -> None:
    for run in runs.filter(status=JobStatus.RUNNING):
        seconds = (now - run.started_at).total_seconds() if run.started_at else None
        JobRun.objects.filter(pk=run.pk, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED, finished_at=now, duration=seconds, message=INTERRUPTED
        )


def describe(batch: JobBatch) -> str:
    user = batch.triggered_by
    who = f"，操作人 {user.name}" if user is not None else ""
    started = timezone.localtime(batch.started_at) if batch.started_at else None
    when = f"，{started:%Y-%m-%d %H:%M:%S} 开始" if started else ""
    return f"#{batch.pk}（数据日期 {batch.data_date:%Y-%m-%d}{when}{who}）"


def claim_batch(**fields: Any) -> JobBatch:
    """Insert a `running` batch, or raise Busy naming the one running. Interrupted batches
    are cleared first, so a killed run blocks the next one only until it is noticed."""
    reap()
    try:
        with transaction.atomic():
            return JobBatch.objects.create(status=JobStatus.RUNNING, **fields)
    except IntegrityError:
        holder = JobBatch.objects.filter(status=JobStatus.RUNNING).select_related("triggered_by").first()
        named = describe(holder) if holder else ""
        raise Busy(
            f"已有日终批处理正在运行{named}；同一时间只能运行一个批次，请等它结束后再试", holder
        ) from None


def claim_run(**fields: Any) -> JobRun:
    """Insert the `running` row of one step, or raise Busy (the step runs elsewhere)."""
    try:
        with transaction.atomic():
            return JobRun.objects.create(status=JobStatus.RUNNING, **fields)
    except IntegrityError:
        holder = JobRun.objects.filter(step=fields["step"], status=JobStatus.RUNNING).first()
        batch = holder.batch if holder else None
        named = f"（批次 {describe(batch)}）" if batch else ""
        raise Busy(
            f"步骤“{steps.label_of(fields['step'])}”已在运行{named}；请等它结束后再试", batch
        ) from None
