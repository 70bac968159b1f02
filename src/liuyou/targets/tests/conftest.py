"""A small marketing book: feature rows written by hand (mining's `feats`), in two branches,
with managers, a grid specialist and one customer who refused marketing."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from liuyou.mining.tests.conftest import D, feats  # noqa: F401 - a fixture used by these tests


@pytest.fixture
def book(bank, role_users, make_user, feats):  # noqa: F811
    am = role_users["account_manager"]
    am2 = make_user("8101", "account_manager", org=bank.o1)
    spec = make_user("8102", "service_specialist", org=bank.g1)
    rich = [
        feats.feature(
            org=bank.o1, grid=bank.g1, manager=am, deposit_avg_3m=Decimal("60000"), payroll_months_3m=3
        )
        for _ in range(3)
    ]
    saver = feats.feature(org=bank.o1, grid=bank.g1, manager=am2, deposit_avg_3m=Decimal("55000"))
    orphan = feats.feature(org=bank.o1, grid=bank.g1, deposit_avg_3m=Decimal("52000"))
    far = feats.feature(org=bank.b2, grid=bank.g2, deposit_avg_3m=Decimal("90000"))
    refused = feats.feature(
        org=bank.o1, grid=bank.g1, manager=am, deposit_avg_3m=Decimal("99000"), refused_marketing=True
    )
    return SimpleNamespace(
        am=am, am2=am2, spec=spec, rich=rich, saver=saver, orphan=orphan, far=far, refused=refused, D=D
    )
