"""Control files and file names: the row count a control file promises, and the data date
a file name carries.

Control file: `<data file>.ok` / `.flg`, or the data file's name with its extension
replaced (`staff_20250301.ok`). Its row count is read tolerantly, first match wins:
1. the whole content is one integer (`1234`);
2. `rows=1234` (also `rows: 1234`, `ROWS = 1234`, `行数=1234`) anywhere in the file;
3. otherwise the last integer field of the first line. The line is split on spaces, `|`,
   `,`, tabs and 0x1B; an 8-digit field equal to the file's data date is skipped, so
   `staff_20250301.csv|20250301|1234` and `1234 20250301` both give 1234.
An empty or unreadable control file refuses the import.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

_FILE_NAME = re.compile(r"^(?P<source>[A-Za-z_]+?)_(?P<date>\d{8})\.[A-Za-z]+$")
_ROWS = re.compile(r"(?:rows|count|行数|记录数)\s*[=:：]\s*(\d+)", re.IGNORECASE)
_FIELDS = re.compile(r"[\s|,\x1b]+")


class ControlError(ValueError):
    pass


def data_date_from_name(path: Path) -> date | None:
    m = _FILE_NAME.match(path.name)
    if not m:
        return None
    d = m.group("date")
    try:
        return date(int(d[:4]), int(d[4:6]), int(d[6:]))
    except ValueError:
        return None


def find(path: Path) -> Path | None:
    for candidate in (
        path.with_name(path.name + ".ok"),
        path.with_name(path.name + ".flg"),
        path.with_suffix(".ok"),
        path.with_suffix(".flg"),
    ):
        if candidate.is_file():
            return candidate
    return None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def parse(text: str, *, data_date: date | None = None) -> int:
    text = text.strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    m = _ROWS.search(text)
    if m:
        return int(m.group(1))
    first = text.splitlines()[0] if text else ""
    skip = data_date.strftime("%Y%m%d") if data_date else None
    numbers = [f for f in _FIELDS.split(first) if f.isdigit() and f != skip]
    if not numbers:
        raise ControlError("控制文件中找不到记录数")
    return int(numbers[-1])


def expected_rows(path: Path, *, data_date: date | None = None) -> tuple[Path, int] | None:
    """(control file, promised row count), or None when there is no control file."""
    control = find(path)
    if control is None:
        return None
    try:
        return control, parse(_decode(control.read_bytes()), data_date=data_date)
    except OSError as exc:
        raise ControlError(f"控制文件无法读取：{control.name}") from exc
    except ControlError as exc:
        raise ControlError(f"{exc}：{control.name}") from None
