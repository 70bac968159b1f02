"""Table.apply for tables without protected values, done by the database.

A batch is written into a temporary stage table with the target's column types, and the
database does the rest in a few set-based statements: it finds each key's stored row (one
join on the key's unique index), compares every field null-safely into a bitmask of the
changed columns, updates the changed rows (one statement per distinct mask, so a month
where only balances moved rewrites only balances and touches no other index), stamps the
unchanged ones as seen, and inserts the new ones with INSERT ... SELECT. Python reads back
one (key, pk, state, mask) row per key. Measured on the demo county: the per-row Python
work of reading stored rows, comparing them and building parameter lists was about a third
of an import of history rows.

Protected values (ID and phone numbers) need a Python step between comparing and writing
(encrypting only what changed), so those tables keep upsert.Table's Python path.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone

from liuyou.core.bulk import qn

if TYPE_CHECKING:
    from liuyou.ingest.loaders.upsert import Key, Table

NEW, CHANGED, SAME = 0, 1, 2


class Stage:
    """The temporary table of one Table's batches (created once per connection, emptied per
    batch; on PostgreSQL it lives and dies with the load's transaction)."""

    def __init__(self, table: Table) -> None:
        self.t = table
        meta = table.model._meta
        self.keys = list(table.key)
        self.fields = [f for f in table.fields if f not in table.key]
        self.model_fields = {f.attname: f for f in meta.concrete_fields}
        staged = (*self.keys, *self.fields)
        self.types = {name: self.model_fields[name].db_type(connection) for name in staged}
        sig = hashlib.sha1(repr((table.table, self.keys, self.fields)).encode(), usedforsecurity=False)
        self.name = qn(f"stage_{table.table}_{sig.hexdigest()[:8]}")
        self.pg = connection.vendor == "postgresql"
        self.created = False

    def _col(self, name: str) -> str:
        return qn(self.t.columns[name])

    def _same(self, a: str, b: str) -> str:
        return f"{a} IS NOT DISTINCT FROM {b}" if self.pg else f"{a} IS {b}"

    def _param(self, name: str) -> str:
        # PostgreSQL types a bare parameter in a SELECT list as text, which a date column
        # refuses; SQLite must not CAST (CAST('2026-10-31' AS date) is 2026 there).
        return f"CAST(%s AS {self.model_fields[name].db_type(connection)})" if self.pg else "%s"

    def _create(self, cursor: Any) -> None:
        if self.created:
            cursor.execute(f"DELETE FROM {self.name}")  # noqa: S608 - identifiers from metadata
            return
        cols = ", ".join(f"{self._col(n)} {self.types[n]}" for n in (*self.keys, *self.fields))
        extra = "_pk bigint, _st integer NOT NULL DEFAULT 0, _mask bigint NOT NULL DEFAULT 0, _reopen integer"
        tail = " ON COMMIT DROP" if self.pg else ""
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {self.name} ({cols}, {extra}){tail}")
        cursor.execute(f"DELETE FROM {self.name}")  # noqa: S608 - a leftover of a failed load
        self.created = not self.pg  # PostgreSQL drops it at commit: create again next load

    def _fill(self, cursor: Any, rows: dict[Key, dict[str, Any]]) -> None:
        single = len(self.keys) == 1
        names = (*self.keys, *self.fields)
        data = [
            [*((key,) if single else key), *(values.get(f) for f in self.fields)]
            for key, values in rows.items()
        ]
        cols = ", ".join(self._col(n) for n in names)
        if self.pg:
            with cursor.cursor.copy(f"COPY {self.name} ({cols}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(names))
            cursor.executemany(f"INSERT INTO {self.name} ({cols}) VALUES ({marks})", data)  # noqa: S608

    def apply(
        self, rows: dict[Key, dict[str, Any]], *, day: date | None, want_pks: bool, narrow: dict[str, Any]
    ) -> tuple[dict[Key, str], dict[Key, int], Counter[str]]:
        from liuyou.ingest.loaders.upsert import INSERTED, UNCHANGED, UPDATED

        t, s, target = self.t, self.name, qn(self.t.table)
        # A narrowing on a key column (the batch's data date or month) says nothing the join
        # does not, and on PostgreSQL it misleads: the statistics know no row of a new date,
        # so the planner expects one and probes the stage once per stored row of that date,
        # which grows batch by batch (21 s a batch at the second deposit file of 100,000).
        narrow = {name: value for name, value in narrow.items() if name not in self.keys}
        join = " AND ".join(f"t.{self._col(k)} = {s}.{self._col(k)}" for k in self.keys)
        join += "".join(f" AND t.{self._col(n)} = %s" for n in narrow)
        mask = " + ".join(
            f"(CASE WHEN {self._same(f'{s}.{self._col(f)}', f't.{self._col(f)}')} THEN 0 ELSE {1 << i} END)"
            for i, f in enumerate(self.fields)
        )
        closed = f"t.{qn(t.columns['closed_at'])}" if t.lifecycle else ""
        reopen = f"CASE WHEN {closed} IS NULL THEN 0 ELSE 1 END" if t.lifecycle else "0"
        with connection.cursor() as cursor:
            self._create(cursor)
            self._fill(cursor, rows)
            if self.pg:
                # A temporary table has no statistics until analysed: without them the planner
                # guesses its size from its pages and may hash the whole target instead of
                # probing the key index once per staged row.
                cursor.execute(f"ANALYZE {s}")
            # Identifiers below come from model metadata, quoted; values are parameters.
            cursor.execute(
                f"UPDATE {s} SET _pk = t.{qn(t.pk)}, _mask = {mask or '0'}, _reopen = {reopen} "  # noqa: S608
                f"FROM {target} AS t WHERE {join}",
                list(narrow.values()),
            )
            cursor.execute(
                f"UPDATE {s} SET _st = CASE WHEN _pk IS NULL THEN {NEW} "  # noqa: S608
                f"WHEN _mask = 0 AND _reopen = 0 THEN {SAME} ELSE {CHANGED} END"
            )
            keys = ", ".join(self._col(k) for k in self.keys)
            cursor.execute(f"SELECT {keys}, _pk, _st, _mask FROM {s}")  # noqa: S608
            found = cursor.fetchall()
            n = len(self.keys)
            status: dict[Key, str] = {}
            pks: dict[Key, int] = {}
            masks: Counter[int] = Counter()
            for row in found:
                key = row[0] if n == 1 else tuple(row[:n])
                pk, state, bits = row[n], row[n + 1], row[n + 2]
                if state == NEW:
                    status[key] = INSERTED
                    continue
                pks[key] = pk
                if state == CHANGED:
                    status[key] = UPDATED
                    masks[bits] += 1
                else:
                    status[key] = UNCHANGED
            changed: Counter[str] = Counter()
            for bits, count in masks.items():
                cols = [f for i, f in enumerate(self.fields) if bits & (1 << i)]
                changed.update(dict.fromkeys(cols, count))
                self._update(cursor, cols, bits, day)
            if t.lifecycle and day is not None:
                cursor.execute(
                    f"UPDATE {target} SET {qn(t.columns['last_seen'])} = %s FROM {s} "  # noqa: S608
                    f"WHERE {target}.{qn(t.pk)} = {s}._pk AND {s}._st = {SAME} "
                    f"AND {target}.{qn(t.columns['last_seen'])} < %s",
                    [day, day],
                )
            inserted = len(status) - len(pks)
            if inserted:
                self._insert(cursor, day)
                if want_pks:
                    cursor.execute(
                        f"SELECT {', '.join(f'{s}.{self._col(k)}' for k in self.keys)}, t.{qn(t.pk)} "  # noqa: S608
                        f"FROM {s} JOIN {target} AS t ON {join} WHERE {s}._st = {NEW}",
                        list(narrow.values()),
                    )
                    for row in cursor.fetchall():
                        pks[row[0] if n == 1 else tuple(row[:n])] = row[n]
        return status, pks, changed

    def _update(self, cursor: Any, cols: list[str], bits: int, day: date | None) -> None:
        t, s, target = self.t, self.name, qn(self.t.table)
        sets = [f"{self._col(c)} = {s}.{self._col(c)}" for c in cols]
        params: list[Any] = []
        extra: dict[str, Any] = {**dict.fromkeys(t.stamp_update, timezone.now()), **t.seen_again(day)}
        for name, value in extra.items():
            sets.append(f"{qn(t.columns[name])} = %s")
            params.append(value)
        cursor.execute(
            f"UPDATE {target} SET {', '.join(sets)} FROM {s} "  # noqa: S608
            f"WHERE {target}.{qn(t.pk)} = {s}._pk AND {s}._st = {CHANGED} AND {s}._mask = %s",
            [*params, bits],
        )

    def _insert(self, cursor: Any, day: date | None) -> None:
        t, s = self.t, self.name
        staged = (*self.keys, *self.fields)
        extra = t.on_insert(day)
        # Every other column gets the model's default: a raw INSERT does not apply them.
        defaults = {
            name: f.get_default()
            for name, f in self.model_fields.items()
            if not f.primary_key and name not in staged and name not in extra
        }
        constants = {**defaults, **extra}
        names = [*staged, *constants]
        select = [f"{s}.{self._col(n)}" for n in staged] + [self._param(n) for n in constants]
        cursor.execute(
            f"INSERT INTO {qn(t.table)} ({', '.join(self._col(n) for n in names)}) "  # noqa: S608
            f"SELECT {', '.join(select)} FROM {s} WHERE {s}._st = {NEW}",
            list(constants.values()),
        )
