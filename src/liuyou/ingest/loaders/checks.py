"""Row checks the account and credit loaders share (core_deposit, credit_loan, credit_line,
guarantee, bureau, txn_monthly): words mapped to codes, a row's own 数据日期, numbers that
must fit their column, the data date an older file's unknown parent is closed at, and how
an older incremental file adds history without overwriting.

Each check returns a Problem (header, Chinese reason) or None, so a loader collects every
problem of a row and rejects it once.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models
from django.db.models import Min

from liuyou.ingest.loaders.upsert import UNCHANGED, Table
from liuyou.ingest.models import ImportRun, RunStatus
from liuyou.ingest.validate import Problem

SMALLINT_MAX = 32767  # PositiveSmallIntegerField on both databases
INT_MAX = 2147483647  # PositiveIntegerField


class Words:
    """A free-text column whose words map to model codes: an unknown word rejects the row and
    the reason lists the allowed words."""

    def __init__(self, header: str, mapping: dict[str, str]) -> None:
        self.header = header
        self.mapping = mapping
        self.allowed = "、".join(mapping)

    def problem(self, word: str) -> Problem:
        return (self.header, f"{word} 无法识别，取值应为 {self.allowed}")


def missing(header: str) -> Problem:
    return (header, f"{header}为空")


def unknown(header: str, value: str) -> Problem:
    return (header, f"{header} {value} 不存在")


def row_date_problem(row_day: date | None, day: date) -> Problem | None:
    """A row's 数据日期, when given, must be the file's: a mixed file would put one date's
    figures under another."""
    if row_day is None or row_day == day:
        return None
    return ("数据日期", f"数据日期与文件数据日期不一致（本行 {row_day}，文件 {day}）")


def ratio(value: Decimal | None, places: Decimal) -> Decimal | None:
    """Decimal(7, 4) columns keep 4 places: round as the database will, so a reload compares
    equal to what was stored."""
    return value.quantize(places, rounding=ROUND_HALF_UP) if value is not None else None


def fits_decimal(value: Decimal | None, max_digits: int, places: int) -> bool:
    return value is None or abs(value) < Decimal(10) ** (max_digits - places)


def count_problem(header: str, value: int | None, limit: int) -> Problem | None:
    if value is None or 0 <= value <= limit:
        return None
    return (header, f"{header}应为 0 到 {limit} 之间的整数")


def closing_day(source: str, day: date, history: type[models.Model]) -> date:
    """The closing date of a parent row an older file creates: its key is in none of the
    files loaded so far, so the first later file already did not hold it (SourceRecord's
    closed_at). Taken from the completed runs of the source, else from the history table."""
    later: Any = (
        ImportRun.objects.filter(source=source, status=RunStatus.COMPLETED, data_date__gt=day)
        .aggregate(d=Min("data_date"))
        .get("d")
    )
    if later is None:
        later = history._default_manager.filter(data_date__gt=day).aggregate(d=Min("data_date")).get("d")
    return later or day


def insert_only(
    table: Table, targets: dict[Any, dict[str, Any]], ignore: tuple[str, ...] = (), **narrow: Any
) -> tuple[dict[Any, str], int]:
    """An incremental file older than the latest loaded: add the keys not stored yet (they
    are history), leave stored ones as the later file left them. Returns (key ->
    inserted/unchanged, how many stored rows this file states otherwise, `ignore`d columns
    aside)."""
    stored = table.existing(targets, **narrow)
    new = {k: t for k, t in targets.items() if k not in stored}
    status, _ = table.apply(new, stored={}, want_pks=False, **narrow)
    compared = [(i, f) for i, f in enumerate(table.fields, start=1) if f not in ignore]
    differs = 0
    for key, target in targets.items():
        old = stored.get(key)
        if old is not None:
            status[key] = UNCHANGED
            differs += any(target[f] != old[i] for i, f in compared)
    return status, differs
