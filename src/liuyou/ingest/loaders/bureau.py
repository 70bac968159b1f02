"""bureau (征信摘要, incremental, key 客户号 + 报告日期): upsert each report by its key; nothing
is ever closed (an incremental file holds only what is new or corrected).

Bureau figures may be used only within the customer's authorisation (《征信业管理条例》):
a report without 授权日期, 授权用途 and 授权到期日, or whose authorisation ends before it
starts, is rejected, never stored. 授权用途 is one of the model's purposes (the labels, plus
the wording credit systems commonly print: 贷前审查, 营销). A report dated after the file's
data date is an error. Counts and amounts left empty are 0 (the model defaults); 信用卡使用率
is a ratio (0.8532), NULL when empty.

A file older than the latest loaded one still adds the reports not yet stored (they are
history), but never overwrites a stored one: the later file's version stands.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from liuyou.customers.models import BureauPurpose, BureauSummary
from liuyou.ingest.loaders.base import LoadContext, LoadResult, batches
from liuyou.ingest.loaders.checks import (
    SMALLINT_MAX,
    Words,
    count_problem,
    fits_decimal,
    insert_only,
    ratio,
    unknown,
)
from liuyou.ingest.loaders.refs import customer_pks
from liuyou.ingest.loaders.upsert import Table
from liuyou.ingest.sources import words_to_codes
from liuyou.ingest.validate import Row

PURPOSE = Words(
    "授权用途",
    words_to_codes(BureauPurpose)
    | {"贷前审查": BureauPurpose.LOAN_REVIEW, "营销": BureauPurpose.CUSTOMER_MANAGEMENT},
)
AUTHORISATION = (
    ("authorised_on", "授权日期"),
    ("authorised_purpose", "授权用途"),
    ("authorisation_ends_on", "授权到期日"),
)
NO_AUTHORISATION = "缺少征信授权信息，不得使用该征信数据"
# (our column, model field, header)
COUNTS = (
    ("other_lenders", "other_bank_institutions", "他行贷款机构数"),
    ("queries_3m", "queries_3m", "近3个月查询次数"),
    ("max_overdue_terms_24m", "max_overdue_periods_24m", "近24个月最大逾期期数"),
)
AMOUNTS = (
    ("other_balance", "other_bank_balance"),
    ("other_npl_balance", "other_bank_npl_balance"),
    ("other_overdue90_balance", "other_bank_overdue90_balance"),
    ("total_balance", "total_loan_balance"),
    ("guarantees_given", "external_guarantee_balance"),
)
FIELDS = (
    *(f for _, f, _ in COUNTS),
    *(f for _, f in AMOUNTS),
    "card_utilization",
    "authorized_on",
    "authorized_purpose",
    "authorization_expires_on",
    "data_date",
)
RATIO_PLACES = Decimal("0.0001")
ZERO = Decimal("0.00")
DUPLICATE = ("客户号", "与本文件另一行是同一客户（客户号别名）同一报告日期的报告，重复")
Key = tuple[int, date]


class BureauLoader:
    def __init__(self) -> None:
        self.reports = Table(BureauSummary, key=("customer_id", "report_date"), fields=FIELDS)

    def load(self, rows: Iterable[Row], ctx: LoadContext) -> LoadResult:
        if ctx.data_date is None:  # the runner refuses a file without one
            raise ValueError("征信摘要导入须有数据日期")
        day = ctx.data_date
        result = LoadResult()
        seen: set[Key] = set()
        kept = 0
        for batch in batches(rows):
            targets = self._targets(batch, ctx, day, seen)
            if ctx.latest:
                status, _ = self.reports.apply(targets, want_pks=False)
            else:
                status, differs = insert_only(self.reports, targets, ignore=("data_date",))
                kept += differs
            result.tally(status.values())
        if not ctx.latest:
            result.details = {"history_only": True, "newer_kept": kept}
        return result

    def _targets(
        self, batch: list[Row], ctx: LoadContext, day: date, seen: set[Key]
    ) -> dict[Key, dict[str, Any]]:
        customers = customer_pks(r.values["customer_no"] for r in batch)
        targets: dict[Key, dict[str, Any]] = {}
        for row in batch:
            v = row.values
            problems = []
            customer = customers.get(v["customer_no"])
            if customer is None:
                problems.append(unknown("客户号", v["customer_no"]))
            absent = [header for name, header in AUTHORISATION if v.get(name) is None]
            if absent:
                problems.append(("、".join(absent), NO_AUTHORISATION))
            word = v.get("authorised_purpose")
            purpose = PURPOSE.mapping.get(word) if word else None
            if word and purpose is None:
                problems.append(PURPOSE.problem(word))
            starts, ends = v.get("authorised_on"), v.get("authorisation_ends_on")
            if starts and ends and ends < starts:
                problems.append(("授权到期日", "授权到期日早于授权日期"))
            report = v["report_date"]
            if report > day:
                problems.append(("报告日期", "报告日期晚于数据日期"))
            for name, _, header in COUNTS:
                bad = count_problem(header, v.get(name), SMALLINT_MAX)
                if bad:
                    problems.append(bad)
            utilisation = ratio(v.get("card_utilisation"), RATIO_PLACES)
            if utilisation is not None and (utilisation < 0 or not fits_decimal(utilisation, 7, 4)):
                problems.append(
                    ("信用卡使用率", "信用卡使用率应为 0 到 999.9999 之间的比率（0.8532 即 85.32%）")
                )
            if problems or customer is None:
                ctx.reject(row, problems)
                continue
            key = (customer, report)
            if key in seen:
                ctx.reject(row, [DUPLICATE])
                continue
            seen.add(key)
            target: dict[str, Any] = {f: v.get(name) or 0 for name, f, _ in COUNTS}
            target.update({f: v.get(name) or ZERO for name, f in AMOUNTS})
            target.update(
                card_utilization=utilisation,
                authorized_on=starts,
                authorized_purpose=purpose,
                authorization_expires_on=ends,
                data_date=day,
            )
            targets[key] = target
        return targets
