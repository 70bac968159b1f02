"""Month-end data dates of the demo extracts."""

from __future__ import annotations

from datetime import date, timedelta


def last_month_end_before(today: date) -> date:
    return today.replace(day=1) - timedelta(days=1)


def month_end(year: int, month: int) -> date:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def month_ends(end: date, months: int) -> list[date]:
    """The `months` month ends up to and including `end`'s month, oldest first."""
    out = []
    y, m = end.year, end.month
    for _ in range(months):
        out.append(month_end(y, m))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, month_end(year, month).day))
