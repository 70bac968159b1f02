"""village (行政村/社区, full): upsert by 村编码, attach each village to the grid or outlet that
serves it (所属机构号), close villages missing from a full file (never delete them).

The serving org must exist and be a grid or an outlet: grids are made in the app, so the
village file comes after the grids are set up; an unknown or closed org rejects the row.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from liuyou.customers.models import Village
from liuyou.ingest.loaders.base import LoadContext, LoadResult, batches, history_only
from liuyou.ingest.loaders.upsert import Table
from liuyou.ingest.validate import Problem, Row
from liuyou.system.models import Org, OrgKind

FIELDS = ("name", "township", "households", "population", "longitude", "latitude", "grid_id")
SERVING_KINDS = (OrgKind.GRID, OrgKind.OUTLET)
MICRO = Decimal("0.000001")  # the columns keep 6 decimals; compare what will be stored


def _coordinate(value: Decimal | None) -> Decimal | None:
    return value.quantize(MICRO, rounding=ROUND_HALF_UP) if value is not None else None


def _serving_problem(row: Row, serving: dict[str, int]) -> list[Problem]:
    org_code = row.values.get("org_code") or ""
    if org_code in serving:
        return []
    return [("所属机构号", f"所属机构号 {org_code or '（空）'} 不存在、已停用或不是网格/网点")]


class VillageLoader:
    def __init__(self) -> None:
        self.villages = Table(
            Village,
            key=("code",),
            fields=FIELDS,
            lifecycle=True,
            open_values={"is_active": True},
            closed_values={"is_active": False},
        )

    def load(self, rows: Iterable[Row], ctx: LoadContext) -> LoadResult:
        serving = dict(Org.objects.filter(kind__in=SERVING_KINDS, is_active=True).values_list("code", "pk"))
        if not ctx.latest:
            return history_only(rows, ctx, lambda row: _serving_problem(row, serving))
        if ctx.data_date is None:  # the runner refuses a file without one; closing needs it
            raise ValueError("行政村导入须有数据日期")
        day = ctx.data_date
        result = LoadResult()
        seen: set[str] = set()
        for batch in batches(rows):
            targets: dict[str, dict[str, Any]] = {}
            for row in batch:
                problems = _serving_problem(row, serving)
                if problems:
                    ctx.reject(row, problems)
                    continue
                v = row.values
                targets[v["code"]] = {
                    "name": v["name"],
                    "township": v.get("township") or "",
                    "households": v.get("households"),
                    "population": v.get("population"),
                    "longitude": _coordinate(v.get("longitude")),
                    "latitude": _coordinate(v.get("latitude")),
                    "grid_id": serving[v["org_code"]],
                }
            seen.update(targets)
            status, _ = self.villages.apply(targets, day=day, want_pks=False)
            result.tally(status.values())
        present = seen | {k for k in ctx.present_keys if isinstance(k, str)}
        closed = self.villages.close_missing(present, day=day)
        result.closed = len(closed)
        result.details = {"closed_villages": sorted(closed)}
        return result
