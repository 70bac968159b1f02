"""crm_customer (客户管理系统, full, key 客户号): the CRM columns of customers core created,
and the primary and assisting managers with their assignment history.

The customer must exist (an alias number lands on its customer). Industry names become
Industry codes; an unknown value is kept as written when it fits the column. The CRM's
村编码 fills a customer's village only when core gave none; a different one is recorded as
a conflict and core's is kept.

Managers: the CRM is the master, but an in-app reassignment must survive a CRM file that
still names the old manager. A CRM manager is applied only when it differs from what the
last CRM import stated for that customer and role (its latest crm_import assignment), or
when no CRM import has stated one yet. Applying closes the open assignment of the role and
opens a crm_import one (none when the CRM names nobody), and the customer's column follows.

A customer missing from a full CRM file gets crm_closed_at (the customer itself is core's
to close); seen again, it is cleared. An older file changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from liuyou.customers.models import (
    AssignmentSource,
    Customer,
    IdentityConflict,
    Industry,
    ManagerAssignment,
    ManagerRole,
)
from liuyou.ingest.loaders.base import LoadContext, LoadResult, batches
from liuyou.ingest.loaders.core_customer import known_conflicts, village_problem, village_refs
from liuyou.ingest.loaders.refs import customer_pks, staff_pks
from liuyou.ingest.loaders.upsert import CHUNK, INSERTED, UNCHANGED, UPDATED, Table
from liuyou.ingest.validate import Problem, Row

SOURCE = "crm_customer"
FIELDS = (
    "segment",
    "industry",
    "family_size",
    "crm_tags",
    "refused_marketing",
    "refused_marketing_at",
    "remark",
    "crm_closed_at",
    "village_id",
    "grid_id",
    "manager_id",
    "assisting_manager_id",
)
INDUSTRY_MAX = 16
SMALLINT_MAX = 32767
# (role, our column of the file, header, customer column)
ROLES = (
    (ManagerRole.PRIMARY, "manager_staff_no", "主办客户经理工号", "manager_id"),
    (ManagerRole.ASSISTING, "assistant_staff_no", "协办客户经理工号", "assisting_manager_id"),
)
NOT_STATED = object()  # no CRM import has named a manager for this role yet
VILLAGE_REASON = "客户管理系统的村编码与核心系统不一致，以核心系统为准"


class _Roles:
    """Per customer and role: the open assignment and what the last CRM import stated."""

    def __init__(self, customer_ids: list[int]) -> None:
        self.open: dict[tuple[int, str], tuple[int, int, date, str]] = {}
        self.stated: dict[tuple[int, str], int] = {}
        for i in range(0, len(customer_ids), CHUNK):
            qs = ManagerAssignment.objects.filter(customer_id__in=customer_ids[i : i + CHUNK]).order_by(
                "start_date", "pk"
            )
            for pk, customer_id, role, manager_id, source, start, end in qs.values_list(
                "pk", "customer_id", "role", "manager_id", "source", "start_date", "end_date"
            ):
                if end is None:
                    self.open[(customer_id, role)] = (pk, manager_id, start, source)
                if source == AssignmentSource.CRM_IMPORT:
                    self.stated[(customer_id, role)] = manager_id  # ascending: the last wins


class CrmCustomerLoader:
    def load(self, rows: Iterable[Row], ctx: LoadContext) -> LoadResult:
        if ctx.data_date is None:
            raise ValueError("客户管理系统导入须有数据日期")
        self.day = ctx.data_date
        self.ctx = ctx
        self.staff = staff_pks()
        self.villages = village_refs()
        self.village_codes = {pk: code for code, (pk, _) in self.villages.items()}
        self.industry_codes = set(Industry.objects.values_list("code", flat=True))
        self.industry_names = dict(Industry.objects.values_list("name", "code"))
        self.table = Table(Customer, key=("id",), fields=FIELDS)
        self.result = LoadResult()
        self.seen: set[int] = set()
        self.seen_numbers: set[str] = set()
        self.unknown_industries: set[str] = set()
        self.counts = {"assignments_opened": 0, "assignments_closed": 0, "identity_conflicts": 0}
        for batch in batches(rows):
            valid = self._check(batch)
            if not ctx.latest:
                self.result.unchanged += len(valid)
                continue
            if valid:
                self._load_batch(valid)
        closed = self._close() if ctx.latest else 0
        self.result.closed = closed
        self.result.details = {
            **self.counts,
            "crm_closed": closed,
            "unknown_industries": sorted(self.unknown_industries)[:50],
        }
        return self.result

    # --- checks ----------------------------------------------------------------------------

    def _check(self, batch: list[Row]) -> list[tuple[Row, int, str]]:
        """(row, customer pk, industry code) of the rows whose references resolve."""
        pks = customer_pks(r.values["customer_no"] for r in batch)
        valid = []
        for row in batch:
            v = row.values
            number = v["customer_no"]
            problems: list[Problem] = []
            pk = pks.get(number)
            if pk is None:
                problems.append(("客户号", f"客户号 {number} 在核心系统客户中不存在"))
            elif pk in self.seen:
                problems.append(
                    ("客户号", f"客户号 {number} 与本文件前面一行是同一客户（客户号别名），以前一行为准")
                )
            for _, name, header, _ in ROLES:
                staff_no = v.get(name)
                if staff_no and staff_no not in self.staff:
                    problems.append((header, f"{header} {staff_no} 不存在"))
            industry = v.get("industry") or ""
            code = self.industry_names.get(industry, industry)
            if code and code not in self.industry_codes:
                if len(code) > INDUSTRY_MAX:
                    problems.append(
                        ("产业", f"产业 {industry} 不是已知的产业名称或代码，且超过 {INDUSTRY_MAX} 个字符")
                    )
                else:
                    self.unknown_industries.add(code)
            bad_village = village_problem(v.get("village_code"), self.villages)
            if bad_village:
                problems.append(bad_village)
            size = v.get("household_size")
            if size is not None and not 0 <= size <= SMALLINT_MAX:
                problems.append(("家庭人口", f"家庭人口应在 0 到 {SMALLINT_MAX} 之间"))
            if problems:
                self.ctx.reject(row, problems)
                continue
            assert pk is not None
            self.seen.add(pk)
            self.seen_numbers.add(number)
            valid.append((row, pk, code))
        return valid

    # --- one batch -------------------------------------------------------------------------

    def _load_batch(self, valid: list[tuple[Row, int, str]]) -> None:
        ids = [pk for _, pk, _ in valid]
        state: dict[int, list[Any]] = {
            pk: rest
            for pk, *rest in Customer.objects.filter(pk__in=ids).values_list(
                "pk",
                "customer_no",
                "refused_marketing",
                "refused_marketing_at",
                "village_id",
                "grid_id",
                "manager_id",
                "assisting_manager_id",
            )
        }
        roles = _Roles(ids)
        targets: dict[int, dict[str, Any]] = {}
        to_close: dict[date, list[int]] = {}
        to_open: list[ManagerAssignment] = []
        moved: set[int] = set()  # customers whose assignments changed
        villages: list[tuple[Row, int, str, str]] = []
        for row, pk, industry in valid:
            v = row.values
            number, refused_before, refused_at, village_id, grid_id, *managers = state[pk]
            refused = bool(v.get("refused_marketing"))
            target: dict[str, Any] = {
                "segment": v.get("segment") or "",
                "industry": industry,
                "family_size": v.get("household_size"),
                "crm_tags": v.get("tags") or "",
                "refused_marketing": refused,
                "refused_marketing_at": (refused_at if refused_before and refused_at else self.day)
                if refused
                else None,
                "remark": v.get("note") or "",
                "crm_closed_at": None,
                "village_id": village_id,
                "grid_id": grid_id,
            }
            crm_village = v.get("village_code")
            if crm_village:
                crm_village_id, crm_grid_id = self.villages[crm_village]
                if village_id is None:
                    target["village_id"], target["grid_id"] = crm_village_id, crm_grid_id
                elif village_id != crm_village_id:
                    villages.append((row, pk, self.village_codes.get(village_id, ""), crm_village))
            for (role, name, _, column), current in zip(ROLES, managers, strict=True):
                staff_no = v.get(name)
                wanted = self.staff[staff_no] if staff_no else None
                target[column] = current
                stated = roles.stated.get((pk, role), NOT_STATED)
                if stated is not NOT_STATED and stated == wanted:
                    continue  # the CRM still says what it said: an in-app change stands
                open_row = roles.open.get((pk, role))
                end = self.day
                if open_row is not None and (
                    open_row[1] != wanted or open_row[3] != AssignmentSource.CRM_IMPORT
                ):
                    # Closed even when the app already has that manager: the CRM's statement is
                    # recorded, so a later in-app change is not undone by the same statement.
                    # The end never precedes the start (a reassignment dated after the data date).
                    end = max(self.day, open_row[2])
                    to_close.setdefault(end, []).append(open_row[0])
                    open_row = None
                    moved.add(pk)
                if wanted is not None and open_row is None:
                    to_open.append(
                        ManagerAssignment(
                            customer_id=pk,
                            manager_id=wanted,
                            role=role,
                            start_date=end,
                            source=AssignmentSource.CRM_IMPORT,
                        )
                    )
                    moved.add(pk)
                target[column] = wanted
            targets[pk] = target
        status, _ = self.table.apply(targets)
        for end, pks in to_close.items():
            for i in range(0, len(pks), CHUNK):
                ManagerAssignment.objects.filter(pk__in=pks[i : i + CHUNK]).update(end_date=end)
            self.counts["assignments_closed"] += len(pks)
        ManagerAssignment.objects.bulk_create(to_open, batch_size=CHUNK)
        self.counts["assignments_opened"] += len(to_open)
        noted = self._village_conflicts(villages)
        for pk, state_ in status.items():
            if state_ == UNCHANGED and (pk in moved or pk in noted):
                state_ = UPDATED
            if state_ == INSERTED:  # cannot happen: the customers exist
                raise RuntimeError("客户管理系统导入不应新建客户")
            if state_ == UPDATED:
                self.result.updated += 1
            else:
                self.result.unchanged += 1
        # Bookkeeping like last_seen: the data date the CRM columns come from.
        for i in range(0, len(ids), CHUNK):
            Customer.objects.filter(pk__in=ids[i : i + CHUNK]).exclude(crm_data_date=self.day).update(
                crm_data_date=self.day
            )

    def _village_conflicts(self, found: list[tuple[Row, int, str, str]]) -> set[int]:
        if not found:
            return set()
        recorded = known_conflicts((r.values["customer_no"] for r, *_ in found), SOURCE)
        new = []
        for row, pk, kept, other in found:
            number = row.values["customer_no"]
            if (number, "村编码", other) in recorded:
                continue
            recorded.add((number, "村编码", other))
            new.append(
                IdentityConflict(
                    run_id=self.ctx.run_id,
                    source=SOURCE,
                    line_no=row.line_no,
                    customer_no=number,
                    customer_id=pk,
                    field="村编码",
                    kept=kept,
                    other=other,
                    reason=VILLAGE_REASON,
                    data_date=self.day,
                )
            )
        IdentityConflict.objects.bulk_create(new, batch_size=CHUNK)
        self.counts["identity_conflicts"] += len(new)
        return {c.customer_id for c in new if c.customer_id is not None}

    # --- full-file closing -----------------------------------------------------------------

    def _close(self) -> int:
        # Rows rejected for a bad value do not mean the customer left the CRM.
        rejected = [k for k in self.ctx.present_keys if isinstance(k, str) and k not in self.seen_numbers]
        spared = set(self.seen)
        spared.update(customer_pks(rejected).values())
        in_crm = Customer.objects.filter(crm_data_date__isnull=False, crm_closed_at__isnull=True)
        missing = [
            pk for pk in in_crm.values_list("pk", flat=True).iterator(chunk_size=5000) if pk not in spared
        ]
        for i in range(0, len(missing), CHUNK):
            Customer.objects.filter(pk__in=missing[i : i + CHUNK]).update(crm_closed_at=self.day)
        return len(missing)
