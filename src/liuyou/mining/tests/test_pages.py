"""The analysis pages and API: counts and lists under the data scope, reasons, export, the
head office's parameter form, Chinese errors."""

from __future__ import annotations

import json
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from liuyou.mining import services
from liuyou.mining.models import Dimension
from liuyou.mining.tests.conftest import D
from liuyou.system.models import OperationLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def mined(bank, role_users, feats):
    am = role_users["account_manager"]
    mine = feats.feature(org=bank.o1, grid=bank.g1, manager=am, deposit_avg_3m=Decimal("80000"),
                         deposit_balance=Decimal("81000"))  # fmt: skip
    other = feats.feature(
        org=bank.b2, grid=bank.g2, deposit_avg_3m=Decimal("70000"), deposit_balance=Decimal("1")
    )
    feats.feature(org=bank.b2, grid=bank.g2, deposit_avg_3m=Decimal("99000"), refused_marketing=True)
    services.mine(data_date=D)
    return mine, other


def as_user(client, user):
    client.force_login(user)
    return client


def test_analysis_empty_state_before_any_build(client, role_users):
    page = as_user(client, role_users["hq_admin"]).get("/mining/").content.decode()
    assert "还没有分析结果" in page


def test_analysis_counts_follow_scope(client, role_users, mined):
    page = as_user(client, role_users["hq_admin"]).get("/mining/").content.decode()
    row = page.split('data-code="high_deposit"')[1].split("</tr>")[0]
    assert ">2</a>" in row  # two in the list; the refused one counted apart
    assert '<td class="text-end text-body-secondary">1</td>' in row
    assert "近3个月日均存款 ≥ 50,000 元" in row
    assert "城关支行" in page and "东河支行" in page
    client.logout()
    page = as_user(client, role_users["account_manager"]).get("/mining/").content.decode()
    row = page.split('data-code="high_deposit"')[1].split("</tr>")[0]
    assert ">1</a>" in row
    assert "东河支行" not in page


def test_members_list_with_reasons_and_scope(client, role_users, mined):
    mine, other = mined
    page = as_user(client, role_users["account_manager"]).get("/mining/high_deposit/").content.decode()
    assert mine.customer.customer_no in page
    assert other.customer.customer_no not in page
    assert "近3个月日均存款8.00万元，当前存款余额8.10万元" in page
    client.logout()
    page = (
        as_user(client, role_users["hq_admin"])
        .get(f"/mining/high_deposit/?org={bank_code(other)}")
        .content.decode()
    )
    assert other.customer.customer_no in page and mine.customer.customer_no not in page


def bank_code(feature) -> str:
    return feature.customer.org.code


def test_members_htmx_fragment_and_bad_filter(client, role_users, mined):
    c = as_user(client, role_users["hq_admin"])
    fragment = c.get("/mining/high_deposit/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith("<section") or fragment.lstrip().startswith('<section id="members-results"')
    page = c.get("/mining/high_deposit/?org=NOPE").content.decode()
    assert "筛选条件有误" in page


@pytest.mark.parametrize(
    "url", ["/mining/nope/", "/mining/high_deposit/?date=2026-13-01", "/mining/high_deposit/?date=2020-01-31"]
)
def test_unknown_dimension_or_date_is_404(client, role_users, mined, url):
    assert as_user(client, role_users["hq_admin"]).get(url).status_code == 404


def test_export_has_reasons_and_is_logged(client, role_users, mined):
    response = as_user(client, role_users["branch_head"]).get("/mining/high_deposit/export.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("数据日期", "维度", "客户号")
    assert [r[2] for r in rows[1:]] == [mined[0].customer.customer_no]  # branch 1 only
    assert rows[1][-1] == "近3个月日均存款8.00万元，当前存款余额8.10万元"
    assert OperationLog.objects.filter(action="mining.export", object_id="high_deposit").exists()


def test_config_form_validates_and_versions(client, role_users, mined):
    c = as_user(client, role_users["hq_admin"])
    assert "近3个月日均存款下限" in c.get("/mining/config/high_deposit/").content.decode()
    bad = c.post("/mining/config/high_deposit/", {"min_average": "-5", "is_active": "on"})
    assert bad.status_code == 400
    assert "不能小于 0" in bad.content.decode()
    assert Dimension.objects.get(code="high_deposit").version == 1
    ok = c.post("/mining/config/high_deposit/", {"min_average": "75000", "is_active": "on", "note": "调整"})
    assert ok.status_code == 302
    row = Dimension.objects.get(code="high_deposit")
    assert (row.version, row.params) == (2, {"min_average": "75000"})
    assert "v2" in c.get("/mining/config/").content.decode()


def test_api_counts_list_and_update(client, role_users, mined):
    c = as_user(client, role_users["account_manager"])
    data = c.get("/api/v1/mining/dimensions").json()
    assert data["data_date"] == "2026-06-30"
    assert {d["code"]: d["count"] for d in data["dimensions"]}["high_deposit"] == 1
    items = c.get("/api/v1/mining/dimensions/high_deposit/customers").json()["items"]
    assert [i["customer_no"] for i in items] == [mined[0].customer.customer_no]
    assert items[0]["reason"].startswith("近3个月日均存款8.00万元")
    assert c.get("/api/v1/mining/dimensions/high_deposit/customers?org=200").status_code == 422
    client.logout()
    admin = as_user(client, role_users["hq_admin"])
    url = "/api/v1/mining/dimensions/high_deposit"
    bad = admin.put(url, json.dumps({"params": {"min_average": "x"}}), content_type="application/json")
    assert bad.status_code == 422 and "应为数字" in bad.json()["detail"]
    good = admin.put(url, json.dumps({"params": {"min_average": "90000"}}), content_type="application/json")
    assert good.status_code == 200 and good.json()["version"] == 2
