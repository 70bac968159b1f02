"""Reads of target lists and leads, always through the data scope: building a list's
candidates (preview), the lists, their members, leads and conversion funnels."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, QuerySet

from liuyou.core import scope
from liuyou.features.models import CustomerFeature
from liuyou.mining import selectors as mining
from liuyou.mining.definitions import BY_CODE
from liuyou.targets.models import FUNNEL, OPEN, Lead, LeadStatus, TargetList, TargetMember

VIEW, MANAGE, WORK = "target:view", "target:manage", "lead:work"


@dataclass
class Definition:
    """What a list asks for: dimensions (all or any of them), dimensions to exclude, tags
    (all of, any of, none of), optionally within one org's subtree."""

    dimensions: list[str] = field(default_factory=list)
    dimension_match: str = "any"
    exclude_dimensions: list[str] = field(default_factory=list)
    tags_all: list[int] = field(default_factory=list)
    tags_any: list[int] = field(default_factory=list)
    tags_none: list[int] = field(default_factory=list)
    org: str = ""

    def as_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Definition:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def candidates(*, user: Any, definition: Definition, data_date: date) -> QuerySet[CustomerFeature]:
    """The feature rows of `data_date` a list with `definition` would hold for `user`: in the
    user's scope (target:manage), meeting the dimensions in force, never a customer who
    refused marketing."""
    items = {i.code: i for i in mining.in_force() if i.is_active}
    qs = CustomerFeature.objects.filter(data_date=data_date, refused_marketing=False)
    wanted = [items[c] for c in definition.dimensions if c in items]
    if wanted:
        conds = [i.definition.condition(i.params) for i in wanted]
        combined = conds[0]
        for cond in conds[1:]:
            combined = combined & cond if definition.dimension_match == "all" else combined | cond
        qs = qs.filter(combined)
    for code in definition.exclude_dimensions:
        if code in items:
            qs = qs.exclude(items[code].definition.condition(items[code].params))
    if definition.tags_all or definition.tags_any or definition.tags_none:
        from liuyou.tags.selectors import tag_filter_q

        qs = qs.filter(
            tag_filter_q(
                all_of=definition.tags_all,
                any_of=definition.tags_any,
                none_of=definition.tags_none,
                prefix="customer__",
            )
        )
    if definition.org:
        from liuyou.system.models import Org

        org = scope.scoped(Org.objects.all(), user, MANAGE).filter(code=definition.org).first()
        qs = qs.filter(Org.subtree_q(org.path, "customer__org__path")) if org else qs.none()
    return scope.scoped(qs, user, MANAGE)


def met_dimensions(feature: CustomerFeature, items: list[mining.InForce]) -> list[tuple[str, str]]:
    """(code, reason) of every active dimension this feature row meets, evaluated by the
    database in the caller's annotate (see services.save_list); here for one row."""
    met = []
    for n, item in enumerate(items):
        if getattr(feature, f"met_{n}", False):
            met.append((item.code, mining.reason(item, feature)))
    return met


def lists(*, user: Any) -> QuerySet[TargetList]:
    return scope.scoped(TargetList.objects.select_related("org", "created_by"), user, VIEW)


def list_get(*, user: Any, list_id: int) -> TargetList:
    return scope.get_or_404(TargetList.objects.select_related("org", "created_by"), user, VIEW, pk=list_id)


def lists_count(user: Any) -> int:
    return lists(user=user).count()


def members(*, user: Any, target_list: TargetList) -> QuerySet[TargetMember]:
    """The list's members the user may see (a manager sees the part of a bank-wide list that
    is theirs), with their lead."""
    qs = TargetMember.objects.filter(target_list=target_list).select_related(
        "customer", "customer__org", "manager", "lead", "lead__assignee"
    )
    return scope.scoped(qs, user, VIEW).order_by("pk")


def my_leads(*, user: Any, status: str = "") -> QuerySet[Lead]:
    """Leads assigned to `user` (the workbench), open ones first."""
    qs = Lead.objects.filter(assignee=user).select_related("member", "customer", "target_list")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-distributed_on", "pk")


def open_leads(*, user: Any, limit: int = 5) -> list[Lead]:
    """The user's open leads, most recently handed out first, for the workbench."""
    qs = Lead.objects.filter(assignee=user, status__in=OPEN).select_related(
        "member", "customer", "target_list"
    )
    return list(qs.order_by("-distributed_on", "pk")[:limit])


def open_leads_count(user: Any) -> int:
    return Lead.objects.filter(assignee=user, status__in=OPEN).count()


def lead_get(*, user: Any, lead_id: int) -> Lead:
    """A lead the user may see: assigned to them, or inside their scope; else 404."""
    qs = Lead.objects.select_related("member", "customer", "customer__org", "target_list", "assignee")
    mine = qs.filter(pk=lead_id, assignee=user).first()
    if mine is not None:
        return mine
    return scope.get_or_404(qs, user, VIEW, pk=lead_id)


def lead_events(*, lead: Lead) -> list[Any]:
    return list(lead.events.select_related("by").order_by("at", "pk"))


# --- funnels ----------------------------------------------------------------------------------


@dataclass
class FunnelRow:
    key: Any
    label: str
    leads: int = 0
    stages: dict[str, int] = field(default_factory=dict)  # contacted/applied/approved/disbursed
    declined: int = 0

    @property
    def conversion(self) -> str:
        """Leads disbursed over leads, as a percentage with two decimals."""
        if not self.leads:
            return "—"
        return f"{self.stages.get('disbursed', 0) * 100 / self.leads:.2f}%"


STAGE_RANK = {s: n for n, s in enumerate((LeadStatus.NEW, *FUNNEL))}


def _reached(reached: str) -> list[str]:
    """The funnel stages a lead that reached `reached` has passed."""
    rank = STAGE_RANK.get(LeadStatus(reached), 0)
    return [s.value for s in FUNNEL if STAGE_RANK[s] <= rank]


def funnel(*, user: Any, target_list: TargetList | None = None, by: str = "list") -> list[FunnelRow]:
    """Conversion per list, dimension, product, branch or manager over the leads in scope.
    Every lead counts once in `leads` of its row (a lead meeting two dimensions counts in
    both dimension rows); a stage counts the leads that reached it, declined ones included."""
    qs = scope.scoped(Lead.objects.all(), user, VIEW)
    if target_list is not None:
        qs = qs.filter(target_list=target_list)
    fields = {
        "list": ("target_list_id", "target_list__name"),
        "product": ("member__product_code", "member__product_name"),
        "branch": ("customer__org_id", "customer__org__name"),
        "manager": ("assignee_id", "assignee__name"),
        "dimension": ("member__dimensions", "member__dimensions"),
    }[by]
    rows: dict[Any, FunnelRow] = {}
    grouped = qs.values(fields[0], fields[1], "reached", "status").annotate(n=Count("pk"))
    for g in grouped:
        keys = g[fields[0]] if by == "dimension" else [g[fields[0]]]
        for key in keys or []:
            label = (
                BY_CODE[key].name
                if by == "dimension" and key in BY_CODE
                else (g[fields[1]] or "未匹配/未分配")
            )
            row = rows.setdefault(key, FunnelRow(key=key, label=label))
            row.leads += g["n"]
            for stage in _reached(g["reached"]):
                row.stages[stage] = row.stages.get(stage, 0) + g["n"]
            if g["status"] == LeadStatus.DECLINED:
                row.declined += g["n"]
    if by == "branch":
        _roll_up_to_branches(rows)
    return sorted(rows.values(), key=lambda r: (-r.leads, str(r.label)))


def _roll_up_to_branches(rows: dict[Any, FunnelRow]) -> None:
    from liuyou.mining.selectors import _branches
    from liuyou.system.models import Org

    paths = dict(Org.objects.values_list("pk", "path"))
    names = dict(Org.objects.values_list("pk", "name"))
    branch_of = _branches(paths)
    merged: dict[Any, FunnelRow] = {}
    for key, row in rows.items():
        b = branch_of.get(key, key) or key
        into = merged.setdefault(b, FunnelRow(key=b, label=names.get(b, row.label)))
        into.leads += row.leads
        into.declined += row.declined
        for stage, n in row.stages.items():
            into.stages[stage] = into.stages.get(stage, 0) + n
    rows.clear()
    rows.update(merged)


def status_counts(*, user: Any, target_list: TargetList) -> dict[str, int]:
    qs = scope.scoped(Lead.objects.filter(target_list=target_list), user, VIEW)
    counts = Counter(dict(qs.values_list("status").annotate(n=Count("pk")).values_list("status", "n")))
    return {s.value: counts.get(s.value, 0) for s in LeadStatus}


def assignable_staff(*, user: Any) -> QuerySet[Any]:
    """Staff a list may be distributed to: working, able to log in, in the distributor's scope."""
    from liuyou.system.models import User, UserStatus

    return (
        scope.scoped(User.objects.select_related("org"), user, MANAGE)
        .filter(status=UserStatus.ACTIVE, is_active=True, is_service_account=False)
        .order_by("org__path", "staff_no")
    )


def grid_specialists() -> dict[int, list[int]]:
    """grid org id -> ids of the working service specialists of that grid."""
    from liuyou.system.models import User, UserStatus

    out: dict[int, list[int]] = defaultdict(list)
    rows = User.objects.filter(
        roles__code="service_specialist", status=UserStatus.ACTIVE, is_active=True, org__kind="grid"
    ).values_list("org_id", "pk")
    for org_id, pk in rows.order_by("org_id", "staff_no"):
        out[org_id].append(pk)
    return out
