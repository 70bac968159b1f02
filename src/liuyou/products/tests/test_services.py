"""The catalogue's writes (validated, versioned, audited), the demo catalogue, and step 7."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from liuyou.features.models import FeatureBuild
from liuyou.products import selectors, services
from liuyou.products.models import Product, ProductMatch, ProductVersion
from liuyou.products.tests.conftest import D, product_data
from liuyou.system.models import OperationLog

pytestmark = pytest.mark.django_db


def test_create_and_update_are_versioned_and_audited(role_users):
    admin = role_users["hq_admin"]
    product = services.save_product(user=admin, data=product_data(code="test"), note="首版")
    assert (product.code, product.version) == ("TEST", 1)
    assert OperationLog.objects.get(action="products.product.create").after["amount_k"] == "50000.0000"
    changed = services.save_product(
        user=admin, product=product, data=product_data(max_amount="500000", name="测试贷二"), note="提额"
    )
    assert changed.version == 2
    assert changed.max_amount == Decimal("500000")
    versions = list(ProductVersion.objects.filter(product=product).values_list("version", "note"))
    assert versions == [(2, "提额"), (1, "首版")]
    assert ProductVersion.objects.get(product=product, version=1).snapshot["max_amount"] == "300000.00"
    log = OperationLog.objects.get(action="products.product.update")
    assert log.before == {"max_amount": "300000.00", "name": "测试贷", "version": 1}
    assert log.after == {"max_amount": "500000.00", "name": "测试贷二", "version": 2, "note": "提额"}


def test_unchanged_input_makes_no_version(role_users):
    admin = role_users["hq_admin"]
    product = services.save_product(user=admin, data=product_data())
    again = services.save_product(user=admin, product=product, data=services.snapshot(product))
    assert again.version == 1
    assert not OperationLog.objects.filter(action="products.product.update").exists()


@pytest.mark.parametrize(
    ("overrides", "key", "message"),
    [
        ({"code": "1X"}, "code", "以字母开头"),
        ({"name": ""}, "name", "请填写产品名称"),
        ({"min_amount": "12500"}, "min_amount", "1,000 元的整数倍"),
        ({"min_amount": "500000"}, "max_amount", "最高额度不能低于最低额度"),
        ({"max_amount": "abc"}, "max_amount", "最高额度应为数字"),
        ({"max_amount": "200000000"}, "max_amount", "应在 1000 到 100000000 之间"),
        ({"min_term_months": "12.5"}, "min_term_months", "最短期限应为整数"),
        ({"max_term_months": 6}, "max_term_months", "最长期限不能短于最短期限"),
        ({"max_rate": "3.5"}, "max_rate", "最高年利率不能低于最低年利率"),
        ({"guarantee_types": []}, "guarantee_types", "请至少选择一种担保方式"),
        ({"guarantee_types": ["gold"]}, "guarantee_types", "未知的担保方式：gold"),
        ({"target_segments": ["retiree"]}, "target_segments", "未知的客户分类：retiree"),
        ({"max_current_overdue_days": "-1"}, "max_current_overdue_days", "应在 0 到 3650 之间"),
        ({"max_risk_class": "bad"}, "max_risk_class", "五级分类应为"),
        ({"amount_kind": "last_loan"}, "amount_kind", "上笔贷款金额"),
        ({"amount_kind": "deposit_multiple", "amount_k": "500"}, "amount_k", "应在 0.0001 到 100 之间"),
        ({"amount_k": "1.00001"}, "amount_k", "最多 4 位小数"),
        ({"conditions": [{"column": "age", "op": ">=", "value": "x"}]}, "conditions.0.value", "第 1 条条件"),
        ({"conditions": [{"column": "age", "op": ">=", "value": 1}] * 11}, "conditions", "最多 10 条"),
    ],
)
def test_bad_input_is_refused_with_chinese_messages(role_users, overrides, key, message):
    with pytest.raises(ValidationError) as err:
        services.save_product(user=role_users["hq_admin"], data=product_data(**overrides))
    assert message in " ".join(err.value.message_dict[key])
    assert not Product.objects.exists()


def test_duplicate_code_and_name_are_refused(role_users):
    services.save_product(user=role_users["hq_admin"], data=product_data())
    with pytest.raises(ValidationError) as err:
        services.save_product(user=role_users["hq_admin"], data=product_data())
    assert "产品编码 TEST 已存在" in err.value.message_dict["code"]
    assert "已有名为“测试贷”的产品" in err.value.message_dict["name"]


def test_demo_catalogue_is_idempotent_and_leaves_edits_alone(role_users):
    made = services.ensure_demo_catalogue()
    assert [p.name for p in made] == [
        "燕归巢",
        "普惠快贷",
        "农户小额信用贷款",
        "薪易贷",
        "商户经营贷",
        "返乡创业贷",
    ]
    ygc = Product.objects.get(code="YGC")
    services.save_product(
        user=role_users["hq_admin"], product=ygc, data={**services.snapshot(ygc), "max_amount": "300000"}
    )
    assert services.ensure_demo_catalogue() == []
    assert Product.objects.count() == 6
    assert Product.objects.get(code="YGC").max_amount == Decimal("300000")


def test_empty_catalogue_matches_nothing(feats):
    feats.feature()
    result = services.match_step(data_date=D)
    assert result.rows == 0
    assert result.details["note"] == "没有启用的产品，未匹配"


def test_match_step_writes_ranked_matches_and_is_idempotent(feats, catalogue):
    f = feats.feature
    merchant = f(
        segment="individual_business", acquiring_avg_3m=Decimal("35000"), deposit_avg_3m=Decimal("60000")
    )
    churned = f(
        segment="salaried",
        days_since_cleared=120,
        payroll_months_3m=3,
        payroll_amount_3m=Decimal("18000"),
        deposit_avg_3m=Decimal("20000"),
    )
    overdue = f(segment="individual_business", acquiring_avg_3m=Decimal("35000"), max_overdue_days=15)
    refused = f(segment="individual_business", acquiring_avg_3m=Decimal("35000"), refused_marketing=True)
    for _ in range(2):
        result = services.match_step(data_date=D)
    rows = {
        (m.customer_id, m.product.code): (m.rank, m.amount)
        for m in ProductMatch.objects.filter(data_date=D).select_related("product")
    }
    assert rows == {
        # 普惠快贷 (priority 40) after 商户经营贷 (30): 2 × 60,000 vs 3 × 35,000
        (merchant.customer_id, "SHJYD"): (1, Decimal("105000")),
        (merchant.customer_id, "PHKD"): (2, Decimal("120000")),
        # 燕归巢 (10) first; 薪易贷 (20): 6,000 a month × 15
        (churned.customer_id, "YGC"): (1, Decimal("60000")),
        (churned.customer_id, "XYD"): (2, Decimal("90000")),
    }
    assert overdue.customer_id not in {c for c, _ in rows} and refused.customer_id not in {c for c, _ in rows}
    assert result.rows == 4
    assert result.details["products"] == {"YGC": 1, "XYD": 1, "NHXE": 0, "SHJYD": 1, "FXCY": 0, "PHKD": 1}
    assert result.details["customers"] == 2
    assert ProductMatch.objects.filter(data_date=D, version=1).count() == 4


def test_equal_priority_ranks_the_larger_amount_first(feats, role_users):
    admin = role_users["hq_admin"]
    small = services.save_product(user=admin, data=product_data(code="SMALL", name="小额", amount_k="20000"))
    big = services.save_product(user=admin, data=product_data(code="BIG", name="大额", amount_k="80000"))
    row = feats.feature()
    services.match(data_date=D)
    assert dict(ProductMatch.objects.filter(data_date=D).values_list("product_id", "rank")) == {
        big.pk: 1,
        small.pk: 2,
    }
    report = selectors.match_customer(feature=row)
    assert [(fit.product.code, fit.rank) for fit in report.fits] == [("BIG", 1), ("SMALL", 2)]


def test_inactive_products_are_not_matched(feats, catalogue, role_users):
    ygc = catalogue["YGC"]
    services.save_product(
        user=role_users["hq_admin"], product=ygc, data={**services.snapshot(ygc), "is_active": False}
    )
    feats.feature(segment="farmer", days_since_cleared=200)
    counts = services.match(data_date=D)
    assert "YGC" not in counts
    assert not ProductMatch.objects.filter(product=ygc).exists()


def test_no_feature_table_no_matching(db):
    with pytest.raises(ValueError, match="客户宽表尚未生成"):
        services.match(data_date=D)


def test_matches_of_dropped_feature_dates_go(feats, catalogue):
    old = datetime.date(2026, 5, 31)
    FeatureBuild.objects.create(data_date=old, rows=0)
    feats.feature(segment="farmer", age=40, day=old)
    services.match(data_date=old)
    assert ProductMatch.objects.filter(data_date=old).exists()
    FeatureBuild.objects.filter(data_date=old).delete()
    services.match(data_date=D)
    assert not ProductMatch.objects.filter(data_date=old).exists()


def test_customer_report_explains_fits_and_misses(feats, catalogue):
    row = feats.feature(
        segment="individual_business", acquiring_avg_3m=Decimal("35000"), deposit_avg_3m=Decimal("0")
    )
    report = selectors.customer_report(customer=row.customer)
    assert report.data_date == D
    assert [fit.product.code for fit in report.fits] == ["SHJYD"]
    assert report.fits[0].explanation == (
        "客户分类为个体工商户，近3个月月均收单3.50万元，符合商户经营贷；"
        "建议额度10.5万元（月均收单×3，向下取整到千元，上限50万元）"
    )
    misses = {m.product.code: m.reasons for m in report.misses}
    assert misses["PHKD"] == ["近3个月日均存款0.00万元，本产品要求不低于0.50万元"]
    assert misses["XYD"][0] == "客户分类为个体工商户，本产品面向上班族"
    assert [f.product.code for f in selectors.best_products(customer=row.customer)] == ["SHJYD"]


def test_customer_without_feature_row_gets_an_honest_report(bank, make_customer, catalogue):
    customer = make_customer("X1")
    report = selectors.customer_report(customer=customer)
    assert not report.has_feature and report.fits == []


def test_match_explanation_says_when_the_product_changed_since(feats, catalogue, role_users):
    row = feats.feature(segment="individual_business", acquiring_avg_3m=Decimal("35000"))
    services.match(data_date=D)
    match = ProductMatch.objects.select_related("product").get(product__code="SHJYD")
    assert selectors.match_explanation(match, row).startswith("客户分类为个体工商户")
    shjyd = catalogue["SHJYD"]
    conditions = [{"column": "acquiring_avg_3m", "op": ">=", "value": "40000"}]
    services.save_product(
        user=role_users["hq_admin"],
        product=shjyd,
        data={**services.snapshot(shjyd), "conditions": conditions},
    )
    match = ProductMatch.objects.select_related("product").get(pk=match.pk)
    assert selectors.match_explanation(match, row) == (
        "产品规则在匹配后已修改，按现行规则已不适合：近3个月月均收单3.50万元，本产品要求不低于4.00万元"
    )
    assert selectors.match_explanation(match, None) == "客户宽表中已无该数据日期的记录"


def test_explanation_quotes_each_figure_once(monkeypatch):
    from decimal import Decimal
    from types import SimpleNamespace

    from liuyou.products import selectors

    monkeypatch.setattr(selectors.rules, "amount_text", lambda product, feature: "规则")
    product = SimpleNamespace(name="农户小额信用贷款")
    out = selectors.explanation(product, None, Decimal("10000"), ["客户分类为农户", "年龄为46", "年龄为46"])
    assert out.count("年龄为46") == 1
    assert out.startswith("客户分类为农户，年龄为46，符合农户小额信用贷款")
