"""The reject file: CSV, UTF-8 with BOM (Excel opens it correctly), the original header plus
行号, 列名, 原因; one line per rejected row, several failures joined by `；`."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TextIO

SEPARATOR = "；"
EXTRA_HEADERS = ["行号", "列名", "原因"]


def path_for(data_file: Path, directory: Path | None = None) -> Path:
    """`staff_20250301.csv` -> `staff_20250301.rejects.csv`, beside it or in `directory`."""
    name = f"{data_file.stem}.rejects.csv"
    return (directory or data_file.parent) / name


class RejectWriter:
    """Opened at once: a run without rejects still leaves a header-only file, so the operator
    and scripts find a reject file for every completed run."""

    def __init__(self, path: Path, headers: list[str]) -> None:
        self.path = path.resolve()
        self.headers = list(headers)
        self.count = 0
        self._file: TextIO | None = None
        self._open()

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._file)
        self._csv.writerow([*self.headers, *EXTRA_HEADERS])

    def write(self, line_no: int, cells: list[str], problems: list[tuple[str, str]]) -> None:
        width = len(self.headers)
        row = (list(cells) + [""] * width)[:width]
        columns = SEPARATOR.join(dict.fromkeys(col for col, _ in problems))
        reasons = SEPARATOR.join(f"{col}：{reason}" if col else reason for col, reason in problems)
        self._csv.writerow([*row, line_no, columns, reasons])
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> RejectWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
