"""The tag pages and API: counts and lists under the data scope, the editor with its rule rows
and preview, bulk tagging with its report, one customer's tags (HTMX fragments) and history,
Chinese errors."""

from __future__ import annotations

import json
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from liuyou.system.models import OperationLog
from liuyou.tags import services
from liuyou.tags.models import CustomerTag, Tag, TagGroup, TagHistory
from liuyou.tags.tests.conftest import D

pytestmark = pytest.mark.django_db


def as_user(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def tagged(bank, role_users, feats):
    am = role_users["account_manager"]
    mine = feats.feature(customer_no="MINE", org=bank.o1, manager=am, deposit_avg_3m=Decimal("80000"),
                         id_no="410521199001011234")  # fmt: skip
    other = feats.feature(customer_no="OTHER", org=bank.b2, deposit_avg_3m=Decimal("70000"))
    services.tag_step(data_date=D)
    return mine.customer, other.customer, Tag.objects.get(code="high_deposit")


def test_index_shows_groups_tags_and_scoped_counts(client, role_users, tagged):
    mine, other, big = tagged
    page = as_user(client, role_users["hq_admin"]).get("/tags/").content.decode()
    for name in ("区域", "产业", "类型", "项目", "存款大户", "近3个月日均存款 ≥ 50,000 元"):
        assert name in page
    row = page.split('data-tag="high_deposit"')[1].split("</tr>")[0]
    assert f'href="/tags/{big.pk}/">2</a>' in row and "+2" in row
    assert "新建标签" in page and "批量打标签" in page
    client.logout()
    page = as_user(client, role_users["account_manager"]).get("/tags/").content.decode()
    row = page.split('data-tag="high_deposit"')[1].split("</tr>")[0]
    assert f'href="/tags/{big.pk}/">1</a>' in row
    assert "新建标签" not in page and "批量打标签" in page


def test_tag_customers_list_scope_filter_fragment_and_export(client, role_users, tagged, bank):
    mine, other, big = tagged
    c = as_user(client, role_users["account_manager"])
    page = c.get(f"/tags/{big.pk}/").content.decode()
    assert "MINE" in page and "OTHER" not in page and '共 <strong class="ly-count">1</strong>' in page
    c.logout()
    c = as_user(client, role_users["hq_admin"])
    fragment = c.get(f"/tags/{big.pk}/?org={bank.b2.code}", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section id="holders-results"')
    assert "OTHER" in fragment and "MINE" not in fragment
    bad = c.get(f"/tags/{big.pk}/?source=bogus").content.decode()
    assert "来源只能是手工或规则" in bad
    empty = c.get(f"/tags/{Tag.objects.get(code='yanguichao').pk}/").content.decode()
    assert "您的数据范围内没有持有该标签" in empty
    response = c.get(f"/tags/{big.pk}/export.xlsx")
    assert response.status_code == 200
    ws = load_workbook(BytesIO(response.content)).active
    rows = list(ws.values)
    assert rows[0][:4] == ("标签组", "标签", "客户号", "客户名称")
    assert sorted(r[2] for r in rows[1:]) == ["MINE", "OTHER"]
    assert OperationLog.objects.filter(action="tags.export").count() == 1
    assert c.get("/tags/99999/").status_code == 404


def test_export_needs_customer_export(client, role_users, tagged):
    big = tagged[2]
    assert (
        as_user(client, role_users["account_manager"]).get(f"/tags/{big.pk}/export.xlsx").status_code == 403
    )


def test_create_rule_tag_with_rows_preview_and_chinese_errors(client, role_users, tagged):
    c = as_user(client, role_users["hq_admin"])
    group = TagGroup.objects.get(code="type")
    base = {
        "group": group.pk,
        "code": "rich",
        "name": "富裕客户",
        "kind": "rule",
        "match": "all",
        "is_active": "on",
        "c-TOTAL_FORMS": "2",
        "c-INITIAL_FORMS": "0",
        "c-0-column": "deposit_avg_3m",
        "c-0-op": ">=",
        "c-0-value": "75000",
        "c-1-column": "",
        "c-1-op": "",
        "c-1-value": "",
    }
    preview = c.post("/tags/new/", {**base, "action": "preview"}, HTTP_HX_REQUEST="true").content.decode()
    assert preview.lstrip().startswith('<div id="rule-preview"')
    assert '<strong class="ly-preview-count">1</strong>' in preview
    bad = c.post("/tags/new/", {**base, "c-0-value": "很多", "action": "preview"}, HTTP_HX_REQUEST="true")
    assert "第 1 个条件：“近3个月日均存款”的取值应为数字" in bad.content.decode()
    page = c.post("/tags/new/", {**base, "c-0-op": "prefix", "action": "save"})
    assert page.status_code == 400
    assert "“近3个月日均存款”不能用“开头为”" in page.content.decode()
    more = c.post("/tags/new/", {**base, "action": "add_row"}).content.decode()
    assert 'name="c-TOTAL_FORMS" value="3"' in more
    saved = c.post("/tags/new/", {**base, "action": "save"})
    assert saved.status_code == 302
    tag = Tag.objects.get(code="rich")
    assert tag.rule == {
        "match": "all",
        "conditions": [{"column": "deposit_avg_3m", "op": ">=", "value": "75000"}],
    }
    # evaluated at once on the latest feature date
    assert set(CustomerTag.objects.filter(tag=tag).values_list("customer__customer_no", flat=True)) == {
        "MINE"
    }
    follow = c.get("/tags/").content.decode()
    assert "已保存标签“富裕客户”（版本 v1），已按 2026-06-30 的客户宽表重新计算：持有 1 位" in follow


def test_edit_tag_versions_and_validation(client, role_users, tagged):
    big = tagged[2]
    c = as_user(client, role_users["hq_admin"])
    page = c.get(f"/tags/{big.pk}/edit/").content.decode()
    assert 'value="50000"' in page and "版本记录" in page and "初始标签" in page
    data = {
        "group": big.group_id,
        "name": big.name,
        "match": "all",
        "is_active": "on",
        "note": "提高到八万",
        "action": "save",
        "c-TOTAL_FORMS": "1",
        "c-INITIAL_FORMS": "0",
        "c-0-column": "deposit_avg_3m",
        "c-0-op": ">=",
        "c-0-value": "75000",
    }
    assert c.post(f"/tags/{big.pk}/edit/", data).status_code == 302
    big.refresh_from_db()
    assert big.version == 2
    assert set(CustomerTag.objects.filter(tag=big).values_list("customer__customer_no", flat=True)) == {
        "MINE"
    }
    assert TagHistory.objects.filter(tag=big, action="removed", customer__customer_no="OTHER").exists()
    empty = c.post(f"/tags/{big.pk}/edit/", {**data, "name": "", "c-0-column": ""})
    assert empty.status_code == 400
    text = empty.content.decode()
    assert "此项必填" in text and "请选择字段" in text
    blank = c.post(f"/tags/{big.pk}/edit/", {**data, "c-0-column": "", "c-0-op": "", "c-0-value": ""})
    assert "规则标签至少需要一个条件" in blank.content.decode()


def test_group_pages(client, role_users):
    c = as_user(client, role_users["hq_admin"])
    assert c.post("/tags/groups/new/", {"code": "Bad", "name": "x", "sort_order": "5"}).status_code == 400
    assert (
        c.post("/tags/groups/new/", {"code": "campaign", "name": "营销活动", "sort_order": "50"}).status_code
        == 302
    )
    group = TagGroup.objects.get(code="campaign")
    assert (
        c.post(f"/tags/groups/{group.pk}/edit/", {"name": "春耕活动", "sort_order": "60"}).status_code == 302
    )
    group.refresh_from_db()
    assert group.name == "春耕活动"
    assert c.get("/tags/groups/9999/edit/").status_code == 404


def test_bulk_page_paste_upload_and_report(client, role_users, tagged, make_customer, bank):
    mine, other, big = tagged
    project = Tag.objects.get(code="yanguichao")
    c = as_user(client, role_users["account_manager"])
    page = c.post(
        "/tags/bulk/",
        {"tag": project.pk, "action": "add", "kind": "customer_no", "entries": "MINE\nOTHER, NOPE"},
    ).content.decode()
    assert '<strong class="ly-r-added">1</strong>' in page
    assert '<strong class="ly-r-unknown">2</strong>' in page and "OTHER" in page and "NOPE" in page
    ids = SimpleUploadedFile(
        "ids.csv", "证件号码,备注\n410521199001011234,x\n410521198503033456,y\n".encode("gbk")
    )
    page = c.post(
        "/tags/bulk/", {"tag": project.pk, "action": "add", "kind": "id_no", "file": ids}
    ).content.decode()
    assert '<strong class="ly-r-already">1</strong>' in page and "4105**********3456" in page
    assert "410521198503033456" not in page
    wb = Workbook()
    wb.active.append(["客户号"])
    wb.active.append(["MINE"])
    buf = BytesIO()
    wb.save(buf)
    xlsx = SimpleUploadedFile("list.xlsx", buf.getvalue())
    remove = {"tag": project.pk, "action": "remove", "kind": "customer_no", "file": xlsx}
    page = c.post("/tags/bulk/", remove).content.decode()
    assert '<strong class="ly-r-removed">1</strong>' in page
    pdf = SimpleUploadedFile("a.pdf", b"x")
    bad = c.post("/tags/bulk/", {"tag": project.pk, "action": "add", "kind": "customer_no", "file": pdf})
    assert bad.status_code == 400 and "只支持 .txt、.csv 或 .xlsx 文件" in bad.content.decode()
    none = c.post("/tags/bulk/", {"action": "add", "kind": "customer_no", "entries": ""})
    assert none.status_code == 400 and "请选择标签" in none.content.decode()
    too_many = "\n".join(f"N{i}" for i in range(10_001))
    big_list = c.post(
        "/tags/bulk/", {"tag": project.pk, "action": "add", "kind": "customer_no", "entries": too_many}
    )
    assert "每次最多 10,000 条，本次 10,001 条，请分批提交" in big_list.content.decode()


def test_customer_tags_fragment_add_remove_and_scope(client, role_users, tagged):
    mine, other, big = tagged
    project = Tag.objects.get(code="yanguichao")
    c = as_user(client, role_users["account_manager"])
    fragment = c.get(f"/tags/customers/{mine.customer_no}/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="customer-tags"')
    assert "存款大户" in fragment and "规则" in fragment and "添加标签" in fragment
    assert 'name="tag"' not in fragment  # the form comes when asked for
    with_form = c.get(f"/tags/customers/{mine.customer_no}/?add=1", HTTP_HX_REQUEST="true").content.decode()
    assert "燕归巢意向" in with_form
    added = c.post(f"/tags/customers/{mine.customer_no}/add", {"tag": project.pk}, HTTP_HX_REQUEST="true")
    text = added.content.decode()
    assert (
        added.status_code == 200
        and "已为客户添加标签“燕归巢意向”" in text
        and 'aria-label="移除标签 燕归巢意向"' in text
    )
    missing = c.post(
        f"/tags/customers/{mine.customer_no}/add", {"tag": ""}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "请选择标签" in missing
    rule_held = c.post(f"/tags/customers/{mine.customer_no}/remove", {"tag": big.pk}, HTTP_HX_REQUEST="true")
    assert "是规则标签，由每日规则计算维护，不能手工移除" in rule_held.content.decode()
    removed = c.post(f"/tags/customers/{mine.customer_no}/remove", {"tag": project.pk})
    assert removed.status_code == 302
    assert not CustomerTag.objects.filter(tag=project).exists()
    # outside the manager's book: 404 everywhere, nothing written
    assert c.get(f"/tags/customers/{other.customer_no}/").status_code == 404
    assert c.post(f"/tags/customers/{other.customer_no}/add", {"tag": project.pk}).status_code == 404
    assert c.get(f"/tags/customers/{other.customer_no}/history").status_code == 404
    client.logout()
    # a risk officer sees every customer's tags but may not change them
    page = (
        as_user(client, role_users["risk_officer"])
        .get(f"/tags/customers/{other.customer_no}/")
        .content.decode()
    )
    assert "存款大户" in page and "添加标签" not in page


def test_customer_tags_empty_state(client, role_users, feats, bank):
    am = role_users["account_manager"]
    plain = feats.feature(customer_no="PLAIN", org=bank.o1, manager=am)
    page = as_user(client, am).get(f"/tags/customers/{plain.customer.customer_no}/").content.decode()
    assert "暂无标签" in page


def test_customer_history_page(client, role_users, tagged, feats):
    mine = tagged[0]
    c = as_user(client, role_users["account_manager"])
    page = c.get(f"/tags/customers/{mine.customer_no}/history").content.decode()
    assert "存款大户" in page and "每日规则计算" in page and "2026-06-30" in page
    fragment = c.get(f"/tags/customers/{mine.customer_no}/history", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<section id="history-results"')


# --- API -------------------------------------------------------------------------------------


def test_api_lists_tags_with_scoped_counts(client, role_users, tagged):
    big = tagged[2]
    body = as_user(client, role_users["account_manager"]).get("/api/v1/tags").json()
    row = next(t for t in body if t["code"] == "high_deposit")
    assert row["count"] == 1 and row["kind"] == "rule" and row["evaluated_on"] == "2026-06-30"
    assert row["rule_text"] == "近3个月日均存款 ≥ 50,000 元"
    page = client.get(f"/api/v1/tags/{big.pk}/customers").json()
    assert [i["customer_no"] for i in page["items"]] == ["MINE"] and page["count"] == 1
    mine = client.get("/api/v1/tags/customers/MINE").json()
    assert [t["code"] for t in mine] == ["high_deposit"]
    assert client.get("/api/v1/tags/customers/OTHER").status_code == 404
    assert client.get("/api/v1/tags/99999/customers").status_code == 404


def test_api_bulk_and_preview(client, role_users, tagged):
    c = as_user(client, role_users["account_manager"])
    body = {"tag": "yanguichao", "entries": ["MINE", "OTHER"], "kind": "customer_no"}
    r = c.post("/api/v1/tags/bulk", json.dumps(body), content_type="application/json")
    assert r.status_code == 200
    assert r.json()["added"] == 1 and r.json()["unknown"] == ["OTHER"]
    ids = {"tag": "yanguichao", "entries": ["410521198503033456"], "kind": "id_no"}
    r = c.post("/api/v1/tags/bulk", json.dumps(ids), content_type="application/json")
    assert r.json()["unknown"] == ["4105**********3456"]
    r = c.post(
        "/api/v1/tags/bulk", json.dumps({**body, "entries": ["x"] * 10_001}), content_type="application/json"
    )
    assert r.status_code == 422 and "每次最多" in r.json()["detail"]
    # preview needs tag:manage
    rule = {
        "rule": {"match": "all", "conditions": [{"column": "deposit_avg_3m", "op": ">=", "value": "60000"}]}
    }
    assert (
        c.post("/api/v1/tags/preview", json.dumps(rule), content_type="application/json").status_code == 403
    )
    client.logout()
    c = as_user(client, role_users["hq_admin"])
    r = c.post("/api/v1/tags/preview", json.dumps(rule), content_type="application/json")
    assert r.status_code == 200 and r.json()["matched"] == 2 and r.json()["data_date"] == "2026-06-30"
    bad = {"rule": {"conditions": [{"column": "deposit_avg_3m", "op": ">=", "value": "多"}]}}
    r = c.post("/api/v1/tags/preview", json.dumps(bad), content_type="application/json")
    assert r.status_code == 422 and "应为数字" in r.json()["detail"]
