"""Inputs of the analysis pages: the data date, the drill-down filters (choices follow the
viewer's data scope) and the head office's parameter form of one dimension."""

from __future__ import annotations

from typing import Any

from django import forms

from liuyou.customers.forms import CustomerScopeFilterForm
from liuyou.mining.definitions import Definition


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxInput):
            field.widget.attrs.setdefault("class", "form-check-input")
        else:
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )


class MembersFilterForm(CustomerScopeFilterForm):
    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
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
