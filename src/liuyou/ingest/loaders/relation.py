"""relation (关联关系, full): who is whose spouse, parent, guarantor, controller...

The customer must exist (an alias number lands on its customer). The other party is a
customer named by 关联客户号 (which must exist) or, failing that, a person known by
关联证件号码 (a protected value); an ID number that belongs to a customer makes that
customer the related customer, so one person is one party whichever way a source names
them. The row's identity is (customer, type, related customer) or, with no related
customer, (customer, type, ID digest): the model's two partial unique keys. The stored
relations of a batch's customers are read in one query and diffed here, since a partial
key cannot be upserted with ON CONFLICT.

Full file: relations missing from it are closed (never deleted). Households are rebuilt
afterwards (households.py). An older file changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import connection

from liuyou.core import pii
from liuyou.customers.models import Customer, CustomerType, Relation
from liuyou.ingest.loaders import households
from liuyou.ingest.loaders.base import LoadContext, LoadResult, batches
from liuyou.ingest.loaders.refs import customer_pks
from liuyou.ingest.loaders.upsert import CHUNK, insert_rows, qn
from liuyou.ingest.sources import RELATION_KIND
from liuyou.ingest.validate import Problem, Row

# (customer pk, relation type, related customer pk or None, ID digest or "" when a customer)
Key = tuple[int, str, int | None, str]
ID_MAX = 40  # the masked column's width


class RelationLoader:
    def load(self, rows: Iterable[Row], ctx: LoadContext) -> LoadResult:
        if ctx.data_date is None:
            raise ValueError("关联关系导入须有数据日期")
        self.day = ctx.data_date
        self.ctx = ctx
        self.digest_key = pii.keyring()[0]
        self.result = LoadResult()
        self.seen: dict[Key, int] = {}  # key -> line number of the row that loaded it
        self.loaded: set[tuple[str, str]] = set()  # (客户号, type) of the rows loaded
        for batch in batches(rows):
            valid = self._check(batch)
            if not ctx.latest:
                self.result.unchanged += len(valid)
                continue
            self._upsert(valid)
        if ctx.latest:
            self.result.closed = self._close()
            self.result.details = households.rebuild(day=self.day)
        return self.result

    # --- checks ----------------------------------------------------------------------------

    def _check(self, batch: list[Row]) -> list[tuple[Row, Key, str]]:
        """(row, key, plain related ID) of the rows whose parties resolve."""
        numbers = [r.values["customer_no"] for r in batch] + [r.values.get("related_no") or "" for r in batch]
        pks = customer_pks(numbers)
        plain = {
            id(r): pii.normalize(r.values["related_id_no"]) for r in batch if r.values.get("related_id_no")
        }
        digests = {k: pii.digest(v, self.digest_key) for k, v in plain.items()}
        by_id = _customers_by_digest(set(digests.values()))
        valid = []
        for row in batch:
            v = row.values
            problems: list[Problem] = []
            customer = pks.get(v["customer_no"])
            if customer is None:
                problems.append(("客户号", f"客户号 {v['customer_no']} 不存在"))
            related_no = v.get("related_no")
            digest = digests.get(id(row), "")
            if related_no:
                related = pks.get(related_no)
                if related is None:
                    problems.append(("关联客户号", f"关联客户号 {related_no} 不存在"))
            else:
                related = by_id.get(digest)
            if len(plain.get(id(row), "")) > ID_MAX:
                problems.append(("关联证件号码", f"关联证件号码长度超过 {ID_MAX} 个字符"))
            if customer is not None and customer == related:
                problems.append(("关联客户号", "客户与关联方是同一客户，不能与自己建立关联关系"))
            key: Key = (customer or 0, v["kind"], related, "" if related else digest)
            if not problems and key in self.seen:
                problems.append(
                    ("关联客户号", f"与第 {self.seen[key]} 行是同一关联关系（同一客户或同一证件号码）")
                )
            if problems:
                self.ctx.reject(row, problems)
                continue
            self.seen[key] = row.line_no
            self.loaded.add((v["customer_no"], v["kind"]))
            valid.append((row, key, plain.get(id(row), "")))
        return valid

    # --- upsert ----------------------------------------------------------------------------

    def _upsert(self, valid: list[tuple[Row, Key, str]]) -> None:
        stored = _stored({key[0] for _, key, _ in valid})
        new: list[list[Any]] = []
        changed: list[list[Any]] = []
        touch: list[int] = []
        for _, key, plain in valid:
            digest = pii.digest(plain, self.digest_key) if plain else ""
            old = stored.get(key)
            if old is None:
                sealed = _seal(plain)
                new.append([key[0], key[1], key[2], *sealed, digest, self.day, self.day, None])
                continue
            pk, old_digest, closed_at = old
            if old_digest != digest or closed_at is not None:
                # A relation to a customer may gain, change or lose the ID number beside it.
                sealed = _seal(plain)
                changed.append([*sealed, digest, self.day, pk])
            else:
                touch.append(pk)
        names = [
            "customer_id",
            "relation_type",
            "related_customer_id",
            "related_id_no_cipher",
            "related_id_no_masked",
            "related_id_no_digest",
            "first_seen",
            "last_seen",
            "closed_at",
        ]
        insert_rows(Relation, names, new)
        if changed:
            table, pk_column = qn(Relation._meta.db_table), qn(Relation._meta.pk.column)  # type: ignore[union-attr]
            sets = ", ".join(
                f"{qn(c)} = %s"
                for c in ("related_id_no_cipher", "related_id_no_masked", "related_id_no_digest", "last_seen")
            )
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET {sets}, {qn('closed_at')} = NULL WHERE {pk_column} = %s",  # noqa: S608
                    changed,
                )
        for i in range(0, len(touch), CHUNK):
            Relation.objects.filter(pk__in=touch[i : i + CHUNK], last_seen__lt=self.day).update(
                last_seen=self.day
            )
        self.result.inserted += len(new)
        self.result.updated += len(changed)
        self.result.unchanged += len(touch)

    # --- full-file closing -----------------------------------------------------------------

    def _close(self) -> int:
        """Close the open relations the file no longer holds. A record rejected for a bad
        value spares every relation of its customer and type (its key is (客户号, 关系类型)
        text: which relation it was is not known), all types when the type was unreadable."""
        spared_nos: dict[str, set[str] | None] = {}
        for key in self.ctx.present_keys:
            if not isinstance(key, tuple) or len(key) < 2:
                continue
            number, word = str(key[0]), str(key[1])
            kind = RELATION_KIND.get(word)
            if kind is not None and (number, kind) in self.loaded:
                continue
            kinds = spared_nos.setdefault(number, set())
            if kinds is not None:
                if kind is None:
                    spared_nos[number] = None
                else:
                    kinds.add(kind)
        spared: dict[int, set[str] | None] = {}
        for number, pk in customer_pks(spared_nos).items():
            spared[pk] = spared_nos[number]
        missing: list[int] = []
        open_rows = Relation.objects.filter(closed_at__isnull=True).values_list(
            "pk", "customer_id", "relation_type", "related_customer_id", "related_id_no_digest"
        )
        for pk, customer, kind, related, digest in open_rows.iterator(chunk_size=5000):
            if (customer, kind, related, "" if related else digest) in self.seen:
                continue
            if customer in spared and (spared[customer] is None or kind in spared[customer]):  # type: ignore[operator]
                continue
            missing.append(pk)
        for i in range(0, len(missing), CHUNK):
            Relation.objects.filter(pk__in=missing[i : i + CHUNK]).update(closed_at=self.day)
        return len(missing)


def _seal(plain: str) -> tuple[str, str]:
    """(cipher, masked) of a related ID number: encrypted only when new or changed."""
    if not plain:
        return "", ""
    return pii.encrypt(plain), pii.mask(plain, "id")


def _customers_by_digest(digests: set[str]) -> dict[str, int]:
    """ID digest -> the individual customer holding it (the oldest, if several)."""
    found: dict[str, int] = {}
    values = sorted(d for d in digests if d)
    for i in range(0, len(values), CHUNK):
        qs = Customer.objects.filter(
            customer_type=CustomerType.INDIVIDUAL, id_no_digest__in=values[i : i + CHUNK]
        )
        # No ORDER BY (PostgreSQL could then scan the primary key instead of the digest index).
        for digest, pk in qs.order_by().values_list("id_no_digest", "pk"):
            if pk < found.get(digest, pk + 1):
                found[digest] = pk
    return found


def _stored(customers: set[int]) -> dict[Key, tuple[int, str, date | None]]:
    """key -> (pk, ID digest, closed_at) of the stored relations of `customers`."""
    found: dict[Key, tuple[int, str, date | None]] = {}
    ids = sorted(customers)
    for i in range(0, len(ids), CHUNK):
        qs = Relation.objects.filter(customer_id__in=ids[i : i + CHUNK]).values_list(
            "pk", "customer_id", "relation_type", "related_customer_id", "related_id_no_digest", "closed_at"
        )
        for pk, customer, kind, related, digest, closed_at in qs:
            found[(customer, kind, related, "" if related else digest)] = (pk, digest, closed_at)
    return found
