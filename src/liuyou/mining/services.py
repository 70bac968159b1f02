"""Writes of the dimensions: parameter changes (versioned, audited) and the daily counts
(pipeline step 6). The caller owns the transaction."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, QuerySet

from liuyou.core import audit
from liuyou.core.bulk import insert_rows
from liuyou.features.models import CustomerFeature, FeatureBuild
from liuyou.mining import selectors
from liuyou.mining.definitions import BY_CODE, DEFINITIONS, Param
from liuyou.mining.models import Dimension, DimensionCount, DimensionVersion

GROUP = ("org_id", "grid_id", "village_id", "manager_id")


def ensure_dimensions() -> None:
    """A stored row (version 1, default parameters) for every defined dimension."""
    have = set(Dimension.objects.values_list("code", flat=True))
    for d in DEFINITIONS:
        if d.code not in have:
            row = Dimension.objects.create(code=d.code, params=d.defaults(), version=1)
            DimensionVersion.objects.create(dimension=row, version=1, params=row.params, note="初始参数")


def _clean(param: Param, raw: Any) -> Any:
    if param.kind == "bool":
        if isinstance(raw, bool):
            return raw
        if str(raw).strip().lower() in ("true", "1", "on", "是"):
            return True
        if str(raw).strip().lower() in ("false", "0", "off", "否", ""):
            return False
        raise ValidationError({param.name: f"{param.label}应为是或否"})
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({param.name: f"{param.label}应为数字"}) from None
    if not value.is_finite():
        raise ValidationError({param.name: f"{param.label}应为数字"})
    if param.minimum is not None and value < Decimal(str(param.minimum)):
        raise ValidationError({param.name: f"{param.label}不能小于 {param.minimum}"})
    if param.maximum is not None and value > Decimal(str(param.maximum)):
        raise ValidationError({param.name: f"{param.label}不能大于 {param.maximum}"})
    if param.kind in ("days", "int"):
        if value != value.to_integral_value():
            raise ValidationError({param.name: f"{param.label}应为整数"})
        return int(value)
    return str(value.normalize()) if param.kind == "ratio" else str(value)


def update_params(
    *, user: Any, code: str, params: dict[str, Any], is_active: bool = True, note: str = ""
) -> Dimension:
    """New parameters for one dimension: validated, stored as the next version, audited with
    before and after. Unknown parameter names are refused."""
    definition = BY_CODE.get(code)
    if definition is None:
        raise ValidationError({"code": "没有这个维度"})
    declared = {p.name: p for p in definition.params}
    unknown = set(params) - set(declared)
    if unknown:
        raise ValidationError({"params": f"未知参数：{'、'.join(sorted(unknown))}"})
    cleaned = {name: _clean(p, params.get(name, p.default)) for name, p in declared.items()}
    ensure_dimensions()
    row = Dimension.objects.select_for_update().get(code=code)
    before = {"params": row.params, "is_active": row.is_active, "version": row.version}
    if cleaned == row.params and is_active == row.is_active:
        return row
    row.params, row.is_active, row.version = cleaned, is_active, row.version + 1
    row.save()
    DimensionVersion.objects.create(
        dimension=row,
        version=row.version,
        params=cleaned,
        is_active=is_active,
        note=note[:200],
        changed_by=user,
    )
    audit.record(
        action="mining.dimension.update",
        user=user,
        obj=row,
        before=before,
        after={"params": cleaned, "is_active": is_active, "version": row.version, "note": note},
    )
    return row


def counting_query(*, data_date: date, items: list[selectors.InForce]) -> QuerySet[Any]:
    """The one pass that counts `items` (column c<n> for items[n]) per org, grid, village,
    manager and refusal. Refusal is a grouping column rather than a second filter per
    dimension: each condition is evaluated once per row; mine() keeps refused groups apart.
    bench/mining.py runs this same query in DuckDB as its reference."""
    annotations = {f"c{n}": Count("pk", filter=i.definition.condition(i.params)) for n, i in enumerate(items)}
    return (
        CustomerFeature.objects.filter(data_date=data_date)
        .order_by()
        .values(*GROUP, "refused_marketing")
        .annotate(**annotations)
    )


def mine(*, data_date: date) -> dict[str, dict[str, int]]:
    """Count every active dimension over the feature rows of `data_date`, per org, grid,
    village and manager, in one pass; replaces the date's counts. Returns code ->
    {"customers", "refused", "version"}."""
    if not FeatureBuild.objects.filter(data_date=data_date).exists():
        raise ValueError(f"{data_date:%Y-%m-%d} 的客户宽表尚未生成，请先运行日终批处理（liuyou daily）")
    ensure_dimensions()
    items = [i for i in selectors.in_force() if i.is_active]
    grouped = counting_query(data_date=data_date, items=items)
    if connection.vendor == "postgresql":
        # The planner multiplies the columns' distinct counts (about 100,000 groups at a
        # million customers, in fact a few hundred) and sorts on disk at the default work_mem;
        # room to hash keeps the pass in memory. LOCAL: for this transaction only.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
    DimensionCount.objects.filter(data_date=data_date).delete()
    cells: dict[tuple[Any, ...], list[int]] = {}  # (code, *GROUP) -> [customers, refused]
    for group in grouped:
        slot = 1 if group["refused_marketing"] else 0
        for n, item in enumerate(items):
            if group[f"c{n}"]:
                cell = cells.setdefault((item.code, *(group[k] for k in GROUP)), [0, 0])
                cell[slot] += group[f"c{n}"]
    versions = {i.code: i.version for i in items}
    names = ["data_date", "code", "version", *GROUP, "customers", "refused"]
    rows = [
        (data_date, key[0], versions[key[0]], *key[1:], customers, refused)
        for key, (customers, refused) in cells.items()
    ]
    insert_rows(DimensionCount, names, rows)  # thousands of small rows: no model instances
    totals = {i.code: {"customers": 0, "refused": 0, "version": i.version} for i in items}
    for _day, code, *_, customers, refused in rows:
        totals[code]["customers"] += customers
        totals[code]["refused"] += refused
    # Counts of dates whose feature rows retention dropped go with them.
    DimensionCount.objects.exclude(data_date__in=FeatureBuild.objects.values("data_date")).delete()
    return totals


def log_export(*, user: Any, code: str, data_date: date, filters: dict[str, Any]) -> None:
    """A dimension's customer list left the system as a file: who, which list, which filters."""
    audit.record(
        action="mining.export",
        user=user,
        object_type="dimension",
        object_id=code,
        object_repr=BY_CODE[code].name,
        after={
            "data_date": data_date.isoformat(),
            "filters": {k: v for k, v in filters.items() if k != "page"},
        },
    )


def mine_step(*, data_date: date) -> Any:
    """Daily pipeline step 6 (目标挖掘)."""
    from liuyou.pipeline.types import StepResult

    started = time.perf_counter()
    totals = mine(data_date=data_date)
    return StepResult(
        rows=DimensionCount.objects.filter(data_date=data_date).count(),
        details={
            "dimensions": {code: t["customers"] for code, t in totals.items()},
            "refused_excluded": sum(t["refused"] for t in totals.values()),
            "seconds": round(time.perf_counter() - started, 3),
        },
    )
