"""The JSON API: credentials on every route, key auth and scopes, data scope, masking, the
JSON error bodies, the OpenAPI document and the offline docs page (in a real browser too)."""

from __future__ import annotations

import asyncio
import json
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import URLPattern
from django.utils import timezone

from liuyou.api import api
from liuyou.core import api_errors
from liuyou.system import apikeys, services
from liuyou.system.models import ApiKey, OperationLog, Role

pytestmark = pytest.mark.django_db

PARAM_SAMPLES = {"customer_no": "C1", "org_id": "1", "staff_no": "9000", "key_id": "1"}


def assert_error(response: Any, status: int, detail: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["request_id"] == response["X-Request-ID"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.content.decode()
    if detail is not None:
        assert body["detail"] == detail
    return body


def operations() -> list[tuple[str, str]]:
    """(method, path) of every operation in the OpenAPI document, path parameters filled."""
    schema = api.get_openapi_schema(path_params={})
    out = []
    for path, methods in schema["paths"].items():
        url = re.sub(r"\{(\w+)\}", lambda m: PARAM_SAMPLES.get(m.group(1), "1"), path)
        out.extend((method.upper(), url) for method in methods)
    return out


def api_url_patterns() -> list[str]:
    """Every URL pattern under /api/v1, including ones not in the OpenAPI document."""
    patterns, _, _ = api.urls
    out = []
    for p in patterns:
        assert isinstance(p, URLPattern)
        if p.name == "api-root":
            continue  # /api/v1/ itself is no route: 404
        url = "/api/v1/" + re.sub(
            r"<(?:\w+:)?(\w+)>", lambda m: PARAM_SAMPLES.get(m.group(1), "1"), str(p.pattern)
        )
        out.append(url)
    return out


@pytest.fixture
def service_user(bank):
    """A service account holding the system_admin role (org:view, user:view, ...)."""

    def make(staff_no: str = "S001", *role_codes: str, org=None):
        roles = list(Role.objects.filter(code__in=role_codes or ("system_admin",)))
        return services.create_user(
            staff_no=staff_no,
            name=f"接口账号{staff_no}",
            org=org or bank.hq,
            password="Svc#2026abcd",
            roles=roles,
            must_change_password=False,
            is_service_account=True,
        )

    return make


@pytest.fixture
def key_for(service_user):
    def make(*scopes: str, user=None, expires_at=None) -> str:
        _, plain = apikeys.create_api_key(
            name="测试密钥",
            user=user or service_user(),
            scopes=list(scopes),
            expires_at=expires_at,
            actor=None,
        )
        return plain

    return make


# --- credentials ------------------------------------------------------------------------


def test_health_needs_no_credentials(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_every_api_route_answers_401_json_without_credentials(bank):
    client = Client(enforce_csrf_checks=True)
    ops = operations()
    assert ("GET", "/api/v1/me") in ops and ("GET", "/api/v1/users") in ops
    checked = 0
    for method, url in ops:
        response = client.generic(method, url, data=b"{}", content_type="application/json")
        if url == "/api/v1/health":
            assert response.status_code == 200
            continue
        body = assert_error(response, 401, api_errors.UNAUTHENTICATED)
        assert body["detail"].startswith("未认证")
        assert response["WWW-Authenticate"].startswith("Bearer")
        checked += 1
    for url in api_url_patterns():  # routes outside the document too: OpenAPI JSON, docs page
        if url == "/api/v1/health":
            continue
        response = client.get(url)
        if response.status_code == 405:  # a write-only route: ask with the methods it allows
            for method in response["Allow"].split(", "):
                response = client.generic(method, url, data=b"{}", content_type="application/json")
                assert_error(response, 401, api_errors.UNAUTHENTICATED)
        else:
            assert_error(response, 401, api_errors.UNAUTHENTICATED)
        checked += 1
    assert checked >= 8


def test_every_operation_uses_the_api_authentication():
    """No router or operation opted out of authentication (except health)."""
    from liuyou.core.api_auth import API_AUTH

    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            for op in path_view.operations:
                if op.view_func.__name__ == "health":
                    assert not op.auth_callbacks
                    continue
                assert list(op.auth_callbacks) == API_AUTH, op.view_func.__name__


def test_key_works_in_either_header(key_for):
    plain = key_for("user:view", "org:view")
    for headers in ({"Authorization": f"Bearer {plain}"}, {"X-API-Key": plain}):
        response = Client().get("/api/v1/me", headers=headers)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["staff_no"] == "S001"
        assert body["auth_method"] == "api_key"
        assert body["is_service_account"] is True
        assert body["api_key"]["prefix"] == plain.split("_")[1]
        assert body["permissions"] == ["org:view", "user:view"]


def test_wrong_revoked_expired_and_malformed_keys_answer_401(key_for, service_user, role_users):
    good = key_for("user:view")
    prefix = good.split("_")[1]
    wrong_secret = good[:-4] + ("aaaa" if not good.endswith("aaaa") else "bbbb")
    expired = key_for("user:view", user=service_user("S002"))
    ApiKey.objects.filter(prefix=expired.split("_")[1]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    revoked = key_for("user:view", user=service_user("S003"))
    apikeys.revoke_api_key(key=ApiKey.objects.get(prefix=revoked.split("_")[1]), actor=None)
    disabled_user = service_user("S004")
    disabled = key_for("user:view", user=disabled_user)
    disabled_user.is_active = False
    disabled_user.save(update_fields=["is_active"])
    bad_keys = [
        wrong_secret,
        expired,
        revoked,
        disabled,
        "ly_nope",
        f"ly_{prefix}_",
        "not-a-key",
        "ly_zzzzzzzz_" + "x" * 40,
    ]
    for plain in bad_keys:
        for headers in ({"Authorization": f"Bearer {plain}"}, {"X-API-Key": plain}):
            assert_error(Client().get("/api/v1/me", headers=headers), 401, api_errors.UNAUTHENTICATED)
    # A wrong key is refused even beside a valid session: no silent fallback.
    client = Client()
    client.force_login(role_users["system_admin"])
    assert client.get("/api/v1/me").status_code == 200
    assert_error(client.get("/api/v1/me", headers={"X-API-Key": wrong_secret}), 401)
    # The good key still works.
    assert Client().get("/api/v1/me", headers={"X-API-Key": good}).status_code == 200


def test_last_used_is_written_at_most_once_a_minute(key_for):
    plain = key_for("user:view")
    key = ApiKey.objects.get(prefix=plain.split("_")[1])
    assert key.last_used_at is None
    Client().get("/api/v1/me", headers={"X-API-Key": plain})
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None
    Client().get("/api/v1/me", headers={"X-API-Key": plain})
    key.refresh_from_db()
    assert key.last_used_at == first
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - timedelta(minutes=2))
    Client().get("/api/v1/me", headers={"X-API-Key": plain})
    key.refresh_from_db()
    assert key.last_used_at > first - timedelta(seconds=1)


def test_key_call_is_audited_as_its_service_account(key_for, bank):
    services.create_user(
        staff_no="8001", name="张三", org=bank.b1, password="Abcd#2026xyz", phone="13800138000"
    )
    user = services.create_user(
        staff_no="S009",
        name="接口账号",
        org=bank.hq,
        password="Svc#2026abcd",
        roles=list(Role.objects.filter(code__in=["system_admin", "account_manager"])),
        is_service_account=True,
    )
    from liuyou.system.models import Permission

    role = Role.objects.create(code="pii_reader", name="查看完整号码", data_scope="all")
    role.permissions.set(Permission.objects.filter(code__in=["pii:view", "user:view"]))
    user.roles.add(role)
    plain = key_for("user:view", "pii:view", user=user)
    response = Client().get("/api/v1/users/8001?reveal=true", headers={"X-API-Key": plain})
    assert response.status_code == 200
    assert response.json()["phone"] == "13800138000"
    entry = OperationLog.objects.get(action="pii.reveal")
    assert entry.staff_no == "S009"
    assert entry.object_repr.startswith("张三")


# --- permissions and scope --------------------------------------------------------------


def test_key_scopes_narrow_the_service_accounts_permissions(service_user, key_for, make_customer, bank):
    user = service_user("S010", "system_admin", "risk_officer")  # holds customer:view, org:view, user:view
    make_customer("C1", org=bank.o1)
    full = key_for("customer:view", "user:view", "org:view", user=user)
    narrow = key_for("user:view", user=user)
    response = Client().get("/api/v1/customers/C1", headers={"X-API-Key": full})
    assert response.status_code == 200, response.content
    assert response.json()["customer_no"] == "C1"
    assert Client().get("/api/v1/orgs", headers={"X-API-Key": full}).status_code == 200
    body = assert_error(Client().get("/api/v1/customers", headers={"X-API-Key": narrow}), 403)
    assert body["permission"] == "customer:view"
    assert body["detail"] == "无权访问：需要权限 customer:view"
    assert_error(Client().get("/api/v1/customers/C1", headers={"X-API-Key": narrow}), 403)
    assert_error(Client().get("/api/v1/orgs", headers={"X-API-Key": narrow}), 403)
    assert Client().get("/api/v1/users", headers={"X-API-Key": narrow}).status_code == 200
    me = Client().get("/api/v1/me", headers={"X-API-Key": narrow}).json()
    assert me["permissions"] == ["user:view"]


def test_a_scope_the_account_lacks_grants_nothing(service_user, key_for):
    user = service_user("S011", "auditor")  # log:view only, no user:view
    plain = key_for("user:view", user=user)
    assert_error(Client().get("/api/v1/users", headers={"X-API-Key": plain}), 403)


def test_session_without_permission_gets_403_json(client, role_users):
    client.force_login(role_users["account_manager"])
    body = assert_error(client.get("/api/v1/users"), 403)
    assert body["permission"] == "user:view"
    assert client.get("/api/v1/me").status_code == 200


@pytest.fixture
def branch_viewer(bank, make_user):
    """A user at branch b1 whose role sees users and orgs of b1 and below."""
    from liuyou.system.models import Permission

    role = Role.objects.create(code="branch_people", name="支行人员查看", data_scope="org_and_below")
    role.permissions.set(Permission.objects.filter(code__in=["user:view", "org:view"]))
    user = make_user("5001", org=bank.b1)
    user.roles.add(role)
    return user


def test_data_scope_applies_to_api_lists_and_lookups(client, bank, make_user, branch_viewer):
    in_b1 = make_user("5002", org=bank.o1)
    in_b2 = make_user("5003", org=bank.g2)
    client.force_login(branch_viewer)
    users = client.get("/api/v1/users").json()
    staff = {u["staff_no"] for u in users["items"]}
    assert staff == {"5001", "5002"}
    assert users["count"] == 2
    assert client.get(f"/api/v1/users/{in_b1.staff_no}").json()["org"]["code"] == "101"
    assert_error(client.get(f"/api/v1/users/{in_b2.staff_no}"), 404, api_errors.NOT_FOUND)
    assert_error(client.get("/api/v1/users/no-such-user"), 404, api_errors.NOT_FOUND)
    orgs = client.get("/api/v1/orgs").json()
    assert {o["code"] for o in orgs["items"]} == {"100", "101", "1G1"}
    assert client.get(f"/api/v1/orgs/{bank.g1.pk}").json()["kind_label"] == "网格"
    assert_error(client.get(f"/api/v1/orgs/{bank.b2.pk}"), 404, api_errors.NOT_FOUND)
    assert_error(client.get("/api/v1/orgs/999999"), 404)


def test_self_scope_sees_only_oneself(client, bank, make_user):
    from liuyou.system.models import Permission

    role = Role.objects.create(code="self_people", name="仅本人", data_scope="self")
    role.permissions.set(Permission.objects.filter(code="user:view"))
    me = make_user("5101", org=bank.o1)
    me.roles.add(role)
    make_user("5102", org=bank.o1)
    client.force_login(me)
    assert [u["staff_no"] for u in client.get("/api/v1/users").json()["items"]] == ["5101"]
    assert client.get("/api/v1/users/5102").status_code == 404


def test_pagination_is_50_a_page(client, role_users, bank):
    for i in range(55):
        services.create_user(staff_no=f"P{i:03d}", name=f"分页{i}", org=bank.b2, password="Abcd#2026xyz")
    client.force_login(role_users["system_admin"])
    first = client.get("/api/v1/users").json()
    total = first["count"]
    assert total >= 55 and len(first["items"]) == 50
    second = client.get("/api/v1/users?page=2").json()
    assert len(second["items"]) == total - 50
    assert not {u["staff_no"] for u in first["items"]} & {u["staff_no"] for u in second["items"]}
    assert len(client.get("/api/v1/users?page=1&page_size=10").json()["items"]) == 10
    filtered = client.get("/api/v1/users?q=分页1").json()
    assert filtered["count"] == 11  # 分页1, 分页10..19


def test_user_phones_are_masked_and_reveal_needs_pii_view(client, bank, role_users):
    from liuyou.system.models import Permission

    services.create_user(
        staff_no="8001", name="张三", org=bank.b1, password="Abcd#2026xyz", phone="13800138000"
    )
    client.force_login(role_users["system_admin"])  # user:view, no pii:view
    listed = {u["staff_no"]: u for u in client.get("/api/v1/users").json()["items"]}
    assert listed["8001"]["phone"] == "138****8000"
    assert client.get("/api/v1/users/8001").json()["phone"] == "138****8000"
    body = assert_error(client.get("/api/v1/users/8001?reveal=true"), 403)
    assert body["permission"] == "pii:view"
    assert not OperationLog.objects.filter(action="pii.reveal").exists()
    assert "13800138000" not in client.get("/api/v1/users").content.decode()

    role = Role.objects.create(code="people_pii", name="人员与号码", data_scope="all")
    role.permissions.set(Permission.objects.filter(code__in=["user:view", "pii:view"]))
    viewer = services.create_user(
        staff_no="8002",
        name="李四",
        org=bank.hq,
        password="Abcd#2026xyz",
        roles=[role],
        must_change_password=False,
    )
    client.force_login(viewer)
    listed = {u["staff_no"]: u for u in client.get("/api/v1/users").json()["items"]}
    assert listed["8001"]["phone"] == "138****8000"  # lists stay masked even with pii:view
    assert client.get("/api/v1/users/8001?reveal=true").json()["phone"] == "13800138000"
    entry = OperationLog.objects.get(action="pii.reveal")
    assert (entry.staff_no, entry.object_id) == ("8002", str(listed["8001"]["id"]))


def test_me_reports_roles_permissions_and_org(client, role_users):
    user = role_users["branch_head"]
    client.force_login(user)
    body = client.get("/api/v1/me").json()
    assert body["staff_no"] == user.staff_no
    assert body["org"]["code"] == "100"
    assert body["roles"] == [{"code": "branch_head", "name": "支行行长"}]
    assert "customer:view" in body["permissions"] and "user:view" not in body["permissions"]
    assert body["auth_method"] == "session" and body["api_key"] is None


def test_session_must_change_password_is_held(client, make_user):
    user = make_user("5201", "system_admin", must_change=True)
    client.force_login(user)
    body = assert_error(client.get("/api/v1/me"), 403)
    assert "修改密码" in body["detail"]


# --- errors -----------------------------------------------------------------------------


def body_operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema(path_params={})
    out = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            if "requestBody" in op:
                url = re.sub(r"\{(\w+)\}", lambda m: PARAM_SAMPLES.get(m.group(1), "1"), path)
                out.append((method.upper(), url))
    return out


def test_malformed_json_answers_400_json(key_for, service_user):
    ops = body_operations()
    assert ops, "expected at least one operation with a JSON body"
    plain = key_for("customer:view", "pii:view", user=service_user("S020", "risk_officer"))
    for method, url in ops:
        for body in (b"{not json", b"\xff\xfe", b'{"field": '):
            response = Client().generic(
                method, url, data=body, content_type="application/json", headers={"X-API-Key": plain}
            )
            assert_error(response, 400, api_errors.BAD_JSON)


def test_validation_errors_answer_422_with_fields(client, role_users):
    client.force_login(role_users["system_admin"])
    body = assert_error(client.get("/api/v1/users?page=0"), 422)
    assert body["detail"].startswith("请求参数校验失败")
    assert body["errors"] == [
        {
            "field": "page",
            "source": "query",
            "loc": ["query", "page"],
            "message": "须大于或等于 1",
            "type": "greater_than_equal",
        }
    ]
    body = assert_error(client.get("/api/v1/orgs?parent_id=abc&page=x"), 422)
    assert {e["field"] for e in body["errors"]} == {"parent_id", "page"}
    assert all(e["message"] == "须为整数" for e in body["errors"])
    assert_error(client.get("/api/v1/orgs/not-a-number"), 422)


def test_validation_error_on_a_json_body(key_for, service_user):
    ops = [(m, u) for m, u in body_operations() if u.startswith("/api/v1/customers/")]
    assert ops
    plain = key_for("customer:view", "pii:view", user=service_user("S021", "risk_officer"))
    method, url = ops[0]
    response = Client().generic(
        method,
        url,
        data=json.dumps({"unexpected": 1}),
        content_type="application/json",
        headers={"X-API-Key": plain},
    )
    body = assert_error(response, 422)
    assert body["errors"] and all(e["source"] == "body" for e in body["errors"])
    assert any(e["message"] == "必填" for e in body["errors"])


def test_csrf_is_enforced_for_session_writes_only(key_for, service_user, role_users, make_customer, bank):
    make_customer("C1", org=bank.o1, phone="13900139000")
    ops = [(m, u) for m, u in body_operations() if m == "POST"]
    assert ops
    method, url = ops[0]
    payload = json.dumps({"field": "phone"})
    client = Client(enforce_csrf_checks=True)
    client.force_login(role_users["risk_officer"])
    assert_error(client.post(url, payload, content_type="application/json"), 403, api_errors.CSRF_FAILED)
    docs = client.get("/api/v1/docs").content.decode()  # the docs page hands out the token
    token = re.search(r'data-csrf-token="([^"]+)"', docs).group(1)
    assert_error(
        client.post(url, payload, content_type="application/json", headers={"X-CSRFToken": "x" * 64}),
        403,
        api_errors.CSRF_FAILED,
    )
    ok = client.post(url, payload, content_type="application/json", headers={"X-CSRFToken": token})
    assert ok.status_code != 403, ok.content
    plain = key_for("customer:view", "pii:view", user=service_user("S022", "risk_officer"))
    by_key = Client(enforce_csrf_checks=True).post(
        url, payload, content_type="application/json", headers={"X-API-Key": plain}
    )
    assert by_key.status_code != 403, by_key.content


def test_unexpected_errors_answer_500_json_and_roll_back(client, role_users, monkeypatch):
    from liuyou.core import audit
    from liuyou.system import api as system_api

    def broken(user):
        audit.record(action="test.partial", message="written before the failure")
        raise RuntimeError("secret internals")

    monkeypatch.setattr(system_api, "permissions_of", broken)
    client.raise_request_exception = False
    client.force_login(role_users["system_admin"])
    body = assert_error(client.get("/api/v1/me"), 500, api_errors.SERVER_ERROR)
    assert "secret internals" not in json.dumps(body, ensure_ascii=False)
    assert not OperationLog.objects.filter(action="test.partial").exists()


def test_wrong_method_and_unknown_routes_answer_json(client, key_for):
    plain = key_for("user:view")
    response = client.post("/api/v1/me", headers={"X-API-Key": plain})
    assert_error(response, 405, api_errors.METHOD_NOT_ALLOWED)
    assert "GET" in response["Allow"]
    for url in ("/api/v1/does-not-exist", "/api/v1/users/x/y", "/api/v1/"):
        response = client.get(url, headers={"X-API-Key": plain})
        assert response.status_code == 404, url
        assert response.json()["detail"]


# --- OpenAPI and docs -------------------------------------------------------------------


def test_openapi_document_at_the_top_level_is_public(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["info"]["title"] == "六有 Liuyou API"
    assert {"/api/v1/me", "/api/v1/orgs", "/api/v1/users", "/api/v1/health"} <= set(doc["paths"])
    schemes = doc["components"]["securitySchemes"]
    assert schemes["BearerKey"] == {"type": "http", "scheme": "bearer"}
    assert schemes["HeaderKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert doc["paths"]["/api/v1/me"]["get"]["security"]
    assert "security" not in doc["paths"]["/api/v1/health"]["get"]


def test_openapi_under_api_v1_needs_credentials(client, key_for):
    assert_error(client.get("/api/v1/openapi.json"), 401)
    plain = key_for("user:view")
    response = client.get("/api/v1/openapi.json", headers={"X-API-Key": plain})
    assert response.status_code == 200
    assert "/api/v1/me" in response.json()["paths"]


def test_docs_page_is_offline_and_csp_clean(client, role_users):
    assert_error(client.get("/api/v1/docs"), 401)
    client.force_login(role_users["security_admin"])
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "http://" not in html and "https://" not in html
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"\sstyle=|<style|\son\w+=", html)
    for ref in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        path = finders.find(ref.removeprefix("/static/"))
        assert path, ref
        if ref.endswith(".js") and "swagger-ui-bundle" not in ref:
            assert "http" not in Path(path).read_text()
    settings = json.loads(re.search(r'data-swagger-settings="([^"]*)"', html).group(1).replace("&quot;", '"'))
    assert settings["url"] == "/api/v1/openapi.json"
    assert settings["validatorUrl"] is None


ORIGIN = "http://localhost:8000"  # intercepted: nothing listens there


def _serve_through_django(client: Client, foreign: list[str]) -> Any:
    """A Playwright route handler answering the browser from Django's test client: the page
    runs against the real views, middleware and CSP header inside the test's transaction (no
    live server, so no flush of the append-only log tables). Anything not for ORIGIN is
    recorded and refused, so nothing can load from the internet."""

    def handle(route: Any, request: Any) -> None:
        url = urlparse(request.url)
        if f"{url.scheme}://{url.netloc}" != ORIGIN:
            foreign.append(request.url)
            route.abort()
            return
        headers = {
            k: v
            for k, v in request.headers.items()
            if k.lower() in {"accept", "x-csrftoken", "x-api-key", "authorization", "hx-request"}
        }
        # Playwright calls this with its event loop marked running; Django would then treat the
        # thread as async and open a second connection outside the test's transaction.
        loop = asyncio.events._get_running_loop()
        asyncio.events._set_running_loop(None)
        try:
            response = client.generic(
                request.method,
                url.path + (f"?{url.query}" if url.query else ""),
                data=request.post_data_buffer or b"",
                content_type=request.headers.get("content-type", ""),
                headers=headers,
            )
            body = b"".join(response.streaming_content) if response.streaming else response.content
        finally:
            asyncio.events._set_running_loop(loop)
        route.fulfill(status=response.status_code, headers=dict(response.items()), body=body)

    return handle


@pytest.mark.browser
def test_docs_page_renders_in_chromium_without_csp_violations(role_users):
    chromium = Path(os.environ.get("LIUYOU_TEST_CHROMIUM", "/usr/bin/chromium"))
    if not chromium.is_file():
        if os.environ.get("LIUYOU_REQUIRE_BROWSER", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"{chromium} not found")
        pytest.skip(f"{chromium} not found")
    from playwright.sync_api import sync_playwright

    user = role_users["security_admin"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    problems: list[str] = []
    foreign: list[str] = []
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls made from the
    # route handler are plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(chromium),
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            try:
                context = browser.new_context(locale="zh-CN")
                context.route("**/*", _serve_through_django(client, foreign))
                context.add_init_script(
                    "window.__cspViolations = [];"
                    "document.addEventListener('securitypolicyviolation',"
                    " e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
                )
                page = context.new_page()
                page.on(
                    "console",
                    lambda m: (
                        problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
                    ),
                )
                page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
                page.goto(f"{ORIGIN}/api/v1/docs", wait_until="networkidle")
                page.wait_for_selector(".opblock", timeout=15_000)
                paths = page.locator(".opblock-summary-path").all_inner_texts()
                title = page.locator(".info .title").inner_text()
                # "Try it out" on /me: the session call goes through, and rendering the answer
                # (highlighted JSON) raises no CSP violation either.
                page.locator(".opblock-summary-path", has_text="/api/v1/me").first.click()
                page.locator(".try-out__btn").first.click()
                page.locator(".execute").first.click()
                status_cell = page.locator(".live-responses-table tbody .response-col_status").first
                status_cell.wait_for(timeout=15_000)
                live_status = status_cell.inner_text()
                live_body = page.locator(".live-responses-table .microlight").first.inner_text()
                violations = page.evaluate("window.__cspViolations")
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
    assert "六有 Liuyou API" in title
    assert any("/api/v1/me" in p.replace("\u200b", "") for p in paths), paths
    assert live_status.strip() == "200" and f'"staff_no": "{user.staff_no}"' in live_body
    assert violations == []
    assert not problems, problems
    assert not foreign, foreign
