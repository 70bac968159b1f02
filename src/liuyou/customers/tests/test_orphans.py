"""The orphan report: customers whose primary manager has left (or cannot log in) or who
have none, within the viewer's assign scope; filter, pages, export."""

from __future__ import annotations

import datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook

from liuyou.system.models import OperationLog, User


@pytest.fixture
def orphans(bank, role_users, make_user, make_customer):
    am = role_users["account_manager"]
    left = make_user("5500", "account_manager", org=bank.o1)
    User.objects.filter(pk=left.pk).update(status="left", is_active=False)
    locked = make_user("5600", "account_manager", org=bank.o1)
    User.objects.filter(pk=locked.pk).update(is_active=False)
    make_customer("C1", name="张一", org=bank.o1, grid=bank.g1, manager=am)
    make_customer("C3", name="王三", org=bank.o1)
    make_customer("C4", name="赵四", org=bank.o1, grid=bank.g1, manager=left)
    make_customer("C5", name="钱五", org=bank.o1, grid=bank.g1, manager=locked)
    make_customer("C2", name="李二", org=bank.b2, grid=bank.g2)
    return {"left": left, "locked": locked}


def numbers(response):
    assert response.status_code == 200
    return [r.record.customer_no for r in response.context["table"].paginated_rows]


def html(response):
    return response.content.decode()


@pytest.mark.django_db
def test_branch_head_sees_orphans_of_the_branch(orphans, role_users, login):
    response = login(role_users["branch_head"]).get("/customers/orphans/")
    assert numbers(response) == ["C3", "C4", "C5"]
    assert response.context["count"] == 3
    page = html(response)
    assert "未分配主办客户经理" in page and "客户经理已离职" in page and "客户经理账号已停用" in page
    assert "用户5500（5500）" in page
    assert 'href="/customers/C4/#section-managers"' in page
    assert "李二" not in page and "张一" not in page


@pytest.mark.django_db
def test_head_office_sees_all_and_filters_by_org(orphans, role_users, login):
    client = login(role_users["hq_admin"])
    assert numbers(client.get("/customers/orphans/")) == ["C2", "C3", "C4", "C5"]
    assert numbers(client.get("/customers/orphans/", {"org": "200"})) == ["C2"]
    assert numbers(client.get("/customers/orphans/", {"org": "1G1"})) == ["C4", "C5"]
    assert numbers(client.get("/customers/orphans/", {"org": "100"})) == ["C3", "C4", "C5"]


@pytest.mark.django_db
def test_out_of_scope_org_filter_is_refused_not_widened(orphans, role_users, login):
    response = login(role_users["branch_head"]).get("/customers/orphans/", {"org": "200"})
    assert numbers(response) == ["C3", "C4", "C5"]
    assert "invalid-feedback" in html(response)


@pytest.mark.django_db
def test_reassigned_customer_leaves_the_report(orphans, role_users, login, make_user, bank):
    from liuyou.customers import services
    from liuyou.customers.models import Customer

    new = make_user("5700", "account_manager", org=bank.o1)
    services.reassign_manager(
        actor=role_users["branch_head"],
        customer=Customer.objects.get(customer_no="C4"),
        role="primary",
        manager=new,
        effective_date=datetime.date(2026, 6, 30),
    )
    assert numbers(login(role_users["branch_head"]).get("/customers/orphans/")) == ["C3", "C5"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["account_manager", "risk_officer", "post_loan_officer", "auditor"])
def test_report_needs_customer_assign(orphans, role_users, login, role):
    client = login(role_users[role])
    assert client.get("/customers/orphans/").status_code == 403
    assert client.get("/customers/orphans/export.xlsx").status_code == 403


@pytest.mark.django_db
def test_report_pages_and_htmx(orphans, role_users, login, make_customer, bank):
    for i in range(25):
        make_customer(f"P{i:03d}", name=f"客户{i}", org=bank.o1)
    client = login(role_users["branch_head"])
    response = client.get("/customers/orphans/")
    assert response.context["count"] == 28 and len(numbers(response)) == 20
    assert len(numbers(client.get("/customers/orphans/", {"page": 2}))) == 8
    fragment = html(client.get("/customers/orphans/", {"org": "1G1"}, HTTP_HX_REQUEST="true"))
    assert fragment.lstrip().startswith("<section") and "<html" not in fragment
    assert "orphans/export.xlsx?org=1G1" in fragment


@pytest.mark.django_db
def test_no_orphans_says_so(bank, role_users, login, make_customer):
    make_customer("C1", org=bank.o1, manager=role_users["account_manager"])
    page = html(login(role_users["branch_head"]).get("/customers/orphans/"))
    assert "您的数据范围内没有脱管客户" in page


@pytest.mark.django_db
def test_export(orphans, role_users, login):
    response = login(role_users["branch_head"]).get("/customers/orphans/export.xlsx")
    assert response.status_code == 200
    rows = [list(r) for r in load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True)]
    assert rows[0] == [
        "客户号",
        "客户名称",
        "客户分类",
        "开户机构",
        "所属网格",
        "原主办客户经理工号",
        "原主办客户经理",
        "情况",
    ]
    assert [r[0] for r in rows[1:]] == ["C3", "C4", "C5"]
    assert rows[2][5:] == ["5500", "用户5500", "客户经理已离职"]
    assert rows[1][4] in ("", None) and rows[1][7] == "未分配主办客户经理"
    log = OperationLog.objects.get(action="customer.orphan_export")
    assert "3 条" in log.message
    response = login(role_users["hq_admin"]).get("/customers/orphans/export.xlsx", {"org": "200"})
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["C2"]
