"""API keys: the services (hash stored, never the key), the admin pages and the CLI."""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from liuyou.system import apikeys, services
from liuyou.system.models import ApiKey, OperationLog, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def svc(bank):
    roles = list(Role.objects.filter(code="system_admin"))
    return services.create_user(
        staff_no="S001",
        name="数据仓库接口",
        org=bank.hq,
        password="Svc#2026abcd",
        roles=roles,
        must_change_password=False,
        is_service_account=True,
    )


def row_text(key: ApiKey) -> str:
    return json.dumps(list(ApiKey.objects.filter(pk=key.pk).values())[0], default=str, ensure_ascii=False)


def log_text() -> str:
    rows = OperationLog.objects.values("before", "after", "message", "object_repr")
    return json.dumps(list(rows), default=str, ensure_ascii=False)


# --- services ---------------------------------------------------------------------------


def test_create_stores_only_the_hash(svc, role_users):
    actor = role_users["security_admin"]
    key, plain = apikeys.create_api_key(
        name="数仓同步", user=svc, scopes=["user:view", "org:view", "user:view"], expires_at=None, actor=actor
    )
    assert re.fullmatch(r"ly_[a-z0-9]{8}_[A-Za-z0-9]{40}", plain)
    prefix, secret = plain.split("_")[1:]
    assert key.prefix == prefix
    assert key.key_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert key.scopes == ["org:view", "user:view"]
    assert key.created_by == actor
    text = row_text(key)
    assert plain not in text and secret not in text
    entry = OperationLog.objects.get(action="apikey.create")
    assert entry.staff_no == actor.staff_no and entry.object_id == str(key.pk)
    assert entry.after["prefix"] == prefix and entry.after["user"] == "S001"
    assert "key_hash" not in entry.after
    assert secret not in log_text() and key.key_hash not in log_text()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "名" * 65}, "name"),
        ({"scopes": []}, "scopes"),
        ({"scopes": ["no:such"]}, "scopes"),
        ({"expires_at": "past"}, "expires_at"),
    ],
)
def test_create_rejects_bad_input(svc, kwargs, field):
    args = {
        "name": "数仓同步",
        "user": svc,
        "scopes": ["user:view"],
        "expires_at": None,
        "actor": None,
        **kwargs,
    }
    if args["expires_at"] == "past":
        args["expires_at"] = timezone.now() - timedelta(minutes=1)
    with pytest.raises(ValidationError) as exc:
        apikeys.create_api_key(**args)
    assert field in exc.value.message_dict
    assert not ApiKey.objects.exists()


def test_keys_only_for_active_service_accounts(role_users, svc):
    with pytest.raises(ValidationError, match="系统接口账号"):
        apikeys.create_api_key(
            name="x", user=role_users["system_admin"], scopes=["user:view"], expires_at=None, actor=None
        )
    svc.is_active = False
    svc.save(update_fields=["is_active"])
    with pytest.raises(ValidationError, match="停用"):
        apikeys.create_api_key(name="x", user=svc, scopes=["user:view"], expires_at=None, actor=None)


def test_authenticate(svc):
    key, plain = apikeys.create_api_key(name="k", user=svc, scopes=["user:view"], expires_at=None, actor=None)
    found = apikeys.authenticate(plain)
    assert found is not None and found.pk == key.pk
    assert found.user.pk == svc.pk
    assert found.user._liuyou_key_scopes == frozenset({"user:view"})
    assert apikeys.authenticate(plain[:-1] + ("A" if plain[-1] != "A" else "B")) is None
    assert apikeys.authenticate(plain + "x") is None
    for junk in ("", "ly", "ly__", "bearer " + plain, plain.replace("ly_", "xx_"), "ly_" + "a" * 8 + "_"):
        assert apikeys.authenticate(junk) is None
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert apikeys.authenticate(plain) is None
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() + timedelta(days=1))
    assert apikeys.authenticate(plain) is not None
    apikeys.revoke_api_key(key=ApiKey.objects.get(pk=key.pk), actor=None)
    assert apikeys.authenticate(plain) is None


def test_revoke_is_audited_once(svc, role_users):
    key, _ = apikeys.create_api_key(name="k", user=svc, scopes=["user:view"], expires_at=None, actor=None)
    apikeys.revoke_api_key(key=key, actor=role_users["security_admin"])
    key.refresh_from_db()
    assert key.revoked_at is not None
    entry = OperationLog.objects.get(action="apikey.revoke")
    assert entry.before["revoked_at"] is None and entry.after["revoked_at"]
    with pytest.raises(ValidationError, match="已吊销"):
        apikeys.revoke_api_key(key=key, actor=None)
    assert OperationLog.objects.filter(action="apikey.revoke").count() == 1


# --- pages ------------------------------------------------------------------------------


@pytest.fixture
def admin_client(role_users):
    client = Client()
    client.force_login(role_users["security_admin"])
    return client


def test_only_apikey_managers_reach_the_pages(client, role_users, svc):
    key, _ = apikeys.create_api_key(name="k", user=svc, scopes=["user:view"], expires_at=None, actor=None)
    urls = [
        "/system/apikeys/",
        "/system/apikeys/new/",
        "/system/apikeys/export/",
        f"/system/apikeys/{key.pk}/revoke/",
    ]
    for code in ("system_admin", "auditor", "hq_admin", "account_manager"):
        client.force_login(role_users[code])
        for url in urls:
            assert client.get(url).status_code == 403, (code, url)
        assert client.post(f"/system/apikeys/{key.pk}/revoke/").status_code == 403
    client.logout()
    assert client.get(urls[0]).status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is None


def test_create_page_shows_the_key_once(admin_client, svc, role_users):
    form = admin_client.get("/system/apikeys/new/")
    assert form.status_code == 200
    html = form.content.decode()
    assert "数据仓库接口（S001" in html and "customer:view" in html
    assert role_users["system_admin"].name not in html  # only service accounts are offered
    expires = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = admin_client.post(
        "/system/apikeys/new/",
        {"name": "数仓同步", "user": svc.pk, "scopes": ["user:view", "org:view"], "expires_on": expires},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    plain = re.search(r'value="(ly_[a-z0-9]{8}_[A-Za-z0-9]+)"', response.content.decode()).group(1)
    key = ApiKey.objects.get()
    assert key.key_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert key.created_by == role_users["security_admin"]
    assert timezone.localtime(key.expires_at).date().isoformat() > expires  # through the end of that day
    listing = admin_client.get("/system/apikeys/").content.decode()
    assert "数仓同步" in listing and key.prefix in listing and plain not in listing
    assert Client().get("/api/v1/me", headers={"X-API-Key": plain}).status_code == 200


def test_create_page_reports_errors_in_chinese(admin_client, svc, role_users):
    response = admin_client.post(
        "/system/apikeys/new/",
        {"name": "x" * 65, "user": role_users["auditor"].pk, "expires_on": "2000-01-01"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    for message in (
        "名称不能超过 64 个字符",
        "请选择列表中的系统接口账号",
        "请至少选择一项授权范围",
        "有效期不能早于今天",
    ):
        assert message in html
    response = admin_client.post("/system/apikeys/new/", {"name": "x", "user": svc.pk, "scopes": ["bogus"]})
    assert "授权范围 bogus 不存在" in response.content.decode()
    assert not ApiKey.objects.exists()
    assert not OperationLog.objects.filter(action="apikey.create").exists()


def test_list_filters_fragment_and_export(admin_client, svc):
    a, _ = apikeys.create_api_key(
        name="数仓同步", user=svc, scopes=["user:view"], expires_at=None, actor=None
    )
    b, _ = apikeys.create_api_key(name="报表平台", user=svc, scopes=["org:view"], expires_at=None, actor=None)
    apikeys.revoke_api_key(key=b, actor=None)
    page = admin_client.get("/system/apikeys/").content.decode()
    assert '共 <strong class="ly-count">2</strong>' in page and "已吊销" in page and "有效" in page
    active = admin_client.get("/system/apikeys/?status=active").content.decode()
    assert "数仓同步" in active and "报表平台" not in active
    by_prefix = admin_client.get(f"/system/apikeys/?q=ly_{b.prefix}_whatever").content.decode()
    assert "报表平台" in by_prefix and "数仓同步" not in by_prefix
    fragment = admin_client.get("/system/apikeys/?status=revoked", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode() and "报表平台" in fragment.content.decode()
    export = admin_client.get("/system/apikeys/export/?status=active")
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.content)).active.values)
    assert rows[0][:3] == ("名称", "密钥前缀", "系统接口账号工号")
    assert [r[0] for r in rows[1:]] == ["数仓同步"]
    assert rows[1][1] == f"ly_{a.prefix}" and rows[1][-1] == "有效"


def test_revoke_page_confirms_then_revokes(admin_client, svc):
    key, plain = apikeys.create_api_key(
        name="数仓同步", user=svc, scopes=["user:view"], expires_at=None, actor=None
    )
    confirm = admin_client.get(f"/system/apikeys/{key.pk}/revoke/")
    assert confirm.status_code == 200 and "确认吊销" in confirm.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is None
    done = admin_client.post(f"/system/apikeys/{key.pk}/revoke/")
    assert done.status_code == 302 and done["Location"] == "/system/apikeys/"
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert OperationLog.objects.filter(action="apikey.revoke", object_id=str(key.pk)).count() == 1
    assert Client().get("/api/v1/me", headers={"X-API-Key": plain}).status_code == 401
    again = admin_client.post(f"/system/apikeys/{key.pk}/revoke/", follow=True)
    assert "该密钥已吊销" in again.content.decode()
    assert admin_client.get("/system/apikeys/999999/revoke/").status_code == 404


# --- CLI --------------------------------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("apikey", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_cli_create_json_prints_one_object_with_the_key(svc):
    out, _ = run(
        "create",
        "--name",
        "数仓同步",
        "--user",
        "S001",
        "--scope",
        "user:view",
        "--scope",
        "org:view",
        "--expires-days",
        "30",
        "--json",
    )
    data = json.loads(out)
    assert isinstance(data, dict)
    assert (
        data["name"] == "数仓同步" and data["user"] == "S001" and data["scopes"] == ["org:view", "user:view"]
    )
    assert data["status"] == "active" and data["expires_at"]
    key = ApiKey.objects.get(prefix=data["prefix"])
    assert key.key_hash == hashlib.sha256(data["key"].encode()).hexdigest()
    assert data["key"] not in row_text(key)
    assert apikeys.authenticate(data["key"]).pk == key.pk
    assert OperationLog.objects.get(action="apikey.create").method == "CLI"


def test_cli_plain_create_list_and_revoke(svc):
    out, err = run("create", "--name", "报表平台", "--user", "S001", "--scope", "org:view")
    plain = out.strip()
    assert apikeys.parse(plain) is not None and "只显示这一次" in err
    prefix = plain.split("_")[1]
    listing, _ = run("list")
    assert prefix in listing and "报表平台" in listing and plain not in listing
    data = json.loads(run("list", "--json")[0])
    assert [k["prefix"] for k in data] == [prefix] and "key" not in data[0]
    out, _ = run("revoke", prefix)
    assert "已吊销" in out
    assert apikeys.authenticate(plain) is None
    with pytest.raises(CommandError, match="已吊销"):
        run("revoke", f"ly_{prefix}")


def test_cli_errors_are_clean(svc, role_users):
    with pytest.raises(CommandError, match="不存在"):
        run("create", "--name", "x", "--user", "nobody", "--scope", "user:view")
    with pytest.raises(CommandError, match="系统接口账号"):
        run("create", "--name", "x", "--user", role_users["system_admin"].staff_no, "--scope", "user:view")
    with pytest.raises(CommandError, match="未知的权限标识"):
        run("create", "--name", "x", "--user", "S001", "--scope", "no:such")
    with pytest.raises(CommandError, match="正整数"):
        run("create", "--name", "x", "--user", "S001", "--scope", "user:view", "--expires-days", "0")
    with pytest.raises(CommandError, match="不存在"):
        run("revoke", "zzzzzzzz")
    assert not ApiKey.objects.exists()
