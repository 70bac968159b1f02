"""A small customer book: one customer of the account manager in branch 1 (grid 1), one in
branch 2, both with an ID and a mobile number."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

ID_1 = "41052119900101123X"
PHONE_1 = "13812345678"
ID_2 = "410521198505052345"
PHONE_2 = "13900001111"

SEPARATED_DUTIES = ("system_admin", "security_admin", "auditor")


@pytest.fixture
def book(bank, role_users, make_customer):
    am = role_users["account_manager"]
    mine = make_customer("C1", name="张三", org=bank.o1, grid=bank.g1, manager=am, id_no=ID_1, phone=PHONE_1)
    other = make_customer(
        "C2", name="李四", org=bank.b2, grid=bank.g2, id_no=ID_2, phone=PHONE_2, segment="salaried"
    )
    return SimpleNamespace(mine=mine, other=other, am=am)


@pytest.fixture
def login(client):
    def as_user(user):
        client.logout()
        client.force_login(user)
        return client

    return as_user


def plain_values() -> tuple[str, ...]:
    return (ID_1, PHONE_1, ID_2, PHONE_2)


# --- library rows, written straight through the ORM (the loaders are tested on their own) ---

D = datetime.date(2026, 6, 30)  # the latest data date of the fixtures


@pytest.fixture
def lib(bank):
    """Builders for library rows; each fills the bookkeeping columns a loader would."""
    from liuyou.customers import models as m

    def seen(**kw):
        return {"first_seen": kw.pop("first_seen", D), "last_seen": kw.pop("last_seen", D), **kw}

    def village(code, *, grid=None, name="李家村", township="城关镇"):
        return m.Village.objects.create(**seen(code=code, name=name, township=township, grid=grid or bank.g1))

    def loan(customer, loan_no, *, balance="10000.00", status="normal", overdue_days=0, closed_at=None, **kw):
        return m.Loan.objects.create(
            **seen(
                loan_no=loan_no,
                customer=customer,
                disbursed_on=kw.pop("disbursed_on", datetime.date(2025, 3, 1)),
                maturity_date=kw.pop("maturity_date", datetime.date(2027, 3, 1)),
                amount=Decimal(kw.pop("amount", "50000.00")),
                guarantee_type=kw.pop("guarantee_type", "credit"),
                handling_org=kw.pop("handling_org", bank.o1),
                balance=Decimal(balance),
                overdue_days=overdue_days,
                status=status,
                data_date=kw.pop("data_date", D),
                closed_at=closed_at,
                **kw,
            )
        )

    def account(customer, account_no, *, balance="0.00", **kw):
        return m.DepositAccount.objects.create(
            **seen(
                account_no=account_no,
                customer=customer,
                product_type=kw.pop("product_type", "demand"),
                balance=Decimal(balance),
                monthly_avg_balance=Decimal(kw.pop("monthly_avg_balance", balance)),
                data_date=kw.pop("data_date", D),
                **kw,
            )
        )

    def assign(customer, manager, *, role="primary", start=datetime.date(2024, 1, 1), end=None):
        return m.ManagerAssignment.objects.create(
            customer=customer, manager=manager, role=role, start_date=start, end_date=end, source="crm_import"
        )

    return SimpleNamespace(village=village, loan=loan, account=account, assign=assign, D=D)
