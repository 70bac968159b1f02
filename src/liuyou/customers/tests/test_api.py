"""/api/v1/customers: scoped, masked, paginated; reveal only with pii:view, logged."""

from __future__ import annotations

import json

import pytest

from liuyou.system.models import OperationLog

from .conftest import ID_1, ID_2, PHONE_1, SEPARATED_DUTIES, plain_values


def body(response):
    return json.loads(response.content)


def assert_no_plain(response) -> None:
    text = response.content.decode()
    for value in plain_values():
        assert value not in text


@pytest.mark.django_db
def test_list_is_masked_scoped_and_paginated(book, role_users, login):
    client = login(role_users["risk_officer"])
    response = client.get("/api/v1/customers")
    assert response.status_code == 200
    data = body(response)
    assert data["count"] == 2
    first = data["items"][0]
    assert first["customer_no"] == "C1"
    assert first["id_no_masked"] == "4105**********123X"
    assert first["phone_masked"] == "138****5678"
    assert first["org_code"] == "101" and first["manager_staff_no"] == book.am.staff_no
    assert not any(k in first for k in ("id_no_cipher", "id_no_digest", "phone_cipher", "phone_digest"))
    assert_no_plain(response)

    client = login(role_users["account_manager"])
    data = body(client.get("/api/v1/customers"))
    assert [c["customer_no"] for c in data["items"]] == ["C1"]


@pytest.mark.django_db
def test_list_search_like_the_page(book, role_users, login):
    client = login(role_users["risk_officer"])
    assert [c["customer_no"] for c in body(client.get("/api/v1/customers", {"q": ID_2}))["items"]] == ["C2"]
    assert body(client.get("/api/v1/customers", {"q": ID_2[:8]}))["count"] == 0
    assert [
        c["customer_no"] for c in body(client.get("/api/v1/customers", {"segment": "salaried"}))["items"]
    ] == ["C2"]
    assert [c["customer_no"] for c in body(client.get("/api/v1/customers", {"org": "100"}))["items"]] == [
        "C1"
    ]
    response = client.get("/api/v1/customers", {"segment": "bogus"})
    assert response.status_code == 422 and "segment" in body(response)["detail"]
    assert client.get("/api/v1/customers", {"q": "x" * 65}).status_code == 422


@pytest.mark.django_db
def test_detail_masked_and_404_out_of_scope(book, role_users, login):
    client = login(role_users["account_manager"])
    response = client.get("/api/v1/customers/C1")
    assert response.status_code == 200
    assert body(response)["id_no_masked"] == "4105**********123X"
    assert_no_plain(response)
    assert client.get("/api/v1/customers/C2").status_code == 404
    assert client.get("/api/v1/customers/NOPE").status_code == 404


@pytest.mark.django_db
def test_reveal_with_pii_view_is_logged(book, role_users, login):
    user = role_users["branch_head"]
    client = login(user)
    response = client.post(
        "/api/v1/customers/C1/reveal", data=json.dumps({"field": "id_no"}), content_type="application/json"
    )
    assert response.status_code == 200
    assert body(response) == {"customer_no": "C1", "field": "id_no", "value": ID_1}
    assert "no-store" in response["Cache-Control"]
    response = client.post(
        "/api/v1/customers/C1/reveal", data=json.dumps({"field": "phone"}), content_type="application/json"
    )
    assert body(response)["value"] == PHONE_1
    logs = list(OperationLog.objects.filter(action="pii.reveal").order_by("seq"))
    assert [log.message for log in logs] == ["查看完整证件号码", "查看完整手机号码"]
    assert all(log.staff_no == user.staff_no for log in logs)
    for log in logs:
        assert ID_1 not in f"{log.before}{log.after}{log.message}" and PHONE_1 not in log.message


@pytest.mark.django_db
def test_reveal_refusals(book, role_users, login):
    def post(client, no, field="id_no"):
        return client.post(
            f"/api/v1/customers/{no}/reveal",
            data=json.dumps({"field": field}),
            content_type="application/json",
        )

    assert post(login(role_users["hq_admin"]), "C1").status_code == 403  # no pii:view
    client = login(role_users["branch_head"])
    assert post(client, "C2").status_code == 404  # out of scope
    assert post(client, "C1", "name").status_code == 422
    assert not OperationLog.objects.filter(action="pii.reveal").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*SEPARATED_DUTIES, "none"])
def test_separated_duties_get_403(book, role_users, login, role):
    client = login(role_users[role])
    assert client.get("/api/v1/customers").status_code == 403
    assert client.get("/api/v1/customers/C1").status_code == 403
    response = client.post(
        "/api/v1/customers/C1/reveal", data=json.dumps({"field": "id_no"}), content_type="application/json"
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_anonymous_gets_401(book, client):
    response = client.get("/api/v1/customers")
    assert response.status_code == 401
    assert "detail" in body(response)


@pytest.mark.django_db
def test_reveal_of_undecryptable_value_is_409_and_logged(book, role_users, login, settings):
    settings.LIUYOU_DATA_KEY = bytes.fromhex("ffeeddccbbaa99887766554433221100")
    response = login(role_users["branch_head"]).post(
        "/api/v1/customers/C1/reveal", data=json.dumps({"field": "phone"}), content_type="application/json"
    )
    assert response.status_code == 409
    assert "无法显示完整手机号码" in body(response)["detail"]
    assert OperationLog.objects.get(action="pii.reveal").result == "failure"
