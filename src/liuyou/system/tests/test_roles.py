"""角色权限 pages: list, create, edit (permissions and data scope), disable, export."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from liuyou.core.access import permissions_of
from liuyou.system.models import OperationLog, Permission, Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def security(client, role_users):
    client.force_login(role_users["security_admin"])
    return client


def _logs(action):
    return list(OperationLog.objects.filter(action=action).order_by("seq"))


def _perm_ids(*codes):
    return [str(pk) for pk in Permission.objects.filter(code__in=codes).values_list("pk", flat=True)]


def _role_form(**overrides):
    data = {
        "name": "支行风险岗",
        "code": "branch_risk",
        "data_scope": "org_and_below",
        "permissions": _perm_ids("workbench:view", "customer:view"),
        "description": "",
        "sort_order": "20",
    }
    data.update(overrides)
    return data


def test_list_shows_scope_labels_and_counts(security, role_users):
    response = security.get("/system/roles/")
    assert response.status_code == 200
    body = response.content.decode()
    assert response.context["count"] == 10
    assert "仅本人" in body and "本机构及以下" in body and "全部数据" in body
    rows = {r.code: r for r in response.context["table"].data}
    from liuyou.system.catalog import ROLES

    assert rows["account_manager"].permission_count == len(ROLES["account_manager"][2])
    assert rows["account_manager"].user_count == 1


def test_filter_by_scope_and_text(security):
    by_scope = security.get("/system/roles/", {"data_scope": "all"})
    assert {r.code for r in by_scope.context["table"].data} == {
        "risk_officer",
        "post_loan_officer",
        "auditor",
        "hq_admin",
        "system_admin",
        "security_admin",
    }
    by_text = security.get("/system/roles/", {"q": "客户"})
    assert [r.code for r in by_text.context["table"].data] == ["account_manager"]


def test_roles_pages_need_role_permissions(client, role_users):
    role = Role.objects.get(code="account_manager")
    for code in ("system_admin", "auditor", "account_manager", "hq_admin"):
        client.force_login(role_users[code])
        assert client.get("/system/roles/").status_code == 403, code
        assert client.get(f"/system/roles/{role.pk}/").status_code == 403, code
        assert client.post(f"/system/roles/{role.pk}/disable").status_code == 403, code
    assert Role.objects.get(pk=role.pk).is_active


def test_detail_groups_granted_permissions(security):
    role = Role.objects.get(code="system_admin")
    response = security.get(f"/system/roles/{role.pk}/")
    assert response.status_code == 200
    groups = dict(response.context["groups"])
    assert [p.code for p in groups["系统管理"]][:2] == ["org:view", "org:manage"]
    assert "客户" not in groups


def test_create_role_with_custom_scope(security, bank):
    data = _role_form(data_scope="custom", custom_orgs=[str(bank.b2.pk)])
    response = security.post("/system/roles/new", data)
    assert response.status_code == 302
    role = Role.objects.get(code="branch_risk")
    assert (role.name, role.data_scope, role.is_builtin, role.sort_order) == (
        "支行风险岗",
        "custom",
        False,
        20,
    )
    assert set(role.permissions.values_list("code", flat=True)) == {"workbench:view", "customer:view"}
    assert list(role.custom_orgs.all()) == [bank.b2]
    entry = _logs("role.create")[-1]
    assert entry.after["permissions"] == ["customer:view", "workbench:view"]
    assert entry.after["custom_orgs"] == ["200"] and entry.after["data_scope"] == "custom"


def test_form_groups_permission_checkboxes(security):
    form = security.get("/system/roles/new").context["form"]
    groups = dict(form.permission_groups())
    assert {"工作台", "客户", "系统管理", "安全管理", "审计"} <= set(groups)
    assert all(not checked for rows in groups.values() for _, checked in rows)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"data_scope": "custom"}, "custom_orgs", "自定义机构范围至少选择一个机构"),
        ({"data_scope": "everything"}, "data_scope", "选择一个有效的选项"),
        ({"code": "Branch-Risk"}, "code", "须以小写字母开头"),
        ({"code": "account_manager"}, "code", "角色标识已存在"),
        ({"code": "r" * 33}, "code", "不能超过 32 个字符"),
        ({"name": "名" * 33}, "name", "不能超过 32 个字符"),
        ({"permissions": ["999999"]}, "permissions", "选择一个有效的选项"),
        ({"description": "说" * 201}, "description", "不能超过 200 个字符"),
    ],
)
def test_invalid_role_input_gives_chinese_errors(security, overrides, field, message):
    before = Role.objects.count()
    response = security.post("/system/roles/new", _role_form(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in e for e in errors[field]), errors
    assert message in response.content.decode()
    assert Role.objects.count() == before


def test_edit_builtin_role_keeps_its_code_and_logs_the_permission_change(security):
    role = Role.objects.get(code="account_manager")
    response = security.post(
        f"/system/roles/{role.pk}/edit",
        _role_form(
            name="客户经理",
            code="renamed",
            data_scope="self",
            permissions=_perm_ids("workbench:view", "customer:view"),
            description=role.description,
            sort_order=str(role.sort_order),
        ),
    )
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.code == "account_manager"
    assert set(role.permissions.values_list("code", flat=True)) == {"workbench:view", "customer:view"}
    entry = _logs("role.update")[-1]
    from liuyou.system.catalog import ROLES

    assert entry.before == {"permissions": sorted(ROLES["account_manager"][2])}
    assert entry.after == {"permissions": ["customer:view", "workbench:view"]}


def test_changing_scope_to_custom_and_back_clears_orgs(security, bank):
    role = Role.objects.get(code="branch_head")
    perms = [str(p) for p in role.permissions.values_list("pk", flat=True)]
    base = {
        "name": role.name,
        "code": role.code,
        "permissions": perms,
        "description": role.description,
        "sort_order": str(role.sort_order),
    }
    security.post(
        f"/system/roles/{role.pk}/edit", {**base, "data_scope": "custom", "custom_orgs": [bank.b1.pk]}
    )
    role.refresh_from_db()
    assert role.data_scope == "custom" and list(role.custom_orgs.all()) == [bank.b1]
    security.post(f"/system/roles/{role.pk}/edit", {**base, "data_scope": "org", "custom_orgs": [bank.b1.pk]})
    role.refresh_from_db()
    assert role.data_scope == "org" and not role.custom_orgs.exists()
    entry = _logs("role.update")[-1]
    assert entry.before == {"data_scope": "custom", "custom_orgs": ["100"]}
    assert entry.after == {"data_scope": "org", "custom_orgs": []}


def test_nobody_widens_a_role_they_hold(security, role_users):
    role = Role.objects.get(code="security_admin")
    before = set(role.permissions.values_list("code", flat=True))
    data = _role_form(
        name=role.name,
        code=role.code,
        data_scope="all",
        permissions=_perm_ids(*before, "customer:view"),
        description=role.description,
        sort_order=str(role.sort_order),
    )
    response = security.post(f"/system/roles/{role.pk}/edit", data)
    assert response.status_code == 200
    assert "不能修改本人所持有角色的权限与数据范围" in response.content.decode()
    assert set(role.permissions.values_list("code", flat=True)) == before
    assert "customer:view" not in permissions_of(User.objects.get(pk=role_users["security_admin"].pk))
    response = security.post(f"/system/roles/{role.pk}/disable", follow=True)
    assert "不能停用本人所持有的角色" in response.content.decode()
    assert Role.objects.get(pk=role.pk).is_active


def test_disable_takes_the_permissions_away_and_enable_restores_them(security, role_users):
    role = Role.objects.get(code="account_manager")
    am = role_users["account_manager"]
    response = security.post(f"/system/roles/{role.pk}/disable")
    assert response.status_code == 302
    assert not Role.objects.get(pk=role.pk).is_active
    assert permissions_of(User.objects.get(pk=am.pk)) == frozenset()
    assert _logs("role.disable")[-1].after == {"is_active": False}
    security.post(f"/system/roles/{role.pk}/enable")
    assert "customer:view" in permissions_of(User.objects.get(pk=am.pk))


def test_there_is_no_delete(security):
    role = Role.objects.get(code="auditor")
    assert security.post(f"/system/roles/{role.pk}/delete").status_code == 404
    assert Role.objects.filter(pk=role.pk).exists()


def test_unknown_role_is_404(security):
    assert security.get("/system/roles/999999/").status_code == 404
    assert security.get("/system/roles/999999/edit").status_code == 404


def test_export_lists_roles_with_labels(security):
    response = security.get("/system/roles/export.xlsx", {"data_scope": "org_and_below"})
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("角色标识", "角色名称", "数据范围")
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["角色标识"], row["数据范围"], row["内置"], row["状态"]) == (
        "branch_head",
        "本机构及以下",
        "是",
        "启用",
    )
    assert "导出客户" in row["权限"]
    assert _logs("role.export")


def test_a_role_cannot_both_maintain_accounts_and_grant_roles(security):
    response = security.post(
        "/system/roles/new", _role_form(permissions=_perm_ids("user:manage", "user:grant"))
    )
    assert response.status_code == 200
    assert "不能由同一人兼有" in response.context["form"].errors["permissions"][0]
    assert not Role.objects.filter(code="branch_risk").exists()
    system_admin = Role.objects.get(code="system_admin")
    perms = [str(p) for p in system_admin.permissions.values_list("pk", flat=True)]
    response = security.post(
        f"/system/roles/{system_admin.pk}/edit",
        _role_form(
            name=system_admin.name,
            code=system_admin.code,
            data_scope="all",
            permissions=[*perms, *_perm_ids("user:grant")],
        ),
    )
    assert "不能由同一人兼有" in response.content.decode()
    assert not system_admin.permissions.filter(code="user:grant").exists()
