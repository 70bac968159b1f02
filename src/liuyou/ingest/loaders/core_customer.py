"""core_customer (核心系统客户, full, key 客户号): the master of every customer.

Upsert by 客户号 through `Table` (ID and phone numbers compared by digest, encrypted only when
new or changed), with the branch (开户机构号, required by the model) and the village (村编码)
resolved per file; the grid follows the village when the village is served by a grid.

Identity: one person (ID digest) or enterprise (credit code) is one customer. A second 客户号
for someone the library already has (or whom an earlier row of the same file introduced)
becomes a CustomerAlias of that customer, with an IdentityConflict saying so; its facts are
not written over the customer's, and the facts that differ are recorded as conflicts (masked
where personal). An alias present in the file keeps its customer open.

A file older than the latest core file changes nothing (core has no history): references
are still checked and the valid rows count as unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from liuyou.core import pii
from liuyou.customers.models import Customer, CustomerAlias, CustomerType, IdentityConflict, RecordStatus, Sex
from liuyou.ingest.loaders.base import LoadContext, LoadResult, batches
from liuyou.ingest.loaders.refs import org_pks, village_pks
from liuyou.ingest.loaders.upsert import CHUNK, INSERTED, UNCHANGED, UPDATED, Table
from liuyou.ingest.validate import Problem, Row
from liuyou.system.models import Org, OrgKind

SOURCE = "core_customer"
FIELDS = (
    "name",
    "customer_type",
    "id_type",
    "credit_code",
    "sex",
    "birth_date",
    "address",
    "village_id",
    "org_id",
    "grid_id",
    "open_date",
    "has_social_security_card",
    "is_payroll",
)
# The extract allows longer values than some columns hold: refused here, never truncated.
LIMITS = (
    ("name", "客户名称", 100),
    ("address", "联系地址", 200),
    ("id_type", "证件类型", 32),
    ("id_no", "证件号码", 40),
)
MERGED = {
    CustomerType.INDIVIDUAL: "同一证件号码对应两个客户号，已合并为一个客户",
    CustomerType.ENTERPRISE: "同一统一社会信用代码对应两个客户号，已合并为一个客户",
}
SEX_LABELS = dict(Sex.choices)


def customers_table() -> Table:
    return Table(
        Customer,
        key=("customer_no",),
        fields=FIELDS,
        protected={"id_no": "id", "phone": "phone"},
        lifecycle=True,
        open_values={"status": RecordStatus.ACTIVE},
        closed_values={"status": RecordStatus.CLOSED},
    )


def village_refs() -> dict[str, tuple[int, int | None]]:
    """村编码 -> (village pk, grid pk or None): a customer's grid is the village's serving
    org when that org is a grid (an outlet serving a village is not a grid)."""
    grids = set(Org.objects.filter(kind=OrgKind.GRID).values_list("pk", flat=True))
    return {code: (pk, org if org in grids else None) for code, (pk, org) in village_pks().items()}


def village_problem(code: str | None, villages: dict[str, Any]) -> Problem | None:
    if not code:
        return None
    if len(code) != 12 or not code.isdigit():
        return ("村编码", f"村编码 {code} 应为12位数字（统计用区划代码）")
    if code not in villages:
        return ("村编码", f"村编码 {code} 不存在")
    return None


def known_conflicts(numbers: Iterable[str], source: str) -> set[tuple[str, str, str]]:
    """(客户号, field, other value) of the conflicts already recorded: a reload records none twice."""
    found: set[tuple[str, str, str]] = set()
    items = list(dict.fromkeys(numbers))
    for i in range(0, len(items), CHUNK):
        found.update(
            IdentityConflict.objects.filter(customer_no__in=items[i : i + CHUNK], source=source).values_list(
                "customer_no", "field", "other"
            )
        )
    return found


@dataclass
class _Alias:
    row: Row
    target: dict[str, Any]
    canonical_pk: int | None  # known now (library) or after the batch is applied (same file)
    canonical_no: str | None
    new: bool  # not yet a CustomerAlias


class CoreCustomerLoader:
    def load(self, rows: Iterable[Row], ctx: LoadContext) -> LoadResult:
        if ctx.data_date is None:  # the runner refuses a file without one; closing needs it
            raise ValueError("核心系统客户导入须有数据日期")
        self.day = ctx.data_date
        self.ctx = ctx
        self.villages = village_refs()
        self.orgs = org_pks()
        self.table = customers_table()
        self.digest_key = pii.keyring()[0]
        self.result = LoadResult()
        self.seen: set[str] = set()
        self.aliases_added = 0
        self.conflicts_added = 0
        for batch in batches(rows):
            valid = self._check(batch)
            if not ctx.latest:
                self.result.unchanged += len(valid)
                continue
            self._load_batch(valid)
        if ctx.latest:
            self._close()
        self.result.details = {
            "aliases": self.aliases_added,
            "identity_conflicts": self.conflicts_added,
            "closed": self.result.closed,
        }
        return self.result

    # --- checks ----------------------------------------------------------------------------

    def _check(self, batch: list[Row]) -> list[tuple[Row, dict[str, Any]]]:
        valid = []
        villages, orgs = self.villages, self.orgs
        for row in batch:
            v = row.values
            kind = v["kind"]
            problems: list[Problem] = []
            if kind == CustomerType.ENTERPRISE and not v.get("credit_code"):
                problems.append(("统一社会信用代码", "企业客户须填写统一社会信用代码"))
            elif kind == CustomerType.INDIVIDUAL and not v.get("id_no"):
                problems.append(("证件号码", "个人客户须填写证件号码"))
            village_code = v.get("village_code")
            bad_village = village_problem(village_code, villages)
            if bad_village:
                problems.append(bad_village)
            org_code = v.get("org_code")
            if not org_code:
                problems.append(("开户机构号", "开户机构号为空：客户必须有开户机构"))
            elif org_code not in orgs:
                problems.append(("开户机构号", f"开户机构号 {org_code} 不存在"))
            for name, header, limit in LIMITS:
                if len(v.get(name) or "") > limit:
                    problems.append((header, f"{header}长度超过 {limit} 个字符"))
            if problems:
                self.ctx.reject(row, problems)
                continue
            village_id, grid_id = villages[village_code] if village_code else (None, None)
            valid.append(
                (
                    row,
                    {
                        "name": v["name"],
                        "customer_type": kind,
                        "id_type": v.get("id_type") or "",
                        "credit_code": v.get("credit_code") or "",
                        "sex": v.get("sex") or "",
                        "birth_date": v.get("birth_date"),
                        "address": v.get("address") or "",
                        "village_id": village_id,
                        "org_id": orgs[str(org_code)],
                        "grid_id": grid_id,
                        "open_date": v.get("opened_on"),
                        "has_social_security_card": v.get("has_social_card"),
                        "is_payroll": v.get("has_payroll"),
                        "id_no": v.get("id_no"),
                        "phone": v.get("phone"),
                    },
                )
            )
        return valid

    # --- one batch -------------------------------------------------------------------------

    def _ident(self, target: dict[str, Any]) -> tuple[str, str]:
        if target["customer_type"] == CustomerType.ENTERPRISE:
            return ("E", target["credit_code"])
        return ("I", pii.digest(target["id_no"], self.digest_key))

    def _load_batch(self, valid: list[tuple[Row, dict[str, Any]]]) -> None:
        stored = self.table.existing([r.values["customer_no"] for r, _ in valid])
        fresh = [r.values["customer_no"] for r, _ in valid if r.values["customer_no"] not in stored]
        known_alias: dict[str, int] = {}
        for i in range(0, len(fresh), CHUNK):
            known_alias.update(
                CustomerAlias.objects.filter(alias_no__in=fresh[i : i + CHUNK]).values_list(
                    "alias_no", "customer_id"
                )
            )
        # Identity matters only for numbers the library does not know (a reload has none).
        unknown = [
            (r, t)
            for r, t in valid
            if r.values["customer_no"] not in stored and r.values["customer_no"] not in known_alias
        ]
        library = self._library_idents([self._ident(t) for _, t in unknown]) if unknown else {}

        upsert: dict[str, dict[str, Any]] = {}
        aliases: list[_Alias] = []
        in_file: dict[tuple[str, str], str] = {}  # identity -> the first number of this batch
        for row, target in valid:
            number = row.values["customer_no"]
            if number in stored:
                upsert[number] = target
                if unknown:
                    in_file.setdefault(self._ident(target), number)
            elif number in known_alias:
                aliases.append(_Alias(row, target, known_alias[number], None, new=False))
            else:
                ident = self._ident(target)
                owner = library.get(ident)
                if owner is not None:
                    aliases.append(_Alias(row, target, owner, None, new=True))
                elif ident in in_file:
                    aliases.append(_Alias(row, target, None, in_file[ident], new=True))
                else:
                    in_file[ident] = number
                    upsert[number] = target
        status, pks = self.table.apply(upsert, day=self.day, stored=stored)
        counts = {INSERTED: 0, UPDATED: 0, UNCHANGED: 0}
        for state in status.values():
            counts[state] += 1
        self.seen.update(upsert)
        if aliases:
            self._aliases(aliases, pks, counts)
        self.result.inserted += counts[INSERTED]
        self.result.updated += counts[UPDATED]
        self.result.unchanged += counts[UNCHANGED]

    def _library_idents(self, idents: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """identity -> pk of the customer the library already has (the oldest, if several)."""
        found: dict[tuple[str, str], int] = {}
        for kind, column, ctype in (
            ("I", "id_no_digest", CustomerType.INDIVIDUAL),
            ("E", "credit_code", CustomerType.ENTERPRISE),
        ):
            values = list(dict.fromkeys(v for k, v in idents if k == kind and v))
            for i in range(0, len(values), CHUNK):
                qs = Customer.objects.filter(customer_type=ctype, **{f"{column}__in": values[i : i + CHUNK]})
                # No ORDER BY: with one, PostgreSQL may walk the primary key backwards and
                # filter, a scan of the whole table per batch. The oldest (smallest pk) wins.
                for value, pk in qs.order_by().values_list(column, "pk"):
                    if pk < found.get((kind, value), pk + 1):
                        found[(kind, value)] = pk
        return found

    def _aliases(self, aliases: list[_Alias], pks: dict[str, int], counts: dict[str, int]) -> None:
        for a in aliases:
            if a.canonical_pk is None:
                a.canonical_pk = pks[a.canonical_no]  # type: ignore[index]
        canon: dict[int, list[Any]] = {
            pk: rest
            for pk, *rest in Customer.objects.filter(pk__in={a.canonical_pk for a in aliases}).values_list(
                "pk", "customer_no", "name", "birth_date", "sex", "phone_digest", "phone_masked", "closed_at"
            )
        }
        numbers = [a.row.values["customer_no"] for a in aliases]
        recorded = known_conflicts(numbers, SOURCE)
        new_aliases: list[CustomerAlias] = []
        conflicts: list[IdentityConflict] = []
        reopen: set[int] = set()
        for a in aliases:
            number = a.row.values["customer_no"]
            pk = a.canonical_pk
            assert pk is not None
            kept_no, name, birth, sex, phone_digest, phone_masked, closed_at = canon[pk]
            self.seen.add(kept_no)
            changed = False
            if a.new:
                new_aliases.append(
                    CustomerAlias(alias_no=number, customer_id=pk, source=SOURCE, data_date=self.day)
                )
                changed = True
            found: list[tuple[str, str, str, str]] = []
            if a.new:
                found.append(("客户号", kept_no, number, MERGED[a.target["customer_type"]]))
            t = a.target
            phone = pii.normalize(t["phone"]) if t["phone"] else ""
            other_digest = pii.digest(phone, self.digest_key) if phone else ""
            for field, kept, other, differs in (
                ("客户名称", name, t["name"], t["name"] != name),
                ("出生日期", _iso(birth), _iso(t["birth_date"]), t["birth_date"] != birth),
                ("性别", SEX_LABELS.get(sex, ""), SEX_LABELS.get(t["sex"], ""), t["sex"] != sex),
                ("手机号码", phone_masked, pii.mask(phone, "phone"), other_digest != phone_digest),
            ):
                if differs:
                    found.append(
                        (
                            field,
                            kept,
                            other,
                            f"客户号 {number} 与 {kept_no} 为同一客户，{field}不一致，以 {kept_no} 为准",
                        )
                    )
            for field, kept, other, reason in found:
                if (number, field, other) in recorded:
                    continue
                recorded.add((number, field, other))
                conflicts.append(
                    IdentityConflict(
                        run_id=self.ctx.run_id,
                        source=SOURCE,
                        line_no=a.row.line_no,
                        customer_no=number,
                        customer_id=pk,
                        field=field,
                        kept=kept[:200],
                        other=other[:200],
                        reason=reason,
                        data_date=self.day,
                    )
                )
                changed = True
            if closed_at is not None:
                reopen.add(pk)
                changed = True
            counts[UPDATED if changed else UNCHANGED] += 1
        CustomerAlias.objects.bulk_create(new_aliases, batch_size=CHUNK)
        IdentityConflict.objects.bulk_create(conflicts, batch_size=CHUNK)
        self.aliases_added += len(new_aliases)
        self.conflicts_added += len(conflicts)
        if reopen:
            # The person is still a customer under another number: the customer stays open.
            Customer.objects.filter(pk__in=sorted(reopen)).update(
                status=RecordStatus.ACTIVE, closed_at=None, last_seen=self.day
            )

    # --- full-file closing -----------------------------------------------------------------

    def _close(self) -> None:
        present = self.seen | {k for k in self.ctx.present_keys if isinstance(k, str)}
        # A rejected row of an alias still means its customer is there.
        rejected = [k for k in self.ctx.present_keys if isinstance(k, str) and k not in self.seen]
        for i in range(0, len(rejected), CHUNK):
            present.update(
                CustomerAlias.objects.filter(alias_no__in=rejected[i : i + CHUNK]).values_list(
                    "customer__customer_no", flat=True
                )
            )
        self.result.closed = len(self.table.close_missing(present, day=self.day))


def _iso(value: date | None) -> str:
    return value.isoformat() if value else ""
