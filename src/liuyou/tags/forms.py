"""Inputs of the tag pages: groups, tags with the rule editor (rows of column / operator /
value), the bulk list, one customer's add form and the filters of a tag's customer list.
The services validate again (the API calls them too); messages land beside the fields."""

from __future__ import annotations

from typing import Any

from django import forms

from liuyou.customers.forms import CustomerScopeFilterForm
from liuyou.tags import rules
from liuyou.tags.entries import MAX_ENTRIES
from liuyou.tags.models import Tag, TagGroup, TagKind, TagSource


def styled(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.RadioSelect):
            continue
        else:
            base = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", f"{base} form-control-sm" if base == "form-control" else base)


def mark_invalid(form: forms.Form) -> None:
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            widget.attrs["class"] = (widget.attrs.get("class", "") + " is-invalid").strip()
            widget.attrs["aria-invalid"] = "true"


class GroupForm(forms.Form):
    code = forms.CharField(label="编码", max_length=32, help_text="小写字母开头，只含小写字母、数字、下划线")
    name = forms.CharField(label="名称", max_length=40)
    sort_order = forms.IntegerField(label="排序", initial=100, min_value=0, max_value=100000)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]
        for f in self.fields.values():
            f.error_messages["required"] = "此项必填"
        self.fields["sort_order"].error_messages.update(
            {"invalid": "请填写整数", "min_value": "不能小于 0", "max_value": "不能大于 100000"}
        )
        styled(self)


class TagForm(forms.Form):
    group = forms.ModelChoiceField(label="标签组", queryset=TagGroup.objects.order_by("sort_order", "pk"))
    code = forms.CharField(label="编码", max_length=32, help_text="小写字母开头，只含小写字母、数字、下划线")
    name = forms.CharField(label="名称", max_length=40)
    kind = forms.ChoiceField(
        label="类型", choices=TagKind.choices, widget=forms.RadioSelect, initial="manual"
    )
    description = forms.CharField(label="说明", max_length=200, required=False)
    match = forms.ChoiceField(
        label="条件组合",
        choices=(("all", "全部满足（且）"), ("any", "满足任一（或）")),
        initial="all",
        required=False,
    )
    is_active = forms.BooleanField(label="启用", required=False, initial=True)
    note = forms.CharField(label="修改说明", max_length=200, required=False)

    def __init__(self, *args: Any, tag: Tag | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tag = tag
        if tag is not None:
            del self.fields["code"]
            del self.fields["kind"]
        for f in self.fields.values():
            f.error_messages["required"] = "此项必填"
        self.fields["group"].error_messages["invalid_choice"] = "请选择标签组"
        styled(self)

    @property
    def kind_value(self) -> str:
        if self.tag is not None:
            return self.tag.kind
        value = self.data.get("kind") if self.is_bound else self.initial.get("kind")
        return value if value in TagKind.values else TagKind.MANUAL


class ConditionForm(forms.Form):
    column = forms.ChoiceField(label="字段", required=False)
    op = forms.ChoiceField(label="比较", required=False, choices=[("", "—"), *rules.OPS.items()])
    value = forms.CharField(label="取值", required=False, max_length=4000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        column = self.fields["column"]
        assert isinstance(column, forms.ChoiceField)
        column.choices = [("", "（选择字段）"), *rules.column_choices()]
        for name in ("column", "op"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.error_messages["invalid_choice"] = "请从列表中选择"
        styled(self)

    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not (data.get("column") or data.get("op") or (data.get("value") or "").strip())


ConditionFormSet = forms.formset_factory(ConditionForm, extra=0, max_num=rules.MAX_CONDITIONS + 5)


def condition_initial(rule: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not rule:
        return []
    return [
        {"column": c.get("column"), "op": c.get("op"), "value": rules.value_text(c)}
        for c in rule.get("conditions", [])
    ]


def rule_from(formset: Any, match: str) -> tuple[dict[str, Any], list[int]]:
    """The rule typed into the rows (blank rows skipped) and the form index of each condition."""
    conditions, index = [], []
    for i, form in enumerate(formset.forms):
        if form.is_blank():
            continue
        data = form.cleaned_data
        conditions.append({"column": data.get("column"), "op": data.get("op"), "value": data.get("value")})
        index.append(i)
    return {"match": match or "all", "conditions": conditions}, index


class BulkForm(forms.Form):
    tag = forms.TypedChoiceField(label="标签", coerce=int)
    action = forms.ChoiceField(
        label="操作",
        choices=(("add", "添加标签"), ("remove", "移除手工标签")),
        initial="add",
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(
        label="名单类型", choices=(("customer_no", "客户号"), ("id_no", "证件号码")), initial="customer_no"
    )
    entries = forms.CharField(
        label="名单",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 8, "placeholder": "每行一个客户号或证件号码，也可用逗号、空格分隔"}
        ),
        help_text=f"粘贴名单或上传文件（二选一，也可同时使用）；每次最多 {MAX_ENTRIES:,} 条",
    )
    file = forms.FileField(
        label="上传名单文件",
        required=False,
        help_text=".txt（每行一个）、.csv 或 .xlsx（取第一列，表头自动跳过），最大 5 MB",
    )
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args: Any, choices: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tag = self.fields["tag"]
        assert isinstance(tag, forms.ChoiceField)
        tag.choices = [("", "（选择标签）"), *choices]
        for f in self.fields.values():
            f.error_messages["required"] = "此项必填"
        tag.error_messages.update({"required": "请选择标签", "invalid_choice": "请选择一个启用中的标签"})
        self.fields["file"].widget.attrs["accept"] = ".txt,.csv,.xlsx"
        styled(self)


class CustomerTagForm(forms.Form):
    tag = forms.TypedChoiceField(label="标签", coerce=int)
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args: Any, choices: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tag = self.fields["tag"]
        assert isinstance(tag, forms.ChoiceField)
        tag.choices = [("", "（选择标签）"), *choices]
        tag.error_messages.update({"required": "请选择标签", "invalid_choice": "请选择一个启用中的标签"})
        self.fields["note"].widget.attrs["placeholder"] = "说明（可选）"
        styled(self)


class HoldersFilterForm(CustomerScopeFilterForm):
    source = forms.ChoiceField(label="来源", choices=[("", "全部"), *TagSource.choices], required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.order_fields(["org", "village", "manager", "source"])
        self.fields["source"].error_messages["invalid_choice"] = "来源只能是手工或规则"
        styled(self)
