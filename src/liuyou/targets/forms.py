"""Inputs of the target-list pages: the list builder, distribution and a lead's next step.
Choices follow the data scope of the person filling the form in."""

from __future__ import annotations

from typing import Any

from django import forms

from liuyou.mining.definitions import DEFINITIONS
from liuyou.targets import selectors
from liuyou.targets.models import DistributionMode, LeadStatus

DIMENSION_CHOICES = [(d.code, d.name) for d in DEFINITIONS]


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            continue
        widget.attrs.setdefault(
            "class", "form-select" if isinstance(widget, forms.Select) else "form-control"
        )


class BuilderForm(forms.Form):
    name = forms.CharField(label="名单名称", max_length=100, required=False)
    description = forms.CharField(label="说明", max_length=500, required=False)
    data_date = forms.TypedChoiceField(label="数据日期", choices=(), coerce=str)
    dimensions = forms.MultipleChoiceField(
        label="维度", choices=DIMENSION_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    dimension_match = forms.ChoiceField(
        label="维度组合",
        choices=[("any", "满足任一维度（或）"), ("all", "同时满足所选维度（且）")],
        initial="any",
        widget=forms.RadioSelect,
    )
    exclude_dimensions = forms.MultipleChoiceField(
        label="排除符合以下维度的客户",
        choices=DIMENSION_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    tags_all = forms.MultipleChoiceField(label="同时具有以下全部标签", required=False)
    tags_any = forms.MultipleChoiceField(label="具有以下任一标签", required=False)
    tags_none = forms.MultipleChoiceField(label="排除具有以下任一标签的客户", required=False)
    org = forms.ChoiceField(label="限定机构（含下辖）", required=False)

    def __init__(self, *args: Any, user: Any, dates: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["data_date"].choices = [(d.isoformat(), d.isoformat()) for d in dates]  # type: ignore[attr-defined]
        tags = _tag_choices(user)
        for name in ("tags_all", "tags_any", "tags_none"):
            self.fields[name].choices = tags  # type: ignore[attr-defined]
            self.fields[name].widget.attrs["size"] = 6
        from liuyou.core import scope
        from liuyou.system.models import Org

        orgs = scope.scoped(Org.objects.filter(is_active=True), user, "target:manage").order_by("path")
        self.fields["org"].choices = [  # type: ignore[attr-defined]
            ("", "我的全部数据范围"),
            *((o.code, f"{o.code} {o.name}") for o in orgs),
        ]  # type: ignore[attr-defined]
        _styled(self)

    def definition(self) -> selectors.Definition:
        data = self.cleaned_data
        return selectors.Definition(
            dimensions=list(data.get("dimensions") or []),
            dimension_match=data.get("dimension_match") or "any",
            exclude_dimensions=list(data.get("exclude_dimensions") or []),
            tags_all=[int(t) for t in data.get("tags_all") or []],
            tags_any=[int(t) for t in data.get("tags_any") or []],
            tags_none=[int(t) for t in data.get("tags_none") or []],
            org=data.get("org") or "",
        )


def _tag_choices(user: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """Active tags grouped by tag group, as the tags app lists them for this user."""
    from liuyou.tags.selectors import tag_choices

    return [(group, [(str(pk), name) for pk, name in tags]) for group, tags in tag_choices(user=user)]


class DistributeForm(forms.Form):
    mode = forms.ChoiceField(label="分配方式", choices=DistributionMode.choices, widget=forms.RadioSelect)
    team: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label="分配给（按人平均）", queryset=None, required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["team"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = selectors.assignable_staff(user=user)
        field.label_from_instance = lambda u: f"{u.staff_no} {u.name}（{u.org.name}）"  # type: ignore[method-assign,assignment]
        field.widget.attrs["size"] = 8
        _styled(self)


MOVES = [
    (LeadStatus.CONTACTED.value, "已联系"),
    (LeadStatus.APPLIED.value, "已申请"),
    (LeadStatus.APPROVED.value, "已审批"),
    (LeadStatus.DISBURSED.value, "已放款"),
    (LeadStatus.DECLINED.value, "客户拒绝/放弃"),
]


class MoveForm(forms.Form):
    to = forms.ChoiceField(label="更新为", choices=MOVES)
    note = forms.CharField(label="跟进说明", max_length=200, required=False)
    reason = forms.CharField(label="拒绝原因", max_length=200, required=False)
    loan_no = forms.CharField(label="借据号（已放款时必填）", max_length=40, required=False)

    def __init__(self, *args: Any, current: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if current:
            # Offer only the moves open from where the lead stands; the service checks again.
            from liuyou.targets.services import NEXT

            allowed = {s.value for s in NEXT.get(LeadStatus(current), set())}
            self.fields["to"].choices = [(v, label) for v, label in MOVES if v in allowed]  # type: ignore[attr-defined]
        _styled(self)
