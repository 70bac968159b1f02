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
    def load(self, rows: Iterable[Row], ctx: LoadContext) -> LoadResult:
        serving = dict(Org.objects.filter(kind__in=SERVING_KINDS, is_active=True).values_list("code", "pk"))
        if not ctx.latest:
            return history_only(rows, ctx, lambda row: _serving_problem(row, serving))
        result = LoadResult()
        if ctx.data_date is None:  # the runner refuses a file without one; closing needs it
            raise ValueError("行政村导入须有数据日期")
        day = ctx.data_date
        seen: set[str] = set()
        for batch in batches(rows):
            valid = []
            for row in batch:
                problems = _serving_problem(row, serving)
                if problems:
                    ctx.reject(row, problems)
                else:
                    valid.append(row)
            existing = {v.code: v for v in Village.objects.filter(code__in=[r.values["code"] for r in valid])}
            new: list[Village] = []
            changed: list[Village] = []
            still: list[int] = []
            for row in valid:
                v = row.values
                seen.add(v["code"])
                target: dict[str, Any] = {
                    "name": v["name"],
                    "township": v.get("township") or "",
                    "households": v.get("households"),
                    "population": v.get("population"),
                    "longitude": _coordinate(v.get("longitude")),
                    "latitude": _coordinate(v.get("latitude")),
                    "grid_id": serving[v["org_code"]],
                }
                village = existing.get(v["code"])
                if village is None:
                    new.append(Village(code=v["code"], first_seen=day, last_seen=day, **target))
                    continue
                if village.closed_at is not None or any(
                    getattr(village, f) != val for f, val in target.items()
                ):
                    for f, val in target.items():
                        setattr(village, f, val)
                    village.is_active, village.closed_at, village.last_seen = True, None, day
                    changed.append(village)
                    result.updated += 1
                else:
                    still.append(village.pk)
                    result.unchanged += 1
            Village.objects.bulk_create(new, batch_size=500)
            result.inserted += len(new)
            Village.objects.bulk_update(
                changed, [*FIELDS, "is_active", "closed_at", "last_seen"], batch_size=500
            )
            # Bookkeeping only: the row's facts did not change, so it still counts as unchanged.
            Village.objects.filter(pk__in=still, last_seen__lt=day).update(last_seen=day)

        present = seen | {k for k in ctx.present_keys if isinstance(k, str)}
        open_codes = Village.objects.filter(closed_at__isnull=True).values_list("code", flat=True)
        missing = [code for code in open_codes if code not in present]
        Village.objects.filter(code__in=missing).update(is_active=False, closed_at=day)
        result.closed = len(missing)
        result.details = {"closed_villages": sorted(missing)}
        return result
