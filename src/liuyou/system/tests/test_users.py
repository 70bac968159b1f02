"""用户管理 pages: list beside the org tree, create with a one-time password, edit, disable,
leave, reset, role grants under separation of duties, export, scope."""

from __future__ import annotations

import json
from io import BytesIO

import pytest
from conftest import PASSWORD
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory
from openpyxl import load_workbook

from liuyou.system.models import DataScope, OperationLog, Permission, Role, User, UserSession

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, role_users):
    client.force_login(role_users["system_admin"])
    return client


@pytest.fixture
def security(role_users):
    c = Client()
    c.force_login(role_users["security_admin"])
    return c


def _logs(action):
    return list(OperationLog.objects.filter(action=action).order_by("seq"))


def _logged_in(staff_no: str) -> Client:
    """A real login through the login page, so a UserSession row exists."""
    c = Client()
    response = c.post("/login", {"username": staff_no, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    assert c.get("/").status_code == 200
    return c


def _authenticate(staff_no: str):
    # django-axes needs the request; a bare one is what the login view would pass.
    return authenticate(RequestFactory().post("/login"), username=staff_no, password=PASSWORD)


def _user_form(**overrides):
    data = {
        "staff_no": "6001",
        "name": "王小明",
        "org": "",
        "position": "account_manager",
        "phone": "13912345678",
        "wecom_userid": "wangxm",
    }
    data.update({k: str(v) for k, v in overrides.items()})
    return data


# --- list ---------------------------------------------------------------------------------------


def test_list_shows_tree_count_and_dictionary_labels(admin, role_users, make_user, bank):
    make_user("6100", org=bank.o1)
    User.objects.filter(staff_no="6100").update(position="account_manager", phone="13800001111")
    response = admin.get("/system/users/")
    assert response.status_code == 200
    assert response.context["count"] == len(role_users) + 1
    body = response.content.decode()
    assert "客户经理" in body and "在职" in body
    assert "138****1111" in body and "13800001111" not in body  # masked in lists
    assert [n.org.code for n in response.context["forest"]] == ["000"]
    assert bank.g2.name in body  # the org tree on the left


def test_org_filter_covers_the_org_and_below(admin, role_users, bank):
    response = admin.get("/system/users/", {"org": bank.b1.pk})
    staff = {u.staff_no for u in response.context["table"].data}
    expected = {u.staff_no for u in role_users.values() if u.org.path.startswith(bank.b1.path)}
    assert staff == expected and len(expected) == 5
    assert response.context["selected_org"] == bank.b1
    assert bank.b1.pk in response.context["open_ids"]


def test_text_role_status_and_active_filters(admin, role_users, bank):
    am = role_users["account_manager"]
    by_no = admin.get("/system/users/", {"staff_no": am.staff_no[:3]})
    assert am in list(by_no.context["table"].data)
    by_name = admin.get("/system/users/", {"name": am.name})
    assert [u.pk for u in by_name.context["table"].data] == [am.pk]
    role = Role.objects.get(code="branch_head")
    by_role = admin.get("/system/users/", {"role": role.pk})
    assert [u.pk for u in by_role.context["table"].data] == [role_users["branch_head"].pk]
    User.objects.filter(pk=am.pk).update(status="left", is_active=False)
    left = admin.get("/system/users/", {"status": "left"})
    assert [u.pk for u in left.context["table"].data] == [am.pk]
    disabled = admin.get("/system/users/", {"active": "0"})
    assert [u.pk for u in disabled.context["table"].data] == [am.pk]


def test_list_sorts_paginates_and_ignores_bad_filter_values(admin, make_user, bank):
    for i in range(25):
        make_user(f"5{i:03d}", org=bank.o1)
    first = admin.get("/system/users/", {"sort": "-staff_no"})
    rows = list(first.context["table"].page.object_list)
    assert len(rows) == 20
    numbers = [r.record.staff_no for r in rows]
    assert numbers == sorted(numbers, reverse=True)
    second = admin.get("/system/users/", {"page": 2})
    assert second.status_code == 200 and second.context["table"].page.number == 2
    assert len(second.context["table"].page.object_list) == User.objects.count() - 20
    assert second.context["count"] == User.objects.count()
    bad = admin.get("/system/users/", {"org": "abc", "role": "999999", "staff_no": "x" * 500})
    assert bad.status_code == 200


def test_htmx_filter_returns_the_list_fragment(admin, bank):
    response = admin.get("/system/users/", {"org": bank.b2.pk}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and 'id="user-list"' in body and "<html" not in body


def test_roles_without_user_view_are_refused(client, role_users):
    for code in ("account_manager", "auditor", "hq_admin", "risk_officer", "none"):
        client.force_login(role_users[code])
        assert client.get("/system/users/").status_code == 403, code
        assert client.get(f"/system/users/{role_users['account_manager'].pk}/").status_code == 403, code


def test_scope_limits_list_and_lookups(client, make_user, role_users, bank):
    role = Role.objects.create(
        code="b2_user_admin", name="东河用户管理员", data_scope=DataScope.ORG_AND_BELOW
    )
    role.permissions.set(Permission.objects.filter(code__in=["user:view", "user:manage"]))
    client.force_login(make_user("8200", "b2_user_admin", org=bank.b2))
    staff = {u.staff_no for u in client.get("/system/users/").context["table"].data}
    assert staff == {"8200"}
    outsider = role_users["account_manager"]
    assert client.get(f"/system/users/{outsider.pk}/").status_code == 404
    assert client.get(f"/system/users/{outsider.pk}/edit").status_code == 404
    assert client.post(f"/system/users/{outsider.pk}/disable").status_code == 404
    assert client.get("/system/users/999999/").status_code == 404
    assert User.objects.get(pk=outsider.pk).is_active
    tree = client.get("/system/users/").context["forest"]
    assert [n.org.code for n in tree] == ["200"]
    # Org choices on the create form are the editor's scope too.
    form = client.get("/system/users/new").context["form"]
    assert set(form.fields["org"].queryset.values_list("code", flat=True)) == {"200", "2G1"}


# --- create, edit -------------------------------------------------------------------------------


def test_create_shows_a_one_time_password_and_grants_no_role(admin, bank):
    response = admin.post("/system/users/new", _user_form(org=bank.o1.pk))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    password = response.context["password"]
    assert password in response.content.decode()
    user = User.objects.get(staff_no="6001")
    assert (user.name, user.org, user.position, user.phone, user.wecom_userid) == (
        "王小明",
        bank.o1,
        "account_manager",
        "13912345678",
        "wangxm",
    )
    assert user.must_change_password and user.is_active and user.status == "active"
    assert user.check_password(password) and not user.roles.exists()
    entry = _logs("user.create")[-1]
    assert entry.after["staff_no"] == "6001" and entry.after["roles"] == []
    everything = json.dumps(
        [list(OperationLog.objects.values_list("before", "after", "message"))], ensure_ascii=False
    )
    assert password not in everything and "password" not in entry.after


def test_create_a_service_account_without_a_password(admin, bank):
    response = admin.post("/system/users/new", _user_form(org=bank.hq.pk, is_service_account="on"))
    user = User.objects.get(staff_no="6001")
    assert response.status_code == 302 and response["Location"] == f"/system/users/{user.pk}/"
    assert user.is_service_account and not user.has_usable_password()
    assert not user.must_change_password and not user.roles.exists()
    assert _logs("user.create")[-1].after["is_service_account"] is True


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"phone": "12345678901"}, "phone", "请输入 11 位手机号码"),
        ({"phone": "1391234567"}, "phone", "请输入 11 位手机号码"),
        ({"phone": "139123456789"}, "phone", "请输入 11 位手机号码"),
        ({"staff_no": "9000"}, "staff_no", "该工号已存在"),
        ({"staff_no": "工号1"}, "staff_no", "工号只能包含字母和数字"),
        ({"staff_no": "1" * 33}, "staff_no", "不能超过 32 个字符"),
        ({"name": "王" * 51}, "name", "不能超过 50 个字符"),
        ({"name": ""}, "name", "这个字段是必填项"),
        ({"position": "pilot"}, "position", "选择一个有效的选项"),
        ({"wecom_userid": "wang xm"}, "wecom_userid", "企业微信账号只能包含"),
        ({"org": "999999"}, "org", "选择一个有效的选项"),
    ],
)
def test_invalid_user_input_gives_chinese_errors_beside_the_field(
    admin, role_users, bank, overrides, field, message
):
    overrides.setdefault("org", bank.o1.pk)
    count = User.objects.count()
    response = admin.post("/system/users/new", _user_form(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in e for e in errors[field]), errors
    assert "is-invalid" in response.content.decode()
    assert User.objects.count() == count


def test_edit_logs_only_changed_keys(admin, role_users, bank):
    target = role_users["account_manager"]
    response = admin.post(
        f"/system/users/{target.pk}/edit",
        {
            "name": target.name,
            "org": bank.g1.pk,
            "position": "service_specialist",
            "phone": "13700001234",
            "wecom_userid": "",
            "status": "active",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/system/users/{target.pk}/"
    target.refresh_from_db()
    assert (target.org, target.position, target.phone) == (bank.g1, "service_specialist", "13700001234")
    entry = _logs("user.update")[-1]
    assert entry.before == {"org": bank.o1.pk, "position": "", "phone": ""}
    assert entry.after == {"org": bank.g1.pk, "position": "service_specialist", "phone": "13700001234"}


def test_detail_shows_labels_roles_and_actions(admin, role_users):
    target = role_users["branch_head"]
    User.objects.filter(pk=target.pk).update(position="branch_head")
    response = admin.get(f"/system/users/{target.pk}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "支行行长" in body and "本机构及以下" in body and "重置密码" in body
    assert f"/system/users/{target.pk}/roles" not in body  # system_admin grants no role


# --- disable, leave, enable ---------------------------------------------------------------------


def test_disabling_a_user_ends_sessions_and_blocks_login(admin, role_users):
    target = role_users["account_manager"]
    victim = _logged_in(target.staff_no)
    assert UserSession.objects.filter(user=target, ended_at__isnull=True).count() == 1
    response = admin.post(f"/system/users/{target.pk}/disable", {"next": "/system/users/"})
    assert response.status_code == 302 and response["Location"] == "/system/users/"
    target.refresh_from_db()
    assert not target.is_active and target.status == "active"
    assert UserSession.objects.filter(user=target, ended_at__isnull=True).count() == 0
    assert UserSession.objects.get(user=target).end_reason == "disabled"
    assert _authenticate(target.staff_no) is None
    assert Client().post("/login", {"username": target.staff_no, "password": PASSWORD}).status_code != 302
    later = victim.get("/")
    assert later.status_code == 302 and later["Location"].startswith("/login")
    entry = _logs("user.disable")[-1]
    assert (entry.before, entry.after) == ({"is_active": True}, {"is_active": False})
    assert entry.staff_no == role_users["system_admin"].staff_no


def test_marking_a_user_left_closes_the_account(admin, role_users):
    target = role_users["service_specialist"]
    victim = _logged_in(target.staff_no)
    response = admin.post(
        f"/system/users/{target.pk}/edit",
        {
            "name": target.name,
            "org": target.org_id,
            "position": "",
            "phone": "",
            "wecom_userid": "",
            "status": "left",
        },
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.status == "left" and not target.is_active
    assert not UserSession.objects.filter(user=target, ended_at__isnull=True).exists()
    assert _authenticate(target.staff_no) is None
    assert victim.get("/").status_code == 302
    entry = _logs("user.update")[-1]
    assert entry.after == {"status": "left", "is_active": False}
    # A leaver cannot simply be switched back on.
    follow = admin.post(f"/system/users/{target.pk}/enable", follow=True)
    assert "离职人员不能启用" in follow.content.decode()
    assert not User.objects.get(pk=target.pk).is_active


def test_enable_restores_login(admin, role_users):
    target = role_users["account_manager"]
    admin.post(f"/system/users/{target.pk}/disable")
    admin.post(f"/system/users/{target.pk}/enable")
    assert User.objects.get(pk=target.pk).is_active
    assert _authenticate(target.staff_no) is not None
    assert _logs("user.enable")[-1].after == {"is_active": True}


def test_nobody_disables_themselves(admin, role_users):
    me = role_users["system_admin"]
    response = admin.post(f"/system/users/{me.pk}/disable", follow=True)
    assert "不能停用本人账号" in response.content.decode()
    assert User.objects.get(pk=me.pk).is_active


# --- passwords ----------------------------------------------------------------------------------


def test_reset_password_shows_a_temporary_password_once(admin, role_users):
    target = role_users["account_manager"]
    response = admin.post(f"/system/users/{target.pk}/reset-password")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    temporary = response.context["password"]
    target.refresh_from_db()
    assert target.must_change_password and target.check_password(temporary)
    assert not target.check_password(PASSWORD)
    assert _logs("user.password_reset")
    assert temporary not in json.dumps(
        list(OperationLog.objects.values_list("before", "after", "message")), ensure_ascii=False
    )
    # The detail page does not show it again.
    assert temporary not in admin.get(f"/system/users/{target.pk}/").content.decode()


def test_admin_cannot_reset_own_password_here(admin, role_users):
    me = role_users["system_admin"]
    response = admin.post(f"/system/users/{me.pk}/reset-password", follow=True)
    assert "不能在此重置本人密码" in response.content.decode()
    assert User.objects.get(pk=me.pk).check_password(PASSWORD)


def test_reset_password_is_for_user_manage_only(security, role_users):
    target = role_users["account_manager"]
    assert security.post(f"/system/users/{target.pk}/reset-password").status_code == 403
    assert User.objects.get(pk=target.pk).check_password(PASSWORD)


# --- role grants (separation of duties) ---------------------------------------------------------


def test_system_admin_cannot_grant_roles(admin, role_users):
    target = role_users["none"]
    hq_admin = Role.objects.get(code="hq_admin")
    assert admin.get(f"/system/users/{target.pk}/roles").status_code == 403
    assert admin.post(f"/system/users/{target.pk}/roles", {"roles": [hq_admin.pk]}).status_code == 403
    assert not target.roles.exists()


def test_security_admin_grants_roles_with_an_audited_change(security, role_users):
    target = role_users["none"]
    am, ss = Role.objects.get(code="account_manager"), Role.objects.get(code="service_specialist")
    page = security.get(f"/system/users/{target.pk}/roles")
    assert (
        page.status_code == 200 and "客户经理" in page.content.decode() and "仅本人" in page.content.decode()
    )
    response = security.post(f"/system/users/{target.pk}/roles", {"roles": [am.pk, ss.pk]})
    assert response.status_code == 302
    assert set(target.roles.values_list("code", flat=True)) == {"account_manager", "service_specialist"}
    entry = _logs("user.grant")[-1]
    assert entry.before == {"roles": []}
    assert entry.after == {"roles": ["account_manager", "service_specialist"]}
    assert "授予 account_manager,service_specialist" in entry.message
    security.post(f"/system/users/{target.pk}/roles", {"roles": [ss.pk]})
    entry = _logs("user.grant")[-1]
    assert entry.before == {"roles": ["account_manager", "service_specialist"]}
    assert entry.after == {"roles": ["service_specialist"]} and "收回 account_manager" in entry.message


def test_nobody_edits_their_own_roles(security, role_users):
    me = role_users["security_admin"]
    assert security.get(f"/system/users/{me.pk}/roles").status_code == 403
    role = Role.objects.get(code="risk_officer")
    assert security.post(f"/system/users/{me.pk}/roles", {"roles": [role.pk]}).status_code == 403
    assert list(me.roles.values_list("code", flat=True)) == ["security_admin"]


def test_the_three_separated_duties_cannot_be_combined(security, role_users):
    target = role_users["none"]
    duties = Role.objects.filter(code__in=["system_admin", "auditor"])
    response = security.post(f"/system/users/{target.pk}/roles", {"roles": [r.pk for r in duties]})
    assert response.status_code == 200
    assert "不能由同一人兼任" in response.content.decode()
    assert not target.roles.exists()


def test_roles_that_together_manage_and_grant_cannot_be_combined(security, role_users):
    granter = Role.objects.create(code="grant_only", name="授权专员")
    granter.permissions.set(Permission.objects.filter(code="user:grant"))
    account_keeper = Role.objects.create(code="accounts_only", name="账号专员")
    account_keeper.permissions.set(Permission.objects.filter(code="user:manage"))
    target = role_users["none"]
    response = security.post(f"/system/users/{target.pk}/roles", {"roles": [granter.pk, account_keeper.pk]})
    assert response.status_code == 200
    assert "不能由同一人兼有" in response.content.decode()
    assert not target.roles.exists()


# --- export -------------------------------------------------------------------------------------


def test_export_has_chinese_headers_and_labels(admin, role_users, bank):
    target = role_users["account_manager"]
    User.objects.filter(pk=target.pk).update(position="account_manager", phone="13800001111")
    response = admin.get("/system/users/export.xlsx", {"org": bank.o1.pk})
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:6] == ("工号", "姓名", "机构号", "所属机构", "岗位", "手机号码")
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["工号"] == target.staff_no and row["岗位"] == "客户经理" and row["员工状态"] == "在职"
    assert row["手机号码"] == "138****1111" and row["角色"] == "客户经理" and row["账号状态"] == "正常"
    assert "导出 1 条" in _logs("user.export")[-1].message


def test_export_needs_user_view(client, role_users):
    client.force_login(role_users["account_manager"])
    assert client.get("/system/users/export.xlsx").status_code == 403
