"""Feature rows written by hand: each dimension is tested on the figures it reads, at and
around its thresholds, without building them from source rows (features/tests does that)."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

D = datetime.date(2026, 6, 30)


@pytest.fixture
def feats(bank, make_customer):
    from liuyou.features.models import CustomerFeature, FeatureBuild

    FeatureBuild.objects.create(data_date=D, rows=0)
    seq = {"n": 0}

    def feature(customer=None, *, day=D, **cols):
        if customer is None:
            seq["n"] += 1
            customer = make_customer(
                f"F{seq['n']:05d}",
                org=cols.pop("org", None),
                grid=cols.pop("grid", None),
                manager=cols.pop("manager", None),
            )
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

    return SimpleNamespace(feature=feature, D=D)
