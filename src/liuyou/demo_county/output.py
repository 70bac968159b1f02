"""Writes the extract files: one CSV per source and data date, streamed row by row, a `.ok`
control file with the row count beside each, and the manifest."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

from liuyou.demo_county.layout import FULL_SOURCES, HEADERS, IMPORT_ORDER, encoding_of


@dataclass
class FileEntry:
    source: str
    data_date: str  # YYYY-MM-DD
    file: str  # name inside out_dir
    control_file: str
    rows: int
    encoding: str
    mode: str  # full / incremental
    expected_rejects: int = 0
    bad_rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Manifest:
    seed: int
    customers: int
    months: int
    end_date: str
    out_dir: str
    files: list[FileEntry]
    stats: dict[str, Any] = field(default_factory=dict)
    elapsed_seconds: float = 0.0  # not written to manifest.json: the file stays byte-identical

    @property
    def total_rows(self) -> int:
        return sum(f.rows for f in self.files)

    def to_json(self) -> str:
        data = asdict(self)
        data.pop("elapsed_seconds")
        data.pop("out_dir")
        return json.dumps(data, ensure_ascii=False, indent=1)


class _Sink:
    """One open file. Rows are joined and written in blocks: csv.writer's per-row write costs
    more than generating the row. Values never contain a comma, quote or line break (they come
    from our own word lists and number formats); the tests read every file back with csv."""

    __slots__ = ("handle", "buf", "rows", "path", "source", "data_date", "bad_rows")

    def __init__(self, path: Path, source: str, data_date: date) -> None:
        self.path = path
        self.source = source
        self.data_date = data_date
        encoding = encoding_of(source)
        self.handle: IO[str] = open(  # noqa: SIM115 - closed in Output.close
            path, "w", encoding="utf-8" if encoding == "utf-8-sig" else encoding, newline=""
        )
        if encoding == "utf-8-sig":
            self.handle.write("\ufeff")
        self.buf: list[str] = [",".join(HEADERS[source])]
        self.rows = 0
        self.bad_rows: list[dict[str, Any]] = []

    def add(self, row: Sequence[str]) -> None:
        self.buf.append(",".join(row))
        self.rows += 1
        if len(self.buf) >= 4096:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            self.buf.append("")
            self.handle.write("\r\n".join(self.buf))
            self.buf = []

    def close(self) -> None:
        self.flush()
        self.handle.close()


_OUR_FILE = re.compile(r"^(?:(?:" + "|".join(HEADERS) + r")_\d{8}\.(?:csv|ok)|manifest\.json)$")


class Output:
    """All open files of one run, keyed by source and data date."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        # Files of an earlier run (another end date or N) would otherwise be imported too.
        for old in out_dir.iterdir():
            if _OUR_FILE.match(old.name):
                old.unlink()
        self._sinks: dict[tuple[str, date], _Sink] = {}

    def open(self, source: str, data_date: date) -> _Sink:
        key = (source, data_date)
        if key not in self._sinks:
            self._sinks[key] = _Sink(self.out_dir / f"{source}_{data_date:%Y%m%d}.csv", source, data_date)
        return self._sinks[key]

    def writer(self, source: str, data_date: date):
        return self.open(source, data_date)

    def close(self) -> list[FileEntry]:
        entries = []
        for (source, data_date), sink in self._sinks.items():
            sink.close()
            ok = sink.path.with_suffix(".ok")
            ok.write_text(f"{sink.rows}\n", encoding="ascii")
            entries.append(
                FileEntry(
                    source=source,
                    data_date=data_date.isoformat(),
                    file=sink.path.name,
                    control_file=ok.name,
                    rows=sink.rows,
                    encoding="GBK" if encoding_of(source) == "gbk" else "UTF-8 with BOM",
                    mode="full" if source in FULL_SOURCES else "incremental",
                    expected_rejects=len(sink.bad_rows),
                    bad_rows=sink.bad_rows,
                )
            )
        rank = {s: i for i, s in enumerate(IMPORT_ORDER)}
        entries.sort(key=lambda e: (rank[e.source], e.data_date))
        return entries
