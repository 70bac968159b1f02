"""The few expressions plain SQL does not spell the same on every engine the batch runs on
(SQLite, PostgreSQL, DuckDB): a date parameter and a difference of dates in days. Everything
else in the feature statement is ANSI SQL."""

from __future__ import annotations

from datetime import date
from typing import Any


def date_param(vendor: str, name: str) -> str:
    """A named date parameter usable in comparisons and arithmetic."""
    if vendor == "sqlite":
        return f"%({name})s"  # dates are ISO text in SQLite
    return f"CAST(%({name})s AS DATE)"


def days_between(vendor: str, later: str, earlier: str) -> str:
    """Whole days from `earlier` to `later` (both date expressions); NULL when either is."""
    if vendor == "sqlite":
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"
    if vendor == "duckdb":
        return f"date_diff('day', {earlier}, {later})"
    return f"({later} - {earlier})"  # PostgreSQL: date - date is an integer


def bind(vendor: str, value: Any) -> Any:
    """A parameter value as the engine's driver takes it."""
    if vendor == "sqlite" and isinstance(value, date):
        return value.isoformat()
    return value
