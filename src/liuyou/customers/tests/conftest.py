"""A small customer book: one customer of the account manager in branch 1 (grid 1), one in
branch 2, both with an ID and a mobile number."""

from __future__ import annotations

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
