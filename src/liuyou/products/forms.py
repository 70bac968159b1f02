"""Inputs of the product pages: the structured product form (its values are validated once,
by services.clean_product, whose Chinese messages land beside the fields) and the filters of
the match list (choices follow the viewer's data scope)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from liuyou.customers.forms import CustomerScopeFilterForm
from liuyou.customers.models import GuaranteeType, Segment
from liuyou.customers.widgets import FastSelect
from liuyou.products import rules
from liuyou.products.models import Product, RiskClass

CONDITION_ROWS = 6


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, (forms.CheckboxSelectMultiple, forms.CheckboxInput)):
            widget.attrs.setdefault("class", "form-check-input")
        else:
            widget.attrs.setdefault(
                "class", "form-select" if isinstance(widget, forms.Select) else "form-control"
            )


def _text(
    label: str, *, required: bool = False, max_length: int = 40, help_text: str = ""
) -> forms.CharField:
    # Numbers are text here: the service checks them and says what is wrong in Chinese.
    return forms.CharField(label=label, required=required, max_length=max_length, help_text=help_text)


COLUMN_CHOICES = [("", "（不使用）")] + [(c.name, f"{c.label}（{c.name}）") for c in rules.CONDITION_COLUMNS]
OP_CHOICES = [("", "—")] + list(rules.OP_LABELS.items())
AMOUNT_CHOICES = [(k.code, k.label) for k in rules.AMOUNT_KINDS.values()]


class ProductForm(forms.Form):
    code = _text("产品编码", max_length=20, help_text="2–20 位大写字母、数字或下划线，创建后不可修改")
    name = _text("产品名称", max_length=40)
    description = forms.CharField(
        label="产品说明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    target_segments = forms.MultipleChoiceField(
        label="目标客群（不选表示全部客户分类）",
        choices=Segment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    min_amount = _text("最低额度（元）", help_text="1,000 元的整数倍")
    max_amount = _text("最高额度（元）", help_text="1,000 元的整数倍，最高 1 亿元")
    min_term_months = _text("最短期限（月）")
    max_term_months = _text("最长期限（月）")
    min_rate = _text("最低年利率（%）")
    max_rate = _text("最高年利率（%）")
    guarantee_types = forms.MultipleChoiceField(
        label="担保方式", choices=GuaranteeType.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    collateral_text = _text("担保与抵质押要求", max_length=200)
    max_current_overdue_days = _text("当前逾期天数上限", help_text="0 表示不得有逾期；留空表示不限")
    allow_restructured = forms.BooleanField(label="接受有重组贷款的客户", required=False)
    max_bureau_overdue_periods = _text(
        "征信近24个月最大逾期期数上限", help_text="仅在征信授权有效时判断；留空表示不限"
    )
    allow_other_bank_npl = forms.BooleanField(label="接受征信显示他行不良的客户", required=False)
    min_score_band = _text("最低评分档", max_length=8, help_text="待风险模块上线后生效")
    max_risk_class = forms.ChoiceField(
        label="最高五级分类",
        choices=[("", "（不限）"), *RiskClass.choices],
        required=False,
        help_text="待风险模块上线后生效",
    )
    amount_kind = forms.ChoiceField(label="额度规则", choices=AMOUNT_CHOICES)
    amount_k = _text("额度系数 k", help_text="倍数（最多 4 位小数）；固定额度时为金额（元）")
    sort_order = _text("优先级", help_text="数字小者优先推荐")
    is_active = forms.BooleanField(label="启用", required=False)
    note = forms.CharField(label="修改说明", required=False, max_length=200)

    def __init__(self, *args: Any, product: Product | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.product = product
        if product is not None:
            self.fields["code"].disabled = True
            self.fields["code"].required = False
        for n in range(CONDITION_ROWS):
            self.fields[f"cond_{n}_column"] = forms.ChoiceField(
                label=f"条件{n + 1} 指标", choices=COLUMN_CHOICES, required=False, widget=FastSelect
            )
            self.fields[f"cond_{n}_op"] = forms.ChoiceField(
                label=f"条件{n + 1} 比较", choices=OP_CHOICES, required=False
            )
            self.fields[f"cond_{n}_value"] = _text(f"条件{n + 1} 值", max_length=200)
        _styled(self)

    @staticmethod
    def initial_for(product: Product) -> dict[str, Any]:
        from liuyou.products.services import snapshot

        data = snapshot(product)
        initial: dict[str, Any] = {k: ("" if v is None else v) for k, v in data.items()}
        for n, cond in enumerate(product.conditions or []):
            value = cond.get("value")
            if isinstance(value, list):
                value = "、".join(value)
            elif isinstance(value, bool):
                value = "是" if value else "否"
            initial |= {
                f"cond_{n}_column": cond["column"],
                f"cond_{n}_op": cond["op"],
                f"cond_{n}_value": value,
            }
        return initial

    def condition_rows(self) -> list[tuple[Any, Any, Any]]:
        return [
            (self[f"cond_{n}_column"], self[f"cond_{n}_op"], self[f"cond_{n}_value"])
            for n in range(CONDITION_ROWS)
        ]

    def data_for_service(self) -> dict[str, Any]:
        """The cleaned input in the service's (and the API's) shape."""
        cd = self.cleaned_data
        data = {k: v for k, v in cd.items() if not k.startswith("cond_") and k != "note"}
        if self.product is not None:
            data["code"] = self.product.code
        conditions = []
        self._rows: list[int] = []  # condition n of the service -> form row
        for n in range(CONDITION_ROWS):
            column, op, value = (cd.get(f"cond_{n}_{p}") or "" for p in ("column", "op", "value"))
            if column or op or str(value).strip():
                conditions.append({"column": column, "op": op, "value": value})
                self._rows.append(n)
        data["conditions"] = conditions
        return data

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put each message of services.clean_product beside its field."""
        for key, messages in exc.message_dict.items():
            target: str | None = key if key in self.fields else None
            if key.startswith("conditions."):
                _, index, part = key.split(".")
                rows = getattr(self, "_rows", [])
                if int(index) < len(rows):
                    target = f"cond_{rows[int(index)]}_{part}"
            for message in messages:
                self.add_error(target, message)


class MatchFilterForm(CustomerScopeFilterForm):
    scoped_fields = ("org", "manager")
    product: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="产品",
        queryset=Product.objects.order_by("sort_order", "code"),
        to_field_name="code",
        required=False,
        empty_label="全部",
    )
    first_only = forms.BooleanField(label="只看首选产品", required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.order_fields(["product", "org", "manager", "first_only"])
        self.fields["product"].error_messages["invalid_choice"] = "没有这个产品"
        self.fields["product"].label_from_instance = lambda p: p.name  # type: ignore[attr-defined]
        _styled(self)
