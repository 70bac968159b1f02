"""A product's rules, each defined once: the same `Rule` is a Django Q that the database
evaluates over a whole data date's feature rows (pipeline step 7), a Python test on one feature
row (the customer 360, a lead), and the plain-Chinese sentence that says why a customer fits or
fails it.

A rule is made of clauses `column op value` on the customer feature table
(liuyou.features.columns). Every operator is declared once in OPS with both its SQL form and
its Python form, so the two can only disagree where the data do (see `_rounded`).

Null semantics are the same on both sides: a comparison with an empty figure fails, except
`is_empty`; `!=` and `not_in` fail on an empty figure too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import BigIntegerField, DecimalField, ExpressionWrapper, F, Q, Value
from django.db.models.functions import Cast, Coalesce, Greatest, Least, Round
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
)

from liuyou.customers.models import CustomerType, Segment
from liuyou.features.columns import BY_NAME, FeatureColumn

# --- how figures read -------------------------------------------------------------------


def wan(amount: Any) -> str:
    """3.50万元: figures in sentences read as bank reports write them."""
    return f"{Decimal(amount or 0) / 10000:.2f}万元"


def wan_short(amount: Any) -> str:
    """10万元, 10.5万元: suggested amounts and limits (whole thousands) without trailing zeros."""
    text = f"{Decimal(amount or 0) / 10000:.4f}".rstrip("0").rstrip(".")
    return f"{text}万元"


def pct(share: Any) -> str:
    return f"{Decimal(share or 0) * 100:.2f}%"


SEGMENT_LABELS = dict(Segment.choices)
CODE_LABELS: dict[str, dict[str, str]] = {
    "segment": SEGMENT_LABELS,
    "customer_type": dict(CustomerType.choices),
}
UNITS = {"days": "天"}


def show(column: FeatureColumn, value: Any) -> str:
    """One figure of a column as people read it."""
    if value is None or value == "":
        return "无"
    if column.kind == "money":
        return wan(value)
    if column.kind == "ratio":
        return pct(value)
    if column.kind == "bool":
        return "是" if value else "否"
    if column.kind == "code":
        labels = CODE_LABELS.get(column.name, {})
        if isinstance(value, list | tuple):
            return "、".join(str(labels.get(v, v)) for v in value)
        return labels.get(value, value)
    if column.kind == "date":
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return f"{value}{UNITS.get(column.kind, '')}"


def figure(column: FeatureColumn, value: Any) -> str:
    """'近3个月月均收单3.50万元', '在贷笔数为0', '社保卡：否' — a customer's figure in a sentence."""
    if value is None or value == "":
        return f"{column.label}无数据"
    if column.kind == "bool":
        return f"{column.label}：{show(column, value)}"
    if column.kind in ("money", "ratio", "days"):
        return f"{column.label}{show(column, value)}"
    return f"{column.label}为{show(column, value)}"


# --- the columns a rule may read ------------------------------------------------------------

# Marketing refusal is its own rule (every product has it); dates are only tested for presence.
EXCLUDED_COLUMNS = {"refused_marketing"}
CONDITION_COLUMNS: tuple[FeatureColumn, ...] = tuple(
    c for c in BY_NAME.values() if c.name not in EXCLUDED_COLUMNS
)
DECIMALS = {"money": 2, "ratio": 4}
CHAR_COLUMNS = {c.name for c in CONDITION_COLUMNS if c.kind == "code"}


def _rounded(column: str) -> Any:
    # On SQLite a computed money or ratio column keeps every digit of its float (a 3-month
    # average of 33,333.3333); the row a Python caller reads is rounded to the column's
    # places. Compare the rounded figure in SQL too, so both sides see the same number.
    kind = BY_NAME[column].kind
    places = DECIMALS[kind]
    return Round(F(column), places, output_field=DecimalField(max_digits=20, decimal_places=places))


def _value(column: str, value: Any) -> Any:
    places = DECIMALS[BY_NAME[column].kind]
    return Value(Decimal(str(value)), output_field=DecimalField(max_digits=20, decimal_places=places))


def _cmp(lookup: type, name: str) -> Callable[[str, Any], Q]:
    def build(column: str, value: Any) -> Q:
        if BY_NAME[column].kind in DECIMALS:
            return Q(lookup(_rounded(column), _value(column, value)))
        return Q(**{f"{column}__{name}": value})

    return build


def _empty_q(column: str, value: Any = None) -> Q:
    q = Q(**{f"{column}__isnull": True})
    return q | Q(**{column: ""}) if column in CHAR_COLUMNS else q


def _not_empty_q(column: str, value: Any = None) -> Q:
    q = Q(**{f"{column}__isnull": False})
    return q & ~Q(**{column: ""}) if column in CHAR_COLUMNS else q


def _ne_q(column: str, value: Any) -> Q:
    return _not_empty_q(column) & ~_cmp(Exact, "exact")(column, value)


def _in_q(column: str, value: Any) -> Q:
    return Q(**{f"{column}__in": list(value)})


def _not_in_q(column: str, value: Any) -> Q:
    return _not_empty_q(column) & ~Q(**{f"{column}__in": list(value)})


def _prefix_q(column: str, value: Any) -> Q:
    return Q(**{f"{column}__istartswith": value})


def _num(actual: Any) -> Any:
    return (
        Decimal(str(actual))
        if isinstance(actual, float | int | Decimal) and not isinstance(actual, bool)
        else actual
    )


def _py(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def run(actual: Any, value: Any) -> bool:
        if actual is None or actual == "":
            return False
        if isinstance(value, str) and not isinstance(actual, str):
            value = Decimal(value)
        return bool(test(_num(actual), value))

    return run


@dataclass(frozen=True)
class Op:
    code: str
    word: str  # "不低于"; the requirement reads 本产品要求{word}{value}
    q: Callable[[str, Any], Q]
    test: Callable[[Any, Any], bool]
    takes_value: bool = True
    takes_list: bool = False


OPS: dict[str, Op] = {
    o.code: o
    for o in (
        Op("=", "为", _cmp(Exact, "exact"), _py(lambda a, v: a == v)),
        Op("!=", "不为", _ne_q, _py(lambda a, v: a != v)),
        Op(">", "高于", _cmp(GreaterThan, "gt"), _py(lambda a, v: a > v)),
        Op(">=", "不低于", _cmp(GreaterThanOrEqual, "gte"), _py(lambda a, v: a >= v)),
        Op("<", "低于", _cmp(LessThan, "lt"), _py(lambda a, v: a < v)),
        Op("<=", "不高于", _cmp(LessThanOrEqual, "lte"), _py(lambda a, v: a <= v)),
        Op("in", "为以下之一：", _in_q, _py(lambda a, v: a in v), takes_list=True),
        Op("not_in", "不为以下任一：", _not_in_q, _py(lambda a, v: a not in v), takes_list=True),
        Op("prefix", "以此开头：", _prefix_q, _py(lambda a, v: str(a).upper().startswith(str(v).upper()))),
        Op("is_empty", "为空", _empty_q, lambda a, v: a is None or a == "", takes_value=False),
        Op("not_empty", "有数据", _not_empty_q, lambda a, v: not (a is None or a == ""), takes_value=False),
    )
}
OP_LABELS = {
    "=": "等于",
    "!=": "不等于",
    ">": "大于",
    ">=": "大于等于",
    "<": "小于",
    "<=": "小于等于",
    "in": "属于（多个值用顿号或逗号分隔）",
    "not_in": "不属于（多个值用顿号或逗号分隔）",
    "prefix": "以…开头",
    "is_empty": "为空",
    "not_empty": "不为空",
}
OPS_BY_KIND: dict[str, tuple[str, ...]] = {
    "money": ("=", "!=", ">", ">=", "<", "<=", "is_empty", "not_empty"),
    "ratio": ("=", "!=", ">", ">=", "<", "<=", "is_empty", "not_empty"),
    "int": ("=", "!=", ">", ">=", "<", "<=", "is_empty", "not_empty"),
    "days": ("=", "!=", ">", ">=", "<", "<=", "is_empty", "not_empty"),
    "bool": ("=", "is_empty", "not_empty"),
    "code": ("=", "!=", "in", "not_in", "prefix", "is_empty", "not_empty"),
    "date": ("is_empty", "not_empty"),
}


@dataclass(frozen=True)
class Clause:
    """`column op value` on the feature table."""

    column: str
    op: str
    value: Any = None

    @property
    def col(self) -> FeatureColumn:
        return BY_NAME[self.column]

    def q(self) -> Q:
        return OPS[self.op].q(self.column, self.value)

    def holds(self, row: Any) -> bool:
        return OPS[self.op].test(getattr(row, self.column), self.value)

    def requirement(self) -> str:
        """'不低于3.00万元', '为个体工商户、小微企业之一' — what the product asks of the figure."""
        op = OPS[self.op]
        if not op.takes_value:
            return op.word
        return f"{op.word}{show(self.col, self.value)}"


def parse_value(column: FeatureColumn, op: str, raw: Any) -> Any:
    """A condition's value as stored (JSON): money and ratios as decimal strings, counts and
    days as integers, booleans, codes as strings (a list for in / not_in). Raises ValueError
    with the Chinese reason."""
    if not OPS[op].takes_value:
        return None
    if OPS[op].takes_list:
        items = raw if isinstance(raw, list | tuple) else _split(str(raw or ""))
        items = [str(i).strip() for i in items if str(i).strip()]
        if not items:
            raise ValueError("请填写至少一个值")
        return items
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueError("请填写条件的值")
    if column.kind == "bool":
        text = str(raw).strip().lower()
        if isinstance(raw, bool):
            return raw
        if text in ("true", "1", "是", "yes", "on"):
            return True
        if text in ("false", "0", "否", "no", "off"):
            return False
        raise ValueError("应为“是”或“否”")
    if column.kind == "code":
        text = str(raw).strip()
        if len(text) > 32:
            raise ValueError("值不能超过 32 个字符")
        return text.upper() if op == "prefix" else text
    try:
        number = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ValueError("应为数字") from None
    if not number.is_finite():
        raise ValueError("应为数字")
    if column.kind in ("int", "days"):
        if number != number.to_integral_value():
            raise ValueError("应为整数")
        if abs(number) > 10**9:
            raise ValueError("数值过大")
        return int(number)
    places = DECIMALS[column.kind]
    if number != number.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"最多 {places} 位小数")
    if column.kind == "ratio" and not (0 <= number <= 1):
        raise ValueError("比率应在 0 到 1 之间，如 0.5 表示 50%")
    if abs(number) >= 10**16:
        raise ValueError("数值过大")
    return str(number)


def _split(text: str) -> list[str]:
    for sep in ("、", "，", ";", "；", " ", "\n"):
        text = text.replace(sep, ",")
    return text.split(",")


def clean_condition(raw: Any) -> dict[str, Any]:
    """One stored condition from input; ValidationError keyed column/op/value."""
    if not isinstance(raw, dict):
        raise ValidationError({"column": "条件格式有误"})
    name = str(raw.get("column") or "").strip()
    op = str(raw.get("op") or "").strip()
    column = BY_NAME.get(name)
    if column is None or name in EXCLUDED_COLUMNS:
        raise ValidationError({"column": "请选择客户宽表中的指标" if not name else f"没有这个指标：{name}"})
    allowed = OPS_BY_KIND[column.kind]
    if op not in allowed:
        words = "、".join(OP_LABELS[o].split("（")[0] for o in allowed)
        raise ValidationError({"op": f"“{column.label}”只能用：{words}"})
    try:
        value = parse_value(column, op, raw.get("value"))
    except ValueError as exc:
        raise ValidationError({"value": f"{column.label}：{exc}"}) from None
    return {"column": name, "op": op, "value": value}


# --- rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One requirement of a product: clauses (all must hold, or any when `any_of`), the
    sentence shown on the product page, the reason a failing customer reads and the figure a
    fitting customer's explanation quotes."""

    key: str
    requirement: str
    clauses: tuple[Clause, ...]
    failure: Callable[[Any], str]
    evidence: Callable[[Any], str] | None = None
    any_of: bool = False

    def q(self) -> Q:
        qs = [c.q() for c in self.clauses]
        out = qs[0]
        for q in qs[1:]:
            out = (out | q) if self.any_of else (out & q)
        return out

    def holds(self, row: Any) -> bool:
        results = (c.holds(row) for c in self.clauses)
        return any(results) if self.any_of else all(results)


def segments_text(codes: Sequence[str]) -> str:
    return "、".join(SEGMENT_LABELS.get(c, c) for c in codes)


def rules_of(product: Any) -> list[Rule]:
    """Every rule of a product, in the order a failing customer reads them. `product` is a
    Product or anything with its fields (the snapshot of a version)."""
    rules: list[Rule] = [
        Rule(
            key="refused_marketing",
            requirement="客户未拒绝营销",
            clauses=(Clause("refused_marketing", "=", False),),
            failure=lambda r: "客户已拒绝营销，不做产品推荐",
        )
    ]
    segments = list(product.target_segments or [])
    if segments:
        wanted = segments_text(segments)
        rules.append(
            Rule(
                key="segment",
                requirement=f"面向{wanted}",
                clauses=(Clause("segment", "in", tuple(segments)),),
                failure=partial(_segment_failure, wanted),
                evidence=lambda r: f"客户分类为{SEGMENT_LABELS.get(r.segment, r.segment)}",
            )
        )
    for n, raw in enumerate(product.conditions or []):
        clause = Clause(raw["column"], raw["op"], _frozen(raw.get("value")))
        rules.append(
            Rule(
                key=f"condition_{n}",
                requirement=f"{clause.col.label}{clause.requirement()}",
                clauses=(clause,),
                failure=partial(_condition_failure, clause),
                evidence=partial(_condition_evidence, clause),
            )
        )
    limit = product.max_current_overdue_days
    if limit is not None:
        rules.append(
            Rule(
                key="overdue",
                requirement="无逾期" if limit == 0 else f"本行贷款逾期不超过{limit}天",
                clauses=(Clause("max_overdue_days", "<=", int(limit)),),
                failure=partial(_overdue_failure, int(limit)),
            )
        )
    if not product.allow_restructured:
        rules.append(
            Rule(
                key="restructured",
                requirement="无重组贷款",
                clauses=(Clause("restructured_loans", "=", 0),),
                failure=lambda r: f"有重组贷款{r.restructured_loans}笔，本产品不接受重组贷款客户",
            )
        )
    periods = product.max_bureau_overdue_periods
    if periods is not None:
        rules.append(
            Rule(
                key="bureau_overdue",
                requirement=(
                    "征信近24个月无逾期" if periods == 0 else f"征信近24个月最大逾期不超过{periods}期"
                )
                + "（仅在征信授权有效时判断）",
                clauses=(
                    Clause("bureau_usable", "=", False),
                    Clause("bureau_max_overdue_24m", "is_empty"),
                    Clause("bureau_max_overdue_24m", "<=", int(periods)),
                ),
                any_of=True,
                failure=partial(_bureau_failure, int(periods)),
            )
        )
    if not product.allow_other_bank_npl:
        rules.append(
            Rule(
                key="other_bank_npl",
                requirement="他行无不良贷款",
                clauses=(
                    Clause("other_bank_npl_balance", "is_empty"),
                    Clause("other_bank_npl_balance", "<=", "0"),
                ),
                any_of=True,
                failure=lambda r: (
                    f"征信显示他行不良余额{wan(r.other_bank_npl_balance)}，本产品不接受他行不良客户"
                ),
            )
        )
    return rules


def _segment_failure(wanted: str, row: Any) -> str:
    if not row.segment:
        return f"客户分类未确定，本产品面向{wanted}"
    return f"客户分类为{SEGMENT_LABELS.get(row.segment, row.segment)}，本产品面向{wanted}"


def _condition_failure(clause: Clause, row: Any) -> str:
    return f"{figure(clause.col, getattr(row, clause.column))}，本产品要求{clause.requirement()}"


def _condition_evidence(clause: Clause, row: Any) -> str:
    return figure(clause.col, getattr(row, clause.column))


def _overdue_failure(limit: int, row: Any) -> str:
    wanted = "无逾期" if limit == 0 else f"逾期不超过{limit}天"
    return f"当前逾期{row.max_overdue_days}天，本产品要求{wanted}"


def _bureau_failure(limit: int, row: Any) -> str:
    wanted = "无逾期" if limit == 0 else f"不超过{limit}期"
    return f"征信近24个月最大逾期{row.bureau_max_overdue_24m}期，本产品要求{wanted}"


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def product_q(product: Any) -> Q:
    """Customers on a data date's feature rows who pass every rule of the product."""
    out = Q()
    for rule in rules_of(product):
        out &= rule.q()
    return out


@dataclass
class Evaluation:
    fits: bool
    failures: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


def evaluate(product: Any, row: Any) -> Evaluation:
    """Every rule of the product on one feature row: the reasons it fails, or the figures
    that make it fit."""
    result = Evaluation(fits=True)
    for rule in rules_of(product):
        if rule.holds(row):
            if rule.evidence is not None:
                result.evidence.append(rule.evidence(row))
        else:
            result.fits = False
            result.failures.append(rule.failure(row))
    return result


# --- the amount rule ------------------------------------------------------------------------


@dataclass(frozen=True)
class AmountRule:
    code: str
    label: str  # shown in the form
    base: str | None  # the feature column (None: a fixed amount; "" unavailable)
    base_label: str
    divisor: int = 1  # the base is divided by this (a 3-month sum read as a monthly figure)


AMOUNT_KINDS: dict[str, AmountRule] = {
    k.code: k
    for k in (
        AmountRule("fixed", "固定额度（k 元）", None, ""),
        AmountRule("deposit_multiple", "近3个月日均存款 × k", "deposit_avg_3m", "近3个月日均存款"),
        AmountRule(
            "payroll_multiple", "月均代发工资（近3个月代发 ÷ 3）× k", "payroll_amount_3m", "月均代发工资", 3
        ),
        AmountRule("acquiring_multiple", "近3个月月均收单 × k", "acquiring_avg_3m", "月均收单"),
        AmountRule("subsidy_multiple", "近12个月惠农补贴 × k", "subsidy_amount_12m", "近12个月惠农补贴"),
        AmountRule("last_loan", "上笔贷款金额 × k（客户宽表尚无此列，暂不可用）", "", "上笔贷款金额"),
    )
}
# A base above 100 亿元 is read as 100 亿元: keeps k × base inside a 64-bit integer on every database.
BASE_CAP_CENTS = 10**12
K_SCALE = 10_000  # k is stored with up to 4 decimals and computed as an integer k × 10,000
STEP = 1000  # suggested amounts are whole thousands of yuan, rounded down


def _k_units(k: Any) -> int:
    return int(Decimal(str(k)) * K_SCALE)


def _cents(value: Any) -> int:
    return int((Decimal(str(value or 0)) * 100).to_integral_value(rounding=ROUND_HALF_UP))


def suggested_amount(product: Any, row: Any) -> Decimal:
    """k × base, rounded down to 1,000 元 and held within the product's amount range. Integer
    arithmetic, the same as `amount_expression` computes in SQL."""
    kind = AMOUNT_KINDS[product.amount_kind]
    base = 100 if kind.base is None else min(_cents(getattr(row, kind.base)), BASE_CAP_CENTS)
    thousands = (base * _k_units(product.amount_k)) // (100 * K_SCALE * STEP * kind.divisor)
    amount = max(min(thousands * STEP, int(product.max_amount)), int(product.min_amount))
    return Decimal(amount)


def amount_expression(product: Any) -> Any:
    """The suggested amount as a SQL expression over a feature row (exact integer arithmetic
    on both databases: cents × k × 10,000, then integer division)."""
    kind = AMOUNT_KINDS[product.amount_kind]
    big: BigIntegerField[int, int] = BigIntegerField()
    if kind.base is None:  # the same amount for everyone
        return Value(int(suggested_amount(product, None)), output_field=big)
    # Every constant is cast to a 64-bit integer: PostgreSQL would otherwise type a small one
    # as a 32-bit integer and overflow the product.
    cents = Round(
        Coalesce(F(kind.base), Value(Decimal("0"))) * Value(100),
        output_field=DecimalField(max_digits=24, decimal_places=0),
    )
    base = Least(Cast(cents, big), _big(BASE_CAP_CENTS), output_field=big)
    product_units = ExpressionWrapper(base * _big(_k_units(product.amount_k)), output_field=big)
    divisor = 100 * K_SCALE * STEP * kind.divisor
    thousands = ExpressionWrapper(product_units / _big(divisor), output_field=big)
    amount = ExpressionWrapper(thousands * _big(STEP), output_field=big)
    return Greatest(
        Least(amount, _big(int(product.max_amount)), output_field=big),
        _big(int(product.min_amount)),
        output_field=big,
    )


def _big(number: int) -> Any:
    return Cast(Value(number), BigIntegerField())


def amount_text(product: Any, row: Any | None = None) -> str:
    """'月均收单×3，上限30万元' (the rule), or with a row the suggestion's working:
    '月均收单×3，上限30万元' / '…按上限30万元' / '…不足下限，按下限1万元'."""
    kind = AMOUNT_KINDS[product.amount_kind]
    k = Decimal(str(product.amount_k)).normalize()
    k_text = f"{k:f}"
    low, high = wan_short(product.min_amount), wan_short(product.max_amount)
    if kind.base is None:
        return f"固定额度{wan_short(product.amount_k)}，额度区间{low}–{high}"
    rule = f"{kind.base_label}×{k_text}"
    if row is None:
        return f"{rule}，额度区间{low}–{high}"
    raw = (Decimal(str(getattr(row, kind.base) or 0)) / kind.divisor) * k
    if raw >= Decimal(product.max_amount):
        return f"{rule}={wan(raw)}，按上限{high}"
    if raw < Decimal(product.min_amount):
        return f"{rule}={wan(raw)}，不足下限，按下限{low}"
    return f"{rule}，向下取整到千元，上限{high}"
