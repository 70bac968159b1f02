"""Search filters for the operation log and the login log, shared by the list pages and their
exports so that an export holds exactly the rows the auditor is looking at.

Values stay in the URL. An invalid value never widens the search: the view shows the message
beside the field and no rows, instead of silently ignoring the bad filter.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from liuyou.core.filters import DateRangeForm, date_filter, day_start
from liuyou.system.models import LoginLog, LoginResult, LogResult, OperationLog


def _text(label: str, max_length: int, placeholder: str = "", **kwargs: Any) -> django_filters.CharFilter:
    return django_filters.CharFilter(
        label=label,
        max_length=max_length,
        error_messages={"max_length": "不能超过 %(limit_value)d 个字符（当前 %(show_value)d 个）"},
        widget=forms.TextInput(attrs={"placeholder": placeholder} if placeholder else {}),
        **kwargs,
    )


class _LogFilter(django_filters.FilterSet):
    date_from = date_filter("开始日期", "filter_date_from")
    date_to = date_filter("结束日期", "filter_date_to")
    staff_no = _text("工号", 32, "完整工号", method="filter_staff_no")
    ip = _text("IP", 45, "完整 IP 地址", method="filter_ip")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.form.order_fields(self._meta.fields)
        for field in self.form.fields.values():
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs.setdefault("class", css)

    def filter_date_from(self, queryset: QuerySet[Any], name: str, value: date | None) -> QuerySet[Any]:
        return queryset.filter(created_at__gte=day_start(value)) if value else queryset

    def filter_date_to(self, queryset: QuerySet[Any], name: str, value: date | None) -> QuerySet[Any]:
        return queryset.filter(created_at__lt=day_start(value + timedelta(days=1))) if value else queryset

    def filter_staff_no(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(staff_no=value.strip()) if value and value.strip() else queryset

    def filter_ip(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(ip=value.strip()) if value and value.strip() else queryset

    def filter_request_id(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        # Accept the id as shown on error pages, in headers or pasted with dashes/uppercase.
        cleaned = value.strip().lower().replace("-", "") if value else ""
        return queryset.filter(request_id=cleaned) if cleaned else queryset

    def describe(self) -> str:
        """The active filters in words, for the audit record of an export."""
        if not self.is_bound or not self.form.is_valid():
            return ""
        parts = []
        for name, value in self.form.cleaned_data.items():
            if value in (None, ""):
                continue
            field = self.form.fields[name]
            shown = value
            choices = dict(getattr(field, "choices", []) or [])
            if choices and value in choices:
                shown = choices[value]
            parts.append(f"{field.label}={shown}")
        return "，".join(parts) or "全部"

    def active(self) -> dict[str, str]:
        """The active filters as plain strings, for the structured part of the audit record."""
        if not self.is_bound or not self.form.is_valid():
            return {}
        return {k: str(v) for k, v in self.form.cleaned_data.items() if v not in (None, "")}


class OperationLogFilter(_LogFilter):
    org = _text("机构", 100, "机构号或名称", method="filter_org")
    action = _text("操作", 64, "前缀，如 user. 或 org.create", method="filter_action")
    object_type = _text("对象类型", 64, "如 system.user", method="filter_object_type")
    result = django_filters.ChoiceFilter(label="结果", choices=LogResult.choices, empty_label="全部")
    request_id = _text("请求号", 36, "完整请求号", method="filter_request_id")

    class Meta:
        model = OperationLog
        fields = [
            "date_from",
            "date_to",
            "staff_no",
            "org",
            "action",
            "object_type",
            "result",
            "request_id",
            "ip",
        ]
        form = DateRangeForm

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.form.fields["object_type"].widget.attrs["list"] = "log-object-types"

    def filter_org(self, queryset: QuerySet[OperationLog], name: str, value: str) -> QuerySet[OperationLog]:
        # The log keeps the actor's org as it was at the time (code and name), not a link.
        text = value.strip() if value else ""
        return queryset.filter(Q(org_code=text) | Q(org_name__icontains=text)) if text else queryset

    def filter_action(
        self, queryset: QuerySet[OperationLog], name: str, value: str
    ) -> QuerySet[OperationLog]:
        text = value.strip() if value else ""
        return queryset.filter(action__startswith=text) if text else queryset

    def filter_object_type(
        self, queryset: QuerySet[OperationLog], name: str, value: str
    ) -> QuerySet[OperationLog]:
        text = value.strip().lower() if value else ""
        return queryset.filter(object_type=text) if text else queryset


class LoginLogFilter(_LogFilter):
    result = django_filters.ChoiceFilter(label="结果", choices=LoginResult.choices, empty_label="全部")

    class Meta:
        model = LoginLog
        fields = ["date_from", "date_to", "staff_no", "ip", "result"]
        form = DateRangeForm
