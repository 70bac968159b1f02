"""Reads of the catalogue and the matches, and the one-customer matcher the 360 page and leads
use. Match lists go through the data scope; the catalogue is the bank's and has none."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, QuerySet

from liuyou.core import scope
from liuyou.customers.models import GuaranteeType
from liuyou.features.models import CustomerFeature, FeatureBuild
from liuyou.products import rules
from liuyou.products.models import Product, ProductMatch, ProductVersion, RiskClass

VIEW = "product:view"
RISK_PENDING = "待风险模块上线后生效"


@dataclass(frozen=True)
class Fit:
    """A product the customer fits: the suggested amount and why, in plain Chinese."""

    product: Product
    amount: Decimal
    explanation: str
    rank: int


@dataclass(frozen=True)
class Miss:
    """A product the customer does not fit, with every rule it fails."""

    product: Product
    reasons: list[str]


@dataclass
class MatchReport:
    """One customer against the active catalogue on one data date."""

    data_date: date | None
    fits: list[Fit] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)
    refused: bool = False
    has_feature: bool = True

    @property
    def best(self) -> list[Fit]:
        return self.fits[:3]

    @property
    def has_products(self) -> bool:
        return bool(self.fits or self.misses)


# --- the catalogue --------------------------------------------------------------------------


def catalogue(*, active_only: bool = False) -> list[Product]:
    qs = Product.objects.order_by("sort_order", "code")
    return list(qs.filter(is_active=True) if active_only else qs)


def versions(*, product: Product) -> list[ProductVersion]:
    return list(product.versions.select_related("changed_by").order_by("-version"))


@dataclass(frozen=True)
class RuleLine:
    label: str
    text: str


def describe(product: Product) -> list[RuleLine]:
    """The product's rules in words, for its page."""
    lines = [RuleLine("准入与风险规则", rule.requirement) for rule in rules.rules_of(product)[1:]]
    lines.append(RuleLine("额度规则", rules.amount_text(product)))
    return lines


def guarantee_labels(product: Product) -> str:
    labels = dict(GuaranteeType.choices)
    return "、".join(labels.get(g, g) for g in product.guarantee_types) or "—"


def segment_labels(product: Product) -> str:
    return rules.segments_text(product.target_segments) if product.target_segments else "全部客户分类"


def risk_pending(product: Product) -> list[RuleLine]:
    """The score band and five-category class a product stores but does not yet evaluate."""
    out = []
    if product.min_score_band:
        out.append(RuleLine("最低评分档", f"{product.min_score_band}（{RISK_PENDING}）"))
    if product.max_risk_class:
        label = dict(RiskClass.choices).get(product.max_risk_class, product.max_risk_class)
        out.append(RuleLine("最高五级分类", f"{label}（{RISK_PENDING}）"))
    return out


# --- one customer ---------------------------------------------------------------------------


def explanation(product: Product, feature: Any, amount: Decimal, evidence: list[str]) -> str:
    """'近3个月月均收单3.50万元，符合商户经营贷；建议额度10万元（月均收单×3，…上限30万元）'."""
    # Two rules on one column (age ≥ 18 and ≤ 60) quote the same figure: say it once.
    evidence = list(dict.fromkeys(evidence))
    because = "，".join(evidence) + "，" if evidence else "满足准入与风险要求，"
    return (
        f"{because}符合{product.name}；建议额度{rules.wan_short(amount)}"
        f"（{rules.amount_text(product, feature)}）"
    )


def match_customer(*, feature: CustomerFeature, products: Iterable[Product] | None = None) -> MatchReport:
    """Every active product (or the ones given) against one feature row, by the same rules
    step 7 evaluates in SQL: the fits ranked as step 7 ranks them (priority, then the larger
    amount), with amount and explanation; the misses with every failed rule in Chinese."""
    report = MatchReport(data_date=feature.data_date, refused=bool(feature.refused_marketing))
    found: list[tuple[Product, Decimal, str]] = []
    for product in catalogue(active_only=True) if products is None else products:
        result = rules.evaluate(product, feature)
        if result.fits:
            amount = rules.suggested_amount(product, feature)
            found.append((product, amount, explanation(product, feature, amount, result.evidence)))
        else:
            report.misses.append(Miss(product, result.failures))
    found.sort(key=lambda f: (f[0].sort_order, -f[1], f[0].pk or 0))
    report.fits = [Fit(p, amount, text, n) for n, (p, amount, text) in enumerate(found, start=1)]
    return report


def latest_feature_date() -> date | None:
    return FeatureBuild.objects.aggregate(latest=Max("data_date"))["latest"]


def customer_report(*, customer: Any, data_date: date | None = None) -> MatchReport:
    """The customer's match report on the latest (or given) feature date. The caller has
    already checked the customer is in the user's scope."""
    day = data_date or latest_feature_date()
    row = CustomerFeature.objects.filter(customer=customer, data_date=day).first() if day else None
    if row is None:
        return MatchReport(data_date=day, has_feature=False)
    return match_customer(feature=row)


def best_products(*, customer: Any, data_date: date | None = None) -> list[Fit]:
    """The customer's top three products with amount and explanation (for the 360 page)."""
    return customer_report(customer=customer, data_date=data_date).best


# --- the matches ----------------------------------------------------------------------------


def match_dates(limit: int = 36) -> list[date]:
    """Data dates with a feature table, newest first (matches exist for those step 7 ran on)."""
    return list(FeatureBuild.objects.order_by("-data_date").values_list("data_date", flat=True)[:limit])


def matches(
    *,
    user: Any,
    data_date: date,
    product: Product | None = None,
    org: Any = None,
    manager: Any = None,
    rank: int | None = None,
) -> QuerySet[ProductMatch]:
    """The date's matches in the user's scope, optionally one product's, within an org's
    subtree (as customers stand now), a manager's book, or only the customers' first choice."""
    from liuyou.system.models import Org

    qs = ProductMatch.objects.filter(data_date=data_date)
    if product is not None:
        qs = qs.filter(product=product)
    if org is not None:
        qs = qs.filter(Org.subtree_q(org.path, "customer__org__path"))
    if manager is not None:
        qs = qs.filter(customer__manager=manager)
    if rank is not None:
        qs = qs.filter(rank=rank)
    qs = qs.select_related("customer", "customer__org", "customer__manager", "product")
    return scope.scoped(qs, user, VIEW).order_by(
        "product__sort_order", "product__code", "customer__customer_no"
    )


def match_counts(*, user: Any, data_date: date | None) -> dict[int, int]:
    """product id -> customers matched on the date, in the user's scope."""
    if data_date is None:
        return {}
    qs = scope.scoped(ProductMatch.objects.filter(data_date=data_date), user, VIEW)
    return {row["product_id"]: row["n"] for row in qs.values("product_id").annotate(n=Count("pk")).order_by()}


def features_for(rows: Iterable[ProductMatch]) -> dict[int, CustomerFeature]:
    """customer id -> the feature row each match was computed from (one query per batch)."""
    rows = list(rows)
    if not rows:
        return {}
    day = rows[0].data_date
    ids = {r.customer_id for r in rows}
    return {f.customer_id: f for f in CustomerFeature.objects.filter(data_date=day, customer_id__in=ids)}


def match_explanation(row: ProductMatch, feature: CustomerFeature | None) -> str:
    """The match's explanation from its feature row under the product's rules in force; says
    so when the product changed since and no longer fits."""
    if feature is None:
        return "客户宽表中已无该数据日期的记录"
    result = rules.evaluate(row.product, feature)
    if not result.fits:
        return "产品规则在匹配后已修改，按现行规则已不适合：" + "；".join(result.failures)
    same = row.version == row.product.version
    amount = row.amount if same else rules.suggested_amount(row.product, feature)
    return explanation(row.product, feature, amount, result.evidence)
