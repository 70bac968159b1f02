"""Feature rows written by hand (the matcher reads nothing else) and the demo catalogue."""

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

    def feature(customer=None, *, day=D, segment="farmer", **cols):
        if customer is None:
            seq["n"] += 1
            customer = make_customer(
                f"P{seq['n']:05d}",
                org=cols.pop("org", None),
                grid=cols.pop("grid", None),
                manager=cols.pop("manager", None),
                segment=segment,
            )
        return CustomerFeature.objects.create(
            customer=customer,
            data_date=day,
            org_id=customer.org_id,
            grid_id=customer.grid_id,
            village_id=customer.village_id,
            manager_id=customer.manager_id,
            customer_type=customer.customer_type,
            segment=segment,
            **cols,
        )

    return SimpleNamespace(feature=feature, D=D)


@pytest.fixture
def catalogue(db):
    from liuyou.products.models import Product
    from liuyou.products.services import ensure_demo_catalogue

    ensure_demo_catalogue()
    return {p.code: p for p in Product.objects.all()}


def product_data(**overrides):
    """A valid product as the service and the API take it."""
    data = {
        "code": "TEST",
        "name": "测试贷",
        "description": "",
        "target_segments": [],
        "min_amount": "10000",
        "max_amount": "300000",
        "min_term_months": 12,
        "max_term_months": 36,
        "min_rate": "4.00",
        "max_rate": "6.00",
        "guarantee_types": ["credit"],
        "collateral_text": "信用",
        "max_current_overdue_days": 0,
        "allow_restructured": False,
        "max_bureau_overdue_periods": None,
        "allow_other_bank_npl": False,
        "min_score_band": "",
        "max_risk_class": "",
        "conditions": [],
        "amount_kind": "fixed",
        "amount_k": "50000",
        "sort_order": 100,
        "is_active": True,
    }
    data.update(overrides)
    return data
