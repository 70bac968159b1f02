"""Where a run keeps its files, its progress file, and how an upload's run is started in the
background.

Progress lives in var/imports/<run id>/progress.json, not in the run's row: on SQLite the load
transaction holds the write lock for the whole run, so no other connection could update the
row while it runs, but any process can read a small file. The file's mtime is the run's
heartbeat (see ingest.guard).

An upload runs in a detached `liuyou import ... --run-id N` process, not a thread: a thread
would die with the web worker that received the upload.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

if TYPE_CHECKING:
    from liuyou.ingest.models import ImportRun

PROGRESS = "progress.json"


def run_dir(run_id: int) -> Path:
    return Path(settings.VAR_DIR) / "imports" / str(run_id)


def upload_dir(run_id: int) -> Path:
    return Path(settings.VAR_DIR) / "imports" / "uploads" / str(run_id)


def progress_path(run_id: int) -> Path:
    return run_dir(run_id) / PROGRESS


def write_progress(run_id: int, **data: Any) -> None:
    """Replace the progress file atomically, so a reader never sees half a JSON object."""
    path = progress_path(run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{PROGRESS}.{os.getpid()}")
    tmp.write_text(json.dumps({**data, "at": time.time()}, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def read_progress(run_id: int) -> dict[str, Any] | None:
    try:
        data = json.loads(progress_path(run_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def heartbeat(run_id: int) -> float | None:
    """Seconds since the epoch of the last progress write, None before the first one."""
    try:
        return progress_path(run_id).stat().st_mtime
    except OSError:
        return None


def background() -> bool:
    """Tests may run uploads in the request (LIUYOU_IMPORT_BACKGROUND = False)."""
    return bool(getattr(settings, "LIUYOU_IMPORT_BACKGROUND", True))


def command(
    *,
    run_id: int,
    source: str,
    path: Path,
    data_date: Any = None,
    mapping: Path | None = None,
    validate_only: bool = False,
) -> list[str]:
    args = [
        sys.executable,
        "-m",
        "liuyou.cli",
        "import",
        source,
        str(path),
        "--json",
        "--run-id",
        str(run_id),
    ]
    if data_date:
        args += ["--data-date", data_date.isoformat()]
    if mapping:
        args += ["--mapping", str(mapping)]
    if validate_only:
        args.append("--validate-only")
    return args


def spawn(args: list[str], run_id: int) -> int:
    """Start the import process detached from the request: its own session (a signal to the
    web worker's group does not reach it), stdout/stderr into the run's folder. Returns the pid."""
    folder = run_dir(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "result.json").open("wb") as out, (folder / "output.log").open("wb") as err:
        proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            cwd=os.getcwd(),
            env=os.environ.copy(),
            start_new_session=True,
            close_fds=True,
        )
    # Collect the exit status so the finished process does not linger as a zombie of the web
    # worker; if the worker dies first, init adopts and reaps it.
    threading.Thread(target=proc.wait, name=f"import-{run_id}", daemon=True).start()
    return proc.pid


def start_upload(
    *,
    user: Any,
    source: str,
    upload: UploadedFile,
    mapping: UploadedFile | None = None,
    data_date: date | None = None,
    validate_only: bool = False,
) -> ImportRun:
    """Claim the source (guard.Busy when it is running), store the upload under
    var/imports/uploads/<run id>/ with its own name, and start the run: in the background
    once the caller's transaction commits (the process must see the row), or right here when
    LIUYOU_IMPORT_BACKGROUND is off. The caller owns the transaction; an OSError while
    storing the file leaves it to the caller to roll back."""
    from liuyou.core import audit
    from liuyou.ingest import guard

    run = guard.claim(
        source=source, file_name=upload.name or "", user=user, channel="upload", data_date=data_date
    )
    folder = upload_dir(run.pk)
    try:
        path = _store(upload, folder)
        mapping_path = _store(mapping, folder / "mapping") if mapping else None
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    audit.record(
        action="ingest.upload",
        user=user,
        obj=run,
        after={
            "source": source,
            "file": run.file_name,
            "size": upload.size,
            "data_date": data_date,
            "mapping": mapping.name if mapping else "",
            "validate_only": validate_only,
        },
        message=f"上传导入文件 {run.file_name}",
    )
    args = command(
        run_id=run.pk,
        source=source,
        path=path,
        data_date=data_date,
        mapping=mapping_path,
        validate_only=validate_only,
    )
    if background():
        transaction.on_commit(lambda: launch(args, run.pk))
    else:
        _run_here(run, path, mapping_path, data_date, validate_only, user)
    return run


def _store(upload: UploadedFile, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (upload.name or "upload")
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path


def launch(args: list[str], run_id: int) -> None:
    """Start the process; a run whose process cannot start is failed at once, not left to
    look as if it were running."""
    from liuyou.ingest.models import ImportRun, RunStatus

    try:
        spawn(args, run_id)
    except OSError as exc:
        ImportRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            message=f"无法启动导入进程：{exc}；库中数据未变化",
            finished_at=timezone.now(),
        )


def _run_here(
    run: ImportRun, path: Path, mapping: Path | None, data_date: date | None, validate_only: bool, user: Any
) -> None:
    from liuyou.ingest import runner

    opts = runner.Options(
        source=run.source,
        path=path,
        data_date=data_date,
        mapping=mapping,
        user=user,
        channel="upload",
        validate_only=validate_only,
        run_id=run.pk,
    )
    # A refusal or failure is recorded on the run, which the page shows next.
    with contextlib.suppress(runner.Refused, runner.Failed):
        runner.run_import(opts)
    run.refresh_from_db()
