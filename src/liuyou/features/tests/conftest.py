"""Hand-built library rows for feature, tag and dimension tests: each builder writes what the
loaders would (current row plus the history row of each data date)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

D = datetime.date(2026, 6, 30)  # the data date the tests build
PASSED = ("name", "org", "grid", "manager", "segment", "customer_type", "id_no", "phone")


def month_end(year: int, month: int) -> datetime.date:
    from liuyou.features.services import add_months

    return add_months(datetime.date(year, month, 1), 1) - datetime.timedelta(days=1)


@pytest.fixture
def books(bank, make_customer):
    from liuyou.customers import models as m

    seq = {"n": 0}

    def nxt(prefix: str) -> str:
        seq["n"] += 1
        return f"{prefix}{seq['n']:05d}"

    def customer(**kw):
        birth = kw.pop("birth_date", None)
        extra = {k: kw.pop(k) for k in list(kw) if k not in PASSED}
        c = make_customer(nxt("C"), **kw)
        fields = {"first_seen": datetime.date(2024, 1, 31), "last_seen": D, "birth_date": birth, **extra}
        for k, v in fields.items():
            setattr(c, k, v)
        c.save()
        return c

    def deposits(c, balances: dict[datetime.date, str], *, averages: dict[datetime.date, str] | None = None):
        """One account with a balance on each given data date (average = balance unless given)."""
        averages = averages or {}
        last = max(balances)
        acct = m.DepositAccount.objects.create(
            account_no=nxt("A"),
            customer=c,
            product_type="demand",
            balance=Decimal(balances[last]),
            monthly_avg_balance=Decimal(averages.get(last, balances[last])),
            data_date=last,
            first_seen=min(balances),
            last_seen=last,
        )
        for day, bal in balances.items():
            m.DepositBalance.objects.create(
                account=acct,
                data_date=day,
                balance=Decimal(bal),
                monthly_avg_balance=Decimal(averages.get(day, bal)),
            )
        return acct

    def loan(c, *, snapshots: dict[datetime.date, dict] | None = None, **kw):
        """A loan with its snapshot on each data date (figures default to the loan's own)."""
        snapshots = snapshots if snapshots is not None else {D: {}}
        base = {
            "balance": Decimal(kw.pop("balance", "10000.00")),
            "status": kw.pop("status", "normal"),
            "overdue_days": kw.pop("overdue_days", 0),
            "overdue_principal": Decimal(kw.pop("overdue_principal", "0")),
            "overdue_interest": Decimal(kw.pop("overdue_interest", "0")),
            "is_restructured": kw.pop("is_restructured", False),
        }
        last = max(snapshots) if snapshots else D
        ln = m.Loan.objects.create(
            loan_no=nxt("L"),
            customer=c,
            disbursed_on=kw.pop("disbursed_on", datetime.date(2025, 3, 1)),
            maturity_date=kw.pop("maturity_date", datetime.date(2027, 3, 1)),
            amount=Decimal(kw.pop("amount", "50000.00")),
            guarantee_type="credit",
            handling_org=bank.o1,
            data_date=last,
            first_seen=min(snapshots) if snapshots else D,
            last_seen=last,
            **base,
            **kw,
        )
        for day, figures in snapshots.items():
            m.LoanSnapshot.objects.create(loan=ln, data_date=day, **{**base, **figures})
        return ln

    def line(
        c,
        *,
        limit="100000.00",
        used="0.00",
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2027, 1, 1),
        **kw,
    ):
        return m.CreditLine.objects.create(
            line_no=nxt("X"),
            customer=c,
            credit_limit=Decimal(limit),
            used_amount=Decimal(used),
            start_date=start,
            end_date=end,
            status=kw.pop("status", "active"),
            first_seen=kw.pop("first_seen", start),
            last_seen=D,
            **kw,
        )

    def bureau(
        c,
        *,
        report_date,
        balance="0",
        institutions=0,
        purpose="customer_management",
        authorized=None,
        expires=None,
        **kw,
    ):
        return m.BureauSummary.objects.create(
            customer=c,
            report_date=report_date,
            other_bank_institutions=institutions,
            other_bank_balance=Decimal(balance),
            authorized_on=authorized or report_date,
            authorized_purpose=purpose,
            authorization_expires_on=expires or datetime.date(2027, 12, 31),
            data_date=report_date,
            **kw,
        )

    def txn(c, month: datetime.date, **amounts):
        return m.TxnMonthly.objects.create(
            customer=c, month=month.replace(day=1), **{k: Decimal(str(v)) for k, v in amounts.items()}
        )

    return SimpleNamespace(
        customer=customer, deposits=deposits, loan=loan, line=line, bureau=bureau, txn=txn, D=D
    )
