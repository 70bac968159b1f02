"""Customer endpoints under /api/v1/customers: the same selectors, data scope and masking as
the pages. Full ID and phone numbers only through the logged reveal operation."""

import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from liuyou.core import request_context
from liuyou.core.api_auth import api_requires
from liuyou.customers import selectors, services
from liuyou.customers.filters import Q_MAX
from liuyou.customers.models import Customer, ManagerAssignment

router = Router(tags=["客户"])


class CustomerOut(Schema):
    customer_no: str = Field(description="客户号")
    name: str = Field(description="客户名称")
    customer_type: str = Field(description="客户类型代码：individual 个人 / enterprise 企业")
    id_type: str = Field(description="证件类型代码（字典 id_type）")
    id_no_masked: str = Field(description="证件号码（脱敏）")
    phone_masked: str = Field(description="手机号码（脱敏）")
    segment: str = Field(description="客户分类代码（字典 segment）")
    org_code: str = Field(description="开户机构号")
    org_name: str = Field(description="开户机构")
    grid_code: str = Field(description="所属网格机构号")
    manager_staff_no: str = Field(description="主办客户经理工号")
    manager_name: str = Field(description="主办客户经理")
    assisting_manager_staff_no: str = Field(description="协办客户经理工号")
    village_code: str = Field(description="行政村编码")
    industry: str = Field(description="产业代码（GB/T 4754）")
    refused_marketing: bool = Field(description="是否拒绝营销")

    @staticmethod
    def resolve_org_code(obj: Customer) -> str:
        return obj.org.code

    @staticmethod
    def resolve_org_name(obj: Customer) -> str:
        return obj.org.name

    @staticmethod
    def resolve_grid_code(obj: Customer) -> str:
        return obj.grid.code if obj.grid else ""

    @staticmethod
    def resolve_manager_staff_no(obj: Customer) -> str:
        return obj.manager.staff_no if obj.manager else ""

    @staticmethod
    def resolve_manager_name(obj: Customer) -> str:
        return obj.manager.name if obj.manager else ""

    @staticmethod
    def resolve_assisting_manager_staff_no(obj: Customer) -> str:
        return obj.assisting_manager.staff_no if obj.assisting_manager else ""

    @staticmethod
    def resolve_village_code(obj: Customer) -> str:
        return obj.village.code if obj.village else ""


class CustomerQuery(Schema):
    q: str = Field(
        "", max_length=Q_MAX, description="客户号、统一社会信用代码、客户名称开头，或完整证件号码/手机号码"
    )
    segment: str = Field("", max_length=32, description="客户分类代码")
    org: str = Field("", max_length=32, description="机构号（含下辖机构与网格）")
    manager: str = Field("", max_length=32, description="客户经理工号")
    grid: str = Field("", max_length=32, description="网格机构号")
    village: str = Field("", max_length=12, description="行政村编码")
    industry: str = Field("", max_length=16, description="产业代码（含下级代码）")
    has_loan: Literal["", "yes", "no"] = Field("", description="有未结清贷款：yes 是 / no 否")
    overdue: Literal["", "yes", "no"] = Field("", description="有逾期贷款：yes 是 / no 否")
    tags_all: str = Field("", max_length=500, description="同时具有这些标签（标签编号，逗号分隔）")
    tags_any: str = Field("", max_length=500, description="具有其中任一标签（标签编号，逗号分隔）")
    tags_none: str = Field("", max_length=500, description="不具有其中任何标签（标签编号，逗号分隔）")


class RevealIn(Schema):
    field: Literal["id_no", "phone"] = Field(description="id_no 证件号码 / phone 手机号码")


class RevealOut(Schema):
    customer_no: str
    field: str
    value: str = Field(description="完整号码；每次查看均记入操作日志")


class ReassignIn(Schema):
    role: Literal["primary", "assisting"] = Field(description="primary 主办 / assisting 协办")
    manager: str = Field(max_length=32, description="新客户经理工号")
    effective_date: datetime.date | None = Field(None, description="生效日期，默认今天")


class AssignmentOut(Schema):
    customer_no: str
    role: str
    manager_staff_no: str
    start_date: datetime.date


class ErrorOut(Schema):
    detail: str
    request_id: str


@router.get("", response=list[CustomerOut], summary="客户列表（按数据范围，证件号码与手机号码脱敏）")
@paginate(PageNumberPagination)
@api_requires("customer:view")
def list_customers(request: HttpRequest, filters: Query[CustomerQuery]):  # type: ignore[no-untyped-def]
    data: dict[str, Any] = {k: v for k, v in filters.dict().items() if v}
    for key in ("tags_all", "tags_any", "tags_none"):
        if key in data:  # "3,5" -> ["3", "5"], as a page's repeated ?tags_all= gives them
            data[key] = [part.strip() for part in data[key].split(",") if part.strip()]
    filterset = selectors.customer_filterset(user=request.user, data=data, options=False)
    if filterset.is_bound and not filterset.is_valid():
        raise HttpError(422, "查询参数无效：" + "、".join(filterset.errors))
    return filterset.qs.select_related("village", "assisting_manager")


@router.get("/{customer_no}", response=CustomerOut, summary="客户详情（不在数据范围内返回 404）")
@api_requires("customer:view")
def get_customer(request: HttpRequest, customer_no: str) -> Customer:
    return selectors.customer_get(user=request.user, customer_no=customer_no)


@router.post(
    "/{customer_no}/managers",
    response={200: AssignmentOut},
    summary="调整主办或协办客户经理（需 customer:assign，客户与新客户经理均须在数据范围内）",
)
@api_requires("customer:assign")
def reassign(request: HttpRequest, customer_no: str, payload: ReassignIn) -> Any:
    from django.utils import timezone

    customer = selectors.customer_for_assign(user=request.user, customer_no=customer_no)
    manager = selectors.assignable_managers(user=request.user).filter(staff_no=payload.manager).first()
    try:
        done: ManagerAssignment = services.reassign_manager(
            actor=request.user,
            customer=customer,
            role=payload.role,
            manager=manager,
            effective_date=payload.effective_date or timezone.localdate(),
        )
    except DjangoValidationError as exc:
        raise HttpError(422, "；".join(exc.messages)) from exc
    return AssignmentOut(
        customer_no=customer.customer_no,
        role=done.role,
        manager_staff_no=done.manager.staff_no,
        start_date=done.start_date,
    )


@router.post(
    "/{customer_no}/reveal",
    response={200: RevealOut, 409: ErrorOut},
    summary="查看完整证件号码或手机号码（需 pii:view，记入操作日志）",
)
@api_requires("pii:view")
def reveal(request: HttpRequest, response: HttpResponse, customer_no: str, payload: RevealIn) -> Any:
    customer = selectors.customer_for_reveal(user=request.user, customer_no=customer_no)
    add_never_cache_headers(response)
    try:
        value = services.reveal_pii(user=request.user, customer=customer, field=payload.field)
    except services.RevealError as exc:
        # Answered, not raised: the API's error handlers roll the request back, and the log
        # entry of the failed attempt must stay.
        return Status(409, {"detail": str(exc), "request_id": request_context.current().request_id})
    return Status(200, RevealOut(customer_no=customer.customer_no, field=payload.field, value=value))
