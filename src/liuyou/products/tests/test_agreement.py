"""The matcher never offers a product whose rules the customer fails, and its two forms agree:
on many varied feature rows, every ProductMatch row step 7 writes (SQL) is a fit of
match_customer (Python) with the same amount and rank, and every fit of match_customer is a
row. A third, independent reading of the rules (written here, not with products.rules) checks
every offer."""

from __future__ import annotations

import operator
import random
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liuyou.features.models import CustomerFeature
from liuyou.products import selectors, services
from liuyou.products.models import Product, ProductMatch
from liuyou.products.tests.conftest import D, product_data

pytestmark = pytest.mark.django_db

CHOICES: dict[str, list[Any]] = {
    "segment": ["farmer", "individual_business", "migrant_worker", "salaried", "small_enterprise", ""],
    "refused_marketing": [False] * 9 + [True],
    "loan_count": [0, 0, 1, 2],
    "max_overdue_days": [0, 0, 0, 15, 30, 31],
    "restructured_loans": [0, 0, 0, 1],
    "bureau_usable": [True, False],
    "bureau_max_overdue_24m": [None, 0, 2, 3],
    "other_bank_npl_balance": [None, Decimal("0"), Decimal("5000.50")],
    "days_since_cleared": [None, 0, 89, 90, 500],
    "deposit_avg_3m": [
        Decimal("0"),
        Decimal("4999.99"),
        Decimal("5000"),
        Decimal("33333.33"),
        Decimal("45454.55"),
        Decimal("1234567.89"),
    ],
    "acquiring_avg_3m": [
        Decimal("0"),
        Decimal("29999.99"),
        Decimal("30000"),
        Decimal("33333.33"),
        Decimal("150000"),
    ],
    "payroll_months_3m": [0, 2, 3],
    "payroll_amount_3m": [Decimal("0"), Decimal("18000"), Decimal("20000"), Decimal("100000.01")],
    "subsidy_amount_12m": [Decimal("0"), Decimal("999.99"), Decimal("3179.95")],
    "out_of_county_share_3m": [None, Decimal("0.4999"), Decimal("0.5"), Decimal("0.8")],
    "age": [None, 17, 18, 40, 65, 66],
    "industry": ["", "A0141", "a0199", "B01"],
    "has_social_security_card": [None, True, False],
    "utilization": [None, Decimal("0.5"), Decimal("0.9"), Decimal("0.95")],
}

EXTRA = [
    product_data(
        code="MIX",
        name="组合条件贷",
        target_segments=["farmer", "salaried", "migrant_worker"],
        conditions=[
            {"column": "segment", "op": "not_in", "value": "small_enterprise"},
            {"column": "industry", "op": "prefix", "value": "A0"},
            {"column": "has_social_security_card", "op": "=", "value": True},
            {"column": "utilization", "op": "<", "value": "0.9"},
            {"column": "age", "op": "not_empty"},
        ],
        max_current_overdue_days=30,
        allow_restructured=True,
        max_bureau_overdue_periods=2,
        allow_other_bank_npl=True,
        amount_kind="subsidy_multiple",
        amount_k="7.5",
        sort_order=30,
    ),
    product_data(
        code="ANY",
        name="通用贷",
        conditions=[{"column": "days_since_cleared", "op": "is_empty"}],
        max_current_overdue_days=None,
        allow_restructured=True,
        allow_other_bank_npl=True,
        amount_kind="deposit_multiple",
        amount_k="0.3",
        max_amount="100000",
        sort_order=30,
    ),
]


# --- an independent reading of the rules --------------------------------------------------

CMP = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
BASES = {
    "fixed": (None, 1),
    "deposit_multiple": ("deposit_avg_3m", 1),
    "payroll_multiple": ("payroll_amount_3m", 3),
    "acquiring_multiple": ("acquiring_avg_3m", 1),
    "subsidy_multiple": ("subsidy_amount_12m", 1),
}


def _condition(row: CustomerFeature, cond: dict[str, Any]) -> bool:
    actual, op, value = getattr(row, cond["column"]), cond["op"], cond["value"]
    empty = actual is None or actual == ""
    if op == "is_empty":
        return empty
    if op == "not_empty" or empty:
        return not empty and op == "not_empty"
    if op == "in":
        return actual in value
    if op == "not_in":
        return actual not in value
    if op == "prefix":
        return str(actual).upper().startswith(value.upper())
    if isinstance(actual, bool):
        return CMP[op](actual, value)
    return CMP[op](Decimal(str(actual)), Decimal(str(value)))


def failed_rules(p: Product, row: CustomerFeature) -> list[str]:
    failed = []
    if row.refused_marketing:
        failed.append("refused")
    if p.target_segments and row.segment not in p.target_segments:
        failed.append("segment")
    failed += [f"condition {c}" for c in p.conditions if not _condition(row, c)]
    if p.max_current_overdue_days is not None and row.max_overdue_days > p.max_current_overdue_days:
        failed.append("overdue")
    if not p.allow_restructured and row.restructured_loans:
        failed.append("restructured")
    if (
        p.max_bureau_overdue_periods is not None
        and row.bureau_usable
        and row.bureau_max_overdue_24m is not None
        and row.bureau_max_overdue_24m > p.max_bureau_overdue_periods
    ):
        failed.append("bureau")
    if not p.allow_other_bank_npl and (row.other_bank_npl_balance or 0) > 0:
        failed.append("npl")
    return failed


def expected_amount(p: Product, row: CustomerFeature) -> Decimal:
    column, divisor = BASES[p.amount_kind]
    base = Decimal(1) if column is None else Decimal(getattr(row, column))
    raw = (base * Decimal(p.amount_k) / divisor / 1000).to_integral_value(rounding=ROUND_FLOOR) * 1000
    return min(max(raw, p.min_amount), p.max_amount)


# --- the check ------------------------------------------------------------------------------


def check_agreement() -> int:
    services.match(data_date=D)
    products = list(Product.objects.filter(is_active=True))
    stored = {
        (m.customer_id, m.product_id): (m.amount, m.rank) for m in ProductMatch.objects.filter(data_date=D)
    }
    by_python = {}
    for row in CustomerFeature.objects.filter(data_date=D):
        report = selectors.match_customer(feature=row)
        fitted = {fit.product.pk for fit in report.fits}
        for fit in report.fits:
            by_python[(row.customer_id, fit.product.pk)] = (fit.amount, fit.rank)
            assert fit.explanation.startswith(("客户分类为", "满足准入", "距最近", "近"))
        for p in products:
            failed = failed_rules(p, row)
            # never offered while failing a rule, and offered whenever none fails
            assert (p.pk in fitted) == (not failed), (p.code, row.customer_id, failed)
            assert ((row.customer_id, p.pk) in stored) == (not failed), (p.code, row.customer_id, failed)
            if not failed:
                assert stored[(row.customer_id, p.pk)][0] == expected_amount(p, row)
        for miss in report.misses:
            assert miss.reasons and miss.product.pk not in fitted
    assert stored == by_python
    return len(stored)


@pytest.fixture
def full_catalogue(catalogue, role_users):
    for data in EXTRA:
        services.save_product(user=role_users["hq_admin"], data=data)


def _row(rng: random.Random) -> dict[str, Any]:
    return {column: rng.choice(values) for column, values in CHOICES.items()}


def test_step7_and_match_customer_agree_on_a_generated_grid(feats, full_catalogue):
    rng = random.Random(2026)
    for _ in range(400):
        feats.feature(**_row(rng))
    matched = check_agreement()
    # the grid is varied enough that every product is offered to someone and refused to others
    offered = set(ProductMatch.objects.values_list("product__code", flat=True))
    assert offered == set(Product.objects.values_list("code", flat=True))
    assert 100 < matched < 400 * 8


row_strategy = st.fixed_dictionaries({column: st.sampled_from(values) for column, values in CHOICES.items()})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(row_strategy, min_size=1, max_size=12))
def test_step7_and_match_customer_agree_on_any_rows(feats, full_catalogue, rows):
    with transaction.atomic():
        for row in rows:
            feats.feature(**row)
        check_agreement()
        transaction.set_rollback(True)
