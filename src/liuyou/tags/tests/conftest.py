"""Feature rows written by hand (like mining's tests) and the tag pages wired in."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

D = datetime.date(2026, 6, 30)


@pytest.fixture
def feats(bank, make_customer):
    from liuyou.features.models import CustomerFeature, FeatureBuild

    seq = {"n": 0}

    def build(day=D):
        FeatureBuild.objects.get_or_create(data_date=day, defaults={"rows": 0})

    def feature(customer=None, *, day=D, **cols):
        build(day)
        if customer is None:
            seq["n"] += 1
            customer = make_customer(
                cols.pop("customer_no", f"F{seq['n']:05d}"),
                org=cols.pop("org", None),
                grid=cols.pop("grid", None),
                manager=cols.pop("manager", None),
                id_no=cols.pop("id_no", ""),
            )
        village = cols.pop("village", None)
        if village is not None:
            customer.village = village
            customer.save(update_fields=["village"])
        return CustomerFeature.objects.create(
            customer=customer,
            data_date=day,
            org_id=customer.org_id,
            grid_id=customer.grid_id,
            village_id=customer.village_id,
            manager_id=customer.manager_id,
            customer_type=customer.customer_type,
            segment=customer.segment,
            **cols,
        )

    return SimpleNamespace(feature=feature, build=build, D=D)


@pytest.fixture
def village(bank):
    from liuyou.customers.models import Village

    def make(code: str, township: str, name: str = "测试村"):
        return Village.objects.create(
            code=code, name=name, township=township, grid=bank.g1, first_seen=D, last_seen=D
        )

    return make
