"""Forms of the customer pages: reassigning a manager and filtering the orphan report. The
choices follow the data scope of the person filling them in."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from liuyou.customers import selectors
from liuyou.customers.models import ManagerRole
from liuyou.customers.widgets import FastSelect
from liuyou.system.models import Org, User


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        field.widget.attrs.setdefault(
            "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        )


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.staff_no} {obj.name}（{obj.org.name}）"


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name}"


class ReassignForm(forms.Form):
    role = forms.ChoiceField(
        label="调整对象", choices=ManagerRole.choices, initial=ManagerRole.PRIMARY, widget=FastSelect
    )
    manager = StaffChoiceField(
        label="新客户经理",
        queryset=User.objects.none(),
        to_field_name="staff_no",
        empty_label="请选择",
        widget=FastSelect,
        error_messages={"invalid_choice": "所选人员不在您的数据范围内，或已离职、停用，不能作为客户经理"},
    )
    effective_date = forms.DateField(
        label="生效日期",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "请输入有效日期，如 2026-01-31"},
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("effective_date", timezone.localdate())
        super().__init__(*args, **kwargs)
        field = self.fields["manager"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = selectors.assignable_managers(user=user)
        staff = field.queryset.values_list("staff_no", "name", "org__name")
        field.widget.choices = [("", "请选择"), *((no, f"{no} {name}（{org}）") for no, name, org in staff)]
        _styled(self)


class OrphanFilterForm(forms.Form):
    org = OrgChoiceField(
        label="机构",
        queryset=Org.objects.none(),
        to_field_name="code",
        required=False,
        empty_label="全部",
        widget=FastSelect,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["org"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = selectors.orphan_org_choices(user=user)
        _styled(self)


# --- the customer-scope filters other domains' lists share ---------------------------------------

# name -> (label, to_field_name, scoped choices, option label)
SCOPED_FILTERS: dict[str, tuple[str, str, Any, Any]] = {
    "org": ("机构（含下辖）", "code", "org_choices", lambda o: f"{o.code} {o.name}"),
    "village": ("行政村", "code", "village_choices", lambda v: f"{v.code} {v.name}"),
    "manager": ("主办客户经理", "staff_no", "manager_choices", lambda u: f"{u.staff_no} {u.name}"),
}


class CustomerScopeFilterForm(forms.Form):
    """Filters by org (with its subtree), village and manager whose choices follow the
    viewer's data scope, as on the customer list. Lists of other domains (a dimension's
    customers, a tag's holders, product matches) subclass it, naming the ones they use."""

    scoped_fields: tuple[str, ...] = ("org", "village", "manager")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from liuyou.customers import filters

        for name in self.scoped_fields:
            label, to_field, choices, option_label = SCOPED_FILTERS[name]
            field: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
                label=label,
                queryset=getattr(filters, choices)(user),
                to_field_name=to_field,
                required=False,
                empty_label="全部",
                widget=FastSelect,
                error_messages={"invalid_choice": "所选项不存在或不在您的数据范围内"},
            )
            field.label_from_instance = option_label  # type: ignore[method-assign]
            self.fields[name] = field
