"""Each operator and rule, evaluated by the database (Q) and in Python on the same rows: the
same customers pass, and the sentences quote the customer's own figures."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from liuyou.features.columns import BY_NAME
from liuyou.features.models import CustomerFeature
from liuyou.products import rules
from liuyou.products.tests.conftest import D

pytestmark = pytest.mark.django_db


def both(clause_or_rule, expected):
    """The customer numbers the database and Python pick; both must be `expected`."""
    rows = CustomerFeature.objects.filter(data_date=D).select_related("customer")
    by_db = {f.customer.customer_no for f in rows.filter(clause_or_rule.q())}
    by_py = {f.customer.customer_no for f in rows if clause_or_rule.holds(f)}
    assert by_db == by_py == set(expected)


@pytest.fixture
def grid(feats):
    """Five customers with figures on both sides of the thresholds below; P00005 empty where it can be."""
    f = feats.feature
    f(
        segment="farmer",
        acquiring_avg_3m=Decimal("29999.99"),
        age=17,
        days_since_cleared=89,
        utilization=Decimal("0.7999"),
        has_social_security_card=True,
        industry="A0141",
    )
    f(
        segment="salaried",
        acquiring_avg_3m=Decimal("30000.00"),
        age=18,
        days_since_cleared=90,
        utilization=Decimal("0.8000"),
        has_social_security_card=False,
        industry="a0142",
    )
    f(
        segment="individual_business",
        acquiring_avg_3m=Decimal("30000.01"),
        age=65,
        days_since_cleared=91,
        utilization=Decimal("0.8001"),
        industry="B0100",
    )
    f(
        segment="small_enterprise",
        acquiring_avg_3m=Decimal("0"),
        age=66,
        days_since_cleared=0,
        utilization=Decimal("1"),
        industry="",
    )
    f(segment="", acquiring_avg_3m=Decimal("100000"), age=None, days_since_cleared=None, utilization=None)


P1, P2, P3, P4, P5 = (f"P0000{n}" for n in range(1, 6))


@pytest.mark.parametrize(
    ("column", "op", "value", "expected"),
    [
        ("acquiring_avg_3m", ">=", "30000", {P2, P3, P5}),
        ("acquiring_avg_3m", ">", "30000", {P3, P5}),
        ("acquiring_avg_3m", "<", "30000", {P1, P4}),
        ("acquiring_avg_3m", "<=", "30000", {P1, P2, P4}),
        ("acquiring_avg_3m", "=", "30000", {P2}),
        ("acquiring_avg_3m", "!=", "30000", {P1, P3, P4, P5}),
        ("utilization", ">=", "0.8", {P2, P3, P4}),
        ("utilization", "<", "0.8", {P1}),
        ("utilization", "!=", "0.8", {P1, P3, P4}),
        ("utilization", "is_empty", None, {P5}),
        ("utilization", "not_empty", None, {P1, P2, P3, P4}),
        ("age", ">=", 18, {P2, P3, P4}),
        ("age", "<=", 65, {P1, P2, P3}),
        ("age", "=", 65, {P3}),
        ("age", "!=", 65, {P1, P2, P4}),
        ("days_since_cleared", ">=", 90, {P2, P3}),
        ("days_since_cleared", "is_empty", None, {P5}),
        ("has_social_security_card", "=", True, {P1}),
        ("has_social_security_card", "=", False, {P2}),
        ("has_social_security_card", "is_empty", None, {P3, P4, P5}),
        ("segment", "=", "salaried", {P2}),
        ("segment", "!=", "salaried", {P1, P3, P4}),
        ("segment", "in", ("farmer", "small_enterprise"), {P1, P4}),
        ("segment", "not_in", ("farmer", "small_enterprise"), {P2, P3}),
        ("segment", "is_empty", None, {P5}),
        ("segment", "not_empty", None, {P1, P2, P3, P4}),
        ("industry", "prefix", "A014", {P1, P2}),
        ("industry", "is_empty", None, {P4, P5}),
    ],
)
def test_every_operator_same_in_sql_and_python(grid, column, op, value, expected):
    both(rules.Clause(column, op, value), expected)


def test_sub_cent_figures_compare_as_shown(feats):
    """SQLite keeps a computed average's float digits; the rule compares the figure as the
    page shows it (rounded to the cent), in SQL as in Python."""
    row = feats.feature(acquiring_avg_3m=Decimal("0"))
    CustomerFeature.objects.filter(pk=row.pk).update(acquiring_avg_3m=29999.996)
    both(rules.Clause("acquiring_avg_3m", ">=", "30000"), {row.customer.customer_no})


def product(**fields):
    base = {
        "target_segments": [],
        "conditions": [],
        "max_current_overdue_days": 0,
        "allow_restructured": False,
        "max_bureau_overdue_periods": 0,
        "allow_other_bank_npl": False,
        "amount_kind": "fixed",
        "amount_k": "10000",
        "min_amount": 10000,
        "max_amount": 300000,
        "name": "测试贷",
    }
    base.update(fields)
    return SimpleNamespace(**base)


def test_risk_tolerance_rules_and_their_reasons(feats):
    f = feats.feature
    clean = f()
    overdue = f(max_overdue_days=15)
    restructured = f(restructured_loans=1)
    bureau_bad = f(bureau_usable=True, bureau_max_overdue_24m=3)
    bureau_unusable = f(bureau_usable=False, bureau_max_overdue_24m=None)
    npl = f(bureau_usable=True, other_bank_npl_balance=Decimal("20000"))
    refused = f(refused_marketing=True)
    p = product()
    passing = {row.customer.customer_no for row in CustomerFeature.objects.filter(rules.product_q(p))}
    assert passing == {clean.customer.customer_no, bureau_unusable.customer.customer_no}
    assert rules.evaluate(p, overdue).failures == ["当前逾期15天，本产品要求无逾期"]
    assert rules.evaluate(p, restructured).failures == ["有重组贷款1笔，本产品不接受重组贷款客户"]
    assert rules.evaluate(p, bureau_bad).failures == ["征信近24个月最大逾期3期，本产品要求无逾期"]
    assert rules.evaluate(p, npl).failures == ["征信显示他行不良余额2.00万元，本产品不接受他行不良客户"]
    assert rules.evaluate(p, refused).failures == ["客户已拒绝营销，不做产品推荐"]
    tolerant = product(
        max_current_overdue_days=None,
        allow_restructured=True,
        max_bureau_overdue_periods=3,
        allow_other_bank_npl=True,
    )
    assert rules.evaluate(tolerant, overdue).fits and rules.evaluate(tolerant, bureau_bad).fits
    assert not rules.evaluate(tolerant, refused).fits
    assert rules.evaluate(product(max_current_overdue_days=30), overdue).fits
    assert rules.evaluate(product(max_current_overdue_days=10), overdue).failures == [
        "当前逾期15天，本产品要求逾期不超过10天"
    ]


def test_segment_and_condition_sentences(feats):
    row = feats.feature(segment="salaried", acquiring_avg_3m=Decimal("12000"))
    p = product(
        target_segments=["individual_business", "small_enterprise"],
        conditions=[{"column": "acquiring_avg_3m", "op": ">=", "value": "30000"}],
    )
    assert rules.evaluate(p, row).failures == [
        "客户分类为上班族，本产品面向个体工商户、小微企业",
        "近3个月月均收单1.20万元，本产品要求不低于3.00万元",
    ]
    fit = feats.feature(segment="individual_business", acquiring_avg_3m=Decimal("35000"))
    result = rules.evaluate(p, fit)
    assert result.fits
    assert result.evidence == ["客户分类为个体工商户", "近3个月月均收单3.50万元"]


@pytest.mark.parametrize(
    ("kind", "k", "figure", "expected"),
    [
        ("acquiring_multiple", "3", Decimal("35000"), 105000),
        ("acquiring_multiple", "3", Decimal("33333.33"), 99000),  # 99,999.99 rounds down
        ("acquiring_multiple", "3", Decimal("150000"), 300000),  # held at the maximum
        ("acquiring_multiple", "3", Decimal("100"), 10000),  # raised to the minimum
        ("deposit_multiple", "0.3", Decimal("10000"), 10000),
        ("deposit_multiple", "0.3", Decimal("100000"), 30000),  # 0.3 × 100,000 is 30,000 exactly
        ("deposit_multiple", "1.1", Decimal("45454.55"), 50000),  # 50,000.005
        ("payroll_multiple", "15", Decimal("18000"), 90000),  # 6,000 a month × 15
        ("payroll_multiple", "15", Decimal("20000"), 100000),  # 6,666.67 × 15 = 100,000.00
        ("subsidy_multiple", "10", Decimal("3179.95"), 31000),
        ("fixed", "55500", None, 55000),
        ("deposit_multiple", "100", Decimal("9999999999999999.99"), 300000),  # no 64-bit overflow
    ],
)
def test_amount_rule_same_in_sql_and_python(feats, kind, k, figure, expected):
    column = rules.AMOUNT_KINDS[kind].base
    row = feats.feature(**({column: figure} if column else {}))
    p = product(amount_kind=kind, amount_k=k)
    assert rules.suggested_amount(p, row) == Decimal(expected)
    by_db = (
        CustomerFeature.objects.filter(pk=row.pk)
        .annotate(amount=rules.amount_expression(p))
        .values_list("amount", flat=True)
        .get()
    )
    assert int(by_db) == expected


def test_amount_explanations():
    p = product(amount_kind="acquiring_multiple", amount_k="3", min_amount=10000, max_amount=300000)
    assert rules.amount_text(p) == "月均收单×3，额度区间1万元–30万元"
    row = SimpleNamespace(acquiring_avg_3m=Decimal("35000"))
    assert rules.amount_text(p, row) == "月均收单×3，向下取整到千元，上限30万元"
    row = SimpleNamespace(acquiring_avg_3m=Decimal("350000"))
    assert rules.amount_text(p, row) == "月均收单×3=105.00万元，按上限30万元"
    row = SimpleNamespace(acquiring_avg_3m=Decimal("1000"))
    assert rules.amount_text(p, row) == "月均收单×3=0.30万元，不足下限，按下限1万元"


@pytest.mark.parametrize(
    ("raw", "key", "message"),
    [
        ({"column": "nope", "op": ">=", "value": 1}, "column", "没有这个指标：nope"),
        ({"column": "refused_marketing", "op": "=", "value": True}, "column", "没有这个指标"),
        ({"column": "segment", "op": ">=", "value": "x"}, "op", "“客户分类”只能用"),
        ({"column": "age", "op": ">=", "value": "18.5"}, "value", "年龄：应为整数"),
        ({"column": "acquiring_avg_3m", "op": ">=", "value": "abc"}, "value", "应为数字"),
        ({"column": "acquiring_avg_3m", "op": ">=", "value": "1.005"}, "value", "最多 2 位小数"),
        ({"column": "utilization", "op": ">=", "value": "80"}, "value", "比率应在 0 到 1 之间"),
        ({"column": "has_social_security_card", "op": "=", "value": "也许"}, "value", "应为“是”或“否”"),
        ({"column": "segment", "op": "in", "value": " , "}, "value", "请填写至少一个值"),
        ({"column": "days_since_cleared", "op": ">=", "value": ""}, "value", "请填写条件的值"),
    ],
)
def test_bad_conditions_are_refused_in_chinese(raw, key, message):
    with pytest.raises(ValidationError) as err:
        rules.clean_condition(raw)
    assert message in " ".join(err.value.message_dict[key])


def test_conditions_are_stored_typed():
    assert rules.clean_condition({"column": "segment", "op": "in", "value": "farmer、salaried"}) == {
        "column": "segment",
        "op": "in",
        "value": ["farmer", "salaried"],
    }
    assert rules.clean_condition({"column": "age", "op": ">=", "value": "18"})["value"] == 18
    assert (
        rules.clean_condition({"column": "deposit_avg_3m", "op": ">=", "value": "5000.5"})["value"]
        == "5000.5"
    )
    assert rules.clean_condition({"column": "industry", "op": "prefix", "value": "a014"})["value"] == "A014"
    assert rules.clean_condition({"column": "payroll_flag", "op": "=", "value": "是"})["value"] is True
    assert rules.clean_condition({"column": "last_cleared_on", "op": "is_empty"})["value"] is None


def test_every_condition_column_is_a_feature_column():
    assert {c.name for c in rules.CONDITION_COLUMNS} == set(BY_NAME) - {"refused_marketing"}
    for column in rules.CONDITION_COLUMNS:
        assert rules.OPS_BY_KIND[column.kind]
