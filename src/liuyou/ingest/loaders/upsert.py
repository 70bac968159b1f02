"""Set-based upsert of a batch of source rows into one table, by the table's key.

A loader turns a batch of validated rows into `{key: {field: value}}` and hands it to a
`Table`. The table reads the stored rows of those keys in one query, compares field by
field, and writes new rows with one multi-row statement (COPY on PostgreSQL, executemany on
SQLite) and changed rows with one executemany: never one ORM save per row. It answers, per
key, whether the row was inserted, updated or unchanged, and the primary key of every row,
so loaders can write history rows that point at it.

Protected values (ID and phone numbers) are compared by their HMAC digest: an unchanged
number costs one HMAC, never a decryption or a fresh encryption. Only new or changed
numbers are encrypted.

Lifecycle of full sources: `first_seen` / `last_seen` / `closed_at` (data dates) plus any
status column the table names. A key seen again after it was closed is reopened (an
update); `close_missing` closes the open keys a full file no longer holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.utils import timezone

from liuyou.core import pii
from liuyou.core.bulk import insert_rows, qn
from liuyou.ingest.loaders.staged import Stage


def _sqlite_decimal(value: float | int | str) -> Decimal:
    # The shortest repr of the float SQLite made of the stored text: 1234.5 for "1234.50".
    return Decimal(str(value))


INSERTED, UPDATED, UNCHANGED = "inserted", "updated", "unchanged"
CHUNK = 500  # keys per IN (...) list: well under SQLite's variable limit
ANALYZE_EVERY = 20_000  # rows inserted before PostgreSQL's statistics are worth refreshing
Key = Any  # a plain value for single-column keys, a tuple otherwise


@dataclass
class Table:
    """How one model is upserted. Field names are attnames (`customer_id`, not `customer`)."""

    model: type[models.Model]
    key: tuple[str, ...]
    fields: tuple[str, ...]
    # Protected values: our name -> mask kind; stored as <name>_cipher/_digest/_masked.
    protected: dict[str, str] = field(default_factory=dict)
    # Full sources: first_seen/last_seen/closed_at are kept. Extra columns set when a row is
    # seen (reopened) or closed, e.g. {"status": "active"} / {"status": "closed"}.
    lifecycle: bool = False
    open_values: dict[str, Any] = field(default_factory=dict)
    closed_values: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        meta = self.model._meta
        self.table = meta.db_table
        self.unanalyzed = 0  # rows inserted since the planner's statistics were refreshed
        self.pk = meta.pk.column  # type: ignore[union-attr]
        self.pk_attname = meta.pk.attname  # type: ignore[union-attr]
        self.columns = {f.attname: f.column for f in meta.concrete_fields}
        self.stamp_insert = [
            f.attname
            for f in meta.concrete_fields
            if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False)
        ]
        self.stamp_update = [f.attname for f in meta.concrete_fields if getattr(f, "auto_now", False)]
        self.digests = [f"{n}_digest" for n in self.protected]
        self.compared = (*self.fields, *self.digests)
        self.read = (*self.key, *self.compared) + (("closed_at",) if self.lifecycle else ())
        self.stage: Stage | None = None  # created at the first staged apply
        # field -> rows updated with that field changed, over every apply of this table.
        self.changed_fields: Counter[str] = Counter()

    # --- reading ---------------------------------------------------------------------------

    def existing(self, keys: Iterable[Key], **narrow: Any) -> dict[Key, tuple[Any, ...]]:
        """key -> (pk, *compared values[, closed_at]) of the stored rows among `keys`.
        The first key column is matched with IN; `narrow` adds equality filters (a batch
        of one data date) so composite keys do not drag in every date of a key."""
        n = len(self.key)
        return {key: (pk, *vals[n:]) for key, pk, vals in self._rows(keys, self.read, narrow)}

    def pks(self, keys: Iterable[Key], **narrow: Any) -> dict[Key, int]:
        # The key columns only: no compared values to read and convert (Decimal on SQLite
        # costs), which matters when reading back the pks of a batch just inserted.
        return {key: pk for key, pk, _ in self._rows(keys, self.key, narrow)}

    def _rows(
        self, keys: Iterable[Key], names: tuple[str, ...], narrow: dict[str, Any]
    ) -> Iterable[tuple[Key, int, list[Any]]]:
        """(key, pk, values of `names`) of the stored rows among `keys`; `names` starts with
        the key columns."""
        keys = list(keys)
        single = len(self.key) == 1
        wanted = set(keys)
        firsts = list(dict.fromkeys(keys if single else [k[0] for k in keys]))
        n = len(self.key)
        # Straight through the cursor: the ORM's `__in` prepares every value through the
        # field and its converters cost about 10 µs a row read, both per row of every file.
        # SQLite hands back DecimalField columns as float or int: read as Decimal here, the
        # only conversion the comparison needs (dates and booleans come back typed).
        convert = [self._decimal_reader(name) for name in names]
        columns = ", ".join(qn(self.columns[c]) for c in (self.pk_attname, *names))
        where = [f"{qn(self.columns[name])} = %s" for name in narrow]
        head = f"SELECT {columns} FROM {qn(self.table)} WHERE "  # noqa: S608 - identifiers from metadata
        with connection.cursor() as cursor:
            for i in range(0, len(firsts), CHUNK):
                chunk = firsts[i : i + CHUNK]
                among = f"{qn(self.columns[self.key[0]])} IN ({', '.join(['%s'] * len(chunk))})"
                cursor.execute(head + " AND ".join([among, *where]), [*chunk, *narrow.values()])
                for pk, *vals in cursor.fetchall():
                    vals = [v if c is None or v is None else c(v) for c, v in zip(convert, vals, strict=True)]
                    key = vals[0] if single else tuple(vals[:n])
                    if key in wanted:
                        yield key, pk, vals

    def _decimal_reader(self, name: str) -> Any:
        field = self.model._meta.get_field(name)  # attnames too: "customer_id"
        if connection.vendor == "sqlite" and isinstance(field, models.DecimalField):
            return _sqlite_decimal
        return None

    # --- writing ---------------------------------------------------------------------------

    def apply(
        self,
        rows: dict[Key, dict[str, Any]],
        *,
        day: date | None = None,
        stored: dict[Key, tuple[Any, ...]] | None = None,
        want_pks: bool = True,
        **narrow: Any,
    ) -> tuple[dict[Key, str], dict[Key, int]]:
        """Upsert `rows` (key -> {field: value, protected name: plain value}). Returns
        (key -> inserted/updated/unchanged, key -> pk). `day` is the data date (lifecycle).
        `stored`: what `existing(rows, **narrow)` returned, when the caller read it already
        to look at the old values (a loader reporting what changed), saving a second read.
        `want_pks=False`: the new rows' pks are not read back (history and monthly rows that
        nothing points at); the pks returned are then those of the stored rows only."""
        if not rows:
            return {}, {}
        if stored is None and not self.protected:
            return self._apply_staged(rows, day=day, want_pks=want_pks, narrow=narrow)
        if stored is None:
            stored = self.existing(rows, **narrow)
        digest_key = pii.keyring()[0]
        status: dict[Key, str] = {}
        pks: dict[Key, int] = {}
        new: list[tuple[Key, dict[str, Any]]] = []
        changed: list[tuple[int, dict[str, Any]]] = []
        touch: list[int] = []
        ncmp = len(self.compared)
        for key, values in rows.items():
            target = {f: values.get(f) for f in self.fields}
            plain: dict[str, str] = {}
            for name in self.protected:
                value = values.get(name)
                plain[name] = pii.normalize(value) if value else ""
                target[f"{name}_digest"] = pii.digest(plain[name], digest_key) if plain[name] else ""
            old = stored.get(key)
            if old is None:
                self._seal(target, plain, set(self.protected))
                new.append((key, target))
                status[key] = INSERTED
                continue
            pk = old[0]
            pks[key] = pk
            before = old[1 : 1 + ncmp]
            diff = {f: target[f] for f, was in zip(self.compared, before, strict=True) if target[f] != was}
            self.changed_fields.update(diff.keys())
            reopened = self.lifecycle and old[1 + ncmp] is not None
            if diff or reopened:
                touched = {n for n in self.protected if f"{n}_digest" in diff}
                self._seal(diff, plain, touched)
                diff.update(self.seen_again(day))
                changed.append((pk, diff))
                status[key] = UPDATED
            else:
                status[key] = UNCHANGED
                if self.lifecycle:
                    touch.append(pk)
        if new:
            self._insert(new, day)
            self._refresh_statistics(len(new))
            if want_pks:
                pks.update(self.pks([k for k, _ in new], **narrow))
        self._update(changed)
        if touch and day is not None:
            self._touch(touch, day)
        return status, pks

    def _apply_staged(
        self, rows: dict[Key, dict[str, Any]], *, day: date | None, want_pks: bool, narrow: dict[str, Any]
    ) -> tuple[dict[Key, str], dict[Key, int]]:
        if self.stage is None:
            self.stage = Stage(self)
        outcome, keys, fields = self.stage.apply(rows, day=day, want_pks=want_pks, narrow=narrow)
        self.changed_fields.update(fields)
        inserted = sum(1 for state in outcome.values() if state == INSERTED)
        if inserted:
            self._refresh_statistics(inserted)
        return outcome, keys

    def _seal(self, target: dict[str, Any], plain: dict[str, str], names: set[str]) -> None:
        """Cipher and mask of the protected values that are new or changed."""
        for name in names:
            kind = self.protected[name]
            value = plain[name]
            target[f"{name}_cipher"] = pii.encrypt(value) if value else ""
            target[f"{name}_masked"] = pii.mask(value, kind) if value else ""
            target[f"{name}_digest"] = target.get(f"{name}_digest", "")

    def _refresh_statistics(self, inserted: int) -> None:
        """PostgreSQL plans with the statistics of the table before the load. A first load
        grows the table from nothing inside one transaction, and the planner, still thinking
        it empty, scans it whole for every batch's lookups. ANALYZE works inside the
        transaction and sees its rows: run it whenever the table has doubled."""
        if connection.vendor != "postgresql":
            return
        self.unanalyzed += inserted
        if self.unanalyzed < ANALYZE_EVERY:
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [qn(self.table)])
            (known,) = cursor.fetchone()
            if self.unanalyzed >= max(known, 0):
                cursor.execute(f"ANALYZE {qn(self.table)}")
                self.unanalyzed = 0

    def seen_again(self, day: date | None) -> dict[str, Any]:
        """Lifecycle columns of a stored row the file holds and that changed or reopened."""
        return {**self.open_values, "closed_at": None, "last_seen": day} if self.lifecycle else {}

    def on_insert(self, day: date | None) -> dict[str, Any]:
        """Timestamp and lifecycle columns of a new row."""
        extra: dict[str, Any] = dict.fromkeys(self.stamp_insert, timezone.now())
        if self.lifecycle:
            extra.update(self.open_values, first_seen=day, last_seen=day, closed_at=None)
        return extra

    def _insert(self, new: list[tuple[Key, dict[str, Any]]], day: date | None) -> None:
        keyed = [dict(zip(self.key, k if len(self.key) > 1 else (k,), strict=True)) for k, _ in new]
        extra = self.on_insert(day)
        # Every column is written: a raw INSERT does not apply the model's defaults.
        defaults = {f.attname: f.get_default() for f in self.model._meta.concrete_fields if not f.primary_key}
        names = list(defaults)
        rows = [
            [row.get(n, defaults[n]) for n in names]
            for row in ({**defaults, **k, **t, **extra} for k, (_, t) in zip(keyed, new, strict=True))
        ]
        insert_rows(self.model, names, rows)

    def _update(self, changed: list[tuple[int, dict[str, Any]]]) -> None:
        if not changed:
            return
        now = timezone.now()
        # One statement per distinct set of changed columns: a reload where only balances
        # moved updates only balances, with one executemany.
        groups: dict[tuple[str, ...], list[list[Any]]] = {}
        for pk, diff in changed:
            diff.update(dict.fromkeys(self.stamp_update, now))
            cols = tuple(diff)
            groups.setdefault(cols, []).append([*diff.values(), pk])
        with connection.cursor() as cursor:
            for cols, params in groups.items():
                sets = ", ".join(f"{qn(self.columns[c])} = %s" for c in cols)
                # Identifiers come from model metadata, quoted; values are parameters.
                sql = f"UPDATE {qn(self.table)} SET {sets} WHERE {qn(self.pk)} = %s"  # noqa: S608
                cursor.executemany(sql, params)

    def _touch(self, pks: Sequence[int], day: date) -> None:
        manager = self.model._default_manager
        for i in range(0, len(pks), CHUNK):
            manager.filter(pk__in=pks[i : i + CHUNK], last_seen__lt=day).update(last_seen=day)

    # --- closing ---------------------------------------------------------------------------

    def close_missing(self, present: set[Key], *, day: date, **narrow: Any) -> list[Key]:
        """Close every open row whose key is not in `present` (a full file no longer holds
        it): closed_at = the file's data date, plus `closed_values`. Never deletes."""
        manager = self.model._default_manager
        single = len(self.key) == 1
        open_rows = manager.filter(closed_at__isnull=True, **narrow).values_list("pk", *self.key)
        missing: list[tuple[int, Key]] = []
        for pk, *key in open_rows.iterator(chunk_size=5000):
            k = key[0] if single else tuple(key)
            if k not in present:
                missing.append((pk, k))
        ids = [pk for pk, _ in missing]
        values = {"closed_at": day, **self.closed_values}
        for i in range(0, len(ids), CHUNK):
            manager.filter(pk__in=ids[i : i + CHUNK]).update(**values)
        return [k for _, k in missing]
