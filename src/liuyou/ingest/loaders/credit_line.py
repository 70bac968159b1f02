"""credit_line (授信, full, key 授信编号): upsert by 授信编号, close lines missing from a full file.

客户号 (aliases included) must exist. 授信额度, 起始日期, 到期日期 and 状态 are required by the
model; 状态 is one of 有效/冻结/到期/终止. A line drawn beyond its limit, or ending before it
starts, is an error in the credit system and rejected. 已用额度 empty is 0.

The source keeps no history: a file older than the latest loaded one only checks its rows
(references and values) and changes nothing; its valid rows count as unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from liuyou.customers.models import CreditLine, CreditLineStatus
from liuyou.ingest.loaders.base import LoadContext, LoadResult, batches
from liuyou.ingest.loaders.checks import Words, missing, unknown
from liuyou.ingest.loaders.refs import customer_pks
from liuyou.ingest.loaders.upsert import Table
from liuyou.ingest.sources import words_to_codes
from liuyou.ingest.validate import Row

STATUS = Words("状态", words_to_codes(CreditLineStatus))
FIELDS = ("customer_id", "credit_limit", "used_amount", "start_date", "end_date", "status")
REQUIRED = (("limit", "授信额度"), ("starts_on", "起始日期"), ("ends_on", "到期日期"), ("status", "状态"))
ZERO = Decimal("0.00")


class CreditLineLoader:
    def __init__(self) -> None:
        self.lines = Table(CreditLine, key=("line_no",), fields=FIELDS, lifecycle=True)

    def load(self, rows: Iterable[Row], ctx: LoadContext) -> LoadResult:
        if ctx.data_date is None:  # the runner refuses a file without one; closing needs it
            raise ValueError("授信导入须有数据日期")
        day = ctx.data_date
        result = LoadResult()
        seen: set[str] = set()
        for batch in batches(rows):
            targets = self._targets(batch, ctx)
            if not ctx.latest:
                result.unchanged += len(targets)
                continue
            seen.update(targets)
            status, _ = self.lines.apply(targets, day=day, want_pks=False)
            result.tally(status.values())
        if ctx.latest:
            present = seen | {k for k in ctx.present_keys if isinstance(k, str)}
            result.closed = len(self.lines.close_missing(present, day=day))
        else:
            result.details = {"history_only": True}
        return result

    def _targets(self, batch: list[Row], ctx: LoadContext) -> dict[str, dict[str, Any]]:
        customers = customer_pks(r.values["customer_no"] for r in batch)
        targets: dict[str, dict[str, Any]] = {}
        for row in batch:
            v = row.values
            problems = [missing(header) for name, header in REQUIRED if v.get(name) is None]
            customer = customers.get(v["customer_no"])
            if customer is None:
                problems.append(unknown("客户号", v["customer_no"]))
            word = v.get("status")
            status = STATUS.mapping.get(word) if word else None
            if word and status is None:
                problems.append(STATUS.problem(word))
            limit, used = v.get("limit"), v.get("used") or ZERO
            if limit is not None and used > limit:
                problems.append(("已用额度", "已用额度超过授信额度"))
            starts, ends = v.get("starts_on"), v.get("ends_on")
            if starts and ends and ends < starts:
                problems.append(("到期日期", "到期日期早于起始日期"))
            if problems:
                ctx.reject(row, problems)
                continue
            targets[v["line_no"]] = {
                "customer_id": customer,
                "credit_limit": limit,
                "used_amount": used,
                "start_date": starts,
                "end_date": ends,
                "status": status,
            }
        return targets
