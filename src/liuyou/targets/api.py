"""Target lists and leads under /api/v1/targets: the same selectors, services and scope as
the pages."""

import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from liuyou.core.api_auth import api_requires
from liuyou.targets import selectors, services

router = Router(tags=["目标客户名单与线索"])


class ListOut(Schema):
    id: int
    name: str
    data_date: datetime.date
    status: str
    members_count: int
    definition: dict[str, Any]
    org_code: str

    @staticmethod
    def resolve_org_code(obj: Any) -> str:
        return obj.org.code


class ListIn(Schema):
    name: str = Field(max_length=100)
    description: str = Field("", max_length=500)
    data_date: datetime.date | None = Field(None, description="数据日期，默认最新")
    dimensions: list[str] = []
    dimension_match: Literal["any", "all"] = "any"
    exclude_dimensions: list[str] = []
    tags_all: list[int] = []
    tags_any: list[int] = []
    tags_none: list[int] = []
    org: str = Field("", max_length=32, description="限定机构号（含下辖）")


class DistributeIn(Schema):
    mode: Literal["manager", "grid", "team"]
    team: list[str] = Field([], description="mode=team 时的工号列表")


class MemberOut(Schema):
    customer_no: str
    name: str
    dimensions: list[str]
    reasons: str
    product_code: str
    suggested_amount: float | None
    lead_id: int | None
    lead_status: str | None
    assignee_staff_no: str


class LeadOut(Schema):
    id: int
    list_id: int
    customer_no: str
    name: str
    reasons: str
    product_name: str
    status: str
    distributed_on: datetime.date


class MoveIn(Schema):
    to: Literal["contacted", "applied", "approved", "disbursed", "declined"]
    note: str = Field("", max_length=200)
    reason: str = Field("", max_length=200)
    loan_no: str = Field("", max_length=40)


def _errors(exc: DjangoValidationError) -> HttpError:
    return HttpError(422, "；".join(exc.messages))


@router.get("/lists", response=list[ListOut], summary="目标客户名单（按数据范围）")
@paginate(PageNumberPagination)
@api_requires("target:view")
def lists(request: HttpRequest):  # type: ignore[no-untyped-def]
    return selectors.lists(user=request.user)


@router.post("/lists", response={201: ListOut}, summary="按维度与标签保存名单（快照，需 target:manage）")
@api_requires("target:manage")
def create_list(request: HttpRequest, payload: ListIn) -> Any:
    from liuyou.mining.selectors import feature_dates

    dates = feature_dates()
    day = payload.data_date or (dates[0] if dates else None)
    if day is None or day not in dates:
        raise HttpError(422, "该数据日期没有分析结果")
    definition = selectors.Definition(
        dimensions=payload.dimensions,
        dimension_match=payload.dimension_match,
        exclude_dimensions=payload.exclude_dimensions,
        tags_all=payload.tags_all,
        tags_any=payload.tags_any,
        tags_none=payload.tags_none,
        org=payload.org,
    )
    try:
        with transaction.atomic():
            target = services.save_list(
                user=request.user,
                name=payload.name,
                description=payload.description,
                definition=definition,
                data_date=day,
            )
    except DjangoValidationError as exc:
        raise _errors(exc) from exc
    return Status(201, target)


@router.get("/lists/{list_id}/members", response=list[MemberOut], summary="名单客户（数据范围内）")
@paginate(PageNumberPagination)
@api_requires("target:view")
def members(request: HttpRequest, list_id: int):  # type: ignore[no-untyped-def]
    target = selectors.list_get(user=request.user, list_id=list_id)
    out = []
    for m in selectors.members(user=request.user, target_list=target):
        lead = getattr(m, "lead", None)
        out.append(
            {
                "customer_no": m.customer.customer_no,
                "name": m.customer.name,
                "dimensions": m.dimensions,
                "reasons": m.reasons,
                "product_code": m.product_code,
                "suggested_amount": float(m.suggested_amount) if m.suggested_amount is not None else None,
                "lead_id": lead.pk if lead else None,
                "lead_status": lead.status if lead else None,
                "assignee_staff_no": lead.assignee.staff_no if lead and lead.assignee else "",
            }
        )
    return out


@router.post("/lists/{list_id}/distribute", response=dict[str, int], summary="分配名单（需 target:manage）")
@api_requires("target:manage")
def distribute(request: HttpRequest, list_id: int, payload: DistributeIn) -> Any:
    target = selectors.list_get(user=request.user, list_id=list_id)
    team = list(selectors.assignable_staff(user=request.user).filter(staff_no__in=payload.team))
    try:
        with transaction.atomic():
            return services.distribute(user=request.user, target_list=target, mode=payload.mode, team=team)
    except DjangoValidationError as exc:
        raise _errors(exc) from exc


@router.get("/leads", response=list[LeadOut], summary="分配给本人的线索")
@paginate(PageNumberPagination)
@api_requires("lead:work")
def my_leads(request: HttpRequest, status: str = ""):  # type: ignore[no-untyped-def]
    return [
        {
            "id": lead.pk,
            "list_id": lead.target_list_id,
            "customer_no": lead.customer.customer_no,
            "name": lead.customer.name,
            "reasons": lead.member.reasons,
            "product_name": lead.member.product_name,
            "status": lead.status,
            "distributed_on": lead.distributed_on,
        }
        for lead in selectors.my_leads(user=request.user, status=status)
    ]


@router.post("/leads/{lead_id}/status", response=LeadOut, summary="更新线索状态（需 lead:work）")
@api_requires("lead:work")
def move(request: HttpRequest, lead_id: int, payload: MoveIn) -> Any:
    lead = selectors.lead_get(user=request.user, lead_id=lead_id)
    try:
        with transaction.atomic():
            services.move_lead(user=request.user, lead=lead, **payload.dict())
    except DjangoValidationError as exc:
        raise _errors(exc) from exc
    return {
        "id": lead.pk,
        "list_id": lead.target_list_id,
        "customer_no": lead.customer.customer_no,
        "name": lead.customer.name,
        "reasons": lead.member.reasons,
        "product_name": lead.member.product_name,
        "status": lead.status,
        "distributed_on": lead.distributed_on,
    }


@router.get(
    "/funnel", response=list[dict[str, Any]], summary="转化漏斗（按名单、维度、产品、支行或客户经理）"
)
@api_requires("target:view")
def funnel(
    request: HttpRequest,
    by: Literal["list", "dimension", "product", "branch", "manager"] = "list",
    list_id: int = 0,
) -> Any:
    target = selectors.list_get(user=request.user, list_id=list_id) if list_id else None
    return [
        {"key": str(r.key), "label": r.label, "leads": r.leads, "declined": r.declined, **r.stages}
        for r in selectors.funnel(user=request.user, target_list=target, by=by)
    ]
