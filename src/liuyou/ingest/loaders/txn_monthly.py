"""txn_monthly (交易月汇总, incremental, key 客户号 + 月份): upsert each customer's month; a later
file may correct a month it already sent. Nothing is ever closed.

月份 is stored as the first day of the month; a month after the file's data date is an
error. Amounts and 交易笔数 left empty are 0 (the model defaults).

One file is typically every customer for one month (a million rows), so the stored rows
are read per batch and month: the (customer, month) key index narrowed to one month.
A file older than the latest loaded one adds the months not stored yet but never
overwrites one: the later file's figures stand.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from liuyou.customers.models import TxnMonthly
from liuyou.ingest.loaders.base import LoadContext, LoadResult, batches
from liuyou.ingest.loaders.checks import INT_MAX, count_problem, insert_only, unknown
from liuyou.ingest.loaders.refs import customer_pks
from liuyou.ingest.loaders.upsert import Table
from liuyou.ingest.validate import Row

AMOUNTS = (
    ("credit_amount", "credits"),
    ("debit_amount", "debits"),
    ("payroll_amount", "payroll_amount"),
    ("subsidy_amount", "subsidy_amount"),
    ("acquiring_amount", "acquiring_amount"),
    ("out_of_county_amount", "out_of_county_amount"),
)
FIELDS = (*(f for _, f in AMOUNTS), "txn_count")
ZERO = Decimal("0.00")
DUPLICATE = ("客户号", "与本文件另一行是同一客户（客户号别名）同一月份的汇总，重复")
Key = tuple[int, date]


class TxnMonthlyLoader:
    def __init__(self) -> None:
        self.months = Table(TxnMonthly, key=("customer_id", "month"), fields=FIELDS)

    def load(self, rows: Iterable[Row], ctx: LoadContext) -> LoadResult:
        if ctx.data_date is None:  # the runner refuses a file without one
            raise ValueError("交易月汇总导入须有数据日期")
        day = ctx.data_date
        result = LoadResult()
        seen: dict[date, set[int]] = {}  # month -> customers: one number and its alias collide
        kept = 0
        for batch in batches(rows):
            for month, targets in self._targets(batch, ctx, day, seen).items():
                if ctx.latest:
                    status, _ = self.months.apply(targets, want_pks=False, month=month)
                else:
                    status, differs = insert_only(self.months, targets, month=month)
                    kept += differs
                result.tally(status.values())
        if not ctx.latest:
            result.details = {"history_only": True, "newer_kept": kept}
        return result

    def _targets(
        self, batch: list[Row], ctx: LoadContext, day: date, seen: dict[date, set[int]]
    ) -> dict[date, dict[Key, dict[str, Any]]]:
        """month -> {(customer pk, month): figures} of the batch's acceptable rows."""
        customers = customer_pks(r.values["customer_no"] for r in batch)
        by_month: dict[date, dict[Key, dict[str, Any]]] = {}
        for row in batch:
            v = row.values
            problems = []
            customer = customers.get(v["customer_no"])
            if customer is None:
                problems.append(unknown("客户号", v["customer_no"]))
            month = v["month"]
            if month > day:
                problems.append(("月份", "月份晚于数据日期"))
            count = v.get("txn_count")
            bad = count_problem("交易笔数", count, INT_MAX)
            if bad:
                problems.append(bad)
            if problems or customer is None:
                ctx.reject(row, problems)
                continue
            customers_seen = seen.setdefault(month, set())
            if customer in customers_seen:
                ctx.reject(row, [DUPLICATE])
                continue
            customers_seen.add(customer)
            target = {f: v.get(name) or ZERO for name, f in AMOUNTS}
            target["txn_count"] = count or 0
            by_month.setdefault(month, {})[(customer, month)] = target
        return by_month
