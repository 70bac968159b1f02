"""Customer list filters on the page, in the export and in the API: each filter's effect,
scoped choices, and the data scope under every filter."""

from __future__ import annotations

import datetime
import re
from io import BytesIO

import pytest
from openpyxl import load_workbook

from liuyou.customers import selectors
from liuyou.customers.models import Customer


@pytest.fixture
def county(bank, role_users, make_customer, make_user, lib):
    am = role_users["account_manager"]
    other_am = make_user("5001", "account_manager", org=bank.b2)
    v1 = lib.village("V1", grid=bank.g1, name="李家村")
    v2 = lib.village("V2", grid=bank.g2, name="东河村", township="东河镇")
    c1 = make_customer("C1", name="张一", org=bank.o1, grid=bank.g1, manager=am)
    c2 = make_customer("C2", name="李二", org=bank.b2, grid=bank.g2, manager=other_am, segment="salaried")
    c3 = make_customer("C3", name="王三", org=bank.o1)
    c4 = make_customer("C4", name="赵四", org=bank.o1, grid=bank.g1)
    c5 = make_customer("C5", name="钱五", org=bank.o1, segment="individual_business")
    Customer.objects.filter(pk=c1.pk).update(village=v1, industry="A014")
    Customer.objects.filter(pk=c2.pk).update(village=v2, industry="F52")
    Customer.objects.filter(pk=c3.pk).update(industry="A031")
    lib.loan(c1, "L1")  # open, current
    lib.loan(c2, "L2", status="overdue", overdue_days=30)  # open, overdue
    lib.loan(c3, "L3", status="cleared", balance="0")  # cleared: not open
    lib.loan(c4, "L4", closed_at=datetime.date(2026, 5, 31), last_seen=datetime.date(2026, 4, 30))
    lib.loan(c4, "L4b", status="written_off", overdue_days=400)  # written off: not open, not overdue
    lib.loan(c5, "L5", status="cleared", overdue_days=10, balance="0")  # overdue days on a cleared loan
    return {"am": am, "other_am": other_am}


def found(user, **filters):
    return sorted(selectors.customer_list(user=user, filters=filters).values_list("customer_no", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["C1", "C2", "C3", "C4", "C5"]),
        ({"segment": "salaried"}, ["C2"]),
        ({"segment": "individual_business"}, ["C5"]),
        ({"org": "100"}, ["C1", "C3", "C4", "C5"]),
        ({"org": "200"}, ["C2"]),
        ({"org": "1G1"}, ["C1", "C4"]),
        ({"grid": "1G1"}, ["C1", "C4"]),
        ({"grid": "2G1"}, ["C2"]),
        ({"village": "V1"}, ["C1"]),
        ({"village": "V2"}, ["C2"]),
        ({"manager": "5001"}, ["C2"]),
        ({"industry": "A"}, ["C1", "C3"]),
        ({"industry": "A03"}, ["C3"]),
        ({"industry": "A014"}, ["C1"]),
        ({"industry": "F52"}, ["C2"]),
        ({"has_loan": "yes"}, ["C1", "C2"]),
        ({"has_loan": "no"}, ["C3", "C4", "C5"]),
        ({"overdue": "yes"}, ["C2"]),
        ({"overdue": "no"}, ["C1", "C3", "C4", "C5"]),
        ({"segment": "farmer", "has_loan": "yes"}, ["C1"]),
        ({"org": "100", "overdue": "yes"}, []),
        ({"q": "王", "has_loan": "no"}, ["C3"]),
    ],
)
def test_each_filter(county, role_users, filters, expected):
    assert found(role_users["risk_officer"], **filters) == expected


@pytest.mark.django_db
def test_manager_filter_by_staff_number(county, role_users):
    assert found(role_users["risk_officer"], manager=county["am"].staff_no) == ["C1"]


@pytest.mark.django_db
def test_account_manager_sees_only_own_customers_under_every_filter(county, role_users):
    am = role_users["account_manager"]
    assert found(am) == ["C1"]
    assert found(am, has_loan="yes") == ["C1"]
    assert found(am, overdue="yes") == []
    # Someone else's grid or manager is not a valid choice: ignored, and never widens the scope.
    assert found(am, grid="2G1") == ["C1"]
    assert found(am, manager="5001") == ["C1"]


@pytest.mark.django_db
def test_branch_head_scope_under_filters(county, role_users):
    head = role_users["branch_head"]  # branch 1
    assert found(head) == ["C1", "C3", "C4", "C5"]
    assert found(head, overdue="yes") == []
    assert found(head, has_loan="yes") == ["C1"]
    assert found(head, village="V2") == ["C1", "C3", "C4", "C5"]  # out-of-scope village ignored


@pytest.mark.django_db
def test_choices_follow_the_scope(county, role_users):
    def choices(user):
        form = selectors.customer_filterset(user=user, data={}).form
        return {
            name: [str(v) for v, _ in form.fields[name].choices if v]
            for name in ("org", "grid", "village", "manager")
        }

    am = role_users["account_manager"]
    mine = choices(am)
    assert mine["manager"] == [am.staff_no]
    assert mine["grid"] == ["1G1"] and mine["village"] == ["V1"]
    head = choices(role_users["branch_head"])
    assert "5001" not in head["manager"] and am.staff_no in head["manager"]
    assert head["grid"] == ["1G1"] and head["village"] == ["V1"]
    assert "200" not in head["org"] and "100" in head["org"]
    everything = choices(role_users["risk_officer"])
    assert everything["grid"] == ["1G1", "2G1"] and sorted(everything["village"]) == ["V1", "V2"]
    assert "5001" in everything["manager"]


@pytest.mark.django_db
def test_industry_choices_are_the_dictionary(county, role_users):
    form = selectors.customer_filterset(user=role_users["risk_officer"], data={}).form
    codes = [v for v, _ in form.fields["industry"].choices if v]
    assert codes[:3] == ["A", "A01", "A011"]
    assert "F52" in codes


def html(response):
    return response.content.decode()


@pytest.mark.django_db
def test_page_filters_and_htmx_fragment(county, role_users, login):
    client = login(role_users["risk_officer"])
    response = client.get("/customers/", {"overdue": "yes"})
    assert response.status_code == 200 and response.context["count"] == 1
    assert "李二" in html(response) and "张一" not in html(response)
    for label in ("客户分类", "机构", "网格", "行政村", "客户经理", "产业", "有贷款", "逾期"):
        assert f">{label}</label>" in html(response)
    fragment = client.get("/customers/", {"has_loan": "no"}, HTTP_HX_REQUEST="true")
    page = html(fragment)
    assert page.lstrip().startswith("<section") and fragment.context["count"] == 3
    assert "export.xlsx?has_loan=no" in page


@pytest.mark.django_db
def test_page_invalid_filter_is_explained_and_ignored(county, role_users, login):
    response = login(role_users["risk_officer"]).get("/customers/", {"has_loan": "maybe"})
    assert response.status_code == 200
    assert response.context["count"] == 5
    assert "invalid-feedback" in html(response) and "maybe" in html(response)


@pytest.mark.django_db
def test_page_no_match_says_so(county, role_users, login):
    response = login(role_users["branch_head"]).get("/customers/", {"overdue": "yes"})
    assert response.context["count"] == 0
    assert "没有符合条件的客户" in html(response)


def sheet_numbers(response):
    assert response.status_code == 200
    ws = load_workbook(BytesIO(response.content)).active
    return [r[0] for r in list(ws.iter_rows(values_only=True))[1:]]


@pytest.mark.django_db
def test_export_honours_filters_and_scope(county, role_users, login):
    hq = login(role_users["hq_admin"])
    assert sheet_numbers(hq.get("/customers/export.xlsx", {"has_loan": "yes"})) == ["C1", "C2"]
    assert sheet_numbers(hq.get("/customers/export.xlsx", {"industry": "A"})) == ["C1", "C3"]
    head = login(role_users["branch_head"])
    assert sheet_numbers(head.get("/customers/export.xlsx")) == ["C1", "C3", "C4", "C5"]
    assert sheet_numbers(head.get("/customers/export.xlsx", {"overdue": "yes"})) == []
    assert sheet_numbers(head.get("/customers/export.xlsx", {"grid": "2G1"})) == ["C1", "C3", "C4", "C5"]


@pytest.mark.django_db
def test_api_filters(county, role_users, login):
    import json

    client = login(role_users["risk_officer"])

    def numbers(**params):
        response = client.get("/api/v1/customers", params)
        assert response.status_code == 200, response.content
        return [c["customer_no"] for c in json.loads(response.content)["items"]]

    assert numbers(overdue="yes") == ["C2"]
    assert numbers(has_loan="no") == ["C3", "C4", "C5"]
    assert numbers(grid="1G1") == ["C1", "C4"]
    assert numbers(village="V2") == ["C2"]
    assert numbers(industry="A03") == ["C3"]
    item = json.loads(client.get("/api/v1/customers", {"village": "V1"}).content)["items"][0]
    assert item["village_code"] == "V1" and item["industry"] == "A014" and item["refused_marketing"] is False
    response = client.get("/api/v1/customers", {"has_loan": "maybe"})
    assert response.status_code == 422 and "has_loan" in json.loads(response.content)["detail"]


@pytest.mark.django_db
def test_selects_keep_the_choice_and_escape_labels(county, role_users, login, lib, bank):
    lib.village("V9", grid=bank.g1, name="<b>坏</b>村")
    page = html(login(role_users["risk_officer"]).get("/customers/", {"segment": "salaried", "grid": "1G1"}))
    assert '<option value="salaried" selected>上班族</option>' in page
    assert '<option value="1G1" selected>1G1 城关第一网格</option>' in page
    assert '<option value="" selected>不限</option>' in page  # has_loan unset
    assert "&lt;b&gt;坏&lt;/b&gt;村" in page and "<b>坏</b>" not in page
    assert '<select class="form-select" id="id_segment" name="segment">' in page


@pytest.mark.django_db
def test_rendered_selects_offer_only_scoped_choices(county, role_users, login):
    page = html(login(role_users["account_manager"]).get("/customers/"))
    assert f'<option value="{county["am"].staff_no}">' in page
    assert 'value="5001"' not in page and 'value="2G1"' not in page and 'value="V2"' not in page
    assert '<option value="1G1">1G1 城关第一网格</option>' in page
    assert '<option value="V1">城关镇李家村</option>' in page


@pytest.mark.django_db
def test_htmx_search_reads_no_option_lists(county, role_users, login):
    """An HTMX search swaps the results only: the filter dropdowns (staff, villages, grids,
    orgs) are not read, so a search costs fewer queries than the full page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(role_users["hq_admin"])
    with CaptureQueriesContext(connection) as full:
        page = client.get("/customers/?q=C1")
    with CaptureQueriesContext(connection) as fragment:
        part = client.get("/customers/?q=C1", HTTP_HX_REQUEST="true")
    assert page.status_code == part.status_code == 200
    assert "ly-filter" in page.content.decode() and "ly-filter" not in part.content.decode()
    read = lambda ctx: " ".join(q["sql"] for q in ctx.captured_queries)  # noqa: E731
    assert "customers_village" in read(full) and "customers_village" not in read(fragment)
    assert len(fragment.captured_queries) < len(full.captured_queries)


# --- tags (issue 4): AND / OR / NOT on the customer list, its export and the API -------------


@pytest.fixture
def tagged(bank, role_users, make_customer):
    from liuyou.tags import services as tag_services
    from liuyou.tags.models import TagGroup

    admin = role_users["hq_admin"]
    group = TagGroup.objects.get(code="project")
    a, b = (
        tag_services.create_tag(user=admin, group=group, code=code, name=name, kind="manual")
        for code, name in (("t_a", "测试标签甲"), ("t_b", "测试标签乙"))
    )
    c1, c2, c3 = (make_customer(f"T{i}", org=bank.o1, grid=bank.g1) for i in (1, 2, 3))
    tag_services.add_manual(user=admin, customer=c1, tag=a)
    tag_services.add_manual(user=admin, customer=c1, tag=b)
    tag_services.add_manual(user=admin, customer=c2, tag=a)
    return a, b, admin


def listed(client, user, query: str) -> set[str]:
    client.force_login(user)
    response = client.get(f"/customers/?{query}", HTTP_HX_REQUEST="true")
    return set(re.findall(r">(T\d)</a>", response.content.decode()))


def test_tag_filters_and_or_not(client, tagged):
    a, b, admin = tagged
    assert listed(client, admin, f"tags_all={a.pk}&tags_all={b.pk}") == {"T1"}
    assert listed(client, admin, f"tags_any={a.pk}&tags_any={b.pk}") == {"T1", "T2"}
    assert listed(client, admin, f"tags_any={a.pk}&tags_none={b.pk}") == {"T2"}
    assert listed(client, admin, f"tags_none={a.pk}") == {"T3"}


def test_tag_filters_through_the_api(client, tagged):
    a, b, admin = tagged
    client.force_login(admin)
    items = client.get(f"/api/v1/customers?tags_all={a.pk},{b.pk}").json()["items"]
    assert [c["customer_no"] for c in items] == ["T1"]
    items = client.get(f"/api/v1/customers?tags_any={a.pk}&tags_none={b.pk}").json()["items"]
    assert [c["customer_no"] for c in items] == ["T2"]
