"""Dimension endpoints under /api/v1/mining: counts, a dimension's customers with their
reasons, and the head office's parameter change. Same selectors and scope as the pages."""

import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from liuyou.core.api_auth import api_requires
from liuyou.mining import selectors, services
from liuyou.mining.definitions import BY_CODE

router = Router(tags=["多维分析"])


class DimensionOut(Schema):
    code: str
    name: str
    condition: str = Field(description="当前参数下的条件")
    action: str = Field(description="建议动作")
    version: int = Field(description="参数版本")
    is_active: bool
    params: dict[str, Any]
    count: int = Field(description="名单客户数（数据范围内，不含拒绝营销）")
    refused_excluded: int = Field(description="符合条件但拒绝营销、未入名单的客户数")


class DimensionsOut(Schema):
    data_date: datetime.date | None
    dimensions: list[DimensionOut]


class MemberOut(Schema):
    customer_no: str
    name: str
    segment: str
    org_code: str
    manager_staff_no: str
    reason: str = Field(description="入选理由（按客户自身数据生成）")


class DayQuery(Schema):
    data_date: datetime.date | None = Field(None, description="数据日期，默认最新")


class MembersQuery(DayQuery):
    org: str = Field("", max_length=32, description="机构号（含下辖）")
    village: str = Field("", max_length=12, description="行政村编码")
    manager: str = Field("", max_length=32, description="主办客户经理工号")


class ParamsIn(Schema):
    params: dict[str, Any] = Field(description="参数名 → 值；未给出的参数取默认值")
    is_active: bool = True
    note: str = Field("", max_length=200)


def _day(data_date: datetime.date | None) -> datetime.date:
    dates = selectors.feature_dates()
    if data_date is None:
        if not dates:
            raise HttpError(404, "尚无分析结果：请先运行日终批处理")
        return dates[0]
    if data_date not in dates:
        raise HttpError(404, "该数据日期没有分析结果")
    return data_date


@router.get("/dimensions", response=DimensionsOut, summary="11 个维度的名单客户数（按数据范围）")
@api_requires("mining:view")
def dimensions(request: HttpRequest, query: Query[DayQuery]) -> Any:
    day = _day(query.data_date) if (query.data_date or selectors.feature_dates()) else None
    counts = selectors.counts(user=request.user, data_date=day) if day else {}
    return {
        "data_date": day,
        "dimensions": [
            {
                "code": i.code,
                "name": i.definition.name,
                "condition": i.condition_text(),
                "action": i.definition.action,
                "version": i.version,
                "is_active": i.is_active,
                "params": i.params,
                "count": counts.get(i.code, {}).get("customers", 0),
                "refused_excluded": counts.get(i.code, {}).get("refused", 0),
            }
            for i in selectors.in_force()
        ],
    }


@router.get(
    "/dimensions/{code}/customers",
    response=list[MemberOut],
    summary="某维度的名单客户与入选理由（按数据范围，不含拒绝营销客户）",
)
@paginate(PageNumberPagination)
@api_requires("mining:view")
def dimension_customers(request: HttpRequest, code: str, query: Query[MembersQuery]):  # type: ignore[no-untyped-def]
    from liuyou.customers.filters import manager_choices, org_choices, village_choices

    if code not in BY_CODE:
        raise HttpError(404, "没有这个维度")
    day = _day(query.data_date)
    narrow: dict[str, Any] = {}
    for name, choices, key in (
        ("org", org_choices, "code"),
        ("village", village_choices, "code"),
        ("manager", manager_choices, "staff_no"),
    ):
        value = getattr(query, name)
        if value:
            found = choices(request.user).filter(**{key: value}).first()
            if found is None:
                raise HttpError(422, f"{name} 不存在或不在您的数据范围内：{value}")
            narrow[name] = found
    item = selectors.one_in_force(code)
    rows = selectors.members(user=request.user, code=code, data_date=day, **narrow)
    return [
        {
            "customer_no": f.customer.customer_no,
            "name": f.customer.name,
            "segment": f.customer.segment,
            "org_code": f.customer.org.code,
            "manager_staff_no": f.customer.manager.staff_no if f.customer.manager else "",
            "reason": selectors.reason(item, f),
        }
        for f in rows
    ]


@router.put(
    "/dimensions/{code}",
    response=DimensionOut,
    summary="修改维度参数（需 mining:config，生成新版本并记日志）",
)
@api_requires("mining:config")
def update_dimension(request: HttpRequest, code: str, payload: ParamsIn) -> Any:
    if code not in BY_CODE:
        raise HttpError(404, "没有这个维度")
    try:
        services.update_params(
            user=request.user,
            code=code,
            params=payload.params,
            is_active=payload.is_active,
            note=payload.note,
        )
    except DjangoValidationError as exc:
        raise HttpError(422, "；".join(exc.messages)) from exc
    item = selectors.one_in_force(code)
    return {
        "code": item.code,
        "name": item.definition.name,
        "condition": item.condition_text(),
        "action": item.definition.action,
        "version": item.version,
        "is_active": item.is_active,
        "params": item.params,
        "count": 0,
        "refused_excluded": 0,
    }
