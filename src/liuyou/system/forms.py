"""Page inputs for orgs, users, roles and dictionaries. Forms check shape and uniqueness and
report in Chinese beside the field; the business rules live in services (their
ValidationErrors are attached back to the form by the views)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.db.models import QuerySet

from liuyou.system import selectors, services
from liuyou.system.models import (
    DataScope,
    DictItem,
    DictType,
    Org,
    OrgKind,
    Permission,
    Role,
    User,
    UserStatus,
)

MOBILE = RegexValidator(r"^1[3-9]\d{9}$", "请输入 11 位手机号码（1 开头，第二位 3-9）")
CODE = RegexValidator(r"^[A-Za-z0-9_-]+$", "只能包含字母、数字、下划线和短横线")
STAFF_NO = RegexValidator(r"^[A-Za-z0-9]+$", "工号只能包含字母和数字")
WECOM = RegexValidator(r"^[A-Za-z0-9_.@-]+$", "企业微信账号只能包含字母、数字和 _ . @ -")
IDENT = RegexValidator(r"^[a-z][a-z0-9_]*$", "须以小写字母开头，只能包含小写字母、数字和下划线")


def style(form: forms.BaseForm, small: bool = False) -> None:
    """Bootstrap classes on every widget (templates render bare `{{ field }}`)."""
    size = " form-control-sm" if small else ""
    for field in form.fields.values():
        if (
            isinstance(field, forms.CharField)
            and field.max_length
            and "max_length" not in field.error_messages
        ):
            field.error_messages["max_length"] = "不能超过 %(limit_value)d 个字符（当前 %(show_value)d 个）"
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            widget.attrs["class"] = "form-check-input"
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select" + (" form-select-sm" if small else "")
        else:
            css = "form-control" + size
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class Styled(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        style(self)

    def full_clean(self) -> None:
        super().full_clean()
        # Bootstrap shows the message beside a field only when the field is marked invalid.
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


class SortOrderField(forms.IntegerField):
    """Optional; blank means 0. Bounded so an absurd number is a form error, not a database one."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(label="排序", min_value=0, max_value=9999, initial=0, required=False, **kwargs)

    def clean(self, value: Any) -> int:
        cleaned = super().clean(value)
        return 0 if cleaned is None else cleaned


def _sort_field() -> SortOrderField:
    return SortOrderField()


def _org_label(obj: Org) -> str:
    return f"{'　' * obj.depth}{obj.name}（{obj.code}）{'' if obj.is_active else '（已停用）'}"


class _TreeOrdered:
    """Org choices listed in tree order, indented by depth; validation still uses the queryset."""

    def _get_choices(self) -> Any:
        if hasattr(self, "_choices"):
            return self._choices
        orgs = selectors.in_tree_order(self.queryset)  # type: ignore[attr-defined]
        empty_label = getattr(self, "empty_label", None)
        blank = [("", empty_label)] if empty_label is not None else []
        return blank + [(o.pk, _org_label(o)) for o in orgs]

    choices = property(_get_choices, forms.ChoiceField.choices.fset)  # type: ignore[union-attr]


class OrgChoiceField(_TreeOrdered, forms.ModelChoiceField):
    pass


class OrgMultipleChoiceField(_TreeOrdered, forms.ModelMultipleChoiceField):
    pass


# --- orgs -------------------------------------------------------------------------------------


class OrgForm(Styled):
    code = forms.CharField(label="机构号", max_length=32, validators=[CODE])
    name = forms.CharField(label="机构名称", max_length=100)
    kind = forms.ChoiceField(label="机构类型", choices=OrgKind.choices)
    parent = OrgChoiceField(
        label="上级机构", queryset=Org.objects.none(), required=False, empty_label="（无：总行）"
    )
    address = forms.CharField(label="地址", max_length=200, required=False)
    sort_order = _sort_field()

    def __init__(self, *args: Any, parents: QuerySet[Org], org: Org | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org = org
        if org is not None:
            # The org and its subtree cannot be its own parent; hiding them is friendlier than
            # an error, the service still refuses them.
            parents = parents.exclude(Org.subtree_q(org.path))
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]
        self.fields["kind"].choices = selectors.dict_choices("org_kind") or OrgKind.choices  # type: ignore[attr-defined]

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        others = Org.objects.filter(code=code)
        if self.org is not None:
            others = others.exclude(pk=self.org.pk)
        if others.exists():
            raise forms.ValidationError("机构号已存在")
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "kind" in data and "parent" in data and not self.errors:
            try:
                services.check_org_placement(kind=data["kind"], parent=data["parent"], org=self.org)
            except forms.ValidationError as exc:
                self.add_error(None, exc)
        return data


# --- users ------------------------------------------------------------------------------------


class _UserFields(Styled):
    name = forms.CharField(label="姓名", max_length=50)
    org = OrgChoiceField(label="所属机构", queryset=Org.objects.none(), empty_label="请选择")
    position = forms.ChoiceField(label="岗位", required=False)
    phone = forms.CharField(
        label="手机号码",
        max_length=11,
        required=False,
        validators=[MOBILE],
        error_messages={"max_length": "请输入 11 位手机号码（1 开头，第二位 3-9）"},
    )
    wecom_userid = forms.CharField(label="企业微信账号", max_length=64, required=False, validators=[WECOM])

    def __init__(self, *args: Any, orgs: QuerySet[Org], current: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if current is not None:
            # The user's own org stays selectable even if outside the editor's assignable set.
            orgs = Org.objects.filter(pk__in=orgs.values("pk")) | Org.objects.filter(pk=current.org_id)
            orgs = orgs.order_by("path")
        self.fields["org"].queryset = orgs  # type: ignore[attr-defined]
        keep = [current.position] if current is not None else []
        self.fields["position"].choices = [("", "（未设置）"), *selectors.dict_choices("position", keep=keep)]  # type: ignore[attr-defined]


class UserCreateForm(_UserFields):
    staff_no = forms.CharField(label="工号", max_length=32, validators=[STAFF_NO])
    is_service_account = forms.BooleanField(
        label="系统接口账号",
        required=False,
        help_text="供其他系统调用 API：不能登录页面，无密码，由安全管理员为其发放接口密钥",
    )

    field_order = ["staff_no", "name", "org", "position", "phone", "wecom_userid", "is_service_account"]

    def clean_staff_no(self) -> str:
        staff_no = self.cleaned_data["staff_no"]
        if User.objects.filter(staff_no__iexact=staff_no).exists():
            raise forms.ValidationError("该工号已存在")
        return staff_no


class UserEditForm(_UserFields):
    status = forms.ChoiceField(label="员工状态", choices=UserStatus.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = selectors.dict_choices("user_status") or UserStatus.choices  # type: ignore[attr-defined]


class RoleChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Role) -> str:
        return obj.name if obj.is_active else f"{obj.name}（已停用）"


class UserRolesForm(Styled):
    roles = RoleChoices(
        label="角色", queryset=Role.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, target: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"].queryset = selectors.grantable_roles(target)  # type: ignore[attr-defined]


# --- roles ------------------------------------------------------------------------------------


class RoleForm(Styled):
    name = forms.CharField(label="角色名称", max_length=32)
    code = forms.CharField(label="角色标识", max_length=32, validators=[IDENT])
    data_scope = forms.ChoiceField(label="数据范围", widget=forms.RadioSelect)
    custom_orgs = OrgMultipleChoiceField(
        label="自定义机构",
        queryset=Org.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )
    permissions = forms.ModelMultipleChoiceField(
        label="权限", queryset=Permission.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(label="说明", max_length=200, required=False)
    sort_order = _sort_field()

    def __init__(self, *args: Any, orgs: QuerySet[Org], role: Role | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.role = role
        self.fields["custom_orgs"].queryset = orgs  # type: ignore[attr-defined]
        self.fields["data_scope"].choices = selectors.dict_choices("data_scope") or DataScope.choices  # type: ignore[attr-defined]
        if role is not None and role.is_builtin:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "内置角色的角色标识不可修改"

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        others = Role.objects.filter(code=code)
        if self.role is not None:
            others = others.exclude(pk=self.role.pk)
        if others.exists():
            raise forms.ValidationError("角色标识已存在")
        return code

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("data_scope") == "custom"
            and not data.get("custom_orgs")
            and "custom_orgs" not in self.errors
        ):
            self.add_error("custom_orgs", "自定义机构范围至少选择一个机构")
        return data

    def permission_groups(self) -> list[tuple[str, list[tuple[Permission, bool]]]]:
        """Checkbox rows grouped by Permission.group, each with whether it is ticked."""
        value = self["permissions"].value() or []
        chosen = {str(v.pk if isinstance(v, Permission) else v) for v in value}
        return [
            (group, [(p, str(p.pk) in chosen) for p in perms])
            for group, perms in selectors.permission_groups()
        ]


# --- dictionaries -----------------------------------------------------------------------------


class DictTypeForm(Styled):
    code = forms.CharField(label="字典标识", max_length=64, validators=[IDENT])
    name = forms.CharField(label="字典名称", max_length=64)
    description = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args: Any, dict_type: DictType | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dict_type = dict_type
        if dict_type is not None and dict_type.is_builtin:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = "内置字典的字典标识不可修改"

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        others = DictType.objects.filter(code=code)
        if self.dict_type is not None:
            others = others.exclude(pk=self.dict_type.pk)
        if others.exists():
            raise forms.ValidationError("字典标识已存在")
        return code


class DictItemForm(Styled):
    value = forms.CharField(label="字典值", max_length=64, validators=[CODE])
    label = forms.CharField(label="字典标签", max_length=64)
    sort_order = _sort_field()

    def __init__(self, *args: Any, dict_type: DictType, item: DictItem | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dict_type = dict_type
        self.item = item
        if item is not None:
            self.fields["value"].disabled = True
            self.fields["value"].help_text = "字典值被业务数据引用，创建后不可修改"

    def clean_value(self) -> str:
        value = self.cleaned_data["value"]
        if self.item is None and DictItem.objects.filter(dict_type=self.dict_type, value=value).exists():
            raise forms.ValidationError("该字典下已有相同的字典值")
        return value
