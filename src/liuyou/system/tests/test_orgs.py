"""机构管理 pages: tree, filter, create, edit/move, disable, export, scope and permissions."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from liuyou.system import services
from liuyou.system.models import DataScope, OperationLog, Org, Permission, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, role_users):
    client.force_login(role_users["system_admin"])
    return client


def _logs(action):
    return list(OperationLog.objects.filter(action=action).order_by("seq"))


def _org_form(**overrides):
    data = {
        "code": "300",
        "name": "西山支行",
        "kind": "branch",
        "parent": "",
        "address": "",
        "sort_order": "0",
    }
    data.update({k: str(v) for k, v in overrides.items()})
    return data


def test_tree_lists_every_org_in_tree_order_with_kind_labels_and_counts(admin, bank, role_users):
    response = admin.get("/system/orgs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" in body
    names = [bank.hq.name, bank.b1.name, bank.o1.name, bank.g1.name, bank.b2.name, bank.g2.name]
    positions = [body.index(n) for n in names]
    assert positions == sorted(positions)  # depth-first: a branch's outlets and grids follow it
    assert response.context["count"] == 6
    rows = {r.org.code: r for r in response.context["rows"]}
    assert rows["100"].kind_label == "支行" and rows["1G1"].kind_label == "网格"
    assert rows["100"].depth == 1 and rows["101"].depth == 2
    # role_users puts the account manager at o1, the specialist at g1, three users at b1.
    assert rows["101"].users == 1
    assert rows["100"].users == 3 and rows["100"].total_users == 5
    assert rows["000"].total_users == len(role_users)


def test_filter_shows_matches_with_their_ancestors_dimmed(admin, bank):
    response = admin.get("/system/orgs/", {"name": "东河"})
    assert response.status_code == 200
    rows = {r.org.code: r.matched for r in response.context["rows"]}
    assert rows == {"000": False, "200": True, "2G1": True}
    hq = response.context["rows"][0]
    assert (
        hq.total_users == admin.get("/system/orgs/").context["rows"][0].total_users
    )  # counts ignore the filter
    assert response.context["count"] == 2

    by_kind = admin.get("/system/orgs/", {"kind": "grid"})
    assert {r.org.code for r in by_kind.context["rows"] if r.matched} == {"1G1", "2G1"}


def test_htmx_request_gets_the_tree_fragment_only(admin, bank):
    response = admin.get("/system/orgs/", {"code": "1"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="org-tree"' in body and "<html" not in body


def test_roles_without_org_view_are_refused(client, role_users, bank):
    for code in ("account_manager", "auditor", "hq_admin"):
        client.force_login(role_users[code])
        assert client.get("/system/orgs/").status_code == 403, code
        assert client.get("/system/orgs/export.xlsx").status_code == 403, code
    client.force_login(role_users["security_admin"])  # org:view but not org:manage
    assert client.get("/system/orgs/").status_code == 200
    assert client.get("/system/orgs/new").status_code == 403
    assert client.post(f"/system/orgs/{bank.g2.pk}/disable").status_code == 403
    client.logout()
    assert client.get("/system/orgs/").status_code == 302


def test_create_branch_under_head_office(admin, bank):
    response = admin.post("/system/orgs/new", _org_form(parent=bank.hq.pk, address="西山镇", sort_order=3))
    assert response.status_code == 302
    org = Org.objects.get(code="300")
    assert (org.name, org.kind, org.parent, org.address, org.sort_order) == (
        "西山支行",
        "branch",
        bank.hq,
        "西山镇",
        3,
    )
    assert org.path == f"{bank.hq.path}{org.pk}/" and org.depth == 1
    (entry,) = _logs("org.create")[-1:]
    assert entry.object_id == str(org.pk) and entry.after["code"] == "300"


def test_new_child_form_defaults_to_the_usual_kind(admin, bank):
    response = admin.get("/system/orgs/new", {"parent": bank.b1.pk})
    form = response.context["form"]
    assert form.initial["parent"] == bank.b1.pk and form.initial["kind"] == "outlet"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"kind": "grid", "parent": "HQ"}, "parent", "网格的上级机构必须是支行"),
        ({"kind": "outlet", "parent": "HQ"}, "parent", "网点的上级机构必须是支行"),
        ({"kind": "branch", "parent": "B1"}, "parent", "支行的上级机构必须是总行"),
        ({"kind": "branch", "parent": ""}, "parent", "请选择上级机构"),
        ({"kind": "head_office", "parent": "HQ"}, "parent", "总行不能设置上级机构"),
        ({"code": "X" * 33, "parent": "HQ"}, "code", "不能超过 32 个字符"),
        ({"code": "100", "parent": "HQ"}, "code", "机构号已存在"),
        ({"code": "3 00", "parent": "HQ"}, "code", "只能包含字母、数字"),
        ({"name": "", "parent": "HQ"}, "name", "这个字段是必填项"),
        ({"name": "支" * 101, "parent": "HQ"}, "name", "不能超过 100 个字符"),
        ({"sort_order": "99999999999", "parent": "HQ"}, "sort_order", "小于或等于9999"),
        ({"kind": "bank", "parent": "HQ"}, "kind", "选择一个有效的选项"),
    ],
)
def test_invalid_org_input_gives_chinese_errors_and_stores_nothing(admin, bank, overrides, field, message):
    parent = {"HQ": bank.hq.pk, "B1": bank.b1.pk, "": ""}[overrides.pop("parent")]
    before = Org.objects.count()
    response = admin.post("/system/orgs/new", _org_form(parent=parent, **overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in e for e in errors.get(field, []) + errors.get("__all__", [])), errors
    assert message in response.content.decode()
    assert Org.objects.count() == before


def test_edit_renames_and_logs_only_changed_fields(admin, bank):
    data = _org_form(code="100", name="城关中心支行", kind="branch", parent=bank.hq.pk, address="城关镇")
    response = admin.post(f"/system/orgs/{bank.b1.pk}/edit", data)
    assert response.status_code == 302
    bank.b1.refresh_from_db()
    assert (bank.b1.name, bank.b1.address) == ("城关中心支行", "城关镇")
    entry = _logs("org.update")[-1]
    assert entry.before == {"name": "城关支行", "address": ""}
    assert entry.after == {"name": "城关中心支行", "address": "城关镇"}
    assert not _logs("org.move")


def test_moving_a_branch_rewrites_its_whole_subtree(admin, bank):
    hq2 = services.create_org(code="900", name="另一法人行", kind="head_office", parent=None)
    response = admin.post(
        f"/system/orgs/{bank.b1.pk}/edit",
        _org_form(code="100", name="城关支行", kind="branch", parent=hq2.pk),
    )
    assert response.status_code == 302
    b1, o1, g1 = (Org.objects.get(pk=o.pk) for o in (bank.b1, bank.o1, bank.g1))
    assert b1.parent == hq2 and b1.path == f"/{hq2.pk}/{b1.pk}/"
    assert o1.path == f"/{hq2.pk}/{b1.pk}/{o1.pk}/" and g1.path == f"/{hq2.pk}/{b1.pk}/{g1.pk}/"
    assert (b1.depth, o1.depth, g1.depth) == (1, 2, 2)
    assert Org.objects.get(pk=bank.b2.pk).path == f"/{bank.hq.pk}/{bank.b2.pk}/"  # untouched
    move = _logs("org.move")[-1]
    assert move.before["path"] == f"/{bank.hq.pk}/{b1.pk}/" and move.after["path"] == b1.path


def test_cannot_move_an_org_under_itself_or_below(admin, bank):
    page = admin.get(f"/system/orgs/{bank.b1.pk}/edit")
    offered = set(page.context["form"].fields["parent"].queryset.values_list("pk", flat=True))
    assert not offered & {bank.b1.pk, bank.o1.pk, bank.g1.pk}
    response = admin.post(
        f"/system/orgs/{bank.b1.pk}/edit",
        _org_form(code="100", name="城关支行", kind="branch", parent=bank.g1.pk),
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.context["form"].errors["parent"][0]
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.check_org_placement(kind="head_office", parent=None, org=bank.hq)  # fine
        services.check_org_placement(kind="outlet", parent=bank.b1, org=bank.b1)
    assert "自身或下级" in str(exc.value)
    assert Org.objects.get(pk=bank.b1.pk).parent_id == bank.hq.pk


def test_kind_of_an_org_with_children_cannot_change(admin, bank):
    response = admin.post(
        f"/system/orgs/{bank.b1.pk}/edit",
        _org_form(code="100", name="城关支行", kind="outlet", parent=bank.b2.pk),
    )
    assert response.status_code == 200
    assert "下级机构，不能修改机构类型" in response.content.decode()
    assert Org.objects.get(pk=bank.b1.pk).kind == "branch"


def test_disable_refuses_orgs_with_active_users_or_children(admin, bank, role_users):
    response = admin.post(f"/system/orgs/{bank.o1.pk}/disable", follow=True)
    assert "仍有 1 名在职人员" in response.content.decode()
    assert Org.objects.get(pk=bank.o1.pk).is_active

    response = admin.post(f"/system/orgs/{bank.b2.pk}/disable", follow=True)
    assert "启用的下级机构" in response.content.decode()
    assert Org.objects.get(pk=bank.b2.pk).is_active
    assert not _logs("org.disable")


def test_disable_and_enable_an_empty_org(admin, bank):
    response = admin.post(f"/system/orgs/{bank.g2.pk}/disable", {"next": "/system/orgs/?kind=grid"})
    assert response.status_code == 302 and response["Location"] == "/system/orgs/?kind=grid"
    assert not Org.objects.get(pk=bank.g2.pk).is_active
    entry = _logs("org.disable")[-1]
    assert (entry.before, entry.after) == ({"is_active": True}, {"is_active": False})
    # Now b2 has no enabled child left and can itself be disabled; g2 cannot come back under it.
    admin.post(f"/system/orgs/{bank.b2.pk}/disable")
    assert not Org.objects.get(pk=bank.b2.pk).is_active
    response = admin.post(f"/system/orgs/{bank.g2.pk}/enable", follow=True)
    assert "上级机构已停用" in response.content.decode()
    admin.post(f"/system/orgs/{bank.b2.pk}/enable")
    admin.post(f"/system/orgs/{bank.g2.pk}/enable")
    assert Org.objects.get(pk=bank.g2.pk).is_active


def test_external_next_is_ignored(admin, bank):
    response = admin.post(f"/system/orgs/{bank.g2.pk}/disable", {"next": "https://evil.example/"})
    assert response["Location"] == "/system/orgs/"


def test_get_on_a_post_only_action_is_405(admin, bank):
    assert admin.get(f"/system/orgs/{bank.g2.pk}/disable").status_code == 405
    assert Org.objects.get(pk=bank.g2.pk).is_active


def test_unknown_or_out_of_scope_org_is_404(client, bank, make_user):
    role = Role.objects.create(
        code="branch_org_admin", name="支行机构管理员", data_scope=DataScope.ORG_AND_BELOW
    )
    role.permissions.set(Permission.objects.filter(code__in=["org:view", "org:manage"]))
    client.force_login(make_user("8100", "branch_org_admin", org=bank.b1))
    listing = client.get("/system/orgs/")
    assert {r.org.code for r in listing.context["rows"]} == {"100", "101", "1G1"}
    assert client.get(f"/system/orgs/{bank.o1.pk}/edit").status_code == 200
    assert client.get(f"/system/orgs/{bank.b2.pk}/edit").status_code == 404
    assert client.post(f"/system/orgs/{bank.g2.pk}/disable").status_code == 404
    assert client.get("/system/orgs/999999/edit").status_code == 404
    assert Org.objects.get(pk=bank.g2.pk).is_active


def test_export_has_chinese_headers_labels_and_only_the_filtered_rows(admin, bank):
    response = admin.get("/system/orgs/export.xlsx", {"kind": "grid"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("机构号", "机构名称", "机构类型", "上级机构号")
    assert [(r[0], r[2], r[3]) for r in rows[1:]] == [("1G1", "网格", "100"), ("2G1", "网格", "200")]
    entry = _logs("org.export")[-1]
    assert "导出 2 条" in entry.message and "kind=grid" in entry.message

    everything = load_workbook(BytesIO(admin.get("/system/orgs/export.xlsx").content)).active
    assert everything.max_row == 7


@pytest.mark.django_db
def test_path_and_name_compare_bytes_on_postgresql():
    """Subtree and name-prefix ranges need byte order, whatever the database's collation."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite compares bytes (BINARY) already")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE (table_name, column_name) IN (('system_org', 'path'), ('customers_customer', 'name'))"
        )
        assert sorted(cursor.fetchall()) == [("customers_customer", "name", "C"), ("system_org", "path", "C")]
