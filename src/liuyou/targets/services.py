"""Writes of target lists and leads: saving a list (a snapshot of its customers with reasons
and matched product), distributing it, moving a lead along the funnel, and confirming
disbursals from the credit extract (pipeline step). The caller owns the transaction."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, Exists, OuterRef, Subquery, Value, When
from django.utils import timezone

from liuyou.core import audit
from liuyou.customers.models import Loan
from liuyou.mining import selectors as mining
from liuyou.targets import selectors
from liuyou.targets.models import (
    OPEN,
    DistributionMode,
    Lead,
    LeadEvent,
    LeadStatus,
    ListStatus,
    TargetList,
    TargetMember,
)

MAX_MEMBERS = 50_000  # one list; a bigger one is a campaign, split it by branch

# The moves a manager may make; `disbursed` by hand needs the loan number, or comes from the
# credit extract. Declining is possible from any open stage.
NEXT = {
    LeadStatus.NEW: {LeadStatus.CONTACTED, LeadStatus.DECLINED},
    LeadStatus.CONTACTED: {LeadStatus.APPLIED, LeadStatus.DECLINED},
    LeadStatus.APPLIED: {LeadStatus.APPROVED, LeadStatus.DECLINED},
    LeadStatus.APPROVED: {LeadStatus.DISBURSED, LeadStatus.DECLINED},
}


def _validate(definition: selectors.Definition) -> None:
    from liuyou.mining.definitions import BY_CODE

    errors: dict[str, str] = {}
    unknown = [c for c in definition.dimensions + definition.exclude_dimensions if c not in BY_CODE]
    if unknown:
        errors["dimensions"] = f"未知维度：{'、'.join(unknown)}"
    if set(definition.dimensions) & set(definition.exclude_dimensions):
        errors["exclude_dimensions"] = "同一维度不能既选入又排除"
    if definition.dimension_match not in ("all", "any"):
        errors["dimension_match"] = "维度组合方式应为“全部满足”或“满足任一”"
    if not (definition.dimensions or definition.tags_all or definition.tags_any):
        errors["dimensions"] = "请至少选择一个维度或一个标签"
    if errors:
        raise ValidationError(errors)


def save_list(
    *, user: Any, name: str, definition: selectors.Definition, data_date: date, description: str = ""
) -> TargetList:
    """Snapshot the customers `definition` selects for `user` on `data_date`: each member
    keeps the dimensions it met with their reasons, its best product match and its manager
    as they were. Later changes to parameters or data do not change a saved list."""
    _validate(definition)
    if not name.strip():
        raise ValidationError({"name": "请填写名单名称"})
    qs = selectors.candidates(user=user, definition=definition, data_date=data_date)
    total = qs.count()
    if total == 0:
        raise ValidationError({"dimensions": "按这些条件没有客户，名单未保存"})
    if total > MAX_MEMBERS:
        raise ValidationError(
            {"dimensions": f"名单有 {total} 位客户，超过单份上限 {MAX_MEMBERS}，请按机构拆分"}
        )
    items = [i for i in mining.in_force() if i.is_active]
    flags = {
        f"met_{n}": Case(
            When(mining.list_q(i), then=Value(True)), default=Value(False), output_field=BooleanField()
        )
        for n, i in enumerate(items)
    }
    products = _best_products(data_date, qs.values("customer_id"))
    target = TargetList.objects.create(
        name=name.strip()[:100],
        description=description.strip()[:500],
        data_date=data_date,
        definition=definition.as_json(),
        dimension_versions={i.code: i.version for i in items},
        org=user.org,
        created_by=user,
        members_count=total,
    )
    rows = []
    for feature in (
        qs.select_related("customer").annotate(**flags).order_by("customer_id").iterator(chunk_size=2000)
    ):
        met = selectors.met_dimensions(feature, items)
        product = products.get(feature.customer_id)
        rows.append(
            TargetMember(
                target_list=target,
                customer_id=feature.customer_id,
                dimensions=[code for code, _ in met],
                reasons="；".join(f"{mining.definition(code).name}：{text}" for code, text in met)
                or "符合所选标签",
                product_code=product[0] if product else "",
                product_name=product[1] if product else "",
                suggested_amount=product[2] if product else None,
                manager_id=feature.customer.manager_id,
            )
        )
    TargetMember.objects.bulk_create(rows, batch_size=2000)
    audit.record(
        action="targets.list.save",
        user=user,
        obj=target,
        after={"definition": target.definition, "data_date": data_date.isoformat(), "members": total},
    )
    return target


def _best_products(data_date: date, customers: Any) -> dict[int, tuple[str, str, Decimal | None]]:
    """customer id -> (product code, name, suggested amount) of the first-ranked match of the
    date, for the `customers` (a values("customer_id") queryset) only; empty until the
    product matcher has run."""
    from liuyou.products.models import ProductMatch

    rows = ProductMatch.objects.filter(data_date=data_date, rank=1, customer_id__in=customers).values_list(
        "customer_id", "product__code", "product__name", "amount"
    )
    return {c: (code, pname, amount) for c, code, pname, amount in rows}


def distribute(*, user: Any, target_list: TargetList, mode: str, team: Sequence[Any] = ()) -> dict[str, int]:
    """Hand every member of the list to one person: one lead per member, exactly once.
    `manager`: the customer's current primary manager; `grid`: a service specialist of the
    customer's grid (round robin when several); `team`: evenly across `team`, in customer
    number order. Members nobody can take get an unassigned lead the distributor reassigns."""
    # The row lock makes a second, concurrent distribution wait and then see the first one.
    locked = TargetList.objects.select_for_update().get(pk=target_list.pk)
    if locked.status == ListStatus.DISTRIBUTED or Lead.objects.filter(target_list=target_list).exists():
        raise ValidationError({"mode": "该名单已分配，不能重复分配"})
    if mode not in DistributionMode.values:
        raise ValidationError({"mode": "请选择分配方式"})
    allowed = {u.pk for u in selectors.assignable_staff(user=user)}
    if mode == DistributionMode.TEAM:
        ids = sorted({u.pk for u in team})
        if not ids:
            raise ValidationError({"team": "请至少选择一位人员"})
        outside = [i for i in ids if i not in allowed]
        if outside:
            raise ValidationError({"team": "所选人员不在您的数据范围内，或已离职、停用"})
    members = list(
        TargetMember.objects.filter(target_list=target_list)
        .select_related("customer")
        .order_by("customer__customer_no")
    )
    today = timezone.localdate()
    if mode == DistributionMode.TEAM:
        cycle = itertools.cycle(ids)
        assignee_of = {m.pk: next(cycle) for m in members}
    elif mode == DistributionMode.MANAGER:
        assignee_of = {
            m.pk: m.customer.manager_id if m.customer.manager_id in allowed else None for m in members
        }
    else:
        specialists = selectors.grid_specialists()
        turns = {
            grid: itertools.cycle([p for p in people if p in allowed]) for grid, people in specialists.items()
        }
        assignee_of = {}
        for m in members:
            grid = m.customer.grid_id
            people = [p for p in specialists.get(grid, []) if p in allowed] if grid is not None else []
            assignee_of[m.pk] = next(turns[grid]) if grid is not None and people else None
    Lead.objects.bulk_create(
        [
            Lead(
                member=m,
                target_list=target_list,
                customer_id=m.customer_id,
                assignee_id=assignee_of[m.pk],
                distributed_on=today,
            )
            for m in members
        ],
        batch_size=2000,
    )
    target_list.status = ListStatus.DISTRIBUTED
    target_list.distribution_mode = mode
    target_list.distributed_at = timezone.now()
    target_list.distributed_by = user
    target_list.save(update_fields=["status", "distribution_mode", "distributed_at", "distributed_by"])
    assigned = sum(1 for v in assignee_of.values() if v is not None)
    result = {"leads": len(members), "assigned": assigned, "unassigned": len(members) - assigned}
    audit.record(action="targets.list.distribute", user=user, obj=target_list, after={"mode": mode, **result})
    return result


def reassign_lead(*, user: Any, lead: Lead, assignee: Any) -> Lead:
    if assignee is None or assignee.pk not in {u.pk for u in selectors.assignable_staff(user=user)}:
        raise ValidationError({"assignee": "所选人员不在您的数据范围内，或已离职、停用"})
    if lead.status not in OPEN:
        raise ValidationError({"assignee": "已放款或已拒绝的线索不能改派"})
    before = lead.assignee_id
    lead.assignee = assignee
    lead.save(update_fields=["assignee", "updated_at"])
    audit.record(
        action="targets.lead.reassign",
        user=user,
        obj=lead,
        before={"assignee": before},
        after={"assignee": assignee.pk},
    )
    return lead


def move_lead(*, user: Any, lead: Lead, to: str, note: str = "", reason: str = "", loan_no: str = "") -> Lead:
    """One step along the funnel by the person following the lead (or someone whose scope
    covers it). Declining needs a reason; marking disbursed by hand needs the customer's loan."""
    current = LeadStatus(lead.status)
    try:
        target = LeadStatus(to)
    except ValueError:
        raise ValidationError({"to": "未知的线索状态"}) from None
    if target not in NEXT.get(current, set()):
        raise ValidationError({"to": f"线索当前为“{current.label}”，不能改为“{target.label}”"})
    if target == LeadStatus.DECLINED and not reason.strip():
        raise ValidationError({"reason": "请填写客户拒绝或放弃的原因"})
    if target == LeadStatus.DISBURSED:
        loan = Loan.objects.filter(customer_id=lead.customer_id, loan_no=loan_no.strip()).first()
        if loan is None:
            raise ValidationError({"loan_no": "请填写该客户在本行的借据号（须已出现在信贷数据中）"})
        lead.disbursed_loan = loan
    lead.status = target
    if target != LeadStatus.DECLINED:
        lead.reached = target
    else:
        lead.declined_reason = reason.strip()[:200]
    lead.save()
    LeadEvent.objects.create(
        lead=lead, from_status=current, to_status=target, note=(note or reason)[:200], by=user
    )
    audit.record(
        action="targets.lead.move",
        user=user,
        obj=lead,
        before={"status": current.value},
        after={"status": target.value, "note": note, "reason": reason, "loan_no": loan_no},
    )
    return lead


def _loans_since_lead(data_date: date) -> Any:
    return Loan.objects.filter(
        customer_id=OuterRef("customer_id"),
        disbursed_on__gte=OuterRef("distributed_on"),
        disbursed_on__lte=data_date,
    )


def _first_loan(data_date: date) -> Subquery:
    return Subquery(
        Loan.objects.filter(
            customer_id=OuterRef("customer_id"),
            disbursed_on__gte=OuterRef("distributed_on"),
            disbursed_on__lte=data_date,
        )
        .order_by("disbursed_on", "pk")
        .values("pk")[:1]
    )


def confirm_disbursals(*, data_date: date) -> int:
    """Open leads whose customer has a loan disbursed on or after the lead was handed out
    (and on or before the data date) become 已放款, from the credit extract: one UPDATE and
    one insert of events."""
    hits = list(
        Lead.objects.filter(status__in=OPEN)
        .annotate(has_loan=Exists(_loans_since_lead(data_date)))
        .filter(has_loan=True)
        .values_list("pk", "status")
    )
    if not hits:
        return 0
    ids = [pk for pk, _ in hits]
    now = timezone.now()
    for i in range(0, len(ids), 1000):  # SQLite takes at most 32,766 parameters a statement
        Lead.objects.filter(pk__in=ids[i : i + 1000]).update(
            status=LeadStatus.DISBURSED,
            reached=LeadStatus.DISBURSED,
            disbursed_by_extract=True,
            disbursed_loan=_first_loan(data_date),
            updated_at=now,
        )
    note = f"信贷数据 {data_date:%Y-%m-%d} 确认放款"
    LeadEvent.objects.bulk_create(
        [LeadEvent(lead_id=pk, from_status=s, to_status=LeadStatus.DISBURSED, note=note) for pk, s in hits],
        batch_size=1000,
    )
    return len(hits)


def confirm_step(*, data_date: date) -> Any:
    """Daily pipeline step (线索放款确认)."""
    from liuyou.pipeline.types import StepResult

    n = confirm_disbursals(data_date=data_date)
    return StepResult(rows=n, details={"confirmed": n})


def export_rows(*, user: Any, target_list: TargetList) -> tuple[list[str], Any]:
    """The list as the user may see it (the whole list for the command line, user None), one
    row per member, for the XLSX export; logged."""
    headers = [
        "名单", "数据日期", "客户号", "客户名称", "开户机构", "入选时主办客户经理", "入选理由",
        "匹配产品", "建议额度（万元）", "线索状态", "跟进人", "拒绝原因",
    ]  # fmt: skip
    if user is None:  # the command line: an operator exports the whole list
        qs = TargetMember.objects.filter(target_list=target_list).select_related(
            "customer", "customer__org", "manager", "lead", "lead__assignee"
        )
    else:
        qs = selectors.members(user=user, target_list=target_list)
    labels = dict(LeadStatus.choices)

    def rows() -> Any:
        for m in qs.iterator(chunk_size=2000):
            lead = getattr(m, "lead", None)
            yield [
                target_list.name,
                target_list.data_date.isoformat(),
                m.customer.customer_no,
                m.customer.name,
                m.customer.org.name,
                m.manager.name if m.manager else "",
                m.reasons,
                m.product_name,
                round(m.suggested_amount / 10000, 2) if m.suggested_amount is not None else None,
                labels.get(lead.status, "") if lead else "未分配",
                lead.assignee.name if lead and lead.assignee else "",
                lead.declined_reason if lead else "",
            ]

    audit.record(action="targets.list.export", user=user, obj=target_list, after={"members": qs.count()})
    return headers, rows()
