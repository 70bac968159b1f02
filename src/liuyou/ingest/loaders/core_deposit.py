"""core_deposit (存款账户, full, key 账号, history by 数据日期): the account with the figures of
its latest data date, plus one DepositBalance per account and data date (loaders.history).

The account's customer (客户号, aliases included) must exist; an account whose customer
changed follows the file and is counted in the audit details. 产品类型 is required by the
model; 账户状态 is one of the model's words (empty: 正常, the model default). Accounts
missing from a full file are closed (账户状态 销户, closed_at = the file's data date).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from liuyou.customers.models import AccountStatus, DepositAccount, DepositBalance
from liuyou.ingest.loaders.base import LoadContext
from liuyou.ingest.loaders.checks import Words, missing, row_date_problem, unknown
from liuyou.ingest.loaders.history import HistoryLoader
from liuyou.ingest.loaders.refs import customer_pks
from liuyou.ingest.sources import words_to_codes
from liuyou.ingest.validate import Row

STATUS = Words("账户状态", words_to_codes(AccountStatus))
ZERO = Decimal("0.00")


class DepositLoader(HistoryLoader):
    source = "core_deposit"
    label = "存款账户"
    parent = DepositAccount
    key = "account_no"
    fields = (
        "customer_id",
        "product_type",
        "open_date",
        "maturity_date",
        "status",
        "balance",
        "monthly_avg_balance",
        "data_date",
    )
    history = DepositBalance
    parent_fk = "account_id"
    figures = ("balance", "monthly_avg_balance")
    closed_values = {"status": AccountStatus.CLOSED}

    def targets(self, batch: list[Row], ctx: LoadContext, day: date) -> dict[str, dict[str, Any]]:
        customers = customer_pks(r.values["customer_no"] for r in batch)
        targets: dict[str, dict[str, Any]] = {}
        for row in batch:
            v = row.values
            problems = []
            customer = customers.get(v["customer_no"])
            if customer is None:
                problems.append(unknown("客户号", v["customer_no"]))
            product = v.get("product_kind")
            if product is None:
                problems.append(missing("产品类型"))
            word = v.get("status") or ""
            status = STATUS.mapping.get(word) if word else AccountStatus.NORMAL
            if status is None:
                problems.append(STATUS.problem(word))
            wrong_day = row_date_problem(v.get("data_date"), day)
            if wrong_day:
                problems.append(wrong_day)
            if problems:
                ctx.reject(row, problems)
                continue
            targets[v["account_no"]] = {
                "customer_id": customer,
                "product_type": product,
                "open_date": v.get("opened_on"),
                "maturity_date": v.get("matures_on"),
                "status": status,
                "balance": v.get("balance") or ZERO,
                "monthly_avg_balance": v.get("avg_balance") or ZERO,
                "data_date": day,
            }
        return targets
