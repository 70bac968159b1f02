"""Rule tags: a rule is a set of conditions on the customer feature table,

    {"match": "all" | "any",
     "conditions": [{"column": "deposit_avg_3m", "op": ">=", "value": "50000"}, ...]}

`validate` checks every column, operator and value against the column's kind
(features.columns) and answers in Chinese; `compile_q` turns a valid rule into a Q on
CustomerFeature, so the database evaluates it over a whole data date at once; `describe`
reads it back in words. Besides the feature columns a rule may test the customer's township
and village (for 区域 tags) and an industry prefix (for 产业 tags).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from liuyou.features.columns import COLUMNS

MAX_CONDITIONS = 20
MAX_VALUES = 500

OPS: dict[str, str] = {
    "=": "等于",
    "!=": "不等于",
    ">": "大于",
    ">=": "大于等于",
    "<": "小于",
    "<=": "小于等于",
    "in": "属于",
    "not_in": "不属于",
    "is_empty": "为空",
    "not_empty": "不为空",
    "prefix": "开头为",
}
SYMBOLS = {"=": "=", "!=": "≠", ">": ">", ">=": "≥", "<": "<", "<=": "≤"}
COMPARE = ("=", "!=", ">", ">=", "<", "<=")
LISTS = ("in", "not_in")
NO_VALUE = ("is_empty", "not_empty")

OPS_BY_KIND: dict[str, tuple[str, ...]] = {
    "money": (*COMPARE, *LISTS, *NO_VALUE),
    "ratio": (*COMPARE, *LISTS, *NO_VALUE),
    "int": (*COMPARE, *LISTS, *NO_VALUE),
    "days": (*COMPARE, *LISTS, *NO_VALUE),
    "date": (*COMPARE, *LISTS, *NO_VALUE),
    "bool": ("=", "!=", *NO_VALUE),
    "code": ("=", "!=", *LISTS, *NO_VALUE, "prefix"),
}


@dataclass(frozen=True)
class RuleColumn:
    name: str
    label: str
    kind: str
    path: str  # lookup from CustomerFeature
    nullable: bool
    blank_is_empty: bool = False  # text columns: "" counts as empty


def _columns() -> dict[str, RuleColumn]:
    from liuyou.features.models import CustomerFeature

    out: dict[str, RuleColumn] = {}
    for c in COLUMNS:
        field = CustomerFeature._meta.get_field(c.name)
        out[c.name] = RuleColumn(
            c.name,
            c.label,
            c.kind,
            c.name,
            bool(getattr(field, "null", False)),
            blank_is_empty=c.kind == "code",
        )
    # The customer's place, as it stands now (区域 tags).
    out["township"] = RuleColumn(
        "township", "乡镇（街道）", "code", "customer__village__township", True, blank_is_empty=True
    )
    out["village"] = RuleColumn(
        "village", "行政村编码", "code", "customer__village__code", True, blank_is_empty=True
    )
    return out


_CACHE: dict[str, RuleColumn] = {}


def columns() -> dict[str, RuleColumn]:
    if not _CACHE:
        _CACHE.update(_columns())
    return _CACHE


def column_choices() -> list[tuple[str, str]]:
    return [(c.name, f"{c.label}（{c.name}）") for c in columns().values()]


class RuleError(ValidationError):
    """A rule that cannot be stored: messages per condition row (0-based) and for the whole."""

    def __init__(self, general: list[str], rows: dict[int, dict[str, str]]):
        self.general = general
        self.rows = rows
        messages = list(general)
        for i in sorted(rows):
            for text in rows[i].values():
                messages.append(f"第 {i + 1} 个条件：{text}")
        super().__init__(messages or ["规则无效"])


def _number(raw: Any, label: str, kind: str) -> Any:
    if isinstance(raw, bool):
        raise ValueError(f"{label}应为数字")
    text = str(raw).strip().replace(",", "").replace("，", "")
    percent = kind == "ratio" and text.endswith("%")
    if percent:
        text = text[:-1].strip()
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValueError(f"{label}应为数字") from None
    if not value.is_finite():
        raise ValueError(f"{label}应为数字")
    if percent:
        value = value / 100
    if kind in ("int", "days"):
        if value != value.to_integral_value():
            raise ValueError(f"{label}应为整数")
        return int(value)
    if abs(value) >= Decimal("1e16"):
        raise ValueError(f"{label}超出范围")
    if kind == "ratio":
        if value < -10 or value > 10:
            raise ValueError(f"{label}是比率，请填写如 0.5（表示 50%）或 50%")
        return format(value.quantize(Decimal("0.0001")).normalize(), "f")
    return format(value.quantize(Decimal("0.01")).normalize(), "f")


def _bool(raw: Any, label: str) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "是", "yes", "y", "on"):
        return True
    if text in ("false", "0", "否", "no", "n", "off"):
        return False
    raise ValueError(f"{label}应为“是”或“否”")


def _date(raw: Any, label: str) -> str:
    text = str(raw).strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"{label}应为日期，格式 YYYY-MM-DD")


def _code(raw: Any, label: str) -> str:
    if isinstance(raw, bool) or raw is None:
        raise ValueError(f"{label}不能为空")
    text = str(raw).strip()
    if not text:
        raise ValueError(f"{label}不能为空")
    if len(text) > 60:
        raise ValueError(f"{label}过长（最多 60 个字符）")
    return text


def _scalar(column: RuleColumn, raw: Any) -> Any:
    label = f"“{column.label}”的取值"
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueError(f"{label}不能为空")
    if column.kind in ("money", "ratio", "int", "days"):
        return _number(raw, label, column.kind)
    if column.kind == "bool":
        return _bool(raw, label)
    if column.kind == "date":
        return _date(raw, label)
    return _code(raw, label)


def split_values(raw: Any) -> list[Any]:
    """A list as people type it: A014,A015 or A014、A015 or one per line."""
    if isinstance(raw, list | tuple):
        return list(raw)
    text = str(raw or "")
    for sep in ("，", "、", "；", ";", "\n", "\r"):
        text = text.replace(sep, ",")
    return [part.strip() for part in text.split(",") if part.strip()]


def _condition(raw: Any) -> tuple[dict[str, Any] | None, dict[str, str]]:
    if not isinstance(raw, dict):
        return None, {"column": "条件格式无效"}
    name = str(raw.get("column") or "").strip()
    op = str(raw.get("op") or "").strip()
    column = columns().get(name)
    if not name:
        return None, {"column": "请选择字段"}
    if column is None:
        return None, {"column": f"没有这个字段：{name}"}
    if op not in OPS:
        return None, {"op": f"不支持的比较方式：{op or '（空）'}"}
    if op not in OPS_BY_KIND[column.kind]:
        allowed = "、".join(OPS[o] for o in OPS_BY_KIND[column.kind])
        return None, {"op": f"“{column.label}”不能用“{OPS[op]}”，可用：{allowed}"}
    value: Any = raw.get("value")
    try:
        if op in NO_VALUE:
            value = None
        elif op in LISTS:
            items = split_values(value)
            if not items:
                raise ValueError(f"“{column.label}”至少填写一个取值，多个取值用逗号或顿号分隔")
            if len(items) > MAX_VALUES:
                raise ValueError(f"“{column.label}”最多 {MAX_VALUES} 个取值")
            value = list(dict.fromkeys(_scalar(column, v) for v in items))
        else:
            value = _scalar(column, value)
    except ValueError as exc:
        return None, {"value": str(exc)}
    return {"column": name, "op": op, "value": value}, {}


def validate(rule: Any) -> dict[str, Any]:
    """The rule as stored (values normalised), or RuleError with Chinese messages."""
    if not isinstance(rule, dict):
        raise RuleError(["规则格式无效：应为 {match, conditions}"], {})
    match = rule.get("match", "all")
    general: list[str] = []
    if match not in ("all", "any"):
        general.append("条件组合方式只能是“全部满足”(all)或“满足任一”(any)")
    raw = rule.get("conditions")
    if not isinstance(raw, list) or not raw:
        general.append("规则标签至少需要一个条件")
        raw = []
    if len(raw) > MAX_CONDITIONS:
        general.append(f"条件最多 {MAX_CONDITIONS} 个")
    rows: dict[int, dict[str, str]] = {}
    cleaned = []
    for i, item in enumerate(raw):
        condition, errors = _condition(item)
        if errors:
            rows[i] = errors
        elif condition is not None:
            cleaned.append(condition)
    if general or rows:
        raise RuleError(general, rows)
    return {"match": match, "conditions": cleaned}


def _typed(column: RuleColumn, value: Any) -> Any:
    if column.kind in ("money", "ratio"):
        return Decimal(str(value))
    if column.kind == "date":
        return datetime.date.fromisoformat(str(value))
    return value


def _empty_q(column: RuleColumn) -> Q:
    q = Q(**{f"{column.path}__isnull": True}) if column.nullable else Q(pk__in=[])
    if column.blank_is_empty:
        q |= Q(**{column.path: ""})
    return q


def _has_value_q(column: RuleColumn) -> Q:
    q = Q(**{f"{column.path}__isnull": False}) if column.nullable else Q()
    if column.blank_is_empty:
        q &= ~Q(**{column.path: ""})
    return q


def condition_q(condition: dict[str, Any]) -> Q:
    """One condition. Every test except “为空” holds only where the column has a value: an
    empty 县外交易占比 is neither ≥ 50% nor ≠ 0."""
    column = columns()[condition["column"]]
    op, path = condition["op"], column.path
    value: Any = condition.get("value")
    if op == "is_empty":
        return _empty_q(column)
    if op == "not_empty":
        return _has_value_q(column)
    has = _has_value_q(column)
    if op in LISTS:
        values = [_typed(column, v) for v in value]
        inside = Q(**{f"{path}__in": values})
        return has & (inside if op == "in" else ~inside)
    if op == "prefix":
        # A range, not LIKE: the b-tree serves it and "_"/"%" in a code mean themselves.
        return has & Q(**{f"{path}__gte": value, f"{path}__lt": value + "\U0010ffff"})
    typed = _typed(column, value)
    lookup = {"=": "exact", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
    if op == "!=":
        return has & ~Q(**{path: typed})
    return has & Q(**{f"{path}__{lookup[op]}": typed})


def compile_q(rule: dict[str, Any]) -> Q:
    """A validated rule as a Q on CustomerFeature."""
    parts = [condition_q(c) for c in rule["conditions"]]
    if not parts:
        return Q(pk__in=[])
    q = parts[0]
    for part in parts[1:]:
        q = (q & part) if rule.get("match", "all") == "all" else (q | part)
    return q


def show_value(column: RuleColumn, value: Any) -> str:
    if column.kind == "money":
        amount = Decimal(str(value))
        return f"{amount:,.2f}".rstrip("0").rstrip(".") + " 元"
    if column.kind == "ratio":
        return f"{Decimal(str(value)) * 100:.2f}%"
    if column.kind == "days":
        return f"{value} 天"
    if column.kind == "bool":
        return "是" if value else "否"
    return str(value)


def describe_condition(condition: dict[str, Any]) -> str:
    column = columns().get(condition.get("column", ""))
    if column is None:
        return f"（未知字段 {condition.get('column')}）"
    op = condition["op"]
    value: Any = condition.get("value")
    if op in NO_VALUE:
        return f"{column.label}{OPS[op]}"
    if op in LISTS:
        shown = "、".join(show_value(column, v) for v in value)
        return f"{column.label}{'为' if op == 'in' else '不为'} {shown} 之一"
    if op == "prefix":
        return f"{column.label}以 {value} 开头"
    return f"{column.label} {SYMBOLS[op]} {show_value(column, value)}"


def describe(rule: dict[str, Any] | None) -> str:
    """The rule in words: 近3个月日均存款 ≥ 50,000 元 且 年龄 < 60."""
    if not rule or not rule.get("conditions"):
        return ""
    joiner = " 且 " if rule.get("match", "all") == "all" else " 或 "
    return joiner.join(describe_condition(c) for c in rule["conditions"])


def value_text(condition: dict[str, Any]) -> str:
    """A stored value as the editor's text box shows it."""
    value = condition.get("value")
    if value is None:
        return ""
    column = columns().get(condition.get("column", ""))

    def one(v: Any) -> str:
        if column is not None and column.kind == "bool":
            return "是" if v else "否"
        return str(v)

    if isinstance(value, list):
        return "，".join(one(v) for v in value)
    return one(value)
