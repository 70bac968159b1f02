"""The "运行日终批处理" form: a data date (default: the latest imported) and optionally the
steps to run alone. Also used by each step's "重新运行" button (hidden fields)."""

from __future__ import annotations

from typing import Any

from django import forms

from liuyou.core.filters import DATE_FORMATS
from liuyou.pipeline import steps as steps_mod


class RunForm(forms.Form):
    data_date = forms.DateField(
        label="数据日期",
        required=False,
        input_formats=DATE_FORMATS,
        help_text="可选；默认为已完成导入的最新数据日期",
        error_messages={"invalid": "数据日期应为 YYYY-MM-DD"},
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    steps = forms.MultipleChoiceField(
        label="只运行这些步骤",
        required=False,
        choices=steps_mod.choices,
        help_text="不选则按顺序运行全部步骤",
        error_messages={"invalid_choice": "未知的批处理步骤：%(value)s"},
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )

    def cleaned(self) -> dict[str, Any]:
        return {
            "data_date": self.cleaned_data.get("data_date"),
            "steps": self.cleaned_data.get("steps") or [],
        }
