"""Product endpoints under /api/v1/products: the catalogue, one product with its rules and
versions, the matches (paginated, in the caller's data scope) and the head office's change of a
product. Same selectors, services and scope as the pages."""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from liuyou.core.api_auth import api_requires
from liuyou.products import selectors, services
from liuyou.products.models import Product

router = Router(tags=["产品与匹配"])


class ProductOut(Schema):
    code: str
    name: str
    description: str
    target_segments: list[str] = Field(description="目标客群（客户分类编码），空表示全部")
    min_amount: Decimal = Field(description="最低额度（元）")
    max_amount: Decimal = Field(description="最高额度（元）")
    min_term_months: int
    max_term_months: int
    min_rate: Decimal = Field(description="最低年利率（%）")
    max_rate: Decimal = Field(description="最高年利率（%）")
    guarantee_types: list[str] = Field(description="担保方式：credit / guaranty / mortgage / pledge")
    collateral_text: str
    max_current_overdue_days: int | None = Field(description="当前逾期天数上限，空表示不限")
    allow_restructured: bool
    max_bureau_overdue_periods: int | None = Field(description="征信近24个月最大逾期期数上限，空表示不限")
    allow_other_bank_npl: bool
    min_score_band: str = Field(description="最低评分档（待风险模块上线后生效）")
    max_risk_class: str = Field(description="最高五级分类（待风险模块上线后生效）")
    conditions: list[dict[str, Any]] = Field(description="准入条件：[{column, op, value}]，全部满足")
    amount_kind: str
    amount_k: Decimal
    sort_order: int
    is_active: bool
    version: int
    rules: list[str] = Field(description="规则的中文说明")


class VersionOut(Schema):
    version: int
    changed_by: str
    changed_at: datetime.datetime
    note: str
    snapshot: dict[str, Any]


class ProductDetailOut(ProductOut):
    versions: list[VersionOut]
    matches: int = Field(description="最新数据日期匹配本产品的客户数（调用者数据范围内）")


class MatchOut(Schema):
    data_date: datetime.date
    customer_no: str
    name: str
    segment: str
    org_code: str
    manager_staff_no: str
    product: str
    rank: int = Field(description="推荐顺位，1 为首选")
    amount: Decimal = Field(description="建议额度（元）")
    version: int = Field(description="匹配时的产品版本")
    explanation: str


class MatchQuery(Schema):
    data_date: datetime.date | None = Field(None, description="数据日期，默认最新")
    product: str = Field("", max_length=20, description="产品编码")
    org: str = Field("", max_length=32, description="机构号（含下辖）")
    manager: str = Field("", max_length=32, description="主办客户经理工号")
    first_only: bool = Field(False, description="只看每位客户的首选产品")


class ProductIn(Schema):
    """Fields not given keep their current values (a new product needs all required ones)."""

    name: str | None = None
    description: str | None = None
    target_segments: list[str] | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    min_term_months: int | None = None
    max_term_months: int | None = None
    min_rate: Decimal | None = None
    max_rate: Decimal | None = None
    guarantee_types: list[str] | None = None
    collateral_text: str | None = None
    max_current_overdue_days: int | None = Field(None, description="不给出保持原值；给出 -1 表示不限")
    allow_restructured: bool | None = None
    max_bureau_overdue_periods: int | None = Field(None, description="不给出保持原值；给出 -1 表示不限")
    allow_other_bank_npl: bool | None = None
    min_score_band: str | None = None
    max_risk_class: str | None = None
    conditions: list[dict[str, Any]] | None = None
    amount_kind: str | None = None
    amount_k: Decimal | None = None
    sort_order: int | None = None
    is_active: bool | None = None
    note: str = Field("", max_length=200)


def _out(product: Product) -> dict[str, Any]:
    return {
        **services.snapshot(product),
        "version": product.version,
        "rules": [f"{line.label}：{line.text}" for line in selectors.describe(product)]
        + [f"{line.label}：{line.text}" for line in selectors.risk_pending(product)],
    }


def _product(code: str) -> Product:
    product = Product.objects.filter(code=code).first()
    if product is None:
        raise HttpError(404, "没有这个产品")
    return product


@router.get("", response=list[ProductOut], summary="产品目录")
@api_requires("product:view")
def list_products(request: HttpRequest) -> Any:
    return [_out(p) for p in selectors.catalogue()]


@router.get("/matches", response=list[MatchOut], summary="产品匹配客户（按数据范围，不含拒绝营销客户）")
@paginate(PageNumberPagination)
@api_requires("product:view")
def list_matches(request: HttpRequest, query: Query[MatchQuery]):  # type: ignore[no-untyped-def]
    from liuyou.customers.filters import manager_choices, org_choices

    dates = selectors.match_dates()
    day = query.data_date or (dates[0] if dates else None)
    if day is None:
        raise HttpError(404, "尚无匹配结果：请先运行日终批处理")
    if day not in dates:
        raise HttpError(404, "该数据日期没有匹配结果")
    narrow: dict[str, Any] = {}
    if query.product:
        narrow["product"] = Product.objects.filter(code=query.product).first()
        if narrow["product"] is None:
            raise HttpError(422, f"没有这个产品：{query.product}")
    for name, choices, key in (("org", org_choices, "code"), ("manager", manager_choices, "staff_no")):
        value = getattr(query, name)
        if value:
            found = choices(request.user).filter(**{key: value}).first()
            if found is None:
                raise HttpError(422, f"{name} 不存在或不在您的数据范围内：{value}")
            narrow[name] = found
    rows = selectors.matches(user=request.user, data_date=day, rank=1 if query.first_only else None, **narrow)
    return _MatchRows(rows)


class _MatchRows:
    """The scoped queryset, sliced by the paginator; each page's feature rows read once."""

    def __init__(self, qs: Any) -> None:
        self.qs = qs

    def count(self) -> int:
        return int(self.qs.count())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        page = list(self.qs[item])
        features = selectors.features_for(page)
        return [
            {
                "data_date": m.data_date,
                "customer_no": m.customer.customer_no,
                "name": m.customer.name,
                "segment": m.customer.segment,
                "org_code": m.customer.org.code,
                "manager_staff_no": m.customer.manager.staff_no if m.customer.manager else "",
                "product": m.product.code,
                "rank": m.rank,
                "amount": m.amount,
                "version": m.version,
                "explanation": selectors.match_explanation(m, features.get(m.customer_id)),
            }
            for m in page
        ]


@router.get("/{product_code}", response=ProductDetailOut, summary="产品详情（含规则说明与版本）")
@api_requires("product:view")
def product_detail(request: HttpRequest, product_code: str) -> Any:
    product = _product(product_code)
    day = selectors.latest_feature_date()
    return {
        **_out(product),
        "matches": selectors.match_counts(user=request.user, data_date=day).get(product.pk, 0),
        "versions": [
            {
                "version": v.version,
                "changed_by": v.changed_by.name if v.changed_by else "",
                "changed_at": v.changed_at,
                "note": v.note,
                "snapshot": v.snapshot,
            }
            for v in selectors.versions(product=product)
        ],
    }


@router.put(
    "/{product_code}",
    response=ProductOut,
    summary="新建或修改产品（需 product:manage，生成新版本并记日志）",
)
@api_requires("product:manage")
def put_product(request: HttpRequest, product_code: str, payload: ProductIn) -> Any:
    product = Product.objects.filter(code=product_code).first()
    given = payload.model_dump(exclude_unset=True)
    note = given.pop("note", "")
    for key in ("max_current_overdue_days", "max_bureau_overdue_periods"):
        if given.get(key) == -1:
            given[key] = None
    data = {**(services.snapshot(product) if product else {"code": product_code}), **given}
    try:
        saved = services.save_product(user=request.user, data=data, product=product, note=note)
    except DjangoValidationError as exc:
        raise HttpError(422, "；".join(exc.messages)) from exc
    return _out(saved)
