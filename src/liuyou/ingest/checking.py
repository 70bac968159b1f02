"""Checking the records of a file, one by one, in file order.

A checked record is (line number, cells for the reject file, row or None, problems, key
text or None): the key text is the cleaned key of any record long enough to have one,
rejected or not, which full-file closing spares.

Checking in worker processes beside the load was tried and measured (bench/ingest.py,
2 cores): no gain. Sending records to a worker and typed rows back costs the main process
about as much as checking them itself, and the main process (the load) is the bottleneck.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from liuyou.ingest import reader
from liuyou.ingest.cleaning import clean_value
from liuyou.ingest.sources import SOURCES
from liuyou.ingest.validate import Problem, Row, RowValidator

Record = tuple[int, list[str]]
Checked = tuple[int, list[str], Row | None, list[Problem], Any]


@dataclass(frozen=True)
class Plan:
    """The columns of this file and where its key sits."""

    source: str
    present: frozenset[str]
    index: dict[str, int]
    width: int
    key_at: tuple[int, ...]
    today: date


class Checker:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.validator = RowValidator(SOURCES[plan.source], set(plan.present), today=plan.today)
        self.steps = self.validator.plan(plan.index)
        self.single = len(plan.key_at) == 1
        self.longest_key = max(plan.key_at)

    def check(self, line_no: int, cells: list[str]) -> Checked:
        width = self.plan.width
        raw_key: Any = None
        if len(cells) > self.longest_key:
            key = tuple(clean_value(cells[i]) for i in self.plan.key_at)
            raw_key = key[0] if self.single else key
        trimmed = reader.trim(cells, width)
        if trimmed is None:
            return line_no, cells, None, [("", f"列数 {len(cells)} 与表头列数 {width} 不一致")], raw_key
        row, problems = self.validator.validate_cells(line_no, trimmed, self.steps)
        return line_no, trimmed, (None if problems else row), problems, raw_key


def checked(records: Iterator[Record], plan: Plan) -> Iterator[Checked]:
    """Every record of `records`, checked, in file order."""
    checker = Checker(plan)
    for line_no, cells in records:
        yield checker.check(line_no, cells)
