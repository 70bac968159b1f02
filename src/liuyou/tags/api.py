"""Tag endpoints under /api/v1/tags: tags with counts, a tag's customers, one customer's tags,
bulk tagging with its report and the rule preview. Same selectors, services and scope as the
pages."""

import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate
from pydantic import Field

from liuyou.core.api_auth import api_requires
from liuyou.tags import rules, selectors, services
from liuyou.tags.entries import MAX_ENTRIES
from liuyou.tags.models import Tag

router = Router(tags=["客户标签"])


class TagOut(Schema):
    id: int
    code: str
    name: str
    group_code: str
    group_name: str
    kind: str = Field(description="manual 手工标签 / rule 规则标签")
    rule: dict[str, Any] | None = Field(None, description="规则（规则标签）")
    rule_text: str = Field(description="规则的中文描述")
    description: str
    is_active: bool
    version: int
    count: int = Field(description="持有该标签的客户数（调用者数据范围内）")
    evaluated_on: datetime.date | None = Field(None, description="最近一次规则计算的数据日期")


class HolderOut(Schema):
    customer_no: str
    name: str
    segment: str
    org_code: str
    manager_staff_no: str
    source: str = Field(description="manual 手工 / rule 规则")
    since: datetime.datetime
    data_date: datetime.date | None = Field(None, description="规则标签首次符合的数据日期")


class CustomerTagOut(Schema):
    tag_id: int
    code: str
    name: str
    group_name: str
    source: str
    since: datetime.datetime
    by_staff_no: str
    data_date: datetime.date | None


class HoldersQuery(Schema):
    source: Literal["", "manual", "rule"] = Field("", description="来源：manual / rule，空为全部")


class BulkIn(Schema):
    tag: int | str = Field(description="标签 id 或编码")
    entries: list[str] = Field(description=f"客户号或证件号码，最多 {MAX_ENTRIES} 条")
    kind: Literal["customer_no", "id_no"] = "customer_no"
    action: Literal["add", "remove"] = Field("add", description="add 添加 / remove 移除手工标签")
    note: str = Field("", max_length=200)


class BulkOut(Schema):
    action: str
    kind: str
    tag: str
    entries: int = Field(description="去重后的条数")
    duplicates: int
    matched: int = Field(description="找到的客户数（数据范围内）")
    added: int
    converted: int = Field(description="原为规则标签、已转为手工标签")
    already: int
    removed: int
    not_had: int
    rule_kept: int = Field(description="规则标签，未手工移除")
    unknown_count: int
    unknown: list[str] = Field(description="未找到的条目（不存在或不在数据范围内；证件号码已脱敏）")


class RuleIn(Schema):
    rule: dict[str, Any] = Field(
        description='{"match": "all"|"any", "conditions": [{"column", "op", "value"}]}'
    )
    tag: int | None = Field(None, description="已有标签 id：同时估算新增与移除人数")


class PreviewOut(Schema):
    data_date: datetime.date | None
    rule: dict[str, Any]
    rule_text: str
    matched: int
    added: int | None
    removed: int | None


def _tag(ref: int | str) -> Tag:
    qs = Tag.objects.select_related("group")
    tag = qs.filter(pk=ref).first() if isinstance(ref, int) else qs.filter(code=str(ref)).first()
    if tag is None:
        raise HttpError(404, "没有这个标签")
    return tag


@router.get("", response=list[TagOut], summary="标签列表与各标签客户数（按数据范围）")
@api_requires("tag:view")
def list_tags(request: HttpRequest) -> Any:
    latest = selectors.latest_evaluations()
    out = []
    for group, rows in selectors.groups_with_tags(user=request.user):
        for row in rows:
            t = row.tag
            out.append(
                {
                    "id": t.pk,
                    "code": t.code,
                    "name": t.name,
                    "group_code": group.code,
                    "group_name": group.name,
                    "kind": t.kind,
                    "rule": t.rule,
                    "rule_text": row.rule_text,
                    "description": t.description,
                    "is_active": t.is_active,
                    "version": t.version,
                    "count": row.count,
                    "evaluated_on": latest[t.pk].data_date if t.pk in latest else None,
                }
            )
    return out


@router.get("/{tag_id}/customers", response=list[HolderOut], summary="持有某标签的客户（按数据范围，分页）")
@paginate(PageNumberPagination)
@api_requires("tag:view")
def tag_customers(request: HttpRequest, tag_id: int, query: Query[HoldersQuery]):  # type: ignore[no-untyped-def]
    tag = _tag(tag_id)
    rows = selectors.holders(user=request.user, tag=tag, source=query.source)
    return [
        {
            "customer_no": ct.customer.customer_no,
            "name": ct.customer.name,
            "segment": ct.customer.segment,
            "org_code": ct.customer.org.code,
            "manager_staff_no": ct.customer.manager.staff_no if ct.customer.manager else "",
            "source": ct.source,
            "since": ct.since,
            "data_date": ct.data_date,
        }
        for ct in rows
    ]


@router.get("/customers/{customer_no}", response=list[CustomerTagOut], summary="某客户当前的标签")
@api_requires("tag:view")
def customer_tags(request: HttpRequest, customer_no: str) -> Any:
    customer = selectors.customer_for(user=request.user, customer_no=customer_no)
    return [
        {
            "tag_id": ct.tag_id,
            "code": ct.tag.code,
            "name": ct.tag.name,
            "group_name": ct.tag.group.name,
            "source": ct.source,
            "since": ct.since,
            "by_staff_no": ct.by.staff_no if ct.by else "",
            "data_date": ct.data_date,
        }
        for ct in selectors.customer_tags(customer=customer)
    ]


@router.post("/bulk", response=BulkOut, summary="按客户号或证件号码批量添加/移除手工标签（需 tag:assign）")
@api_requires("tag:assign")
def bulk(request: HttpRequest, payload: BulkIn) -> Any:
    tag = _tag(payload.tag)
    if len(payload.entries) > MAX_ENTRIES:
        raise HttpError(422, f"每次最多 {MAX_ENTRIES:,} 条，本次 {len(payload.entries):,} 条，请分批提交")
    try:
        with transaction.atomic():
            report = services.bulk_tag(
                user=request.user,
                tag=tag,
                entries=payload.entries,
                kind=payload.kind,
                action=payload.action,
                note=payload.note,
            )
    except DjangoValidationError as exc:
        raise HttpError(422, "；".join(exc.messages)) from exc
    return report.as_dict()


@router.post("/preview", response=PreviewOut, summary="预览规则在最新客户宽表上的人数（需 tag:manage）")
@api_requires("tag:manage")
def preview(request: HttpRequest, payload: RuleIn) -> Any:
    try:
        rule = rules.validate(payload.rule)
    except DjangoValidationError as exc:
        raise HttpError(422, "；".join(exc.messages)) from exc
    tag = _tag(payload.tag) if payload.tag is not None else None
    result = selectors.preview(user=request.user, rule=rule, tag=tag)
    return {**result, "rule": rule, "rule_text": rules.describe(rule)}
