"""List filters for the administration pages; every value lives in the URL's query string."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django import forms
from django.db.models import Q, QuerySet

from liuyou.system.forms import style
from liuyou.system.models import DataScope, DictType, Org, OrgKind, Role, User, UserStatus

ACTIVE_CHOICES = (("1", "启用"), ("0", "停用"))
LOGIN_CHOICES = (("1", "可登录"), ("0", "已停用"))


def _bool(qs: QuerySet[Any], field: str, value: str) -> QuerySet[Any]:
    return qs.filter(**{field: value == "1"}) if value in ("0", "1") else qs


def _text(label: str, max_length: int, placeholder: str = "") -> dict[str, Any]:
    return {
        "label": label,
        "max_length": max_length,
        "widget": forms.TextInput(attrs={"placeholder": placeholder or label}),
    }


class _Styled(df.FilterSet):
    @property
    def form(self) -> forms.Form:
        form = super().form
        if not getattr(form, "_liuyou_styled", False):
            style(form, small=True)
            form._liuyou_styled = True  # type: ignore[attr-defined]
        return form


class OrgFilter(_Styled):
    name = df.CharFilter(field_name="name", lookup_expr="icontains", **_text("机构名称", 100))
    code = df.CharFilter(field_name="code", lookup_expr="istartswith", **_text("机构号", 32))
    kind = df.ChoiceFilter(
        field_name="kind", label="机构类型", choices=OrgKind.choices, empty_label="全部类型"
    )
    active = df.ChoiceFilter(
        label="状态",
        choices=ACTIVE_CHOICES,
        empty_label="全部状态",
        method=lambda qs, _n, v: _bool(qs, "is_active", v),
    )

    class Meta:
        model = Org
        fields: list[str] = []

    @property
    def narrowed(self) -> bool:
        """Whether any filter is set, i.e. the page shows matches rather than the whole tree."""
        if not self.is_bound:
            return False
        self.form.errors  # noqa: B018 - runs validation; invalid fields are ignored, as the queryset does
        return any(v not in (None, "") for v in getattr(self.form, "cleaned_data", {}).values())


class UserFilter(_Styled):
    org = df.ModelChoiceFilter(
        label="机构", queryset=Org.objects.none(), method="in_subtree", widget=forms.HiddenInput
    )
    staff_no = df.CharFilter(field_name="staff_no", lookup_expr="istartswith", **_text("工号", 32))
    name = df.CharFilter(field_name="name", lookup_expr="startswith", **_text("姓名", 50))
    role = df.ModelChoiceFilter(
        field_name="roles", label="角色", queryset=Role.objects.all(), empty_label="全部角色"
    )
    status = df.ChoiceFilter(
        field_name="status", label="员工状态", choices=UserStatus.choices, empty_label="全部状态"
    )
    active = df.ChoiceFilter(
        label="账号",
        choices=LOGIN_CHOICES,
        empty_label="全部账号",
        method=lambda qs, _n, v: _bool(qs, "is_active", v),
    )

    class Meta:
        model = User
        fields: list[str] = []

    def __init__(self, *args: Any, orgs: QuerySet[Org], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only orgs in the viewer's scope can be picked: another id is simply an invalid choice.
        self.filters["org"].queryset = orgs  # type: ignore[attr-defined]

    def in_subtree(self, qs: QuerySet[User], name: str, value: Org | None) -> QuerySet[User]:
        return qs.filter(Org.subtree_q(value.path, "org__path")) if value is not None else qs

    @property
    def selected_org(self) -> Org | None:
        return self.form.cleaned_data.get("org") if self.form.is_valid() else None


class RoleFilter(_Styled):
    q = df.CharFilter(method="search", **_text("角色", 32, "角色名称或标识"))
    data_scope = df.ChoiceFilter(
        field_name="data_scope", label="数据范围", choices=DataScope.choices, empty_label="全部范围"
    )
    active = df.ChoiceFilter(
        label="状态",
        choices=ACTIVE_CHOICES,
        empty_label="全部状态",
        method=lambda qs, _n, v: _bool(qs, "is_active", v),
    )

    class Meta:
        model = Role
        fields: list[str] = []

    def search(self, qs: QuerySet[Role], name: str, value: str) -> QuerySet[Role]:
        return qs.filter(Q(name__icontains=value) | Q(code__istartswith=value)) if value else qs


class DictTypeFilter(_Styled):
    q = df.CharFilter(method="search", **_text("字典", 64, "字典名称或标识"))
    active = df.ChoiceFilter(
        label="状态",
        choices=ACTIVE_CHOICES,
        empty_label="全部状态",
        method=lambda qs, _n, v: _bool(qs, "is_active", v),
    )

    class Meta:
        model = DictType
        fields: list[str] = []

    def search(self, qs: QuerySet[DictType], name: str, value: str) -> QuerySet[DictType]:
        return qs.filter(Q(name__icontains=value) | Q(code__istartswith=value)) if value else qs
