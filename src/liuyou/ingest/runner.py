"""One import run: refuse or read, validate, load, record.

The ImportRun row is written first and outside the load transaction, so it survives
whatever happens to the load; writing it as `running` claims the source (ingest.guard: one
running import per source). All writes to the library happen in one transaction: a crash, a
constraint error or a killed process leaves the library as it was, and the run row says
`failed` (a killed process's row stays `running` until ingest.guard notices the process is
gone and marks it failed). Progress goes to a file (ingest.jobs), never to the row.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from liuyou.core import audit
from liuyou.ingest import checking, control, guard, jobs, loaders, reader
from liuyou.ingest import mapping as mapping_mod
from liuyou.ingest.loaders.base import LoadContext, LoadResult
from liuyou.ingest.models import ImportRun, RunStatus
from liuyou.ingest.rejects import RejectWriter, path_for
from liuyou.ingest.sources import SOURCES, Source, key_of
from liuyou.ingest.validate import Row, RowValidator

NOT_READY = "该数据源的入库程序尚未上线"
PROGRESS_EVERY = 100_000
# The progress file is rewritten at most every this many rows and this many seconds.
PROGRESS_FILE_EVERY = 1000
PROGRESS_FILE_SECONDS = 0.5


class Refused(Exception):
    """The file is refused whole; nothing was loaded. The message is Chinese."""

    def __init__(self, message: str, run: ImportRun | None = None) -> None:
        super().__init__(message)
        self.run = run


class Failed(Exception):
    """The load died midway and was rolled back; the run row records why."""

    def __init__(self, message: str, run: ImportRun) -> None:
        super().__init__(message)
        self.run = run


@dataclass
class Options:
    source: str
    path: Path
    data_date: date | None = None
    mapping: str | Path | None = None
    user: Any = None
    channel: str = "cli"
    reject_dir: Path | None = None
    validate_only: bool = False
    progress: Callable[[str], None] | None = None
    # An upload's run: the page created the row (and so holds the guard); this process fills it.
    run_id: int | None = None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(reader.CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def run_import(opts: Options) -> ImportRun:
    path = Path(opts.path)
    started = time.monotonic()
    run = _start(opts, path, started)
    try:
        jobs.write_progress(run.pk, stage="reading", read=0, rejected=0)
        source, loader, mapping = _prepare(opts, run, path)
        with _gc_paused():
            _run(opts, run, path, source, loader, mapping)
    except Refused as exc:
        _finish(run, RunStatus.REFUSED, str(exc), started)
        exc.run = run
        raise
    except Exception as exc:
        message = f"导入失败，已全部回滚：{exc.__class__.__name__}: {exc}"
        _finish(run, RunStatus.FAILED, message, started)
        raise Failed(message, run) from exc
    run.duration_ms = int((time.monotonic() - started) * 1000)
    run.finished_at = timezone.now()
    run.save()
    # The run is committed; a progress file that cannot be written (disk full) changes nothing.
    with contextlib.suppress(OSError):
        jobs.write_progress(run.pk, stage="done", read=run.read, rejected=run.rejected)
    return run


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection during the load. A load allocates millions of small
    objects that form no cycles (rows, keys, parameter lists), and beside the million keys
    a full file keeps for closing, every collection walked them all: about a sixth of an
    import's time (py-spy, a deposit file of 129,034 rows). Reference counting still frees
    everything as it goes; the collector runs again after the run."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _start(opts: Options, path: Path, started: float) -> ImportRun:
    """The run's row, claimed as `running`; a source already running gets a refused row."""
    if opts.run_id is not None:
        return _adopt(opts)
    fields: dict[str, Any] = {
        "source": opts.source[:32],
        "file_name": path.name[:255],
        "user": opts.user if getattr(opts.user, "pk", None) else None,
        "channel": opts.channel,
        "data_date": opts.data_date,
    }
    try:
        return guard.claim(**fields, pid=os.getpid(), host=guard.this_host())
    except guard.Busy as exc:
        run = ImportRun.objects.create(status=RunStatus.REFUSED, **fields)
        _finish(run, RunStatus.REFUSED, str(exc), started)
        raise Refused(str(exc), run) from None


def _adopt(opts: Options) -> ImportRun:
    run = ImportRun.objects.select_related("user").filter(pk=opts.run_id or 0).first()
    if run is None or run.status != RunStatus.RUNNING or run.source != opts.source:
        raise Refused(f"导入记录 #{opts.run_id} 不存在、已结束或不是数据源 {opts.source} 的导入")
    run.pid, run.host = os.getpid(), guard.this_host()
    # Recorded at once and on its own: from here on a dead process can be recognised.
    ImportRun.objects.filter(pk=run.pk).update(pid=run.pid, host=run.host)
    opts.user, opts.channel = run.user, run.channel
    return run


def _prepare(opts: Options, run: ImportRun, path: Path) -> tuple[Source, Any, mapping_mod.Mapping]:
    source = SOURCES.get(opts.source)
    if source is None:
        raise Refused(f"未知的数据源：{opts.source}（可用：{'、'.join(SOURCES)}）")
    loader = loaders.get(source.name)
    if loader is None and not opts.validate_only:
        raise Refused(f"{NOT_READY}：{source.name}（{source.label}）；可用 --validate-only 仅校验文件")
    if not path.is_file():
        raise Refused(f"文件不存在：{path}")
    try:
        mapping = mapping_mod.load(opts.mapping)
    except mapping_mod.MappingError as exc:
        raise Refused(str(exc)) from None
    run.data_date = opts.data_date or control.data_date_from_name(path)
    if run.data_date is None:
        raise Refused("无法确定数据日期：文件名应为 <数据源>_<YYYYMMDD>.csv，或用 --data-date 指定")
    run.file_hash = sha256_of(path)
    earlier = ImportRun.objects.filter(
        source=source.name, file_hash=run.file_hash, status=RunStatus.COMPLETED
    ).exclude(pk=run.pk)
    first = earlier.first()
    if first is not None:
        run.message = f"提示：相同内容的文件已于 {first.started_at:%Y-%m-%d %H:%M} 导入过；本次照常处理"
        _say(opts, run.message)
    run.save(update_fields=["data_date", "file_hash", "message"])
    return source, loader, mapping


def _newest(source: Source, run: ImportRun) -> date | None:
    """The latest data date already loaded for the source (None: nothing loaded yet)."""
    return (
        ImportRun.objects.filter(source=source.name, status=RunStatus.COMPLETED)
        .exclude(pk=run.pk)
        .order_by("-data_date")
        .values_list("data_date", flat=True)
        .first()
    )


def _say(opts: Options, text: str) -> None:
    if opts.progress:
        opts.progress(text)


def _run(
    opts: Options, run: ImportRun, path: Path, source: Source, loader: Any, mapping: mapping_mod.Mapping
) -> None:
    newest = _newest(source, run)
    latest = newest is None or run.data_date is None or run.data_date >= newest
    if not latest and not opts.validate_only:
        # Never refused: the loader is told (ctx.latest=False) and fills history only; a
        # source without history then checks its references and changes nothing current.
        note = f"数据日期 {run.data_date} 早于已导入的最新数据日期 {newest}：仅补充历史，当前数据不变"
        run.message = "；".join(m for m in (run.message, note) if m)
        _say(opts, note)
    try:
        promised = control.expected_rows(path, data_date=run.data_date)
    except control.ControlError as exc:
        raise Refused(str(exc)) from None
    layout, records = _open(path, source, mapping)
    validator = RowValidator(source, {h for h in layout.ours if h})
    if validator.missing_required:
        raise Refused("缺少必需列：" + "、".join(c.header for c in validator.missing_required))
    if layout.unknown:
        note = "未识别的列（未导入）：" + "、".join(layout.unknown)
        run.message = "；".join(m for m in (run.message, note) if m)
        _say(opts, note)
    writer = RejectWriter(path_for(path, _reject_dir(opts, run)), layout.headers)
    try:
        counts = _Counts(run.pk)
        rows = _valid_rows(records, layout, source, validator, writer, counts, opts)
        with transaction.atomic():
            if opts.validate_only:
                result = LoadResult(details={"valid": sum(1 for _ in rows)})
            else:
                ctx = LoadContext(
                    data_date=run.data_date,
                    actor=opts.user,
                    reject=lambda row, problems: writer.write(row.line_no, row.raw, problems),
                    latest=latest,
                    present_keys=counts.keys,
                    run_id=run.pk,
                )
                result = loader.load(rows, ctx)
            if promised is not None and counts.read != promised[1]:
                # Counted in the same pass as the load, which this rolls back whole: a
                # mismatch is rare, and reading every good file twice costs every import.
                raise Refused(
                    f"控制文件 {promised[0].name} 记录数为 {promised[1]}，"
                    f"数据文件实际为 {counts.read} 行，整个文件拒绝导入"
                )
            run.reject_file = str(writer.path)
            _record(run, source, result, counts.read, writer.count, opts)
    except BaseException:
        # A reject file of a run that loaded nothing would only mislead.
        writer.close()
        writer.path.unlink(missing_ok=True)
        raise
    finally:
        writer.close()


def _reject_dir(opts: Options, run: ImportRun) -> Path | None:
    """Beside the input for the CLI; an upload's under var/imports/<run id>/."""
    if opts.reject_dir is not None or opts.channel == "cli":
        return opts.reject_dir
    return Path(settings.VAR_DIR) / "imports" / str(run.pk)


class _Counts:
    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.read = 0
        self.keys: set[Any] = set()
        self._written = 0.0

    def tick(self, rejected: int, *, stage: str = "loading", force: bool = False) -> None:
        """Rewrite the progress file now and then: it is the page's progress and the run's
        heartbeat."""
        if not force and self.read % PROGRESS_FILE_EVERY:
            return
        now = time.monotonic()
        if force or now - self._written >= PROGRESS_FILE_SECONDS:
            jobs.write_progress(self.run_id, stage=stage, read=self.read, rejected=rejected)
            self._written = now


def _open(path: Path, source: Source, mapping: mapping_mod.Mapping) -> tuple[reader.Layout, Iterator]:
    try:
        return reader.open_extract(path, known=set(source.headers), mapping=mapping)
    except reader.ReadError as exc:
        raise Refused(str(exc)) from None


def _valid_rows(
    records: Iterator[tuple[int, list[str]]],
    layout: reader.Layout,
    source: Source,
    validator: RowValidator,
    writer: RejectWriter,
    counts: _Counts,
    opts: Options,
) -> Iterator[Row]:
    """Rows that passed every check; the others go straight to the reject file."""
    index = layout.index()
    plan = checking.Plan(
        source=source.name,
        present=frozenset(c.header for c, _ in validator.columns),
        index=index,
        width=len(layout.headers),
        key_at=tuple(index[source.column(k).header] for k in source.keys),
        today=validator.today,
    )
    seen: dict[tuple, int] = {}
    try:
        for line_no, cells, row, problems, raw_key in checking.checked(records, plan):
            counts.read += 1
            counts.tick(writer.count)
            if counts.read % PROGRESS_EVERY == 0:
                _say(opts, f"已读取 {counts.read} 行")
            if raw_key is not None:
                counts.keys.add(raw_key)
            if row is not None:
                key = key_of(source, row.values)
                first = seen.setdefault(key, line_no)
                if first == line_no:
                    yield row
                    continue
                cells, problems = row.raw, [("、".join(source.key_headers), f"与第 {first} 行主键重复")]
            writer.write(line_no, cells, problems)
        # Every row is read; the loader still finishes its batches and closes missing keys.
        counts.tick(writer.count, stage="finishing", force=True)
    except reader.ReadError as exc:
        raise Refused(str(exc)) from None


def _record(
    run: ImportRun, source: Source, result: LoadResult, read: int, rejected: int, opts: Options
) -> None:
    run.read, run.rejected = read, rejected
    run.inserted, run.updated, run.unchanged = result.inserted, result.updated, result.unchanged
    run.closed = result.closed
    valid = result.details.get("valid")
    loaded = result.inserted + result.updated + result.unchanged if valid is None else valid
    if loaded + rejected != read:
        # A loader that lost rows is a bug; refuse to commit rather than report a false count.
        raise RuntimeError(f"行数不平衡：读取 {read}，入库 {loaded}，拒绝 {rejected}")
    run.status = RunStatus.VALIDATED if opts.validate_only else RunStatus.COMPLETED
    run.checkpoint = {"stage": "loaded" if not opts.validate_only else "validated", "line": read}
    audit.record(
        action="ingest.run",
        user=opts.user,
        obj=run,
        after={
            "source": source.name,
            "file": run.file_name,
            "sha256": run.file_hash,
            "data_date": run.data_date,
            "read": read,
            "inserted": run.inserted,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "rejected": rejected,
            "closed": run.closed,
            **result.details,
        },
        message=f"导入 {source.label}：读取 {read}，新增 {run.inserted}，更新 {run.updated}，"
        f"未变化 {run.unchanged}，拒绝 {rejected}",
    )
    run.save()


def _finish(run: ImportRun, status: str, message: str, started: float) -> None:
    run.status = status
    run.message = "；".join(m for m in (run.message, message) if m)
    run.read = run.inserted = run.updated = run.unchanged = run.rejected = run.closed = 0
    run.finished_at = timezone.now()
    run.duration_ms = int((time.monotonic() - started) * 1000)
    run.reject_file = ""
    run.save()
    with contextlib.suppress(OSError):
        jobs.write_progress(run.pk, stage=status, read=0, rejected=0)
    audit.record(
        action="ingest.run",
        user=run.user,
        obj=run,
        success=False,
        after={"source": run.source, "file": run.file_name, "status": status},
        message=message,
    )
