"""Rule validation (columns, operators, values per kind, Chinese messages) and compilation:
every operator evaluated by the database on hand-built feature rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from liuyou.features.models import CustomerFeature
from liuyou.tags import rules
from liuyou.tags.tests.conftest import D

pytestmark = pytest.mark.django_db


def rule(*conditions, match="all"):
    return {"match": match, "conditions": [{"column": c, "op": o, "value": v} for c, o, v in conditions]}


def matching(r) -> set[str]:
    q = rules.compile_q(rules.validate(r))
    return set(
        CustomerFeature.objects.filter(data_date=D).filter(q).values_list("customer__customer_no", flat=True)
    )


# --- validation --------------------------------------------------------------------------


def test_validate_normalises_values_per_kind():
    cleaned = rules.validate(
        rule(
            ("deposit_avg_3m", ">=", "50,000"),
            ("out_of_county_share_3m", ">=", "50%"),
            ("payroll_months_3m", "=", "3"),
            ("refused_marketing", "=", "否"),
            ("last_cleared_on", "<", "2026/01/31"),
            ("industry", "in", "A014，A015、A03"),
        )
    )
    values = [c["value"] for c in cleaned["conditions"]]
    assert values == ["50000", "0.5", 3, False, "2026-01-31", ["A014", "A015", "A03"]]
    assert cleaned["match"] == "all"


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (("nope", ">=", 1), "第 1 个条件：没有这个字段：nope"),
        (("deposit_avg_3m", "~", 1), "不支持的比较方式：~"),
        (("deposit_avg_3m", "prefix", "5"), "“近3个月日均存款”不能用“开头为”"),
        (("refused_marketing", ">", "是"), "“拒绝营销”不能用“大于”"),
        (("deposit_avg_3m", ">=", "五万"), "“近3个月日均存款”的取值应为数字"),
        (("payroll_months_3m", ">=", "2.5"), "应为整数"),
        (("refused_marketing", "=", "也许"), "应为“是”或“否”"),
        (("last_cleared_on", "<", "去年"), "应为日期，格式 YYYY-MM-DD"),
        (("industry", "in", ""), "至少填写一个取值"),
        (("industry", "=", "  "), "不能为空"),
        (("utilization", ">=", "2000%"), "是比率"),
        (("", ">=", "1"), "请选择字段"),
    ],
)
def test_validate_refuses_with_chinese_messages(condition, message):
    with pytest.raises(rules.RuleError) as exc:
        rules.validate(rule(condition))
    assert any(message in m for m in exc.value.messages), exc.value.messages
    assert 0 in exc.value.rows


def test_validate_whole_rule_errors():
    with pytest.raises(rules.RuleError, match="至少需要一个条件"):
        rules.validate({"match": "all", "conditions": []})
    with pytest.raises(rules.RuleError, match="条件组合方式"):
        rules.validate({"match": "some", "conditions": [{"column": "age", "op": ">", "value": 1}]})
    with pytest.raises(rules.RuleError, match="规则格式无效"):
        rules.validate(["age"])
    too_many = rule(*[("age", ">", 1)] * (rules.MAX_CONDITIONS + 1))
    with pytest.raises(rules.RuleError, match="条件最多"):
        rules.validate(too_many)


def test_describe_reads_the_rule_in_chinese():
    text = rules.describe(
        rules.validate(
            rule(
                ("deposit_avg_3m", ">=", "50000"),
                ("out_of_county_share_3m", ">=", "0.5"),
                ("industry", "prefix", "A014"),
                ("township", "in", "城关街道,东河镇"),
                ("utilization", "is_empty", None),
                match="any",
            )
        )
    )
    assert text == (
        "近3个月日均存款 ≥ 50,000 元 或 近3个月县外交易占比 ≥ 50.00% 或 产业以 A014 开头"
        " 或 乡镇（街道）为 城关街道、东河镇 之一 或 授信使用率为空"
    )


# --- compilation: every operator on hand-built rows ----------------------------------------


@pytest.fixture
def rows(feats, village):
    chengguan, donghe = village("370725100001", "城关街道"), village("370725101001", "东河镇")
    feats.feature(customer_no="A", deposit_avg_3m=Decimal("80000"), industry="A0141", age=30,
                  utilization=Decimal("0.9"), last_cleared_on=D.replace(month=1),
                  has_social_security_card=True, village=chengguan)  # fmt: skip
    feats.feature(customer_no="B", deposit_avg_3m=Decimal("50000"), industry="A015", age=45,
                  utilization=None, has_social_security_card=False, village=donghe)  # fmt: skip
    feats.feature(customer_no="C", deposit_avg_3m=Decimal("49999.99"), industry="", age=None,
                  utilization=Decimal("0.5"), has_social_security_card=None)  # fmt: skip
    # another date's row never counts
    feats.feature(feats.feature(customer_no="Z", deposit_avg_3m=Decimal("1")).customer, day=D.replace(day=29),
                  deposit_avg_3m=Decimal("999999"))  # fmt: skip


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (("deposit_avg_3m", "=", "50000"), {"B"}),
        (("deposit_avg_3m", "!=", "50000"), {"A", "C", "Z"}),
        (("deposit_avg_3m", ">", "50000"), {"A"}),
        (("deposit_avg_3m", ">=", "50000"), {"A", "B"}),
        (("deposit_avg_3m", "<", "50000"), {"C", "Z"}),
        (("deposit_avg_3m", "<=", "50000"), {"B", "C", "Z"}),
        (("deposit_avg_3m", "in", "50000, 80000"), {"A", "B"}),
        (("deposit_avg_3m", "not_in", "50000, 80000"), {"C", "Z"}),
        (("age", ">=", 40), {"B"}),
        (("age", "!=", 30), {"B"}),  # an empty age is not “≠ 30”
        (("age", "is_empty", None), {"C", "Z"}),
        (("age", "not_empty", None), {"A", "B"}),
        (("utilization", ">=", "80%"), {"A"}),
        (("utilization", "is_empty", None), {"B", "Z"}),
        (("industry", "prefix", "A014"), {"A"}),
        (("industry", "prefix", "A01"), {"A", "B"}),
        (("industry", "=", "A015"), {"B"}),
        (("industry", "!=", "A015"), {"A"}),  # empty industry counts as no value
        (("industry", "in", "A015,A0141"), {"A", "B"}),
        (("industry", "not_in", "A015"), {"A"}),
        (("industry", "is_empty", None), {"C", "Z"}),
        (("industry", "not_empty", None), {"A", "B"}),
        (("has_social_security_card", "=", "是"), {"A"}),
        (("has_social_security_card", "!=", "是"), {"B"}),
        (("has_social_security_card", "is_empty", None), {"C", "Z"}),
        (("last_cleared_on", "<", "2026-03-01"), {"A"}),
        (("last_cleared_on", ">=", "2026-03-01"), set()),
        (("last_cleared_on", "in", "2026-01-30"), {"A"}),
        (("township", "=", "城关街道"), {"A"}),
        (("township", "!=", "城关街道"), {"B"}),
        (("township", "in", "城关街道、东河镇"), {"A", "B"}),
        (("township", "prefix", "东河"), {"B"}),
        (("township", "is_empty", None), {"C", "Z"}),
        (("village", "=", "370725101001"), {"B"}),
    ],
)
def test_every_operator_is_evaluated_by_the_database(rows, condition, expected):
    assert matching(rule(condition)) == expected


def test_all_and_any(rows):
    both = rule(("deposit_avg_3m", ">=", "50000"), ("age", "<", 40))
    assert matching(both) == {"A"}
    assert matching({**both, "match": "any"}) == {"A", "B"}
