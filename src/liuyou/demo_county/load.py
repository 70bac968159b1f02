"""Import the demo county's extracts through the bank's own import path, file by file, in
the manifest's order, and check each run against what the generator planted.

The demo goes through `ingest.runner.run_import`, exactly like `liuyou import`: the same
reader, validation, reject files and loaders. A file whose content was already imported
(same source and SHA-256, completed) is skipped, so `liuyou demo` run twice does not load
the county twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction

from liuyou.demo_county.industries import ensure_county_industries
from liuyou.demo_county.output import FileEntry, Manifest
from liuyou.ingest import runner
from liuyou.ingest.models import ImportRun, RunStatus


@dataclass
class FileOutcome:
    entry: FileEntry
    status: str  # completed / skipped / failed / refused
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    seconds: float = 0.0
    message: str = ""

    @property
    def as_expected(self) -> bool:
        """Every row read, and exactly the planted bad rows rejected."""
        if self.status == "skipped":
            return True
        return (
            self.status == RunStatus.COMPLETED
            and self.read == self.entry.rows
            and self.rejected == self.entry.expected_rejects
        )


@dataclass
class LoadSummary:
    files: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def surprises(self) -> list[FileOutcome]:
        return [f for f in self.files if not f.as_expected]


def load_county(
    manifest: Manifest, *, progress: Callable[[str], None] | None = None, user: object = None
) -> LoadSummary:
    """Import every file of `manifest`. Each file is its own run and transaction; a file
    that fails is reported and the next files still run (they may then reject rows whose
    references it should have created, which the summary shows)."""
    say = progress or (lambda _text: None)
    summary = LoadSummary()
    started = time.perf_counter()
    with transaction.atomic():  # the bank's dictionary of its CRM's 产业 words, before the CRM file
        ensure_county_industries()
    out_dir = Path(manifest.out_dir)
    for entry in manifest.files:
        path = out_dir / entry.file
        t0 = time.perf_counter()
        if _already_loaded(entry, path):
            summary.files.append(FileOutcome(entry, "skipped", message="相同内容已导入，跳过"))
            continue
        try:
            run = runner.run_import(
                runner.Options(
                    source=entry.source,
                    path=path,
                    data_date=date.fromisoformat(entry.data_date),
                    user=user,
                    channel="demo",
                )
            )
        except (runner.Refused, runner.Failed) as exc:
            outcome = FileOutcome(entry, "failed", seconds=time.perf_counter() - t0, message=str(exc))
        else:
            outcome = FileOutcome(
                entry,
                run.status,
                read=run.read,
                loaded=run.inserted + run.updated + run.unchanged,
                rejected=run.rejected,
                seconds=time.perf_counter() - t0,
            )
        summary.files.append(outcome)
        say(
            f"{entry.file}：读取 {outcome.read}，入库 {outcome.loaded}，拒绝 {outcome.rejected}"
            f"（{outcome.seconds:.1f} 秒）{outcome.message}"
        )
    summary.seconds = time.perf_counter() - started
    return summary


def _already_loaded(entry: FileEntry, path: Path) -> bool:
    digest = runner.sha256_of(path)
    return ImportRun.objects.filter(
        source=entry.source, file_hash=digest, status=RunStatus.COMPLETED
    ).exists()
