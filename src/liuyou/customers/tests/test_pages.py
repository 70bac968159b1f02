"""Customer pages: list, 360 view, reveal, export; masking, scope, logging, separated duties."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from liuyou.system.models import OperationLog

from .conftest import ID_1, ID_2, PHONE_1, PHONE_2, SEPARATED_DUTIES, plain_values


def html(response) -> str:
    return response.content.decode()


def assert_no_plain(text: str) -> None:
    for value in plain_values():
        assert value not in text


@pytest.mark.django_db
def test_list_shows_masked_values_with_watermark(book, role_users, login):
    client = login(role_users["risk_officer"])
    response = client.get("/customers/")
    assert response.status_code == 200
    page = html(response)
    assert "4105**********123X" in page
    assert "138****5678" in page
    assert "139****1111" in page
    assert_no_plain(page)
    for header in (
        "客户号",
        "客户名称",
        "客户类型",
        "证件号码",
        "手机号码",
        "客户分类",
        "开户机构",
        "客户经理",
    ):
        assert header in page
    assert "农户" in page and "上班族" in page  # dictionary labels, not codes
    assert response.context["count"] == 2
    assert response.context["watermark"] is True
    assert "ly-watermark" in page and role_users["risk_officer"].staff_no in page
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_list_search_filters_and_sorts(book, role_users, login):
    client = login(role_users["risk_officer"])
    response = client.get("/customers/", {"q": ID_2})
    assert response.context["count"] == 1
    assert "李四" in html(response) and "张三" not in html(response)
    response = client.get("/customers/", {"q": ID_1[:10]})
    assert response.context["count"] == 0
    assert "没有符合条件的客户" in html(response)
    response = client.get("/customers/", {"sort": "-customer_no"})
    rows = [c.customer_no for c in response.context["results"].records]
    assert rows == ["C2", "C1"]


@pytest.mark.django_db
def test_list_paginates_twenty_per_page(book, role_users, login, make_customer, bank):
    for i in range(25):
        make_customer(f"P{i:03d}", name=f"客户{i}", org=bank.o1)
    client = login(role_users["risk_officer"])
    response = client.get("/customers/")
    assert response.context["count"] == 27
    assert len(response.context["results"].records) == 20
    response = client.get("/customers/", {"page": 2})
    assert len(response.context["results"].records) == 7


@pytest.fixture
def many(book, make_customer, bank):
    for i in range(25):
        make_customer(f"P{i:03d}", name=f"客户{i}", org=bank.o1)


def _numbers(response) -> list[str]:
    return [c.customer_no for c in response.context["results"].records]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "shown"), [("1", 1), ("2", 2), ("0", 2), ("-1", 2), ("3", 2), ("999", 2), ("abc", 1), ("", 1)]
)
def test_list_page_numbers_out_of_range_show_the_last_or_first_page(many, role_users, login, page, shown):
    response = login(role_users["risk_officer"]).get("/customers/", {"page": page})
    results = response.context["results"]
    assert response.context["count"] == 27 and results.num_pages == 2 and results.number == shown
    assert len(results.records) == (20 if shown == 1 else 7)
    assert 'class="page-item active"' in html(response)


@pytest.mark.django_db
def test_list_counts_only_when_the_page_does_not_show_the_end(many, role_users, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(role_users["risk_officer"])
    counted = {}
    for params in ({"q": "张三"}, {"page": "2"}, {"page": "1"}, {"q": "nobody"}):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/customers/", params, HTTP_HX_REQUEST="true")
        counted[params.get("q") or params["page"]] = (
            response.context["count"],
            any("COUNT(" in q["sql"] for q in ctx.captured_queries),
        )
    # one row, the last page, a full page with more after it, nothing
    assert counted == {"张三": (1, False), "2": (27, False), "1": (27, True), "nobody": (0, False)}


@pytest.mark.django_db
def test_list_sort_links_and_header_state(many, role_users, login):
    client = login(role_users["risk_officer"])
    page = html(client.get("/customers/", {"q": "客户", "page": "2"}))
    here = "?q=%E5%AE%A2%E6%88%B7&amp;page=2"  # the query string kept, the sort added at its end
    assert f'<th class="asc orderable" scope="col"><a href="{here}&amp;sort=-customer_no">客户号</a>' in page
    assert f'<a href="{here}&amp;sort=name">客户名称</a>' in page
    assert '<th scope="col">证件号码</th>' in page
    response = client.get("/customers/", {"sort": ["-name", "customer_no"]})
    # name descending: 李四, 张三, 客户9, 客户8 ...
    assert _numbers(response)[:4] == ["C2", "C1", "P009", "P008"]
    assert '<th class="desc orderable" scope="col"><a href="?sort=name">客户名称</a>' in html(response)
    # An unknown column sorts nothing and marks no header (the default customer-number order stays).
    response = client.get("/customers/", {"sort": "id_no_masked"})
    assert _numbers(response)[:2] == ["C1", "C2"] and "asc orderable" not in html(response)


@pytest.mark.django_db
def test_htmx_exact_search_is_a_handful_of_queries(
    book, role_users, login, monkeypatch, django_assert_max_num_queries
):
    from liuyou.system import selectors as system_selectors

    # As in a page view outside a transaction, the dictionary labels come from the cache.
    monkeypatch.setattr(system_selectors, "_committed_reads", lambda: True)
    system_selectors.forget_display_caches()
    client = login(role_users["risk_officer"])
    try:
        client.get("/customers/", {"q": ID_1}, HTTP_HX_REQUEST="true")
        # the session, the user, the user's roles and permissions, the page of results
        with django_assert_max_num_queries(4):
            response = client.get("/customers/", {"q": ID_1}, HTTP_HX_REQUEST="true")
    finally:
        system_selectors.forget_display_caches()
    assert response.context["count"] == 1 and _numbers(response) == ["C1"]
    assert "农户" in html(response)


@pytest.mark.django_db
def test_list_htmx_returns_the_results_fragment(book, role_users, login):
    client = login(role_users["risk_officer"])
    response = client.get("/customers/", {"q": "张"}, HTTP_HX_REQUEST="true")
    page = html(response)
    assert response.status_code == 200
    assert page.lstrip().startswith("<section") and "<html" not in page
    assert "张三" in page and "李四" not in page


@pytest.mark.django_db
def test_empty_library_says_so(role_users, login):
    response = login(role_users["risk_officer"]).get("/customers/")
    assert response.status_code == 200
    assert "客户信息库暂无数据：请先导入源系统数据" in html(response)


@pytest.mark.django_db
def test_account_manager_sees_only_own_customers(book, role_users, login):
    client = login(role_users["account_manager"])
    response = client.get("/customers/")
    assert response.context["count"] == 1
    assert "张三" in html(response) and "李四" not in html(response)
    assert client.get("/customers/C1/").status_code == 200
    assert client.get("/customers/C2/").status_code == 404
    assert client.post("/customers/C2/reveal/id_no").status_code == 404
    assert not OperationLog.objects.filter(action="pii.reveal").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*SEPARATED_DUTIES, "none"])
def test_separated_duties_cannot_see_customers(book, role_users, login, role):
    client = login(role_users[role])
    assert client.get("/customers/").status_code == 403
    assert client.get("/customers/C1/").status_code == 403
    assert client.get("/customers/export.xlsx").status_code == 403
    assert client.post("/customers/C1/reveal/id_no").status_code == 403


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(book, client):
    response = client.get("/customers/")
    assert response.status_code == 302 and response["Location"].startswith("/login")


@pytest.mark.django_db
def test_360_page_masked_with_reveal_buttons_and_empty_sections(book, role_users, login):
    client = login(role_users["branch_head"])
    response = client.get("/customers/C1/")
    assert response.status_code == 200
    page = html(response)
    assert "4105**********123X" in page and "138****5678" in page
    assert_no_plain(page)
    assert page.count(">显示</button>") == 2
    assert 'hx-post="/customers/C1/reveal/id_no"' in page
    for title in ("存款账户", "贷款", "授信", "征信", "交易", "标签", "风险", "走访", "提醒"):
        assert title in page
    assert "暂无贷款数据" in page
    assert response.context["watermark"] is True


@pytest.mark.django_db
def test_360_page_has_no_reveal_button_without_pii_view(book, role_users, login):
    page = html(login(role_users["hq_admin"]).get("/customers/C1/"))
    assert "4105**********123X" in page
    assert ">显示</button>" not in page


def _reveal_logs():
    return list(OperationLog.objects.filter(action="pii.reveal").order_by("seq"))


@pytest.mark.django_db
def test_reveal_shows_full_value_and_logs_without_it(book, role_users, login):
    user = role_users["branch_head"]
    client = login(user)
    response = client.post("/customers/C1/reveal/id_no", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    fragment = html(response)
    assert ID_1 in fragment and "<html" not in fragment
    assert "no-store" in response["Cache-Control"]
    response = client.post("/customers/C1/reveal/phone", HTTP_HX_REQUEST="true")
    assert PHONE_1 in html(response) and ID_1 not in html(response)

    logs = _reveal_logs()
    assert [log.message for log in logs] == ["查看完整证件号码", "查看完整手机号码"]
    for log in logs:
        assert log.staff_no == user.staff_no
        assert log.object_type == "customers.customer" and log.object_id == str(book.mine.pk)
        assert log.result == "success"
        stored = f"{log.before}{log.after}{log.message}{log.object_repr}"
        assert ID_1 not in stored and PHONE_1 not in stored


@pytest.mark.django_db
def test_reveal_without_htmx_renders_the_360_page(book, role_users, login):
    response = login(role_users["branch_head"]).post("/customers/C1/reveal/phone")
    assert response.status_code == 200
    page = html(response)
    assert PHONE_1 in page and ID_1 not in page and "4105**********123X" in page
    assert len(_reveal_logs()) == 1


@pytest.mark.django_db
def test_reveal_refusals(book, role_users, login):
    client = login(role_users["hq_admin"])  # customer:view, no pii:view
    assert client.post("/customers/C1/reveal/id_no").status_code == 403
    client = login(role_users["branch_head"])
    assert client.get("/customers/C1/reveal/id_no").status_code == 405
    assert client.post("/customers/C1/reveal/name").status_code == 404
    assert client.post("/customers/C2/reveal/id_no").status_code == 404  # branch 2: out of scope
    assert _reveal_logs() == []


def _sheet(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(BytesIO(response.content)).active
    return [list(r) for r in ws.iter_rows(values_only=True)]


@pytest.mark.django_db
def test_export_masked_without_pii_view(book, role_users, login):
    rows = _sheet(login(role_users["hq_admin"]).get("/customers/export.xlsx"))
    assert rows[0][:8] == [
        "客户号",
        "客户名称",
        "客户类型",
        "证件类型",
        "证件号码",
        "手机号码",
        "客户分类",
        "开户机构",
    ]
    assert [r[0] for r in rows[1:]] == ["C1", "C2"]
    first = rows[1]
    assert first[2] == "个人" and first[3] == "居民身份证" and first[6] == "农户"
    assert first[4] == "4105**********123X" and first[5] == "138****5678"
    assert_no_plain(str(rows))
    log = OperationLog.objects.get(action="customer.export")
    assert "2 条" in log.message
    assert not OperationLog.objects.filter(action="pii.export").exists()


@pytest.mark.django_db
def test_export_is_exactly_what_is_filtered(book, role_users, login):
    client = login(role_users["hq_admin"])
    rows = _sheet(client.get("/customers/export.xlsx", {"segment": "salaried"}))
    assert [r[0] for r in rows[1:]] == ["C2"]
    assert rows[1][6] == "上班族"
    rows = _sheet(client.get("/customers/export.xlsx", {"sort": "-customer_no"}))
    assert [r[0] for r in rows[1:]] == ["C2", "C1"]


@pytest.mark.django_db
def test_unmasked_export_is_logged_as_a_reveal(book, role_users, login):
    user = role_users["risk_officer"]  # customer:export and pii:view over all customers
    rows = _sheet(login(user).get("/customers/export.xlsx"))
    assert rows[1][4] == ID_1 and rows[1][5] == PHONE_1
    assert rows[2][4] == ID_2 and rows[2][5] == PHONE_2
    log = OperationLog.objects.get(action="pii.export")
    assert log.staff_no == user.staff_no
    assert "导出客户 2 条" in log.message and "2 条含完整" in log.message
    assert_no_plain(f"{log.before}{log.after}{log.message}")


@pytest.mark.django_db
def test_export_needs_customer_export(book, role_users, login):
    assert login(role_users["account_manager"]).get("/customers/export.xlsx").status_code == 403


@pytest.mark.django_db
def test_undecryptable_value_gives_a_chinese_message_and_a_failure_log(book, role_users, login, settings):
    settings.LIUYOU_DATA_KEY = bytes.fromhex("ffeeddccbbaa99887766554433221100")  # the writing key is gone
    response = login(role_users["branch_head"]).post("/customers/C1/reveal/id_no", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "无法显示完整证件号码" in html(response) and ID_1 not in html(response)
    log = OperationLog.objects.get(action="pii.reveal")
    assert log.result == "failure" and "不在当前配置中" in log.message
