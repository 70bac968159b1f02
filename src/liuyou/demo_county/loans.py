"""Loans (借据) with their month-end history, credit lines, guarantees and credit-bureau
summaries. Every loan is planned once, then rendered for each data date."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from liuyou.demo_county.dates import add_months
from liuyou.demo_county.people import BUSINESS, ENTERPRISE, FARMER, MIGRANT, SALARIED, Person

BULLET, ANNUITY, LINEAR = "按月付息到期还本", "等额本息", "等额本金"
YES, NO = "是", "否"

# Credit profiles by segment: (active borrower, line granted but undrawn, churned, cleared recently)
PROFILE_WEIGHTS = {
    FARMER: (0.30, 0.075, 0.06, 0.015),
    BUSINESS: (0.42, 0.06, 0.07, 0.02),
    MIGRANT: (0.10, 0.04, 0.05, 0.01),
    SALARIED: (0.24, 0.07, 0.06, 0.015),
    ENTERPRISE: (0.70, 0.05, 0.08, 0.02),
}
# What happens to an active borrower's first loan.
SCENARIOS = [
    ("performing", 0.735),
    ("maturing", 0.11),
    ("overdue_short", 0.03),
    ("overdue_mid", 0.025),
    ("overdue_long", 0.03),
    ("restructured", 0.025),
    ("refinanced", 0.025),
    ("written_off", 0.02),
]
_SCENARIO_NAMES = [s for s, _ in SCENARIOS]
_SCENARIO_WEIGHTS = [w for _, w in SCENARIOS]

AMOUNTS = {
    FARMER: (30_000, 300_000),
    BUSINESS: (50_000, 500_000),
    MIGRANT: (20_000, 150_000),
    SALARIED: (50_000, 300_000),
    ENTERPRISE: (300_000, 3_000_000),
}
GUARANTEE_WEIGHTS = {
    FARMER: ((("信用", 0.55), ("保证", 0.35), ("抵押", 0.10))),
    BUSINESS: ((("信用", 0.35), ("保证", 0.35), ("抵押", 0.25), ("质押", 0.05))),
    MIGRANT: ((("信用", 0.6), ("保证", 0.4))),
    SALARIED: ((("信用", 0.8), ("保证", 0.2))),
    ENTERPRISE: ((("保证", 0.4), ("抵押", 0.5), ("质押", 0.1))),
}
PRODUCT = {FARMER: "NHXD", BUSINESS: "GSJY", MIGRANT: "CYD", SALARIED: "XFD", ENTERPRISE: "XWLD"}

AUTH_VALID_PURPOSES = ("营销", "贷前审查", "贷后管理")


@dataclass(slots=True)
class Loan:
    no: str
    contract: str
    customer: str
    product: str
    issue: date
    maturity: date
    amount: float
    rate: float
    guarantee: str
    repay: str
    purpose: str
    industry_code: str
    retail: bool
    manager: str
    outlet: str
    overdue_from: date | None = None
    cleared: date | None = None
    written_off: date | None = None
    restructured: date | None = None
    first_pay_after_restructure: date | None = None
    refinance: bool = False
    impaired: bool = False
    bankrupt: bool = False
    evasion: bool = False
    technical: bool = False
    misuse: bool = False
    renewal_without_principal: bool = False
    term_months: int = 12

    def balance(self, d: date) -> float:
        if self.repay == BULLET:
            return self.amount
        ref = d if self.overdue_from is None or d < self.overdue_from else self.overdue_from
        elapsed = (ref - self.issue).days / 30.44
        left = 1.0 - elapsed / self.term_months
        return round(self.amount * max(left, 0.05), 2)

    def outstanding(self, d: date) -> float:
        """Balance on the book at `d` (0 when cleared or written off)."""
        if d < self.issue or (self.cleared and d >= self.cleared):
            return 0.0
        if self.written_off and d >= self.written_off:
            return 0.0
        return self.balance(d)

    def row(self, d: date, ds: str) -> list[str]:
        cleared = self.cleared is not None and d >= self.cleared
        written_off = self.written_off is not None and d >= self.written_off
        overdue = self.overdue_from is not None and d >= self.overdue_from and not cleared
        restructured = self.restructured is not None and d >= self.restructured
        days = (d - self.overdue_from).days + 1 if overdue and self.overdue_from else 0
        if cleared:
            status, bal, od_principal, arrears, ecl = "结清", 0.0, 0.0, 0.0, 0.0
        elif written_off:
            status, bal, od_principal, arrears, ecl = "核销", 0.0, 0.0, 0.0, 0.0
        else:
            bal = self.balance(d)
            if overdue:
                status = "逾期"
                od_principal = bal if self.repay == BULLET or d > self.maturity else round(bal / 6, 2)
                arrears = round(bal * self.rate / 100 * min(days, 360) / 360, 2)
                ecl = round(bal * (0.05 if days <= 30 else 0.25 if days <= 90 else 0.6), 2)
            else:
                status, od_principal, arrears = "正常", 0.0, 0.0
                ecl = round(bal * (0.08 if restructured else 0.008), 2)
        impaired = self.impaired and (overdue or restructured or written_off)
        return [
            self.no,
            self.contract,
            self.customer,
            self.product,
            self.issue.isoformat(),
            self.maturity.isoformat(),
            f"{self.amount:.2f}",
            f"{bal:.2f}",
            f"{self.rate:.2f}",
            self.guarantee,
            self.repay,
            self.purpose,
            self.industry_code,
            YES if self.retail else NO,
            str(days),
            f"{od_principal:.2f}",
            f"{arrears:.2f}",
            YES if restructured else NO,
            self.restructured.isoformat() if restructured and self.restructured else "",
            YES if self.refinance else NO,
            YES if impaired else NO,
            f"{ecl:.2f}",
            YES if self.bankrupt and overdue else NO,
            YES if self.evasion and (overdue or written_off) else NO,
            self.cleared.isoformat() if cleared and self.cleared else "",
            status,
            self.manager,
            self.outlet,
            ds,
            YES if self.technical and overdue else NO,
            self.first_pay_after_restructure.isoformat()
            if restructured and self.first_pay_after_restructure
            else "",
            YES if self.misuse else NO,
            YES if self.renewal_without_principal else NO,
        ]


@dataclass
class CreditPlan:
    profile: str = "none"
    loans: list[Loan] = field(default_factory=list)
    line: list[str] | None = None  # credit_line row
    guarantees: list[list[str]] = field(default_factory=list)
    relations: list[tuple[str, str, str, str]] = field(default_factory=list)
    bureau: list[tuple[date, list[str]]] = field(default_factory=list)


class CreditFactory:
    def __init__(self, rng: random.Random, window_start: date, end: date) -> None:
        self.rng = rng
        self.window_start = window_start
        self.end = end
        self.loan_seq = 0
        self.line_seq = 0
        # Recent individual customers per branch: guarantors for 保证 loans.
        self.guarantor_pool: dict[str, list[str]] = {}

    def remember(self, p: Person) -> None:
        if p.enterprise or p.departed is not None:
            return
        pool = self.guarantor_pool.setdefault(p.village.branch.code, [])
        pool.append(p.no)
        if len(pool) > 400:
            del pool[:200]

    # ---- loans ------------------------------------------------------------------------
    def _loan(self, p: Person, issue: date, term: int, amount: float | None = None) -> Loan:
        rng = self.rng
        seg = p.segment
        self.loan_seq += 1
        lo, hi = AMOUNTS[seg]
        if amount is None:
            amount = round(rng.uniform(lo, hi) * (2.5 if p.rich else 1.0), -3)
        names, weights = zip(*GUARANTEE_WEIGHTS[seg], strict=True)
        guarantee = rng.choices(names, weights=weights)[0]
        if seg == SALARIED:
            repay = rng.choice((ANNUITY, ANNUITY, LINEAR))
        elif term > 24:
            repay = LINEAR
        else:
            repay = BULLET if rng.random() < 0.8 else LINEAR
        product = PRODUCT[seg]
        if seg in (FARMER, BUSINESS) and amount <= 100_000 and rng.random() < 0.3:
            product = "PHKD"
        return Loan(
            no=f"JJ{issue:%Y}{self.loan_seq:09d}",
            contract=f"HT{issue:%Y}{self.loan_seq:09d}",
            customer=p.no,
            product=product,
            issue=issue,
            maturity=add_months(issue, term),
            amount=amount,
            rate=round(rng.uniform(3.65, 8.5), 2),
            guarantee=guarantee,
            repay=repay,
            purpose=p.purpose,
            industry_code=p.industry_code,
            retail=not p.enterprise,
            manager=p.manager,
            outlet=p.outlet,
            term_months=term,
        )

    def _term(self, p: Person) -> int:
        if p.segment == SALARIED:
            return self.rng.choice((12, 24, 36, 36, 60))
        return self.rng.choice((12, 12, 12, 24, 36))

    def plan(self, p: Person) -> CreditPlan:
        rng = self.rng
        end = self.end
        active, line_only, churned, recent = PROFILE_WEIGHTS[p.segment]
        r = rng.random()
        plan = CreditPlan()
        if p.departed is not None or p.dormant:
            r = 1.0
        if r < active:
            plan.profile = "active"
            self._active(p, plan)
        elif r < active + line_only and (end - p.open_date).days > 100:
            plan.profile = "line_only"
            self._line_only(p, plan)
        elif r < active + line_only + churned and p.open_date < self.window_start:
            plan.profile = "churned"
            self._cleared(p, plan, lo_days=95, hi_days=(end - self.window_start).days - 5)
        elif r < active + line_only + churned + recent and p.open_date < self.window_start:
            plan.profile = "recently_cleared"
            self._cleared(p, plan, lo_days=5, hi_days=85)
        self._bureau(p, plan)
        for loan in plan.loans:
            self._guarantee(p, loan, plan)
        return plan

    def _active(self, p: Person, plan: CreditPlan) -> None:
        rng = self.rng
        end = self.end
        term = self._term(p)
        scenario = rng.choices(_SCENARIO_NAMES, weights=_SCENARIO_WEIGHTS)[0]
        earliest = max(p.open_date, end - timedelta(days=term * 30))
        if scenario == "maturing":
            maturity = end + timedelta(days=rng.randint(3, 58))
            loan = self._loan(p, add_months(maturity, -term), term)
            loan.maturity = maturity
        elif scenario == "performing":
            lo = max(earliest, add_months(end, -term) + timedelta(days=75))
            issue = lo + timedelta(days=rng.randrange(max((end - lo).days, 1)))
            loan = self._loan(p, min(issue, end), term)
        elif scenario.startswith("overdue"):
            days = {"overdue_short": (1, 30), "overdue_mid": (31, 90), "overdue_long": (91, 420)}[scenario]
            dpd = rng.randint(*days)
            od = end - timedelta(days=dpd - 1)
            if rng.random() < 0.6:  # matured, not repaid
                loan = self._loan(p, add_months(od - timedelta(days=1), -term), term)
                loan.maturity = od - timedelta(days=1)
            else:  # instalments missed
                loan = self._loan(p, od - timedelta(days=rng.randint(60, 300)), term)
                loan.repay = LINEAR
                if loan.maturity <= od:
                    loan.maturity = od + timedelta(days=90)
            loan.overdue_from = od
            loan.impaired = dpd > 90
            loan.technical = dpd <= 7 and rng.random() < 0.3
            loan.evasion = dpd > 90 and rng.random() < 0.1
            loan.bankrupt = p.enterprise and dpd > 90 and rng.random() < 0.3
            loan.misuse = rng.random() < 0.05
        elif scenario == "restructured":
            loan = self._loan(p, end - timedelta(days=rng.randint(400, 650)), 12)
            r = end - timedelta(days=rng.randint(60, 300))
            loan.restructured = r
            loan.maturity = add_months(r, 24)
            loan.term_months = 36
            loan.first_pay_after_restructure = add_months(r, rng.choice((1, 3)))
            loan.impaired = True
        elif scenario == "refinanced":
            r = end - timedelta(days=rng.randint(30, 330))
            old = self._loan(p, add_months(r, -12), 12)
            old.maturity = r
            old.cleared = r
            plan.loans.append(old)
            loan = self._loan(p, r, 12, amount=old.amount)
            loan.refinance = True
            loan.renewal_without_principal = p.enterprise and rng.random() < 0.5
        else:  # written off after a long default
            od = end - timedelta(days=rng.randint(420, 650))
            loan = self._loan(p, add_months(od - timedelta(days=1), -12), 12)
            loan.maturity = od - timedelta(days=1)
            loan.overdue_from = od
            loan.written_off = od + timedelta(days=rng.randint(200, 380))
            loan.impaired = True
            loan.evasion = rng.random() < 0.2
        plan.loans.append(loan)
        # A borrower of long standing shows a cleared loan before the current one.
        if scenario in ("performing", "maturing") and rng.random() < 0.3:
            prev_clear = loan.issue - timedelta(days=rng.randint(1, 40))
            if prev_clear > self.window_start:
                prev = self._loan(p, add_months(prev_clear, -12), 12)
                prev.maturity = prev_clear
                prev.cleared = prev_clear
                plan.loans.insert(0, prev)
        if rng.random() < 0.12 and scenario == "performing":
            second = self._loan(p, end - timedelta(days=rng.randint(100, 300)), 12)
            plan.loans.append(second)
        for lo_ in plan.loans:
            if lo_.issue < p.open_date:
                p.open_date = lo_.issue - timedelta(days=rng.randint(1, 60))
        if rng.random() < 0.75:
            self._line_for(p, plan)

    def _line_for(self, p: Person, plan: CreditPlan) -> None:
        rng = self.rng
        used = sum(lo.outstanding(self.end) for lo in plan.loans)
        if used <= 0:
            return
        ratio = rng.uniform(0.82, 0.98) if rng.random() < 0.22 else rng.uniform(0.25, 0.78)
        limit = float(int(used / ratio / 1000) * 1000 + 1000)
        start = min(lo.issue for lo in plan.loans) - timedelta(days=rng.randint(0, 60))
        expiry = add_months(start, 36)
        if expiry <= self.end + timedelta(days=30):
            expiry = self.end + timedelta(days=rng.randint(90, 700))
        plan.line = self._line_row(p, limit, used, start, expiry, "有效")

    def _line_row(
        self, p: Person, limit: float, used: float, start: date, expiry: date, status: str
    ) -> list[str]:
        self.line_seq += 1
        return [
            f"SX{start:%Y}{self.line_seq:08d}",
            p.no,
            f"{limit:.2f}",
            f"{used:.2f}",
            start.isoformat(),
            expiry.isoformat(),
            status,
        ]

    def _line_only(self, p: Person, plan: CreditPlan) -> None:
        rng = self.rng
        lo = max(p.open_date, self.end - timedelta(days=720))
        span = (self.end - timedelta(days=95) - lo).days
        start = lo + timedelta(days=rng.randrange(span)) if span > 0 else lo
        lo_amt, hi_amt = AMOUNTS[p.segment]
        limit = round(rng.uniform(lo_amt, hi_amt * 0.6), -3)
        plan.line = self._line_row(p, limit, 0.0, start, add_months(start, 36), "有效")

    def _cleared(self, p: Person, plan: CreditPlan, *, lo_days: int, hi_days: int) -> None:
        rng = self.rng
        last_clear = self.end - timedelta(days=rng.randint(lo_days, max(lo_days, hi_days)))
        n = 2 if rng.random() < 0.3 else 1
        clear = last_clear
        loans = []
        for _ in range(n):
            loan = self._loan(p, add_months(clear, -12), 12)
            loan.maturity = clear if rng.random() < 0.8 else clear + timedelta(days=rng.randint(10, 120))
            loan.cleared = clear
            loans.append(loan)
            clear = loan.issue - timedelta(days=rng.randint(5, 60))
            if clear < self.window_start:
                break
        plan.loans = loans[::-1]
        if rng.random() < 0.4:
            start = plan.loans[0].issue - timedelta(days=rng.randint(0, 30))
            expiry = add_months(start, 24)
            status = "有效" if expiry > self.end else "到期"
            plan.line = self._line_row(p, round(plan.loans[-1].amount * 1.2, -3), 0.0, start, expiry, status)

    def _guarantee(self, p: Person, loan: Loan, plan: CreditPlan) -> None:
        rng = self.rng
        if loan.guarantee == "保证":
            pool = self.guarantor_pool.get(p.village.branch.code, [])
            candidates = [c for c in pool[-50:] if c != p.no]
            if not candidates:
                loan.guarantee = "信用"
                return
            g = rng.choice(candidates)
            plan.guarantees.append([loan.no, g, "保证", f"{loan.amount:.2f}"])
            if (p.no, g, "", "担保") not in plan.relations:
                plan.relations.append((p.no, g, "", "担保"))
        elif loan.guarantee in ("抵押", "质押"):
            value = round(loan.amount * rng.uniform(1.3, 2.0), -2)
            plan.guarantees.append([loan.no, p.no, loan.guarantee, f"{value:.2f}"])

    # ---- credit bureau ------------------------------------------------------------------
    def _bureau(self, p: Person, plan: CreditPlan) -> None:
        rng = self.rng
        end = self.end
        other = rng.random() < (0.25 if plan.loans or plan.line else 0.7)
        npl = any(lo.impaired for lo in plan.loans) and rng.random() < 0.3
        if plan.loans:
            first = plan.loans[-1]
            report = first.issue - timedelta(days=rng.randint(3, 20))
            plan.bureau.append(
                (report, self._report(p, plan, report, other, npl, "贷前审查", report, first.maturity))
            )
            if first.cleared is None and first.written_off is None and rng.random() < 0.5:
                post = end - timedelta(days=rng.randint(5, 170))
                if post > first.issue:
                    plan.bureau.append(
                        (post, self._report(p, plan, post, other, npl, "贷后管理", report, first.maturity))
                    )
        elif plan.line is not None:
            start = date.fromisoformat(plan.line[4])
            plan.bureau.append(
                (start, self._report(p, plan, start, other, False, "贷前审查", start, add_months(start, 12)))
            )
        elif p.departed is None and rng.random() < 0.14:
            # A marketing prospect: the manager obtained an authorisation to look at the report.
            report = max(end - timedelta(days=rng.randint(5, 300)), p.open_date)
            r = rng.random()
            if r < 0.55:
                purpose, expiry = "营销", end + timedelta(days=rng.randint(30, 700))
            elif r < 0.7:
                purpose, expiry = "贷前审查", end + timedelta(days=rng.randint(30, 365))
            elif r < 0.85 and (end - report).days >= 2:
                purpose, expiry = "营销", report + timedelta(days=rng.randint(1, (end - report).days - 1))
            else:
                purpose, expiry = "担保资格审查", end + timedelta(days=rng.randint(30, 365))
            plan.bureau.append((report, self._report(p, plan, report, other, False, purpose, report, expiry)))

    def _report(self, p: Person, plan: CreditPlan, d: date, other: bool, npl: bool, purpose: str,
                auth: date, expiry: date) -> list[str]:  # fmt: skip
        rng = self.rng
        if other:
            n = rng.choice((1, 1, 1, 2, 2, 3))
            lo, hi = AMOUNTS[p.segment]
            other_bal = round(rng.uniform(lo * 0.3, hi) * n, -2)
        else:
            n, other_bal = 0, 0.0
        bad = round(other_bal * rng.uniform(0.2, 1.0), -2) if npl and other else 0.0
        ours = sum(lo.outstanding(d) for lo in plan.loans)
        max_overdue = (
            rng.randint(1, 6)
            if npl or any(lo.overdue_from for lo in plan.loans)
            else (1 if rng.random() < 0.05 else 0)
        )
        return [
            p.no,
            d.isoformat(),
            str(n),
            f"{other_bal:.2f}",
            f"{bad:.2f}",
            f"{bad:.2f}" if bad and rng.random() < 0.7 else "0.00",
            f"{other_bal + ours:.2f}",
            str(rng.choice((0, 0, 1, 1, 2, 3, 5)) if purpose != "贷后管理" else rng.choice((0, 1))),
            str(max_overdue),
            f"{round(rng.uniform(10_000, 200_000), -3) if rng.random() < 0.08 else 0:.2f}",
            f"{rng.random() * 0.9:.4f}" if rng.random() < 0.45 else "0.0000",
            auth.isoformat(),
            purpose,
            expiry.isoformat(),
        ]
