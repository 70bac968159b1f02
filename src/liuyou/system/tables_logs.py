"""Columns of the two log lists and of their exports, and the Chinese labels the auditor reads
instead of codes (actions, object types, results, field names)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import django_tables2 as tables
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from liuyou.system.models import LoginLog, LoginResult, LogResult, OperationLog

PER_PAGE = 20

# The first part of an action code names what was acted on, the rest what was done
# ("user.password_reset"). Unknown parts are shown as they are.
ACTION_DOMAINS = {
    "apikey": "接口密钥",
    "customer": "客户",
    "data_key": "数据密钥",
    "demo": "演示数据",
    "dict": "字典",
    "dict_item": "字典项",
    "log": "日志",
    "org": "机构",
    "pii": "个人信息",
    "role": "角色",
    "session": "会话",
    "user": "用户",
}
ACTION_VERBS = {
    "build": "生成",
    "create": "新增",
    "data_key": "数据密钥",
    "delete": "删除",
    "disable": "停用",
    "enable": "启用",
    "end_all": "全部下线",
    "export": "导出",
    "grant": "授权",
    "import": "导入",
    "move": "移动",
    "password_change": "修改密码",
    "password_reset": "重置密码",
    "reveal": "查看明文",
    "revoke": "撤销",
    "rotate": "轮换",
    "rotate_key": "轮换密钥",
    "totp_enroll": "绑定动态口令",
    "totp_reset": "重置动态口令",
    "unlock": "解锁",
    "update": "修改",
    "verify": "校验完整性",
}

# Whole codes whose generic "domain · verb" reading would mislead.
ACTION_LABELS = {
    "session.revoke": "会话 · 强制下线",
}

RESULT_BADGES = {
    "success": "text-bg-success",
    "failure": "text-bg-danger",
    "locked": "text-bg-warning",
}


def action_label(code: str) -> str:
    if code in ACTION_LABELS:
        return ACTION_LABELS[code]
    domain, _, verb = code.partition(".")
    if domain not in ACTION_DOMAINS:
        return ""
    if not verb:
        return ACTION_DOMAINS[domain]
    return f"{ACTION_DOMAINS[domain]} · {ACTION_VERBS.get(verb, verb)}"


def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type) if "." in object_type else None
    except (LookupError, ValueError):
        return None


# Objects that are not rows of a model.
OBJECT_TYPES = {"pii.data_key": "数据密钥", "system.demo": "演示数据"}


def object_type_label(object_type: str) -> str:
    if object_type in OBJECT_TYPES:
        return OBJECT_TYPES[object_type]
    model = _model(object_type)
    return str(model._meta.verbose_name) if model is not None else object_type


def object_type_choices() -> list[tuple[str, str]]:
    """Liuyou's own models, for the object-type suggestions of the search form."""
    out = list(OBJECT_TYPES.items())
    for model in apps.get_models():
        if model.__module__.startswith("liuyou."):
            out.append((model._meta.label_lower, str(model._meta.verbose_name)))
    return sorted(out)


def field_label(object_type: str, name: str) -> str:
    model = _model(object_type)
    if model is not None:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # extra keys such as "roles" are not model fields
            field = None
        if field is not None and getattr(field, "verbose_name", None):
            return str(field.verbose_name)  # type: ignore[union-attr]
    return {"roles": "角色", "permissions": "权限", "custom_orgs": "自定义机构"}.get(name, name)


def field_value(object_type: str, name: str, value: Any) -> str:
    """A before/after value as the auditor reads it; a coded value also shows its label."""
    if value is None:
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    model = _model(object_type)
    if model is not None and isinstance(value, str):
        try:
            choices = dict(getattr(model._meta.get_field(name), "flatchoices", None) or [])
        except FieldDoesNotExist:
            choices = {}
        if value in choices:
            return f"{choices[value]}（{value}）"
    return str(value)


def diff_rows(entry: OperationLog) -> list[dict[str, Any]]:
    """One row per field named in before or after: label, both values, and whether it changed."""
    before = entry.before if isinstance(entry.before, dict) else None
    after = entry.after if isinstance(entry.after, dict) else None
    keys = list(dict.fromkeys([*(before or {}), *(after or {})]))
    rows = []
    for key in keys:
        b = before.get(key) if before is not None else None
        a = after.get(key) if after is not None else None
        in_before = before is not None and key in before
        in_after = after is not None and key in after
        rows.append(
            {
                "name": key,
                "label": field_label(entry.object_type, key),
                "before": field_value(entry.object_type, key, b) if in_before else "—",
                "after": field_value(entry.object_type, key, a) if in_after else "—",
                "changed": in_before != in_after or b != a,
            }
        )
    return rows


def _badge(value: str, label: str) -> str:
    return format_html(
        '<span class="badge {}">{}</span>', RESULT_BADGES.get(value, "text-bg-secondary"), label
    )


def _local(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


class OperationLogTable(tables.Table):
    created_at = tables.Column(verbose_name="时间", order_by=("seq",), orderable=True)
    staff_no = tables.Column(verbose_name="工号", orderable=False)
    user_name = tables.Column(verbose_name="姓名", orderable=False)
    org_name = tables.Column(verbose_name="机构", orderable=False)
    action = tables.Column(verbose_name="操作", orderable=False)
    object_repr = tables.Column(verbose_name="对象", orderable=False, empty_values=())
    result = tables.Column(verbose_name="结果", orderable=False)
    ip = tables.Column(verbose_name="IP", orderable=False)
    detail = tables.Column(verbose_name="", orderable=False, empty_values=(), accessor="pk")

    class Meta:
        model = OperationLog
        fields = ("created_at", "staff_no", "user_name", "org_name", "action", "object_repr", "result", "ip")
        sequence = (*fields, "detail")
        attrs = {"class": "table table-sm table-hover align-middle ly-log-table"}
        order_by = ("-created_at",)
        empty_text = "没有符合条件的操作日志"

    def render_created_at(self, value: Any) -> str:
        return _local(value)

    def render_action(self, value: str) -> str:
        label = action_label(value)
        if not label:
            return value
        return format_html('{}<div class="small text-body-secondary">{}</div>', label, value)

    def render_object_repr(self, record: OperationLog) -> str:
        if not record.object_type:
            return "—"
        return format_html(
            '{}<div class="small text-body-secondary">{}{}</div>',
            record.object_repr or "—",
            object_type_label(record.object_type),
            f" #{record.object_id}" if record.object_id else "",
        )

    def render_result(self, value: str, record: OperationLog) -> str:
        # tables2 hands choice fields over as their label; the badge colour needs the code.
        return _badge(record.result, record.get_result_display())

    def render_detail(self, value: int) -> str:
        # A real navigation: the results area boosts only its own sort and page links.
        return format_html(
            '<a href="{}" hx-boost="false">详情</a>', reverse("log_operation_detail", args=[value])
        )


class LoginLogTable(tables.Table):
    created_at = tables.Column(verbose_name="时间", order_by=("seq",), orderable=True)
    staff_no = tables.Column(verbose_name="工号", orderable=False)
    result = tables.Column(verbose_name="结果", orderable=False)
    ip = tables.Column(verbose_name="IP", orderable=False)
    user_agent = tables.Column(
        verbose_name="浏览器", orderable=False, attrs={"td": {"class": "text-break small"}}
    )
    reason = tables.Column(verbose_name="说明", orderable=False)
    request_id = tables.Column(
        verbose_name="请求号", orderable=False, attrs={"td": {"class": "small font-monospace"}}
    )

    class Meta:
        model = LoginLog
        fields = ("created_at", "staff_no", "result", "ip", "user_agent", "reason", "request_id")
        attrs = {"class": "table table-sm table-hover align-middle ly-log-table"}
        order_by = ("-created_at",)
        empty_text = "没有符合条件的登录日志"

    def render_created_at(self, value: Any) -> str:
        return _local(value)

    def render_result(self, value: str, record: LoginLog) -> str:
        # tables2 hands choice fields over as their label; the badge colour needs the code.
        return _badge(record.result, record.get_result_display())

    def render_user_agent(self, value: str) -> str:
        return value if len(value) <= 80 else value[:80] + "…"


def ordering(sort: str | None) -> str:
    """The export follows the list's time sort (by sequence); newest first by default."""
    return "seq" if (sort or "").strip() == "created_at" else "-seq"


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


OPERATION_HEADERS = [
    "序号",
    "时间",
    "工号",
    "姓名",
    "机构号",
    "机构",
    "操作",
    "操作说明",
    "对象类型",
    "对象类型说明",
    "对象ID",
    "对象",
    "修改前",
    "修改后",
    "请求号",
    "方法",
    "地址",
    "IP",
    "耗时(毫秒)",
    "结果",
    "说明",
    "上一条哈希",
    "本条哈希",
]


def operation_rows(entries: Iterable[OperationLog]) -> Iterator[list[Any]]:
    results = dict(LogResult.choices)
    type_labels: dict[str, str] = {}
    for e in entries:
        if e.object_type not in type_labels:
            type_labels[e.object_type] = object_type_label(e.object_type) if e.object_type else ""
        yield [
            e.seq,
            _local(e.created_at),
            e.staff_no,
            e.user_name,
            e.org_code,
            e.org_name,
            e.action,
            action_label(e.action),
            e.object_type,
            type_labels[e.object_type],
            e.object_id,
            e.object_repr,
            _json(e.before),
            _json(e.after),
            e.request_id,
            e.method,
            e.path,
            e.ip,
            e.duration_ms,
            results.get(e.result, e.result),
            e.message,
            e.prev_hash,
            e.hash,
        ]


LOGIN_HEADERS = [
    "序号",
    "时间",
    "工号",
    "用户ID",
    "结果",
    "IP",
    "浏览器",
    "说明",
    "请求号",
    "上一条哈希",
    "本条哈希",
]


def login_rows(entries: Iterable[LoginLog]) -> Iterator[list[Any]]:
    results = dict(LoginResult.choices)
    for e in entries:
        yield [
            e.seq,
            _local(e.created_at),
            e.staff_no,
            e.user_id,
            results.get(e.result, e.result),
            e.ip,
            e.user_agent,
            e.reason,
            e.request_id,
            e.prev_hash,
            e.hash,
        ]
