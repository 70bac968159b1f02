"""Building the customer feature table for one data date (daily pipeline step 3).

The build deletes the date's rows and writes them again with one INSERT ... SELECT
(`statement.insert_sql`), so running it twice gives the same table. The caller owns the
transaction: the pipeline runs each step in its own.
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connection, models
from django.db.models import Max

from liuyou.customers.models import DepositBalance, LoanSnapshot
from liuyou.features.dialect import bind
from liuyou.features.models import CustomerFeature, FeatureBuild
from liuyou.features.statement import TABLES, insert_sql

KEEP_RECENT = 35  # data dates kept whole, besides the last data date of every month
NO_FILE = date(1900, 1, 1)  # stands for "no file" in a date parameter: matches no row


def add_months(day: date, months: int) -> date:
    """The same day `months` later (earlier when negative), clamped to the month's end."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Window:
    """The data date and the source data dates its indicators read."""

    data_date: date
    deposit_date: date | None  # latest deposit file on or before the data date
    deposit_date_3m: date | None  # latest on or before three months earlier
    average_dates: tuple[date, ...]  # latest deposit file of each of the three months
    loan_date: date | None  # latest loan file on or before the data date

    @property
    def months(self) -> tuple[date, date, date]:
        """First days of the data date's month, two months before, eleven months before."""
        m0 = self.data_date.replace(day=1)
        return m0, add_months(m0, -2), add_months(m0, -11)

    def sources(self) -> dict[str, Any]:
        def iso(d: date | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "core_deposit": iso(self.deposit_date),
            "core_deposit_3m": iso(self.deposit_date_3m),
            "core_deposit_average": [d.isoformat() for d in self.average_dates],
            "credit_loan": iso(self.loan_date),
            "txn_months": [m.isoformat()[:7] for m in self.months],
        }

    def params(self, vendor: str) -> dict[str, Any]:
        avg = list(self.average_dates) + [NO_FILE] * (3 - len(self.average_dates))
        m0, m3, m12 = self.months
        values = {
            "d": self.data_date,
            "dep_d": self.deposit_date or NO_FILE,
            "dep_3m": self.deposit_date_3m or NO_FILE,
            "avg1": avg[0],
            "avg2": avg[1],
            "avg3": avg[2],
            "loan_d": self.loan_date or NO_FILE,
            "m0": m0,
            "m3": m3,
            "m12": m12,
        }
        params = {k: bind(vendor, v) for k, v in values.items()}
        params["avg_months"] = max(len(self.average_dates), 1)
        return params


def _latest(model: type[models.Model], *, on_or_before: date, since: date | None = None) -> date | None:
    qs = model._default_manager.filter(data_date__lte=on_or_before)
    if since is not None:
        qs = qs.filter(data_date__gte=since)
    return qs.aggregate(latest=Max("data_date"))["latest"]


def window(*, data_date: date) -> Window:
    """Each lookup is MAX(data_date) over an indexed column: a few index probes."""
    m0 = data_date.replace(day=1)
    average = []
    for back in (0, 1, 2):
        start = add_months(m0, -back)
        end = min(add_months(start, 1) - timedelta(days=1), data_date)
        latest = _latest(DepositBalance, on_or_before=end, since=start)
        if latest is not None:
            average.append(latest)
    return Window(
        data_date=data_date,
        deposit_date=_latest(DepositBalance, on_or_before=data_date),
        deposit_date_3m=_latest(DepositBalance, on_or_before=add_months(data_date, -3)),
        average_dates=tuple(average),
        loan_date=_latest(LoanSnapshot, on_or_before=data_date),
    )


@dataclass(frozen=True)
class Built:
    data_date: date
    rows: int
    seconds: float
    sources: dict[str, Any]
    pruned_dates: tuple[date, ...]


def compute(*, data_date: date) -> Built:
    """Write the feature rows of `data_date` (replacing any), then drop dates past retention."""
    started = time.perf_counter()
    vendor = connection.vendor
    win = window(data_date=data_date)
    table = TABLES["feature"]
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE data_date = %s", [bind(vendor, data_date)])  # noqa: S608
        cursor.execute(insert_sql(vendor), win.params(vendor))
        if vendor == "postgresql":
            # The mining step reads this table next, in a later transaction; plan it as it is.
            cursor.execute(f"ANALYZE {table}")
    rows = CustomerFeature.objects.filter(data_date=data_date).count()
    seconds = time.perf_counter() - started
    FeatureBuild.objects.update_or_create(
        data_date=data_date, defaults={"rows": rows, "seconds": round(seconds, 3), "sources": win.sources()}
    )
    pruned = prune()
    return Built(data_date, rows, seconds, win.sources(), pruned)


def retained(dates: list[date]) -> set[date]:
    """The data dates kept: the KEEP_RECENT most recent, plus the last of every month."""
    ordered = sorted(set(dates), reverse=True)
    keep = set(ordered[:KEEP_RECENT])
    last_of_month: dict[tuple[int, int], date] = {}
    for d in ordered:
        last_of_month.setdefault((d.year, d.month), d)
    return keep | set(last_of_month.values())


def prune() -> tuple[date, ...]:
    """Delete the feature rows of data dates past retention; returns the dates dropped."""
    built = list(FeatureBuild.objects.values_list("data_date", flat=True))
    drop = sorted(set(built) - retained(built))
    if drop:
        CustomerFeature.objects.filter(data_date__in=drop).delete()
        FeatureBuild.objects.filter(data_date__in=drop).delete()
    return tuple(drop)


def build_features(*, data_date: date) -> Any:
    """Daily pipeline step 3 (客户宽表)."""
    from liuyou.pipeline.types import StepResult

    built = compute(data_date=data_date)
    return StepResult(
        rows=built.rows,
        details={
            "sources": built.sources,
            "pruned_dates": [d.isoformat() for d in built.pruned_dates],
        },
    )
