"""credit_loan (信贷借据, full, key 借据号, history by 数据日期): the loan with the figures of
its latest data date, plus one LoanSnapshot per loan and data date (loaders.history); the
figures are models.LOAN_FIGURES on both.

References: 客户号 (aliases included) and 经办机构号 must exist; 主办客户经理工号, when given,
must be a known member of staff (empty: no manager). 发放日期, 到期日期, 发放金额, 担保方式 and
借据状态 are required by the model. Contradictions a credit system does produce (逾期天数 on
a 正常 loan, 结清日期 on a loan not 结清) are kept as given and counted in the audit details,
for the data owners to correct at the source. Optional columns the file leaves out (技术性逾期
...) are NULL: the source did not say. Loans missing from a full file are closed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from liuyou.customers.models import LOAN_FIGURES, Loan, LoanSnapshot, LoanStatus
from liuyou.ingest.loaders.base import LoadContext, LoadResult
from liuyou.ingest.loaders.checks import (
    INT_MAX,
    count_problem,
    fits_decimal,
    missing,
    ratio,
    row_date_problem,
    unknown,
)
from liuyou.ingest.loaders.history import HistoryLoader
from liuyou.ingest.loaders.refs import customer_pks, org_pks, staff_pks
from liuyou.ingest.validate import Row

ZERO = Decimal("0.00")
RATE_PLACES = Decimal("0.0001")  # Loan.rate is Decimal(7, 4)
# (our column, header): the model's NOT NULL columns without a default.
REQUIRED = (
    ("issued_on", "发放日期"),
    ("matures_on", "到期日期"),
    ("amount", "发放金额"),
    ("guarantee_kind", "担保方式"),
    ("status", "借据状态"),
)


class LoanLoader(HistoryLoader):
    source = "credit_loan"
    label = "信贷借据"
    parent = Loan
    key = "loan_no"
    fields = (
        "customer_id",
        "contract_no",
        "product_code",
        "disbursed_on",
        "maturity_date",
        "amount",
        "rate",
        "guarantee_type",
        "repayment_method",
        "purpose",
        "industry_code",
        "is_retail",
        "handling_org_id",
        "manager_id",
        "cleared_on",
        *LOAN_FIGURES,
    )
    history = LoanSnapshot
    parent_fk = "loan_id"
    figures = tuple(f for f in LOAN_FIGURES if f != "data_date")  # data_date is in the key

    def load(self, rows: Any, ctx: LoadContext) -> LoadResult:
        self.orgs = org_pks()
        self.staff = staff_pks()
        self.overdue_but_normal = self.cleared_on_open = self.cleared_without_date = 0
        return super().load(rows, ctx)

    def notes(self) -> dict[str, Any]:
        return {
            "overdue_days_but_normal": self.overdue_but_normal,
            "cleared_on_but_not_cleared": self.cleared_on_open,
            "cleared_without_date": self.cleared_without_date,
        }

    def targets(self, batch: list[Row], ctx: LoadContext, day: date) -> dict[str, dict[str, Any]]:
        customers = customer_pks(r.values["customer_no"] for r in batch)
        orgs, staff = self.orgs, self.staff
        targets: dict[str, dict[str, Any]] = {}
        for row in batch:
            v = row.values
            problems = [missing(header) for name, header in REQUIRED if v.get(name) is None]
            customer = customers.get(v["customer_no"])
            if customer is None:
                problems.append(unknown("客户号", v["customer_no"]))
            org_code = v.get("org_code")
            org = orgs.get(org_code) if org_code else None
            if org is None:
                problems.append(unknown("经办机构号", org_code) if org_code else missing("经办机构号"))
            staff_no = v.get("manager_staff_no")
            manager = staff.get(staff_no) if staff_no else None
            if staff_no and manager is None:
                problems.append(unknown("主办客户经理工号", staff_no))
            issued, matures = v.get("issued_on"), v.get("matures_on")
            if issued and matures and matures < issued:
                problems.append(("到期日期", "到期日期早于发放日期"))
            days = v.get("days_overdue")
            bad_days = count_problem("逾期天数", days, INT_MAX)
            if bad_days:
                problems.append(bad_days)
            rate = ratio(v.get("rate"), RATE_PLACES)
            if not fits_decimal(rate, 7, 4):
                problems.append(("执行利率", "执行利率超出范围（百分比，整数部分最多 3 位）"))
            wrong_day = row_date_problem(v.get("data_date"), day)
            if wrong_day:
                problems.append(wrong_day)
            if problems:
                ctx.reject(row, problems)
                continue
            status, cleared_on = v["status"], v.get("cleared_on")
            if days and status == LoanStatus.NORMAL:
                self.overdue_but_normal += 1
            if status == LoanStatus.CLEARED:
                self.cleared_without_date += cleared_on is None
            elif cleared_on is not None:
                self.cleared_on_open += 1
            targets[v["loan_no"]] = {
                "customer_id": customer,
                "contract_no": v.get("contract_no") or "",
                "product_code": v.get("product_code") or "",
                "disbursed_on": issued,
                "maturity_date": matures,
                "amount": v["amount"],
                "rate": rate,
                "guarantee_type": v["guarantee_kind"],
                "repayment_method": v.get("repayment") or "",
                "purpose": v.get("purpose") or "",
                "industry_code": v.get("industry_code") or "",
                "is_retail": v.get("is_retail") or False,
                "handling_org_id": org,
                "manager_id": manager,
                "cleared_on": cleared_on,
                "balance": v.get("balance") or ZERO,
                "overdue_days": days or 0,
                "overdue_principal": v.get("overdue_principal") or ZERO,
                "overdue_interest": v.get("interest_arrears") or ZERO,
                "is_restructured": v.get("is_restructured") or False,
                "restructured_on": v.get("restructured_on"),
                "is_refinanced": v.get("is_refinanced") or False,
                "is_credit_impaired": v.get("is_credit_impaired") or False,
                "expected_credit_loss": v.get("ecl"),
                "bankruptcy": v.get("debtor_bankrupt") or False,
                "debt_evasion": v.get("evades_debt") or False,
                "status": status,
                "technical_overdue": v.get("technical_overdue"),
                "first_repayment_after_restructure": v.get("first_repayment_after_restructure"),
                "unauthorized_use": v.get("misused_funds"),
                "renewal_without_repayment": v.get("renewal_without_repayment"),
                "data_date": day,
            }
        return targets
