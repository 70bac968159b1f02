"""Reads of the dimensions: parameters in force, counts, the customers of a dimension with
their reasons, and the dimensions one customer meets. Lists go through the data scope."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Max, Q, QuerySet, Sum

from liuyou.core import scope
from liuyou.features.models import CustomerFeature, FeatureBuild
from liuyou.mining.definitions import BY_CODE, DEFINITIONS, Definition
from liuyou.mining.models import Dimension, DimensionCount

VIEW = "mining:view"


@dataclass(frozen=True)
class InForce:
    definition: Definition
    params: dict[str, Any]
    version: int
    is_active: bool

    @property
    def code(self) -> str:
        return self.definition.code

    def condition_text(self) -> str:
        kinds = {p.name: p.kind for p in self.definition.params}
        shown = {k: show_param(kinds.get(k, ""), v) for k, v in self.params.items()}
        return self.definition.condition_text.format(**shown)


def show_param(kind: str, value: Any) -> str:
    """A parameter as people read it: 80.00%, 50,000, 是."""
    if kind == "bool" or isinstance(value, bool):
        return "是" if value else "否"
    if kind == "ratio":
        return f"{Decimal(str(value)) * 100:.2f}%"
    if kind == "money":
        return f"{Decimal(str(value)):,.2f}".rstrip("0").rstrip(".")
    return str(value)


def in_force() -> list[InForce]:
    """Every dimension with the parameters in force: stored ones over the defaults (a
    parameter a later release adds starts at its default)."""
    stored = {d.code: d for d in Dimension.objects.all()}
    out = []
    for definition in DEFINITIONS:
        row = stored.get(definition.code)
        params = {**definition.defaults(), **(row.params if row else {})}
        out.append(InForce(definition, params, row.version if row else 1, row.is_active if row else True))
    return out


def one_in_force(code: str) -> InForce:
    for item in in_force():
        if item.code == code:
            return item
    raise KeyError(code)


def list_q(item: InForce) -> Q:
    """The dimension's marketing list: its condition, minus customers who refused marketing."""
    return item.definition.condition(item.params) & Q(refused_marketing=False)


def latest_feature_date() -> date | None:
    return FeatureBuild.objects.aggregate(latest=Max("data_date"))["latest"]


def counts(*, user: Any, data_date: date) -> dict[str, dict[str, int]]:
    """code -> {"customers": n, "refused": n} over the user's scope."""
    qs = scope.scoped(DimensionCount.objects.filter(data_date=data_date), user, VIEW)
    out: dict[str, dict[str, int]] = {d.code: {"customers": 0, "refused": 0} for d in DEFINITIONS}
    for row in qs.values("code").annotate(customers=Sum("customers"), refused=Sum("refused")):
        if row["code"] in out:
            out[row["code"]] = {"customers": row["customers"] or 0, "refused": row["refused"] or 0}
    return out


def counts_by(*, user: Any, data_date: date, by: str) -> dict[Any, dict[str, int]]:
    """(org or village id) -> code -> customers, over the user's scope. `by`: "org" rolls
    each count up to the branch (the org's depth-1 ancestor); "village" per village."""
    from liuyou.system.models import Org

    qs = scope.scoped(DimensionCount.objects.filter(data_date=data_date), user, VIEW)
    table: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if by == "village":
        for row in qs.values("village_id", "code").annotate(n=Sum("customers")):
            table[row["village_id"]][row["code"]] += row["n"] or 0
        return table
    paths = dict(Org.objects.values_list("pk", "path"))
    branch_of = _branches(paths)
    for row in qs.values("org_id", "code").annotate(n=Sum("customers")):
        table[branch_of.get(row["org_id"])][row["code"]] += row["n"] or 0
    return table


def _branches(paths: dict[int, str]) -> dict[int, int | None]:
    """org id -> id of its branch (the ancestor right under the head office), itself for a
    branch, None for the head office."""
    by_path = {path: pk for pk, path in paths.items()}
    out: dict[int, int | None] = {}
    for pk, path in paths.items():
        parts = [p for p in path.strip("/").split("/") if p]
        out[pk] = by_path.get("/" + "/".join(parts[:2]) + "/") if len(parts) >= 2 else None
    return out


def members(
    *, user: Any, code: str, data_date: date, org: Any = None, village: Any = None, manager: Any = None
) -> QuerySet[CustomerFeature]:
    """Feature rows of the dimension's marketing list on `data_date`, in the user's scope,
    optionally within an org's subtree, a village or a manager's book (as customers stand now)."""
    from liuyou.system.models import Org

    item = one_in_force(code)
    qs = CustomerFeature.objects.filter(data_date=data_date).filter(list_q(item))
    if org is not None:
        qs = qs.filter(Org.subtree_q(org.path, "customer__org__path"))
    if village is not None:
        qs = qs.filter(customer__village=village)
    if manager is not None:
        qs = qs.filter(customer__manager=manager)
    qs = qs.select_related("customer", "customer__org", "customer__manager")
    return scope.scoped(qs, user, VIEW).order_by("customer__customer_no")


def feature_dates(limit: int = 36) -> list[date]:
    """Data dates with a built feature table, newest first."""
    return list(FeatureBuild.objects.order_by("-data_date").values_list("data_date", flat=True)[:limit])


def branch_table(*, user: Any, data_date: date) -> list[dict[str, Any]]:
    """One row per branch with its customers per dimension (codes in definition order)."""
    from liuyou.system.models import Org

    table = counts_by(user=user, data_date=data_date, by="org")
    orgs = {o.pk: o for o in Org.objects.filter(pk__in=[k for k in table if k is not None])}
    rows = []
    for key, per_code in table.items():
        org = orgs.get(key)
        rows.append(
            {
                "org": org,
                "label": f"{org.code} {org.name}" if org else "总行直属",
                "cells": [per_code.get(d.code, 0) for d in DEFINITIONS],
            }
        )
    # By branch number, as bank reports list branches (the tree path sorts /1/12/ before /1/2/).
    return sorted(rows, key=lambda r: (r["org"] is None, r["org"].code if r["org"] else ""))


def village_table(*, user: Any, data_date: date) -> list[dict[str, Any]]:
    """One row per village (most customers first), customers per dimension."""
    from liuyou.customers.models import Village

    table = counts_by(user=user, data_date=data_date, by="village")
    villages = {v.pk: v for v in Village.objects.filter(pk__in=[k for k in table if k is not None])}
    rows = []
    for key, per_code in table.items():
        village = villages.get(key)
        cells = [per_code.get(d.code, 0) for d in DEFINITIONS]
        rows.append(
            {
                "village": village,
                "label": f"{village.township} {village.name}" if village else "未关联行政村",
                "cells": cells,
                "total": sum(cells),
            }
        )
    return sorted(rows, key=lambda r: (r["village"] is None, -r["total"], r["label"]))


def versions(*, code: str) -> list[Any]:
    from liuyou.mining.models import DimensionVersion

    return list(
        DimensionVersion.objects.filter(dimension__code=code)
        .select_related("changed_by")
        .order_by("-version")
    )


def recent_versions(limit: int = 20) -> list[Any]:
    from liuyou.mining.models import DimensionVersion

    return list(
        DimensionVersion.objects.exclude(version=1)
        .select_related("dimension", "changed_by")
        .order_by("-changed_at", "-pk")[:limit]
    )


def reason(item: InForce, feature: CustomerFeature) -> str:
    return item.definition.reason(feature, item.params)


def customer_dimensions(*, customer: Any, data_date: date | None = None) -> list[tuple[InForce, str]]:
    """The dimensions the customer meets on the latest (or given) feature date, with reasons.
    The caller has already checked the customer is in scope. A customer who refused marketing
    meets none: they enter no marketing list."""
    day = data_date or latest_feature_date()
    if day is None:
        return []
    items = [i for i in in_force() if i.is_active]
    flags = {f"d{n}": _flag(list_q(i)) for n, i in enumerate(items)}
    row = CustomerFeature.objects.filter(customer=customer, data_date=day).annotate(**flags).first()
    if row is None:
        return []
    return [(i, reason(i, row)) for n, i in enumerate(items) if getattr(row, f"d{n}")]


def _flag(q: Q) -> Any:
    from django.db.models import BooleanField, Case, Value, When

    return Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())


def definition(code: str) -> Definition:
    return BY_CODE[code]
