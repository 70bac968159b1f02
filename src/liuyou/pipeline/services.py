"""Running the daily pipeline: `run_daily` (the command, the demo, a background process) and
`start_batch` (the jobs page and the API, which hand the batch to a background process).

Transactions, the one place the pipeline departs from "the caller owns the transaction":
each step runs inside its own `transaction.atomic()`, and the job-run rows are written outside
it, so a failed step rolls back everything it wrote while its 失败 record stays. Call
`run_daily` outside a transaction (the command does); inside one, each step is a savepoint and
the records commit with the caller.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from liuyou.core import audit
from liuyou.pipeline import guard, jobs, selectors
from liuyou.pipeline import steps as steps_mod
from liuyou.pipeline.models import Channel, JobBatch, JobRun, JobStatus
from liuyou.pipeline.types import StepResult

log = logging.getLogger("liuyou.pipeline")

Batch = JobBatch
Busy = guard.Busy
UnknownStep = steps_mod.UnknownStep
MESSAGE_MAX = 2000


class PipelineError(Exception):
    """The batch cannot start: no data date, an unknown step, a bad batch id. Chinese message."""


NO_DATA_DATE = "尚无已完成的导入，无法确定数据日期"


def resolve_data_date(data_date: date | None) -> date:
    if data_date is not None:
        return data_date
    latest = selectors.latest_import_date()
    if latest is None:
        raise PipelineError(NO_DATA_DATE)
    return latest


def _plan(codes: Iterable[str] | None) -> list[steps_mod.Step]:
    try:
        return steps_mod.select(codes)
    except steps_mod.UnknownStep as exc:
        raise PipelineError(str(exc)) from None


def _error_text(step: steps_mod.Step, exc: BaseException) -> str:
    """The run's message: Chinese, the exception's own words, never a traceback."""
    detail = str(exc).strip() or type(exc).__name__
    if isinstance(exc, PipelineError):
        text = detail
    else:
        text = f"{step.label}运行出错（{type(exc).__name__}）：{detail}"
    return text[:MESSAGE_MAX]


def _call(step: steps_mod.Step, data_date: date) -> StepResult:
    try:
        func = step.resolve()
    except (ImportError, AttributeError) as exc:
        raise PipelineError(f"步骤程序不存在或无法加载：{step.func_path}（{exc}）") from exc
    result = func(data_date=data_date)
    if not isinstance(result, StepResult):
        raise PipelineError(f"步骤程序 {step.func_path} 的返回值不是 StepResult，本步骤已回滚")
    return result


def _beat(batch: JobBatch) -> None:
    batch.heartbeat_at = timezone.now()
    JobBatch.objects.filter(pk=batch.pk).update(heartbeat_at=batch.heartbeat_at)


def _skip(batch: JobBatch, step: steps_mod.Step, reason: str) -> JobRun:
    now = timezone.now()
    return JobRun.objects.create(
        batch=batch,
        step=step.code,
        step_order=step.order,
        data_date=batch.data_date,
        status=JobStatus.SKIPPED,
        started_at=now,
        finished_at=now,
        duration=0.0,
        message=reason,
        triggered_by=batch.triggered_by,
        channel=batch.channel,
    )


def _run_step(batch: JobBatch, step: steps_mod.Step, say: Callable[[str], None]) -> JobRun:
    run = guard.claim_run(
        batch=batch,
        step=step.code,
        step_order=step.order,
        data_date=batch.data_date,
        started_at=timezone.now(),
        triggered_by=batch.triggered_by,
        channel=batch.channel,
    )
    say(f"开始：{step.label}（{step.code}），数据日期 {batch.data_date:%Y-%m-%d}")
    t0 = time.perf_counter()
    try:
        with transaction.atomic():
            result = _call(step, batch.data_date)
    except Exception as exc:
        log.exception("pipeline step %s failed for %s", step.code, batch.data_date)
        run.status, run.message = JobStatus.FAILED, _error_text(step, exc)
    except BaseException:
        # Ctrl+C or the process being stopped: record it, then let it end the process.
        _finish_run(run, JobStatus.FAILED, t0, message="运行被中断，本步骤已整体回滚")
        raise
    else:
        run.status, run.rows, run.details = JobStatus.COMPLETED, int(result.rows), dict(result.details)
    _finish_run(run, run.status, t0, message=run.message)
    say(
        f"{'完成' if run.status == JobStatus.COMPLETED else '失败'}：{step.label}（{step.code}），"
        f"{run.rows} 行，{run.duration:.1f} 秒" + (f"；{run.message}" if run.message else "")
    )
    return run


def _finish_run(run: JobRun, status: str, t0: float, *, message: str = "") -> None:
    run.status = status
    run.message = message
    run.finished_at = timezone.now()
    run.duration = round(time.perf_counter() - t0, 3)
    run.save(update_fields=["status", "message", "finished_at", "duration", "rows", "details"])


def _adopt(batch_id: int) -> JobBatch:
    """The batch a page or API call claimed for this process (see start_batch)."""
    batch = (
        JobBatch.objects.select_related("triggered_by")
        .filter(pk=batch_id, status=JobStatus.RUNNING, pid__isnull=True)
        .first()
    )
    if batch is None:
        raise PipelineError(f"批次 #{batch_id} 不存在、已结束或已由其他进程运行")
    batch.pid, batch.host, batch.heartbeat_at = os.getpid(), guard.this_host(), timezone.now()
    JobBatch.objects.filter(pk=batch.pk).update(
        pid=batch.pid, host=batch.host, heartbeat_at=batch.heartbeat_at
    )
    return batch


def run_daily(
    *,
    data_date: date | None = None,
    steps: Iterable[str] | None = None,
    user: Any = None,
    channel: str = Channel.CLI,
    batch_id: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> JobBatch:
    """Run the pipeline (all steps, or `steps` alone) for `data_date` (default: the latest
    data date of a completed import) as one batch, step after step in pipeline order.

    A failed step is recorded 失败 with its error and its writes rolled back; the steps after
    it are recorded 已跳过 with the reason. Raises PipelineError when the batch cannot start
    (nothing recorded) and guard.Busy when another batch is running. With `batch_id` the
    batch claimed by `start_batch` is run (its data date, steps and user)."""
    say = progress or (lambda _text: None)
    if batch_id is not None:
        batch = _adopt(batch_id)
        plan = _plan(batch.steps)
    else:
        plan = _plan(steps)
        day = resolve_data_date(data_date)
        batch = guard.claim_batch(
            data_date=day,
            steps=[s.code for s in plan] if steps else [],
            triggered_by=user if getattr(user, "is_authenticated", False) else None,
            channel=channel,
            pid=os.getpid(),
            host=guard.this_host(),
            heartbeat_at=timezone.now(),
        )
    t0 = time.perf_counter()
    failed: steps_mod.Step | None = None
    try:
        for step in plan:
            if failed is not None:
                _skip(batch, step, f"前序步骤“{failed.label}”失败，本步骤未运行")
                continue
            run = _run_step(batch, step, say)
            if run.status != JobStatus.COMPLETED:
                failed = step
            _beat(batch)
    except BaseException as exc:
        _finish_batch(batch, t0, failed=True, message=f"批处理中止：{exc}"[:MESSAGE_MAX])
        raise
    _finish_batch(batch, t0, failed=failed is not None)
    return batch


def _finish_batch(batch: JobBatch, t0: float, *, failed: bool, message: str = "") -> None:
    batch.status = JobStatus.FAILED if failed else JobStatus.COMPLETED
    batch.finished_at = timezone.now()
    batch.duration = round(time.perf_counter() - t0, 3)
    if message:
        batch.message = message
    batch.save(update_fields=["status", "finished_at", "duration", "message"])
    summary = selectors.batch_summary(batch=batch)
    audit.record(
        action="pipeline.batch",
        user=batch.triggered_by,
        obj=batch,
        success=not failed,
        after={
            "data_date": batch.data_date,
            "channel": batch.channel,
            "status": batch.status,
            "steps": [{k: s[k] for k in ("code", "status", "rows", "seconds")} for s in summary["steps"]],
        },
        message=f"日终批处理（数据日期 {batch.data_date:%Y-%m-%d}）{batch.get_status_display()}",
    )


def start_batch(
    *,
    user: Any,
    data_date: date | None = None,
    steps: Iterable[str] | None = None,
    channel: str = Channel.WEB,
) -> JobBatch:
    """Claim a batch for the page or the API and run it in a detached `liuyou daily
    --batch-id N` process once the caller's transaction commits (a web request must not wait
    for the batch, nor die with its worker), or right here when LIUYOU_JOB_BACKGROUND is off.
    Raises PipelineError or guard.Busy before anything is stored. The caller owns the
    transaction."""
    plan = _plan(steps)
    day = resolve_data_date(data_date)
    batch = guard.claim_batch(
        data_date=day,
        steps=[s.code for s in plan] if steps else [],
        triggered_by=user,
        channel=channel,
    )
    audit.record(
        action="pipeline.start",
        user=user,
        obj=batch,
        after={"data_date": day, "steps": [s.code for s in plan], "channel": channel},
        message=f"启动日终批处理（数据日期 {day:%Y-%m-%d}）",
    )
    if jobs.background():
        batch_pk = batch.pk
        transaction.on_commit(lambda: jobs.launch(batch_pk))
    else:
        run_daily(batch_id=batch.pk)
        batch.refresh_from_db()
    return batch


def result_dict(batch: JobBatch) -> dict[str, Any]:
    """The batch as the command's --json object and the API's answer."""
    return selectors.batch_summary(batch=batch)
