"""Reassigning a customer's primary or assisting manager: the service (history rows, scope,
refusals, audit), the form on the 360 page and the API endpoint."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import ValidationError

from liuyou.customers import services
from liuyou.customers.models import Customer, ManagerAssignment
from liuyou.system.models import OperationLog

EFFECTIVE = datetime.date(2026, 6, 30)


@pytest.fixture
def desk(bank, role_users, make_user, make_customer, lib):
    am = role_users["account_manager"]
    new = make_user("5200", "account_manager", org=bank.o1)
    far = make_user("5300", "account_manager", org=bank.b2)
    c1 = make_customer("C1", name="张一", org=bank.o1, grid=bank.g1, manager=am)
    c2 = make_customer("C2", name="李二", org=bank.b2, grid=bank.g2, manager=far)
    lib.assign(c1, am, start=datetime.date(2025, 1, 1))
    return {"am": am, "new": new, "far": far, "c1": c1, "c2": c2, "head": role_users["branch_head"]}


def reassign(desk, **kw):
    args = {
        "actor": desk["head"],
        "customer": desk["c1"],
        "role": "primary",
        "manager": desk["new"],
        "effective_date": EFFECTIVE,
    }
    args.update(kw)
    return services.reassign_manager(**args)


def history(customer):
    return list(
        ManagerAssignment.objects.filter(customer=customer)
        .order_by("start_date", "id")
        .values_list("role", "manager__staff_no", "start_date", "end_date", "source", "changed_by__staff_no")
    )


def refused(desk, field, text, **kw):
    before = history(kw.get("customer", desk["c1"]))
    with pytest.raises(ValidationError) as info:
        reassign(desk, **kw)
    errors = (
        info.value.message_dict if hasattr(info.value, "error_dict") else {"__all__": info.value.messages}
    )
    assert field in errors, errors
    assert text in "".join(errors[field])
    assert history(kw.get("customer", desk["c1"])) == before
    assert not OperationLog.objects.filter(action="customer.reassign").exists()


@pytest.mark.django_db
def test_primary_reassignment_closes_and_opens_history(desk):
    head = desk["head"]
    row = reassign(desk)
    assert history(desk["c1"]) == [
        ("primary", desk["am"].staff_no, datetime.date(2025, 1, 1), EFFECTIVE, "crm_import", None),
        ("primary", "5200", EFFECTIVE, None, "reassignment", head.staff_no),
    ]
    assert row.end_date is None and row.manager == desk["new"]
    c1 = Customer.objects.get(pk=desk["c1"].pk)
    assert c1.manager_id == desk["new"].pk and c1.assisting_manager_id is None
    log = OperationLog.objects.get(action="customer.reassign")
    assert log.staff_no == head.staff_no and log.object_id == str(c1.pk)
    assert log.before == {"role": "primary", "manager": desk["am"].staff_no}
    assert log.after == {"role": "primary", "manager": "5200", "effective_date": "2026-06-30"}
    assert "调整主办客户经理" in log.message and "用户5200（5200）" in log.message


@pytest.mark.django_db
def test_assisting_reassignment_leaves_the_primary(desk):
    reassign(desk, role="assisting")
    c1 = Customer.objects.get(pk=desk["c1"].pk)
    assert c1.assisting_manager_id == desk["new"].pk and c1.manager_id == desk["am"].pk
    assert history(desk["c1"])[-1] == (
        "assisting",
        "5200",
        EFFECTIVE,
        None,
        "reassignment",
        desk["head"].staff_no,
    )
    assert ManagerAssignment.objects.filter(customer=desk["c1"], end_date__isnull=True).count() == 2


@pytest.mark.django_db
def test_customer_without_a_manager_gets_one(desk, make_customer, bank):
    c3 = make_customer("C3", org=bank.o1)
    reassign(desk, customer=c3)
    assert history(c3) == [("primary", "5200", EFFECTIVE, None, "reassignment", desk["head"].staff_no)]
    log = OperationLog.objects.get(action="customer.reassign")
    assert log.before == {"role": "primary", "manager": None}


@pytest.mark.django_db
def test_same_manager_is_refused(desk):
    refused(desk, "manager", "已是该客户的主办客户经理", manager=desk["am"])


@pytest.mark.django_db
def test_primary_and_assisting_cannot_be_one_person(desk):
    refused(desk, "manager", "主办与协办客户经理不能是同一人", role="assisting", manager=desk["am"])


@pytest.mark.django_db
def test_manager_outside_the_scope_is_refused(desk):
    refused(desk, "manager", "不在您的数据范围内", manager=desk["far"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [{"status": "left", "is_active": False}, {"is_active": False}, {"is_service_account": True}],
)
def test_departed_or_system_accounts_are_refused(desk, change):
    from liuyou.system.models import User

    User.objects.filter(pk=desk["new"].pk).update(**change)
    refused(desk, "manager", "已离职、停用")


@pytest.mark.django_db
def test_customer_outside_the_scope_is_refused(desk, make_user, bank):
    other = make_user("5400", "account_manager", org=bank.b2)
    refused(desk, "__all__", "不在您的数据范围内", customer=desk["c2"], manager=other)
    assert Customer.objects.get(pk=desk["c2"].pk).manager_id == desk["far"].pk


@pytest.mark.django_db
def test_actor_without_assign_permission_is_refused(desk, role_users):
    refused(desk, "__all__", "不在您的数据范围内", actor=role_users["account_manager"])


@pytest.mark.django_db
def test_effective_date_rules(desk):
    refused(
        desk,
        "effective_date",
        "不能早于当前主办客户经理的开始日期 2025-01-01",
        effective_date=datetime.date(2024, 12, 31),
    )
    refused(desk, "effective_date", "不能晚于今天", effective_date=datetime.date(2099, 1, 1))


@pytest.mark.django_db
def test_bad_role_is_refused(desk):
    refused(desk, "role", "请选择主办或协办", role="boss")


# --- the form on the 360 page -------------------------------------------------------------------


@pytest.mark.django_db
def test_form_post_reassigns_and_redirects(desk, login):
    client = login(desk["head"])
    data = {"role": "primary", "manager": "5200", "effective_date": "2026-06-30"}
    response = client.post("/customers/C1/assign", data)
    assert response.status_code == 302
    assert response["Location"] == "/customers/C1/#section-managers"
    assert Customer.objects.get(pk=desk["c1"].pk).manager_id == desk["new"].pk
    page = client.get(response["Location"]).content.decode()
    assert "已将主办客户经理调整为 用户5200（5200）" in page
    assert "调整客户经理" in page


@pytest.mark.django_db
def test_form_refusal_is_shown_in_chinese(desk, login):
    client = login(desk["head"])
    response = client.post(
        "/customers/C1/assign",
        {"role": "primary", "manager": desk["am"].staff_no, "effective_date": "2026-06-30"},
    )
    assert response.status_code == 200
    assert "已是该客户的主办客户经理" in response.content.decode()
    response = client.post(
        "/customers/C1/assign", {"role": "primary", "manager": "5300", "effective_date": "x"}
    )
    page = response.content.decode()
    assert "所选人员不在您的数据范围内" in page and "请输入有效日期" in page
    assert len(history(desk["c1"])) == 1


@pytest.mark.django_db
def test_form_scope_and_permissions(desk, login, role_users):
    data = {"role": "primary", "manager": "5200", "effective_date": "2026-06-30"}
    for role in ("account_manager", "risk_officer"):
        client = login(role_users[role])
        assert client.post("/customers/C1/assign", data).status_code == 403
        assert client.get("/customers/C1/assign").status_code == 403
    client = login(desk["head"])
    assert client.post("/customers/C2/assign", data).status_code == 404
    assert client.get("/customers/C2/assign").status_code == 404
    assert client.put("/customers/C1/assign").status_code == 405
    assert len(history(desk["c1"])) == 1


@pytest.mark.django_db
def test_form_on_demand_page_and_fragment(desk, login):
    client = login(desk["head"])
    fragment = client.get("/customers/C1/assign", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith("<form") and "<html" not in fragment
    assert 'action="/customers/C1/assign"' in fragment and "csrfmiddlewaretoken" in fragment
    assert 'value="5200"' in fragment and 'value="5300"' not in fragment  # scoped choices
    assert f'value="{desk["am"].staff_no}"' in fragment
    page = client.get("/customers/C1/assign").content.decode()
    assert "<html" in page and "调整客户经理" in page and "用户9000（9000）" in page
    assert len(history(desk["c1"])) == 1  # a GET changes nothing


@pytest.mark.django_db
def test_form_leaves_out_departed_and_system_accounts(desk, login, make_user, bank):
    from liuyou.system.models import User

    User.objects.filter(pk=desk["new"].pk).update(status="left", is_active=False)
    robot = make_user("5800", org=bank.o1)
    User.objects.filter(pk=robot.pk).update(is_service_account=True)
    fragment = login(desk["head"]).get("/customers/C1/assign", HTTP_HX_REQUEST="true").content.decode()
    assert 'value="5200"' not in fragment and 'value="5800"' not in fragment


# --- the API ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_reassign(desk, login, role_users):
    def post(client, body, no="C1"):
        return client.post(
            f"/api/v1/customers/{no}/managers", json.dumps(body), content_type="application/json"
        )

    body = {"role": "assisting", "manager": "5200", "effective_date": "2026-06-30"}
    response = post(login(role_users["account_manager"]), body)
    assert response.status_code == 403
    client = login(desk["head"])
    response = post(client, body)
    assert response.status_code == 200, response.content
    assert json.loads(response.content) == {
        "customer_no": "C1",
        "role": "assisting",
        "manager_staff_no": "5200",
        "start_date": "2026-06-30",
    }
    response = post(client, body)
    assert response.status_code == 422
    assert "已是该客户的协办客户经理" in json.loads(response.content)["detail"]
    response = post(client, {"role": "primary", "manager": "5300"})
    assert response.status_code == 422 and "不在您的数据范围内" in json.loads(response.content)["detail"]
    assert post(client, body, no="C2").status_code == 404
