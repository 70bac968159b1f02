"""Batches started from the page or the API run in a detached `liuyou daily --batch-id N`
process, as uploads do (ingest.jobs): a thread would die with the web worker, and a feature
table over a county's customers takes longer than a request should. Its output goes to
var/jobs/<batch id>/result.json (the --json object) and output.log (the log)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.utils import timezone


def background() -> bool:
    """Tests run page-started batches in the request (LIUYOU_JOB_BACKGROUND = False)."""
    return bool(getattr(settings, "LIUYOU_JOB_BACKGROUND", True))


def batch_dir(batch_id: int) -> Path:
    return Path(settings.VAR_DIR) / "jobs" / str(batch_id)


def command(batch_id: int) -> list[str]:
    return [sys.executable, "-m", "liuyou.cli", "daily", "--batch-id", str(batch_id), "--json"]


def spawn(batch_id: int) -> int:
    """Start the process in its own session with stdout/stderr in the batch's folder; its pid."""
    folder = batch_dir(batch_id)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "result.json").open("wb") as out, (folder / "output.log").open("wb") as err:
        proc = subprocess.Popen(
            command(batch_id),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            cwd=os.getcwd(),
            env=os.environ.copy(),
            start_new_session=True,
            close_fds=True,
        )
    # Reap the exit status so the finished process does not linger as the worker's zombie.
    threading.Thread(target=proc.wait, name=f"daily-{batch_id}", daemon=True).start()
    return proc.pid


def launch(batch_id: int) -> None:
    """Start the batch's process; a batch whose process cannot start is failed at once."""
    from liuyou.pipeline.models import JobBatch, JobStatus

    try:
        spawn(batch_id)
    except OSError as exc:
        JobBatch.objects.filter(pk=batch_id, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED,
            message=f"无法启动批处理进程：{exc}；数据未变化",
            finished_at=timezone.now(),
        )
