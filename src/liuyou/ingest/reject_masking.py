"""A reject file as someone without `pii:view` may download it: ID and phone numbers masked.

The file holds rejected rows exactly as the bank sent them, which the operator needs to find
the rows at the source. Their identity and phone numbers are personal data like anywhere else:
a downloader without `pii:view` gets them masked as the pages show them. A column is masked
when its header is one of the source's protected columns, and, because a mapping file may
have renamed the columns, any cell that reads like a resident ID or a mobile number is masked
too. The 行号, 列名 and 原因 columns stay as written: they never hold a number's digits.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

from liuyou.core import pii
from liuyou.ingest.rejects import EXTRA_HEADERS
from liuyou.ingest.sources import SOURCES

KINDS = {"id_number": "id", "phone": "phone"}
_LOOKS_ID = re.compile(r"^\d{15}$|^\d{17}[\dXx]$")
_LOOKS_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def _kind_of_cell(text: str) -> str | None:
    value = text.strip()
    if _LOOKS_ID.match(value):
        return "id"
    if _LOOKS_MOBILE.match(value):
        return "phone"
    return None


def masked_lines(path: Path, source: str) -> Iterator[bytes]:
    """The reject file, re-encoded line by line (UTF-8 with BOM), numbers masked."""
    spec = SOURCES.get(source)
    by_header = {c.header: KINDS[c.type] for c in spec.columns if c.type in KINDS} if spec else {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if header is None:
            return
        kinds = [by_header.get(h.strip()) for h in header]
        data_width = len(header) - len(EXTRA_HEADERS)
        yield b"\xef\xbb\xbf" + _line(header)
        for row in rows:
            out = list(row)
            for i, cell in enumerate(out[:data_width]):
                kind = (kinds[i] if i < len(kinds) else None) or _kind_of_cell(cell)
                if kind and cell.strip():
                    out[i] = pii.mask(pii.normalize(cell), kind)
            yield _line(out)


def _line(cells: list[str]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerow(cells)
    return buf.getvalue().encode("utf-8")
