"""Inputs of the analysis pages: the data date, the drill-down filters (choices follow the
viewer's data scope) and the head office's parameter form of one dimension."""

from __future__ import annotations

from typing import Any

from django import forms

from liuyou.customers.filters import manager_choices, org_choices, village_choices
from liuyou.customers.widgets import FastSelect
from liuyou.mining.definitions import Definition


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxInput):
            field.widget.attrs.setdefault("class", "form-check-input")
        else:
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )


class MembersFilterForm(forms.Form):
    org: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="机构（含下辖）",
        queryset=None,
        to_field_name="code",
        required=False,
        empty_label="全部",
        widget=FastSelect,
    )
    village: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="行政村",
        queryset=None,
        to_field_name="code",
        required=False,
        empty_label="全部",
        widget=FastSelect,
    )
    manager: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="主办客户经理",
        queryset=None,
        to_field_name="staff_no",
        required=False,
        empty_label="全部",
        widget=FastSelect,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, choices in (
            ("org", org_choices),
            ("village", village_choices),
            ("manager", manager_choices),
        ):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = choices(user)
            field.error_messages["invalid_choice"] = "所选项不存在或不在您的数据范围内"
        self.fields["org"].label_from_instance = lambda o: f"{o.code} {o.name}"  # type: ignore[attr-defined]
        self.fields["village"].label_from_instance = lambda v: f"{v.code} {v.name}"  # type: ignore[attr-defined]
        self.fields["manager"].label_from_instance = lambda u: f"{u.staff_no} {u.name}"  # type: ignore[attr-defined]
        _styled(self)


class ParamsForm(forms.Form):
    """One field per declared parameter, plus the switch and a note; the service validates the
    values again (the API calls it too)."""

    is_active = forms.BooleanField(label="启用", required=False)
    note = forms.CharField(label="修改说明", max_length=200, required=False)

    def __init__(self, *args: Any, definition: Definition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.definition = definition
        for p in definition.params:
            if p.kind == "bool":
                self.fields[p.name] = forms.BooleanField(label=p.label, required=False)
            else:
                hint = "比率，如 0.80 表示 80%" if p.kind == "ratio" else "元" if p.kind == "money" else ""
                self.fields[p.name] = forms.CharField(label=p.label, help_text=hint, max_length=20)
        self.order_fields([p.name for p in definition.params] + ["is_active", "note"])
        _styled(self)

    def params(self) -> dict[str, Any]:
        return {p.name: self.cleaned_data.get(p.name) for p in self.definition.params}
