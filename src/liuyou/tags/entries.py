"""Lists of customer numbers or ID numbers as people bring them: pasted into a text box, or an
uploaded .txt, .csv or .xlsx (the first column; a header row is skipped)."""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

MAX_ENTRIES = 10_000
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
_SPLIT = re.compile(r"[\s,，;；、|]+")
HEADERS = {"客户号", "客户编号", "证件号码", "证件号", "身份证号", "身份证号码", "customer_no", "id_no"}


class EntriesError(ValueError):
    """A list that cannot be read; the message is Chinese."""


def split_text(text: str) -> list[str]:
    """Entries separated by new lines, commas, semicolons, 顿号 or spaces."""
    return [part for part in _SPLIT.split(text or "") if part and part not in HEADERS]


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _first_column_lines(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        cell = re.split(r"[,\t，;；]", line, maxsplit=1)[0].strip().strip('"').strip()
        if cell and cell not in HEADERS:
            out.append(cell)
    return out


def read_upload(name: str, data: bytes) -> list[str]:
    """The entries of an uploaded file. .txt: every entry in the file; .csv: the first column;
    .xlsx: the first column of the first sheet."""
    lower = (name or "").lower()
    if len(data) > MAX_UPLOAD_BYTES:
        raise EntriesError("文件过大（最多 5 MB）")
    if lower.endswith(".txt"):
        return split_text(_decode(data))
    if lower.endswith(".csv"):
        return _first_column_lines(_decode(data))
    if lower.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the same answer
            raise EntriesError("无法读取该 Excel 文件，请确认是 .xlsx 格式") from exc
        try:
            ws = wb.worksheets[0] if wb.worksheets else None
            out: list[str] = []
            if ws is not None:
                for row in ws.iter_rows(min_col=1, max_col=1, values_only=True):
                    value: Any = row[0] if row else None
                    if value is None:
                        continue
                    if isinstance(value, float) and value.is_integer():
                        value = int(value)
                    text = str(value).strip()
                    if text and text not in HEADERS:
                        out.append(text)
            return out
        finally:
            wb.close()
    raise EntriesError("只支持 .txt、.csv 或 .xlsx 文件")


def dedupe(entries: list[str]) -> list[str]:
    return list(dict.fromkeys(e.strip() for e in entries if e and e.strip()))


def check_size(entries: list[str]) -> None:
    if len(entries) > MAX_ENTRIES:
        raise EntriesError(f"每次最多 {MAX_ENTRIES:,} 条，本次 {len(entries):,} 条，请分批提交")
