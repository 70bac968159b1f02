"""List columns for the administration pages. Codes are shown as dictionary labels; the
labels are passed in once per request rather than looked up per row."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.utils.html import format_html

from liuyou.core import pii
from liuyou.system.models import DictItem, DictType, Role, User

PER_PAGE = 20


def _badge(text: str, tone: str) -> str:
    return format_html('<span class="badge text-bg-{}">{}</span>', tone, text)


class _Base(tables.Table):
    class Meta:
        attrs = {"class": "table table-sm table-hover align-middle mb-0 text-nowrap"}
        empty_text = "暂无数据"
        template_name = "django_tables2/bootstrap5-responsive.html"


class UserTable(_Base):
    staff_no = tables.Column("工号", linkify=("sysadmin:user_detail", {"user_id": tables.A("pk")}))
    name = tables.Column("姓名")
    org = tables.Column("所属机构", accessor="org__name", order_by=("org__path", "staff_no"))
    position = tables.Column("岗位")
    phone = tables.Column("手机号码", orderable=False)
    roles = tables.ManyToManyColumn(
        verbose_name="角色", transform=lambda r: r.name, separator="、", orderable=False
    )
    status = tables.Column("员工状态")
    is_active = tables.TemplateColumn(template_name="system/users/_switch.html", verbose_name="账号状态")
    actions = tables.TemplateColumn(
        template_name="system/users/_row_actions.html",
        verbose_name="操作",
        orderable=False,
        attrs={"td": {"class": "text-nowrap"}},
    )

    class Meta(_Base.Meta):
        model = User
        fields = ("staff_no", "name", "org", "position", "phone", "roles", "status", "is_active", "actions")

    def __init__(self, *args: Any, labels: dict[str, dict[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.labels = labels

    def render_position(self, value: str) -> str:
        return self.labels["position"].get(value, value)

    def render_phone(self, value: str) -> str:
        return pii.mask(value, "phone")

    def render_status(self, value: str, record: User) -> str:
        label = self.labels["user_status"].get(record.status, record.status)
        return _badge(label, "success" if record.status == "active" else "secondary")


class RoleTable(_Base):
    name = tables.Column("角色名称", linkify=("sysadmin:role_detail", {"role_id": tables.A("pk")}))
    code = tables.Column("角色标识")
    data_scope = tables.Column("数据范围")
    permission_count = tables.Column("权限数", attrs={"td": {"class": "text-end"}})
    user_count = tables.Column("用户数", attrs={"td": {"class": "text-end"}})
    is_builtin = tables.BooleanColumn("内置", yesno="是,否")
    is_active = tables.Column("状态")
    actions = tables.TemplateColumn(
        template_name="system/roles/_row_actions.html",
        verbose_name="操作",
        orderable=False,
        attrs={"td": {"class": "text-nowrap"}},
    )

    class Meta(_Base.Meta):
        model = Role
        fields = (
            "name",
            "code",
            "data_scope",
            "permission_count",
            "user_count",
            "is_builtin",
            "is_active",
            "actions",
        )

    def __init__(self, *args: Any, scope_labels: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scope_labels = scope_labels

    def render_data_scope(self, value: str) -> str:
        return self.scope_labels.get(value, value)

    def render_is_active(self, value: bool) -> str:
        return _badge("启用", "success") if value else _badge("停用", "secondary")


class DictTypeTable(_Base):
    code = tables.Column("字典标识", linkify=("sysadmin:dict_detail", {"dict_id": tables.A("pk")}))
    name = tables.Column("字典名称")
    description = tables.Column("说明", orderable=False)
    item_count = tables.Column("字典项数", attrs={"td": {"class": "text-end"}})
    is_builtin = tables.BooleanColumn("内置", yesno="是,否")
    is_active = tables.Column("状态")
    actions = tables.TemplateColumn(
        template_name="system/dicts/_type_actions.html",
        verbose_name="操作",
        orderable=False,
        attrs={"td": {"class": "text-nowrap"}},
    )

    class Meta(_Base.Meta):
        model = DictType
        fields = ("code", "name", "description", "item_count", "is_builtin", "is_active", "actions")

    def render_is_active(self, value: bool) -> str:
        return _badge("启用", "success") if value else _badge("停用", "secondary")


class DictItemTable(_Base):
    value = tables.Column("字典值")
    label = tables.Column("字典标签")
    sort_order = tables.Column("排序", attrs={"td": {"class": "text-end"}})
    is_active = tables.Column("状态")
    actions = tables.TemplateColumn(
        template_name="system/dicts/_item_actions.html",
        verbose_name="操作",
        orderable=False,
        attrs={"td": {"class": "text-nowrap"}},
    )

    class Meta(_Base.Meta):
        model = DictItem
        fields = ("value", "label", "sort_order", "is_active", "actions")

    def render_is_active(self, value: bool) -> str:
        return _badge("启用", "success") if value else _badge("停用", "secondary")
