"""One running import per source, and what to do with a run whose process died.

The guard is the database's: a partial unique index on ImportRun(source) where status is
`running` (models.ImportRun.Meta.constraints). Claiming a run inserts its row as `running` in
its own transaction; a second insert for the same source fails on the index, on SQLite and
PostgreSQL alike, whatever process or machine it comes from. The row leaves `running` when
the run ends, in the load's own transaction or in the failure handler.

A killed process cannot leave `running` by itself. Such a run is recognised when its pid is
gone on this host, or when its heartbeat (the progress file, else its start) is older than
LIUYOU_IMPORT_STALE_MINUTES; it is then marked failed. Its load was one transaction that never
committed, so the library is as it was before the run, which is what the message says.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from liuyou.core import audit
from liuyou.ingest import jobs
from liuyou.ingest.models import ImportRun, RunStatus
from liuyou.ingest.sources import SOURCES

INTERRUPTED = "进程中断，导入已整体回滚，库中数据未变化"
DEFAULT_STALE_MINUTES = 30


class Busy(Exception):
    """Another run of the same source is running; the message names it."""

    def __init__(self, message: str, holder: ImportRun | None) -> None:
        super().__init__(message)
        self.holder = holder


def stale_minutes() -> int:
    return int(getattr(settings, "LIUYOU_IMPORT_STALE_MINUTES", DEFAULT_STALE_MINUTES))


def this_host() -> str:
    return socket.gethostname()[:255]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    # A zombie has finished; only its exit status waits to be collected.
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" not in status


def last_sign_of_life(run: ImportRun) -> datetime:
    beat = jobs.heartbeat(run.pk)
    started = run.started_at or timezone.now()
    if beat is None:
        return started
    return max(started, datetime.fromtimestamp(beat, tz=timezone.get_current_timezone()))


def interrupted(run: ImportRun, now: datetime | None = None) -> bool:
    if run.status != RunStatus.RUNNING:
        return False
    if run.pid and run.host == this_host() and not pid_alive(run.pid):
        return True
    now = now or timezone.now()
    return now - last_sign_of_life(run) > timedelta(minutes=stale_minutes())


def reap(source: str | None = None) -> list[int]:
    """Mark the interrupted runs (of `source`, or all) failed; their ids."""
    running = ImportRun.objects.filter(status=RunStatus.RUNNING)
    if source is not None:
        running = running.filter(source=source)
    now = timezone.now()
    dead = [run for run in running.select_related("user") if interrupted(run, now)]
    for run in dead:
        message = "；".join(m for m in (run.message, INTERRUPTED) if m)
        # Only if still running: the process may have finished since we looked.
        changed = ImportRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED, message=message, finished_at=now, reject_file=""
        )
        if changed:
            audit.record(
                action="ingest.run",
                user=run.user,
                obj=run,
                success=False,
                after={"source": run.source, "file": run.file_name, "status": RunStatus.FAILED},
                message=INTERRUPTED,
            )
    return [run.pk for run in dead]


def describe(run: ImportRun) -> str:
    who = f"，操作人 {run.user.name}" if run.user_id and run.user else ""
    started = timezone.localtime(run.started_at) if run.started_at else None
    when = f"，{started:%Y-%m-%d %H:%M:%S} 开始" if started else ""
    return f"#{run.pk}（文件 {run.file_name}{when}{who}）"


def claim(**fields: Any) -> ImportRun:
    """Insert a `running` run for fields['source'], or raise Busy naming the one running.

    Interrupted runs of the source are cleared first, so a killed import never blocks the
    next one for longer than it takes to notice the process is gone."""
    source = fields["source"]
    reap(source)
    try:
        with transaction.atomic():
            return ImportRun.objects.create(status=RunStatus.RUNNING, **fields)
    except IntegrityError:
        holder = (
            ImportRun.objects.filter(source=source, status=RunStatus.RUNNING).select_related("user").first()
        )
        label = SOURCES[source].label if source in SOURCES else source
        named = describe(holder) if holder else ""
        raise Busy(
            f"数据源“{label}”已有导入正在运行{named}；同一数据源不能同时导入，请等它结束后再试",
            holder,
        ) from None
