"""The product pages and API: catalogue, detail, the structured form with its Chinese
messages and versions, the match list under the data scope with its export, the 360 fragment."""

from __future__ import annotations

import json
from decimal import Decimal
from io import BytesIO

import pytest
from django.template.loader import render_to_string
from openpyxl import load_workbook

from liuyou.products import selectors, services
from liuyou.products.models import Product, ProductVersion
from liuyou.products.tests.conftest import D, product_data
from liuyou.system.models import OperationLog

pytestmark = pytest.mark.django_db


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def matched(bank, role_users, feats, catalogue):
    am = role_users["account_manager"]
    mine = feats.feature(
        org=bank.o1,
        grid=bank.g1,
        manager=am,
        segment="individual_business",
        acquiring_avg_3m=Decimal("35000"),
    )
    other = feats.feature(
        org=bank.b2, grid=bank.g2, segment="salaried", payroll_months_3m=3, payroll_amount_3m=Decimal("18000")
    )
    services.match(data_date=D)
    return mine, other


def form_post(**overrides):
    data = {
        "code": "NEWP",
        "name": "新产品",
        "target_segments": ["farmer"],
        "min_amount": "10000",
        "max_amount": "200000",
        "min_term_months": "12",
        "max_term_months": "36",
        "min_rate": "4.35",
        "max_rate": "6.00",
        "guarantee_types": ["credit"],
        "collateral_text": "信用",
        "max_current_overdue_days": "0",
        "max_bureau_overdue_periods": "",
        "amount_kind": "subsidy_multiple",
        "amount_k": "10",
        "sort_order": "50",
        "is_active": "on",
        "cond_0_column": "age",
        "cond_0_op": ">=",
        "cond_0_value": "18",
        "note": "新增",
    }
    data.update(overrides)
    return data


def test_empty_catalogue_says_so(client, role_users):
    page = as_user(client, role_users["hq_admin"]).get("/products/").content.decode()
    assert "产品目录为空" in page and "新增产品" in page
    client.logout()
    page = as_user(client, role_users["account_manager"]).get("/products/").content.decode()
    assert "产品由总行管理员维护" in page and "新增产品" not in page


def test_catalogue_lists_products_with_scoped_counts(client, role_users, matched):
    page = as_user(client, role_users["hq_admin"]).get("/products/").content.decode()
    row = page.split('data-code="SHJYD"')[1].split("</tr>")[0]
    assert "商户经营贷" in row and "1.00–50.00" in row and "个体工商户、小微企业" in row
    assert ">1</a>" in row
    client.logout()
    page = as_user(client, role_users["account_manager"]).get("/products/").content.decode()
    assert ">1</a>" in page.split('data-code="SHJYD"')[1].split("</tr>")[0]
    assert ">1</a>" not in page.split('data-code="XYD"')[1].split("</tr>")[0]  # not their customer


def test_detail_shows_rules_in_words_and_pending_risk_fields(client, role_users, catalogue):
    admin = role_users["hq_admin"]
    ygc = catalogue["YGC"]
    services.save_product(
        user=admin,
        product=ygc,
        data={**services.snapshot(ygc), "min_score_band": "B", "max_risk_class": "normal"},
    )
    page = as_user(client, admin).get("/products/YGC/").content.decode()
    assert "10,000.00 元 – 200,000.00 元" in page
    assert "距最近结清天数不低于90天" in page
    assert "近3个月日均存款×3，额度区间1万元–20万元" in page
    assert "最低评分档：B（待风险模块上线后生效）" in page
    assert "最高五级分类：正常（待风险模块上线后生效）" in page
    assert "v2" in page and "演示产品目录" in page
    assert as_user(client, admin).get("/products/NOPE/").status_code == 404


def test_create_form_validates_beside_fields_then_saves(client, role_users):
    c = as_user(client, role_users["hq_admin"])
    assert "准入条件（全部满足才匹配）" in c.get("/products/new/").content.decode()
    bad = c.post(
        "/products/new/", form_post(min_amount="12345", cond_1_column="age", cond_1_op=">=", cond_1_value="x")
    )
    assert bad.status_code == 400
    body = bad.content.decode()
    assert "额度应为 1,000 元的整数倍" in body
    assert "第 2 条条件：年龄：应为数字" in body
    assert not Product.objects.exists()
    ok = c.post("/products/new/", form_post())
    assert ok.status_code == 302 and ok["Location"] == "/products/NEWP/"
    product = Product.objects.get(code="NEWP")
    assert product.conditions == [{"column": "age", "op": ">=", "value": 18}]
    assert product.target_segments == ["farmer"]
    assert OperationLog.objects.filter(action="products.product.create").exists()


def test_edit_form_makes_a_new_version(client, role_users, catalogue):
    c = as_user(client, role_users["hq_admin"])
    page = c.get("/products/SHJYD/edit/").content.decode()
    assert 'value="30000"' in page  # the condition row, pre-filled
    post = form_post(
        code="IGNORED",
        name="商户经营贷",
        target_segments=["individual_business"],
        cond_0_column="acquiring_avg_3m",
        cond_0_op=">=",
        cond_0_value="40000",
        amount_kind="acquiring_multiple",
        amount_k="3",
        max_amount="500000",
        note="提高门槛",
    )
    response = c.post("/products/SHJYD/edit/", post)
    assert response.status_code == 302
    product = Product.objects.get(code="SHJYD")
    assert product.version == 2
    assert product.conditions == [{"column": "acquiring_avg_3m", "op": ">=", "value": "40000"}]
    assert ProductVersion.objects.get(product=product, version=2).note == "提高门槛"
    assert not Product.objects.filter(code="IGNORED").exists()


def test_match_list_is_scoped_filtered_and_explained(client, role_users, matched):
    mine, other = matched
    page = as_user(client, role_users["account_manager"]).get("/products/matches/").content.decode()
    assert mine.customer.customer_no in page and other.customer.customer_no not in page
    assert "近3个月月均收单3.50万元，符合商户经营贷；建议额度10.5万元" in page
    assert "10.50" in page  # 万元 in the list
    client.logout()
    c = as_user(client, role_users["hq_admin"])
    page = c.get("/products/matches/?product=XYD").content.decode()
    assert other.customer.customer_no in page and mine.customer.customer_no not in page
    page = c.get(f"/products/matches/?org={other.customer.org.code}").content.decode()
    assert other.customer.customer_no in page and mine.customer.customer_no not in page
    fragment = c.get("/products/matches/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section id="matches-results"')
    assert "筛选条件有误" in c.get("/products/matches/?product=NOPE").content.decode()
    assert c.get("/products/matches/?date=2020-01-31").status_code == 404


def test_match_list_before_any_build(client, role_users):
    page = as_user(client, role_users["hq_admin"]).get("/products/matches/").content.decode()
    assert "还没有匹配结果" in page


def test_export_is_scoped_and_logged(client, role_users, matched):
    response = as_user(client, role_users["branch_head"]).get("/products/matches/export.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("数据日期", "客户号", "客户名称")
    assert [r[1] for r in rows[1:]] == [matched[0].customer.customer_no]  # branch 1 only
    assert rows[1][8] == 10.5 and rows[1][9].startswith("客户分类为个体工商户")
    log = OperationLog.objects.get(action="products.matches.export")
    assert log.after["rows"] == 1


def test_customer_products_fragment(feats, catalogue):
    fits = feats.feature(segment="individual_business", acquiring_avg_3m=Decimal("35000"))
    html = render_to_string(
        "products/_customer_products.html",
        {"product_report": selectors.customer_report(customer=fits.customer)},
    )
    assert "商户经营贷" in html and "105,000.00" in html and "不适合的产品（5 个）" in html
    none = feats.feature(segment="salaried")
    html = render_to_string(
        "products/_customer_products.html",
        {"product_report": selectors.customer_report(customer=none.customer)},
    )
    assert "暂无适合的产品" in html and "客户分类为上班族，本产品面向农户" in html
    refused = feats.feature(segment="salaried", refused_marketing=True)
    html = render_to_string(
        "products/_customer_products.html",
        {"product_report": selectors.customer_report(customer=refused.customer)},
    )
    assert "客户已拒绝营销，不做产品推荐" in html
    html = render_to_string("products/_customer_products.html", {"product_report": None})
    assert "暂无产品建议" in html


# --- API ----------------------------------------------------------------------------------


def test_api_catalogue_detail_and_matches(client, role_users, matched):
    c = as_user(client, role_users["account_manager"])
    products = c.get("/api/v1/products").json()
    assert [p["code"] for p in products] == ["YGC", "XYD", "FXCY", "NHXE", "SHJYD", "PHKD"]
    detail = c.get("/api/v1/products/SHJYD").json()
    assert detail["matches"] == 1 and detail["versions"][0]["version"] == 1
    assert "准入与风险规则：近3个月月均收单不低于3.00万元" in detail["rules"]
    data = c.get("/api/v1/products/matches").json()
    assert data["count"] == 1
    item = data["items"][0]
    assert (item["customer_no"], item["product"], item["rank"], item["amount"]) == (
        matched[0].customer.customer_no,
        "SHJYD",
        1,
        "105000.00",
    )
    assert c.get("/api/v1/products/NOPE").status_code == 404
    assert c.get("/api/v1/products/matches?product=NOPE").status_code == 422


def test_api_put_updates_creates_and_refuses(client, role_users, catalogue):
    c = as_user(client, role_users["hq_admin"])
    body = {"max_amount": "300000", "note": "API 修改"}
    response = c.put("/api/v1/products/YGC", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    assert response.json()["version"] == 2 and response.json()["max_amount"] == "300000.00"
    bad = c.put(
        "/api/v1/products/YGC", data=json.dumps({"min_amount": "999999"}), content_type="application/json"
    )
    assert bad.status_code == 422 and "最高额度不能低于最低额度" in bad.json()["detail"]
    new = c.put(
        "/api/v1/products/APINEW",
        data=json.dumps(product_data(name="接口新品")),
        content_type="application/json",
    )
    assert new.status_code == 200 and Product.objects.filter(code="APINEW").exists()
    client.logout()
    denied = as_user(client, role_users["account_manager"]).put(
        "/api/v1/products/YGC", data=json.dumps(body), content_type="application/json"
    )
    assert denied.status_code == 403
