"""Open a CSV or XLSX extract and stream its records.

`open_extract` returns the layout (original headers, which of them are ours, unknown ones)
and a generator of (row number, cells). Nothing is held beyond one record, so a file of a
million rows streams in constant memory. Row numbers count the header as row 1, as Excel
shows them; a header-less file starts at 1. Blank records are skipped, not counted.
"""

from __future__ import annotations

import codecs
import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from liuyou.ingest.cleaning import clean_header
from liuyou.ingest.mapping import DEFAULT, Mapping

CHUNK = 1 << 20
csv.field_size_limit(min(sys.maxsize, 1 << 30))


class ReadError(ValueError):
    """The file cannot be read as an extract at all; the Chinese reason refuses the import."""


@dataclass
class Layout:
    headers: list[str]  # as in the file (or the mapping's columns for a header-less file)
    ours: list[str | None]  # per position: our header, None for unknown columns
    unknown: list[str] = field(default_factory=list)
    encoding: str = ""

    def index(self) -> dict[str, int]:
        return {h: i for i, h in enumerate(self.ours) if h is not None}


def detect_encoding(path: Path) -> str:
    """'utf-8-sig' when the whole file is strict UTF-8 (with or without BOM), else 'gb18030'."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"


def _layout(headers: list[str], mapping: Mapping, known: set[str], encoding: str) -> Layout:
    ours: list[str | None] = []
    unknown: list[str] = []
    seen: set[str] = set()
    for header in headers:
        name = mapping.ours(clean_header(header))
        if name in known and name not in seen:
            ours.append(name)
            seen.add(name)
        else:
            ours.append(None)
            if name:
                unknown.append(header.strip() or name)
    return Layout(headers=[clean_header(h) for h in headers], ours=ours, unknown=unknown, encoding=encoding)


def _is_blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


def _open_csv(
    path: Path, mapping: Mapping, known: set[str]
) -> tuple[Layout, Iterator[tuple[int, list[str]]]]:
    encoding = mapping.encoding or detect_encoding(path)
    if encoding == "utf-8":
        encoding = "utf-8-sig"  # a BOM is never part of the first header
    try:
        f = path.open("r", encoding=encoding, newline="")
    except OSError as exc:
        raise ReadError(f"文件无法读取：{path.name}（{exc.strerror or exc}）") from None
    reader = csv.reader(f, delimiter=mapping.delimiter, quotechar='"')
    try:
        if mapping.header:
            first = next((r for r in reader if not _is_blank(r)), None)
            if first is None:
                f.close()
                raise ReadError("文件为空，没有表头")
            headers, start = first, reader.line_num + 1
        else:
            headers, start = list(mapping.columns), 1
    except (UnicodeDecodeError, csv.Error) as exc:
        f.close()
        raise ReadError(f"文件无法按 {encoding} 解析：{exc}") from None
    layout = _layout(headers, mapping, known, encoding)

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = start
        try:
            for cells in reader:
                if not _is_blank(cells):
                    yield number, cells
                number += 1
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ReadError(f"第 {number} 行无法解析：{exc}") from None
        finally:
            f.close()

    return layout, rows()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        # An integral float below 1e15 is an exact integer; anything larger has lost digits in
        # Excel already and keeps the scientific spelling so the identity checks refuse it.
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def _open_xlsx(
    path: Path, mapping: Mapping, known: set[str]
) -> tuple[Layout, Iterator[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign file
        raise ReadError(f"XLSX 文件无法打开：{path.name}（{exc}）") from None
    sheet = wb.worksheets[0]
    it = sheet.iter_rows(values_only=True)
    start = 1
    if mapping.header:
        headers: list[str] | None = None
        for row in it:
            cells = [_cell_text(v) for v in row]
            if not _is_blank(cells):
                headers = cells
                break
            start += 1
        if headers is None:
            wb.close()
            raise ReadError("工作表为空，没有表头")
        start += 1
        while headers and not headers[-1].strip():
            headers.pop()
    else:
        headers = list(mapping.columns)
    layout = _layout(headers, mapping, known, "xlsx")
    width = len(headers)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, row in enumerate(it, start=start):
                cells = [_cell_text(v) for v in row]
                if _is_blank(cells):
                    continue
                # Excel leaves short rows where the trailing cells are empty.
                if len(cells) < width:
                    cells += [""] * (width - len(cells))
                yield number, cells
        finally:
            wb.close()

    return layout, rows()


def open_extract(
    path: Path, *, known: set[str], mapping: Mapping = DEFAULT
) -> tuple[Layout, Iterator[tuple[int, list[str]]]]:
    """`known`: the source's Chinese headers; any other header is reported as unknown."""
    if not path.is_file():
        raise ReadError(f"文件不存在：{path}")
    with path.open("rb") as f:
        magic = f.read(4)
    if path.suffix.lower() in (".xlsx", ".xlsm") or magic == b"PK\x03\x04":
        return _open_xlsx(path, mapping, known)
    return _open_csv(path, mapping, known)


def trim(cells: list[str], width: int) -> list[str] | None:
    """Cells cut to the header's width; None when the record has extra non-empty cells
    (a shifted row) or too few cells (a cut row)."""
    if len(cells) == width:
        return cells
    if len(cells) > width and _is_blank(cells[width:]):
        return cells[:width]
    return None
