"""Row validation: cleaned text -> typed values, or every reason the row is refused.

A validator is built once per file for the columns actually present, so the per-row work
is a loop over prepared (column, converter) pairs. No ORM here: references to other
tables are the loaders' business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from liuyou.ingest import identity
from liuyou.ingest.cleaning import clean_cells, clean_text
from liuyou.ingest.converters import CONVERTERS, ConversionError
from liuyou.ingest.sources import RESIDENT_ID_TYPES, Column, Source

Problem = tuple[str, str]  # (header, reason)


@dataclass
class Row:
    line_no: int
    values: dict[str, Any]  # our column name -> typed value (None when empty)
    raw: list[str]  # the record as in the file, for the reject file


def _enum(column: Column) -> Callable[[str], str]:
    allowed = "、".join(dict.fromkeys(column.values))

    def convert(text: str) -> str:
        try:
            return column.values[text]
        except KeyError:
            raise ConversionError(f"取值应为 {allowed}") from None

    return convert


def _id_type(column: Column) -> Callable[[str], str]:
    # Types we do not know are kept as given: extracts.md accepts other documents unchecked.
    return lambda text: column.values.get(text, text)


def _text(column: Column) -> Callable[[str], str]:
    limit = column.max_length

    def convert(text: str) -> str:
        if limit is not None and len(text) > limit:
            raise ConversionError(f"长度超过 {limit} 个字符")
        return text

    return convert


def _credit_code(text: str) -> str:
    try:
        return identity.check_credit_code(text)
    except identity.IdError as exc:
        raise ConversionError(str(exc)) from None


def _converter(column: Column) -> Callable[[str], Any]:
    if column.type == "enum":
        return _enum(column)
    if column.type == "id_type":
        return _id_type(column)
    if column.type == "credit_code":
        return _credit_code
    if column.type in ("text", "id_number"):
        return _text(column)  # id numbers are checked with their row (type, birth date, sex)
    return CONVERTERS[column.type]


class RowValidator:
    def __init__(self, source: Source, present: set[str], today: date | None = None) -> None:
        """`present`: the headers of this source found in the file."""
        self.source = source
        self.today = today or date.today()
        self.columns = [(c, _converter(c)) for c in source.columns if c.header in present]
        self.missing_required = [c for c in source.columns if c.required and c.header not in present]
        self.id_columns = [c for c in source.columns if c.type == "id_number" and c.header in present]
        self.require_any = [tuple(source.column(n) for n in group) for group in source.require_any]

    def validate(self, line_no: int, raw: dict[str, str]) -> tuple[Row, list[Problem]]:
        """`raw`: our header -> text (tests and callers without a file layout)."""
        headers = [c.header for c, _ in self.columns]
        plan = self.plan({h: i for i, h in enumerate(headers)})
        return self.validate_cells(line_no, [raw.get(h) or "" for h in headers], plan)

    def plan(self, index: dict[str, int]) -> list[tuple[int, str, str, bool, Callable[[str], Any]]]:
        """Per present column: (cell position, our name, header, required, converter)."""
        return [(index[c.header], c.name, c.header, c.required, conv) for c, conv in self.columns]

    def validate_cells(
        self, line_no: int, cells: list[str], plan: list[tuple[int, str, str, bool, Callable[[str], Any]]]
    ) -> tuple[Row, list[Problem]]:
        """The hot loop: one record in file order, checked along a prepared plan."""
        values: dict[str, Any] = {}
        problems: list[Problem] = []
        folded = clean_cells(cells)
        for i, name, header, required, convert in plan:
            text = clean_text(folded[i])
            if not text:
                values[name] = None
                if required:
                    problems.append((header, "必填项为空"))
                continue
            try:
                values[name] = convert(text)
            except ConversionError as exc:
                values[name] = None
                problems.append((header, str(exc)))
        for group in self.require_any:
            if not any(values.get(c.name) for c in group) and not any(
                h == c.header for h, _ in problems for c in group
            ):
                problems.append(("、".join(c.header for c in group), "至少填写一项"))
        for column in self.id_columns:
            if values.get(column.name):
                self._check_id(column, values, problems)
        return Row(line_no, values, cells), problems

    def _check_id(self, column: Column, values: dict[str, Any], problems: list[Problem]) -> None:
        number = values[column.name]
        id_type = values.get("id_type") if column.name == "id_no" else None
        try:
            if id_type in RESIDENT_ID_TYPES or (not id_type and identity.looks_like_resident_id(number)):
                values[column.name] = identity.check_resident_id(
                    number,
                    birth_date=values.get("birth_date") if column.name == "id_no" else None,
                    sex=values.get("sex") if column.name == "id_no" else None,
                    today=self.today,
                )
            else:
                values[column.name] = identity.check_other_id(number)
        except identity.IdError as exc:
            problems.append((column.header, str(exc)))
