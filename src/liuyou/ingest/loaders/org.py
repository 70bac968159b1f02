"""org (机构, full): upsert by 机构号, close orgs missing from the file, keep paths right.

The org tree is small (hundreds of rows), so the whole file is checked as a tree first:
every non-head-office row needs its 上级机构号 in the same file (in a full file an org
missing from it is being closed, so it cannot take new children), with the placement rules
of the org pages (支行 under 总行, 网点 under 支行). A row whose parent is rejected is
rejected too. Grids are not in the extract: they are managed in the app and never closed
here, but their paths follow when their branch moves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from liuyou.ingest.loaders.base import LoadContext, LoadResult, history_only
from liuyou.ingest.validate import Row
from liuyou.system.models import Org, OrgKind
from liuyou.system.services import ORG_PARENT_KINDS

EXTRACT_KINDS = (OrgKind.HEAD_OFFICE, OrgKind.BRANCH, OrgKind.OUTLET)
FIELDS = ("name", "kind", "address", "parent_id", "is_active", "updated_at")


class OrgLoader:
    def load(self, rows: Iterable[Row], ctx: LoadContext) -> LoadResult:
        if not ctx.latest:  # an older file must not move, rename or close any org
            return history_only(rows, ctx)
        by_code = {row.values["code"]: row for row in rows}
        accepted = _check_tree(by_code, ctx)
        existing = {o.code: o for o in Org.objects.all()}
        result = LoadResult()

        new = [
            Org(
                code=code, name=r.values["name"], kind=r.values["kind"], address=r.values.get("address") or ""
            )
            for code, r in accepted.items()
            if code not in existing
        ]
        Org.objects.bulk_create(new, batch_size=500)
        if new:  # bulk_create sets pks on PostgreSQL only; read them back everywhere
            existing.update({o.code: o for o in Org.objects.filter(code__in=[o.code for o in new])})
        result.inserted = len(new)
        inserted = {o.code for o in new}

        changed: list[Org] = []
        now = timezone.now()
        for code, row in accepted.items():
            org = existing[code]
            parent_code = row.values.get("parent_code")
            target: dict[str, Any] = {
                "name": row.values["name"],
                "kind": row.values["kind"],
                "parent_id": existing[parent_code].pk if parent_code else None,
                "is_active": True,
            }
            if "address" in row.values:  # a file without the column keeps the addresses
                target["address"] = row.values["address"] or ""
            if any(getattr(org, f) != v for f, v in target.items()):
                for f, v in target.items():
                    setattr(org, f, v)
                org.updated_at = now
                changed.append(org)
                if code not in inserted:
                    result.updated += 1
            elif code not in inserted:
                result.unchanged += 1
        Org.objects.bulk_update(changed, FIELDS, batch_size=500)

        closing = [
            o
            for o in existing.values()
            if o.kind in EXTRACT_KINDS
            and o.is_active
            and o.code not in by_code
            and o.code not in ctx.present_keys
        ]
        Org.objects.filter(pk__in=[o.pk for o in closing]).update(is_active=False, updated_at=now)
        result.closed = len(closing)
        result.details = {"closed_orgs": sorted(o.code for o in closing)}
        _rebuild_paths()
        return result


def _check_tree(by_code: dict[str, Row], ctx: LoadContext) -> dict[str, Row]:
    status: dict[str, bool] = {}

    def check(code: str, trail: tuple[str, ...]) -> bool:
        if code in status:
            return status[code]
        row = by_code[code]
        kind, parent = row.values["kind"], row.values.get("parent_code")
        allowed = ORG_PARENT_KINDS[kind]
        problem = ""
        if allowed is None:
            if parent:
                problem = "总行不能设置上级机构"
        elif not parent:
            problem = "必填项为空（非总行机构须有上级机构）"
        elif parent == code or parent in trail:
            problem = f"上级机构 {parent} 构成循环"
        elif parent not in by_code:
            problem = f"上级机构 {parent} 不在本文件中（全量文件未列出的机构将被关闭）"
        elif not check(parent, (*trail, code)):
            problem = f"上级机构 {parent} 所在行被拒绝"
        elif by_code[parent].values["kind"] not in allowed:
            labels = "、".join(str(OrgKind(k).label) for k in allowed)
            problem = f"{OrgKind(kind).label}的上级机构必须是{labels}"
        status[code] = not problem
        if problem:
            ctx.reject(row, [("上级机构号", problem)])
        return status[code]

    for code in by_code:
        check(code, ())
    return {code: row for code, row in by_code.items() if status[code]}


def _rebuild_paths() -> None:
    """Recompute every materialized path and depth from the parent links, writing only the
    rows that differ (a moved branch drags its outlets and grids along)."""
    nodes = {
        pk: (parent, path, depth)
        for pk, parent, path, depth in Org.objects.values_list("pk", "parent_id", "path", "depth")
    }
    paths: dict[int, str] = {}

    def path_of(pk: int) -> str:
        if pk not in paths:
            parent = nodes[pk][0]
            paths[pk] = (path_of(parent) if parent else "/") + f"{pk}/"
        return paths[pk]

    stale = []
    for pk, (_parent, path, depth) in nodes.items():
        new_path = path_of(pk)
        new_depth = new_path.count("/") - 2
        if (path, depth) != (new_path, new_depth):
            stale.append(Org(pk=pk, path=new_path, depth=new_depth))
    Org.objects.bulk_update(stale, ["path", "depth"], batch_size=500)
