"""数据字典 pages: types, items, create/edit, disable rules, labels in use, export."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook

from liuyou.system.models import DictItem, DictType, OperationLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, role_users):
    client.force_login(role_users["system_admin"])
    return client


def _logs(action):
    return list(OperationLog.objects.filter(action=action).order_by("seq"))


def _position():
    return DictType.objects.get(code="position")


def test_list_and_items(admin):
    response = admin.get("/system/dicts/")
    assert response.status_code == 200
    assert response.context["count"] == DictType.objects.count()
    assert "岗位" in response.content.decode()
    detail = admin.get(f"/system/dicts/{_position().pk}/")
    assert detail.status_code == 200
    assert detail.context["count"] == 12
    assert "客户经理" in detail.content.decode()


def test_filter_by_text(admin):
    response = admin.get("/system/dicts/", {"q": "user_"})
    assert [t.code for t in response.context["table"].data] == ["user_status"]


def test_permissions(client, role_users):
    client.force_login(role_users["account_manager"])
    assert client.get("/system/dicts/").status_code == 403
    client.force_login(role_users["security_admin"])
    assert client.get("/system/dicts/").status_code == 403
    client.force_login(role_users["auditor"])
    assert client.get(f"/system/dicts/{_position().pk}/").status_code == 403
    client.force_login(role_users["hq_admin"])  # business configuration
    assert client.get("/system/dicts/").status_code == 200
    assert client.get("/system/dicts/new").status_code == 200


def test_create_type_and_items_then_relabel(admin):
    response = admin.post(
        "/system/dicts/new", {"code": "visit_purpose", "name": "走访目的", "description": ""}
    )
    dict_type = DictType.objects.get(code="visit_purpose")
    assert response.status_code == 302 and response["Location"] == f"/system/dicts/{dict_type.pk}/"
    assert not dict_type.is_builtin and _logs("dict.create")[-1].after["code"] == "visit_purpose"

    response = admin.post(
        f"/system/dicts/{dict_type.pk}/items/new", {"value": "loan", "label": "贷款营销", "sort_order": "1"}
    )
    assert response.status_code == 302
    item = DictItem.objects.get(dict_type=dict_type, value="loan")
    assert (item.label, item.sort_order, item.is_active) == ("贷款营销", 1, True)

    response = admin.post(
        f"/system/dicts/items/{item.pk}/edit", {"value": "changed", "label": "信贷营销", "sort_order": "2"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.value, item.label, item.sort_order) == ("loan", "信贷营销", 2)  # the value never changes
    entry = _logs("dict_item.update")[-1]
    assert entry.before == {"label": "贷款营销", "sort_order": 1}
    assert entry.after == {"label": "信贷营销", "sort_order": 2}


@pytest.mark.parametrize(
    ("url", "data", "field", "message"),
    [
        ("/system/dicts/new", {"code": "position", "name": "重复"}, "code", "字典标识已存在"),
        ("/system/dicts/new", {"code": "Bad Code", "name": "x"}, "code", "须以小写字母开头"),
        ("/system/dicts/new", {"code": "ok", "name": "名" * 65}, "name", "不能超过 64 个字符"),
        ("ITEMS", {"value": "teller", "label": "柜员2"}, "value", "该字典下已有相同的字典值"),
        ("ITEMS", {"value": "v" * 65, "label": "x"}, "value", "不能超过 64 个字符"),
        ("ITEMS", {"value": "ok", "label": ""}, "label", "这个字段是必填项"),
        ("ITEMS", {"value": "ok", "label": "x", "sort_order": "-1"}, "sort_order", "大于或等于0"),
    ],
)
def test_invalid_dictionary_input_gives_chinese_errors(admin, url, data, field, message):
    if url == "ITEMS":
        url = f"/system/dicts/{_position().pk}/items/new"
    types, items = DictType.objects.count(), DictItem.objects.count()
    response = admin.post(url, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(message in e for e in errors[field]), errors
    assert (DictType.objects.count(), DictItem.objects.count()) == (types, items)


def test_builtin_types_cannot_be_disabled_or_recoded(admin):
    position = _position()
    response = admin.post(f"/system/dicts/{position.pk}/disable", follow=True)
    assert "内置字典不能停用" in response.content.decode()
    assert DictType.objects.get(pk=position.pk).is_active
    admin.post(
        f"/system/dicts/{position.pk}/edit", {"code": "job", "name": "岗位名称", "description": "人员岗位"}
    )
    position.refresh_from_db()
    assert (position.code, position.name) == ("position", "岗位名称")


def test_custom_types_can_be_disabled_and_enabled(admin):
    admin.post("/system/dicts/new", {"code": "temp_dict", "name": "临时"})
    dict_type = DictType.objects.get(code="temp_dict")
    admin.post(f"/system/dicts/{dict_type.pk}/disable")
    assert not DictType.objects.get(pk=dict_type.pk).is_active
    assert _logs("dict.disable")[-1].after == {"is_active": False}
    admin.post(f"/system/dicts/{dict_type.pk}/enable")
    assert DictType.objects.get(pk=dict_type.pk).is_active


def test_disabled_item_leaves_forms_but_keeps_its_label(admin, role_users):
    teller = DictItem.objects.get(dict_type__code="position", value="teller")
    user = role_users["account_manager"]
    type(user).objects.filter(pk=user.pk).update(position="teller")
    response = admin.post(f"/system/dicts/items/{teller.pk}/disable")
    assert response.status_code == 302
    assert not DictItem.objects.get(pk=teller.pk).is_active
    new_form = admin.get("/system/users/new").context["form"]
    assert "teller" not in dict(new_form.fields["position"].choices)
    edit_form = admin.get(f"/system/users/{user.pk}/edit").context["form"]
    assert "teller" in dict(edit_form.fields["position"].choices)  # the current value stays selectable
    assert "柜员" in admin.get(f"/system/users/{user.pk}/").content.decode()


def test_items_of_system_defined_dictionaries_cannot_be_disabled_or_added(admin):
    active = DictItem.objects.get(dict_type__code="user_status", value="active")
    response = admin.post(f"/system/dicts/items/{active.pk}/disable", follow=True)
    assert "字典项不能停用" in response.content.decode()
    assert DictItem.objects.get(pk=active.pk).is_active
    status_type = active.dict_type
    response = admin.post(f"/system/dicts/{status_type.pk}/items/new", {"value": "retired", "label": "退休"})
    assert "不能新增字典项" in response.content.decode()
    assert not DictItem.objects.filter(value="retired").exists()


def test_relabelled_items_show_everywhere(admin, role_users):
    active = DictItem.objects.get(dict_type__code="user_status", value="active")
    admin.post(f"/system/dicts/items/{active.pk}/edit", {"label": "在岗", "sort_order": "0"})
    body = admin.get("/system/users/").content.decode()
    assert "在岗" in body


def test_unknown_ids_are_404(admin):
    assert admin.get("/system/dicts/999999/").status_code == 404
    assert admin.get("/system/dicts/items/999999/edit").status_code == 404


def test_exports(admin):
    response = admin.get("/system/dicts/export.xlsx", {"q": "user_status"})
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("字典标识", "字典名称", "字典值", "字典标签", "排序", "状态")
    assert rows[1:] == [
        ("user_status", "员工状态", "active", "在职", 0, "启用"),
        ("user_status", "员工状态", "left", "离职", 1, "启用"),
    ]
    items = admin.get(f"/system/dicts/{_position().pk}/export.xlsx")
    rows = list(load_workbook(BytesIO(items.content)).active.iter_rows(values_only=True))
    assert len(rows) == 13 and rows[1][3] == "客户经理"
    assert len(_logs("dict.export")) == 2
