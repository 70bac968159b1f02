"""Writes of the product catalogue (validated, versioned, audited) and the daily matching
(pipeline step 7). The caller owns the transaction."""

from __future__ import annotations

import re
import time
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from liuyou.core import audit
from liuyou.customers.models import GuaranteeType, Segment
from liuyou.features.models import CustomerFeature, FeatureBuild
from liuyou.products import rules
from liuyou.products.models import Product, ProductMatch, ProductVersion, RiskClass

# Every field a version snapshot keeps, in the order the form and the API show them.
FIELDS = (
    "code",
    "name",
    "description",
    "target_segments",
    "min_amount",
    "max_amount",
    "min_term_months",
    "max_term_months",
    "min_rate",
    "max_rate",
    "guarantee_types",
    "collateral_text",
    "max_current_overdue_days",
    "allow_restructured",
    "max_bureau_overdue_periods",
    "allow_other_bank_npl",
    "min_score_band",
    "max_risk_class",
    "conditions",
    "amount_kind",
    "amount_k",
    "sort_order",
    "is_active",
)
CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{1,19}$")
MAX_AMOUNT = Decimal("100000000")  # 1 亿元
MAX_CONDITIONS = 10


def snapshot(product: Product) -> dict[str, Any]:
    """The product's rules as plain JSON values (decimals as strings)."""
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = getattr(product, name)
        if isinstance(value, Decimal | int) and not isinstance(value, bool):
            places = getattr(Product._meta.get_field(name), "decimal_places", None)
            if places is not None:
                value = str(Decimal(value).quantize(Decimal(1).scaleb(-places)))
        out[name] = value
    return out


# --- validation -------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)


def _text(data: dict[str, Any], key: str, default: str = "") -> str:
    value = data.get(key, default)
    return "" if value is None else str(value).strip()


def _decimal(
    e: _Errors, data: dict[str, Any], key: str, label: str, *, places: int, low: Decimal, high: Decimal
) -> Decimal | None:
    raw = _text(data, key)
    if not raw:
        e.add(key, f"请填写{label}")
        return None
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        e.add(key, f"{label}应为数字")
        return None
    if not value.is_finite():
        e.add(key, f"{label}应为数字")
        return None
    if value != value.quantize(Decimal(1).scaleb(-places)):
        e.add(key, f"{label}最多 {places} 位小数" if places else f"{label}应为整数")
        return None
    if value < low or value > high:
        e.add(key, f"{label}应在 {low:f} 到 {high:f} 之间")
        return None
    return value


def _integer(
    e: _Errors, data: dict[str, Any], key: str, label: str, *, low: int, high: int, optional: bool = False
) -> int | None:
    raw = _text(data, key)
    if not raw:
        if not optional:
            e.add(key, f"请填写{label}")
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        e.add(key, f"{label}应为整数")
        return None
    if not value.is_finite() or value != value.to_integral_value():
        e.add(key, f"{label}应为整数")
        return None
    if value < low or value > high:
        e.add(key, f"{label}应在 {low} 到 {high} 之间")
        return None
    return int(value)


def _bool(data: dict[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "on", "是", "yes")


def _codes(e: _Errors, data: dict[str, Any], key: str, label: str, allowed: dict[str, str]) -> list[str]:
    raw = data.get(key) or []
    if isinstance(raw, str):
        raw = [p for p in re.split(r"[,，、\s]+", raw) if p]
    if not isinstance(raw, list | tuple):
        e.add(key, f"{label}格式有误")
        return []
    unknown = [str(v) for v in raw if str(v) not in allowed]
    if unknown:
        e.add(key, f"未知的{label}：{'、'.join(unknown)}")
    return [code for code in allowed if code in {str(v) for v in raw}]


def clean_product(data: dict[str, Any], *, product: Product | None = None) -> dict[str, Any]:
    """Validated field values for a product from input (form or API). Every message is
    Chinese and keyed by field (conditions by `conditions.<n>.<column|op|value>`), raised
    together as one ValidationError."""
    e = _Errors()
    out: dict[str, Any] = {}
    code = _text(data, "code").upper() if product is None else product.code
    if product is None:
        if not code:
            e.add("code", "请填写产品编码")
        elif not CODE_RE.match(code):
            e.add("code", "产品编码应为 2–20 位大写字母、数字或下划线，以字母开头")
        elif Product.objects.filter(code=code).exists():
            e.add("code", f"产品编码 {code} 已存在")
    out["code"] = code
    name = _text(data, "name")
    same_name = Product.objects.filter(name=name)
    if product is not None:
        same_name = same_name.exclude(pk=product.pk)
    if not name:
        e.add("name", "请填写产品名称")
    elif len(name) > 40:
        e.add("name", "产品名称不能超过 40 个字")
    elif same_name.exists():
        e.add("name", f"已有名为“{name}”的产品")
    out["name"] = name
    out["description"] = _text(data, "description")[:2000]
    out["target_segments"] = _codes(e, data, "target_segments", "客户分类", dict(Segment.choices))
    low = _decimal(e, data, "min_amount", "最低额度", places=0, low=Decimal(1000), high=MAX_AMOUNT)
    high = _decimal(e, data, "max_amount", "最高额度", places=0, low=Decimal(1000), high=MAX_AMOUNT)
    for key, value in (("min_amount", low), ("max_amount", high)):
        if value is not None and value % 1000:
            e.add(key, "额度应为 1,000 元的整数倍")
    if low is not None and high is not None and low > high:
        e.add("max_amount", "最高额度不能低于最低额度")
    out["min_amount"], out["max_amount"] = low, high
    t_low = _integer(e, data, "min_term_months", "最短期限", low=1, high=360)
    t_high = _integer(e, data, "max_term_months", "最长期限", low=1, high=360)
    if t_low is not None and t_high is not None and t_low > t_high:
        e.add("max_term_months", "最长期限不能短于最短期限")
    out["min_term_months"], out["max_term_months"] = t_low, t_high
    r_low = _decimal(e, data, "min_rate", "最低年利率", places=2, low=Decimal("0.01"), high=Decimal("36"))
    r_high = _decimal(e, data, "max_rate", "最高年利率", places=2, low=Decimal("0.01"), high=Decimal("36"))
    if r_low is not None and r_high is not None and r_low > r_high:
        e.add("max_rate", "最高年利率不能低于最低年利率")
    out["min_rate"], out["max_rate"] = r_low, r_high
    out["guarantee_types"] = _codes(e, data, "guarantee_types", "担保方式", dict(GuaranteeType.choices))
    if not out["guarantee_types"] and "guarantee_types" not in e.errors:
        e.add("guarantee_types", "请至少选择一种担保方式")
    out["collateral_text"] = _text(data, "collateral_text")
    if len(out["collateral_text"]) > 200:
        e.add("collateral_text", "担保与抵质押要求不能超过 200 个字")
    out["max_current_overdue_days"] = _integer(
        e, data, "max_current_overdue_days", "当前逾期天数上限", low=0, high=3650, optional=True
    )
    out["allow_restructured"] = _bool(data, "allow_restructured", False)
    out["max_bureau_overdue_periods"] = _integer(
        e, data, "max_bureau_overdue_periods", "征信近24个月最大逾期期数上限", low=0, high=24, optional=True
    )
    out["allow_other_bank_npl"] = _bool(data, "allow_other_bank_npl", False)
    out["min_score_band"] = _text(data, "min_score_band").upper()
    if len(out["min_score_band"]) > 8:
        e.add("min_score_band", "最低评分档不能超过 8 个字符")
    out["max_risk_class"] = _text(data, "max_risk_class")
    if out["max_risk_class"] and out["max_risk_class"] not in RiskClass.values:
        e.add("max_risk_class", "五级分类应为正常、关注、次级、可疑或损失")
    out["conditions"] = _conditions(e, data.get("conditions") or [])
    kind = _text(data, "amount_kind", "fixed")
    if kind not in rules.AMOUNT_KINDS:
        e.add("amount_kind", "请选择额度规则")
    elif rules.AMOUNT_KINDS[kind].base == "":
        e.add("amount_kind", "客户宽表尚无“上笔贷款金额”列，暂不能按上笔贷款金额计算额度，请选择其他规则")
    out["amount_kind"] = kind
    k_high = MAX_AMOUNT if kind == "fixed" else Decimal(100)
    out["amount_k"] = _decimal(
        e, data, "amount_k", "额度系数 k", places=4, low=Decimal("0.0001"), high=k_high
    )
    out["sort_order"] = _integer(e, data, "sort_order", "优先级", low=0, high=9999)
    out["is_active"] = _bool(data, "is_active", True)
    if e.errors:
        raise ValidationError(e.errors)
    return out


def _conditions(e: _Errors, raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list | tuple):
        e.add("conditions", "准入条件格式有误")
        return []
    if len(raw) > MAX_CONDITIONS:
        e.add("conditions", f"准入条件最多 {MAX_CONDITIONS} 条")
        return []
    out = []
    for n, item in enumerate(raw):
        try:
            out.append(rules.clean_condition(item))
        except ValidationError as exc:
            for part, messages in exc.message_dict.items():
                for message in messages:
                    e.add(f"conditions.{n}.{part}", f"第 {n + 1} 条条件：{message}")
    return out


# --- writes -------------------------------------------------------------------------------


def save_product(
    *, user: Any, data: dict[str, Any], product: Product | None = None, note: str = ""
) -> Product:
    """Create a product (`product` None) or change one: validated, stored as the next version
    with a full snapshot, audited with before and after. Unchanged input makes no version."""
    cleaned = clean_product(data, product=product)
    if product is None:
        product = Product(**cleaned, version=1)
        product.save()
        ProductVersion.objects.create(
            product=product,
            version=1,
            snapshot=snapshot(product),
            note=(note or "新建产品")[:200],
            changed_by=user,
        )
        audit.record(action="products.product.create", user=user, obj=product, after=snapshot(product))
        return product
    product = Product.objects.select_for_update().get(pk=product.pk)
    before = snapshot(product)
    for name, value in cleaned.items():
        setattr(product, name, value)
    after = snapshot(product)
    if after == before:
        return product
    product.version += 1
    product.save()
    ProductVersion.objects.create(
        product=product, version=product.version, snapshot=after, note=note[:200], changed_by=user
    )
    changed_before, changed_after = audit.diff(before, after)
    audit.record(
        action="products.product.update",
        user=user,
        obj=product,
        before={**(changed_before or {}), "version": product.version - 1},
        after={**(changed_after or {}), "version": product.version, "note": note},
    )
    return product


def _demo(
    code: str,
    name: str,
    description: str,
    segments: list[str],
    amount: tuple[int, int],
    term: tuple[int, int],
    rate: tuple[str, str],
    guarantees: list[str],
    collateral: str,
    conditions: list[dict[str, Any]],
    kind: str,
    k: str,
    sort_order: int,
    bureau: int | None = 0,
) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "description": description,
        "target_segments": segments,
        "min_amount": amount[0],
        "max_amount": amount[1],
        "min_term_months": term[0],
        "max_term_months": term[1],
        "min_rate": rate[0],
        "max_rate": rate[1],
        "guarantee_types": guarantees,
        "collateral_text": collateral,
        "max_current_overdue_days": 0,
        "allow_restructured": False,
        "max_bureau_overdue_periods": bureau,
        "allow_other_bank_npl": False,
        "conditions": conditions,
        "amount_kind": kind,
        "amount_k": k,
        "sort_order": sort_order,
        "is_active": True,
    }


DEMO_CATALOGUE: tuple[dict[str, Any], ...] = (
    _demo(
        "YGC",
        "燕归巢",
        "面向贷款已结清、此后未再在本行贷款且还款记录良好的老客户的回流信用贷款，老客户免担保、快审批。",
        ["farmer", "individual_business", "migrant_worker", "salaried"],
        (10000, 200000),
        (6, 36),
        ("4.35", "6.20"),
        ["credit"],
        "信用方式，无需抵押担保",
        [
            {"column": "days_since_cleared", "op": ">=", "value": 90},
            {"column": "loan_count", "op": "=", "value": 0},
            {"column": "max_overdue_days", "op": "=", "value": 0},
        ],
        "deposit_multiple",
        "3",
        10,
    ),
    _demo(
        "PHKD",
        "普惠快贷",
        "面向个体工商户和小微企业的小额快捷经营贷款，线上申请、随借随还。",
        ["individual_business", "small_enterprise"],
        (10000, 300000),
        (3, 12),
        ("4.00", "7.20"),
        ["credit", "guaranty"],
        "30万元以内信用或保证方式",
        [{"column": "deposit_avg_3m", "op": ">=", "value": "5000"}],
        "deposit_multiple",
        "2",
        40,
        bureau=2,
    ),
    _demo(
        "NHXE",
        "农户小额信用贷款",
        "面向辖内农户的小额信用贷款，支持春耕备耕、秋收和种养殖周转，整村授信。",
        ["farmer"],
        (10000, 200000),
        (12, 36),
        ("4.35", "6.00"),
        ["credit"],
        "信用方式；户主申请，家庭成员知情",
        [
            {"column": "age", "op": ">=", "value": 18},
            {"column": "age", "op": "<=", "value": 65},
        ],
        "subsidy_multiple",
        "10",
        30,
    ),
    _demo(
        "XYD",
        "薪易贷",
        "面向在本行代发工资的上班族的消费信用贷款，按月均工资核定额度。",
        ["salaried"],
        (10000, 500000),
        (12, 60),
        ("3.85", "6.00"),
        ["credit"],
        "信用方式，需在本行连续代发工资",
        [{"column": "payroll_months_3m", "op": ">=", "value": 3}],
        "payroll_multiple",
        "15",
        20,
    ),
    _demo(
        "SHJYD",
        "商户经营贷",
        "面向在本行开通收单的活跃商户的经营周转贷款，按收单流水核定额度。",
        ["individual_business", "small_enterprise"],
        (10000, 500000),
        (12, 36),
        ("4.20", "6.80"),
        ["credit", "guaranty", "mortgage"],
        "30万元以内信用或保证；超过部分需房产抵押",
        [{"column": "acquiring_avg_3m", "op": ">=", "value": "30000"}],
        "acquiring_multiple",
        "3",
        30,
    ),
    _demo(
        "FXCY",
        "返乡创业贷",
        "面向外出务工返乡创业人员的创业贷款，可申请创业担保贷款贴息。",
        ["migrant_worker"],
        (10000, 300000),
        (12, 36),
        ("3.45", "4.35"),
        ["credit", "guaranty"],
        "创业担保基金担保或保证方式",
        [{"column": "out_of_county_share_3m", "op": ">=", "value": "0.5"}],
        "deposit_multiple",
        "3",
        30,
    ),
)


def ensure_demo_catalogue(*, user: Any = None) -> list[Product]:
    """The demo catalogue's six products, created when missing (by code); existing products,
    edited or not, are left as they are. A real bank starts with an empty catalogue."""
    have = set(Product.objects.values_list("code", flat=True))
    made = []
    for data in DEMO_CATALOGUE:
        if data["code"] not in have:
            made.append(save_product(user=user, data=data, note="演示产品目录"))
    return made


# --- matching (pipeline step 7) ---------------------------------------------------------


def _insert_matches(product: Product, data_date: date) -> int:
    """One INSERT ... SELECT over the date's feature rows that pass every rule of the product."""
    qs = (
        CustomerFeature.objects.filter(data_date=data_date)
        .filter(rules.product_q(product))
        .order_by()
        .values(
            m_customer=F("customer_id"),
            m_date=Value(data_date),
            m_product=Value(product.pk, output_field=IntegerField()),
            m_rank=Value(0, output_field=IntegerField()),
            m_amount=rules.amount_expression(product),
            m_version=Value(product.version, output_field=IntegerField()),
            m_priority=Value(product.sort_order, output_field=IntegerField()),
        )
    )
    select_sql, params = qs.query.sql_with_params()
    q = connection.ops.quote_name
    fields = {f.name: f.column for f in ProductMatch._meta.concrete_fields}
    names = ("customer", "data_date", "product", "rank", "amount", "version", "priority")
    columns = ", ".join(q(fields[name]) for name in names)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {q(ProductMatch._meta.db_table)} ({columns}) {select_sql}", params)  # noqa: S608
        return max(cursor.rowcount, 0)


def _rank(data_date: date) -> None:
    """Rank each customer's matches: product priority first, then the larger amount, then the
    product id. One correlated UPDATE (rank = 1 + matches ranked before it)."""
    before = (
        ProductMatch.objects.filter(data_date=data_date, customer_id=OuterRef("customer_id"))
        .filter(
            Q(priority__lt=OuterRef("priority"))
            | Q(priority=OuterRef("priority"), amount__gt=OuterRef("amount"))
            | Q(
                priority=OuterRef("priority"),
                amount=OuterRef("amount"),
                product_id__lt=OuterRef("product_id"),
            )
        )
        .order_by()
        .values("customer_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    ProductMatch.objects.filter(data_date=data_date).update(
        rank=Coalesce(Subquery(before, output_field=IntegerField()), Value(0)) + 1
    )


def match(*, data_date: date) -> dict[str, int]:
    """Match every active product against the feature rows of `data_date`; replaces the
    date's matches. Returns product code -> customers matched."""
    if not FeatureBuild.objects.filter(data_date=data_date).exists():
        raise ValueError(f"{data_date:%Y-%m-%d} 的客户宽表尚未生成，请先运行日终批处理（liuyou daily）")
    ProductMatch.objects.filter(data_date=data_date).delete()
    counts: dict[str, int] = {}
    for product in Product.objects.filter(is_active=True).order_by("sort_order", "code"):
        _insert_matches(product, data_date)
        counts[product.code] = ProductMatch.objects.filter(data_date=data_date, product=product).count()
    if counts:
        _rank(data_date)
    # Matches of dates whose feature rows retention dropped go with them.
    ProductMatch.objects.exclude(data_date__in=FeatureBuild.objects.values("data_date")).delete()
    return counts


def match_step(*, data_date: date) -> Any:
    """Daily pipeline step 7 (产品匹配)."""
    from liuyou.pipeline.types import StepResult

    started = time.perf_counter()
    counts = match(data_date=data_date)
    rows = ProductMatch.objects.filter(data_date=data_date)
    return StepResult(
        rows=sum(counts.values()),
        details={
            "products": counts,
            "customers": rows.values("customer_id").distinct().count(),
            "seconds": round(time.perf_counter() - started, 3),
            **({} if counts else {"note": "没有启用的产品，未匹配"}),
        },
    )


def log_export(*, user: Any, data_date: date, filters: dict[str, Any], rows: int) -> None:
    """A product match list left the system as a file: who, which date, which filters."""
    audit.record(
        action="products.matches.export",
        user=user,
        object_type="product_match",
        object_repr=f"产品匹配 {data_date:%Y-%m-%d}",
        after={
            "data_date": data_date.isoformat(),
            "filters": {k: v for k, v in filters.items() if k != "page"},
            "rows": rows,
        },
    )
