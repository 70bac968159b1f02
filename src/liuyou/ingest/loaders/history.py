"""The shape core_deposit and credit_loan share: a full source whose parent row (account,
loan) carries the figures of its latest data date, and a history table with one row per
parent and data date.

Per batch the subclass turns rows into `{key: target}` (rejecting what it must); this class
upserts the parents, writes the history rows and counts each row once: inserted when the
parent is new, updated when the parent or its history row changed, unchanged otherwise.
After the file, parents missing from it are closed.

A file older than the latest loaded one (ctx.latest False) writes history rows only: known
parents keep their current columns (only first_seen may move back), and a parent no loaded
file had is created closed, as of the first later file (which already did not hold it).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import models

from liuyou.ingest.loaders.base import LoadContext, LoadResult, batches
from liuyou.ingest.loaders.checks import closing_day
from liuyou.ingest.loaders.upsert import CHUNK, INSERTED, UNCHANGED, Table
from liuyou.ingest.validate import Row

BOOKKEEPING = ("first_seen", "last_seen", "closed_at")


class HistoryLoader(ABC):
    source: str
    label: str  # for the one error a file without a data date gets
    parent: type[models.Model]
    key: str  # the parent's key attname, e.g. "account_no"
    fields: tuple[str, ...]  # the parent's columns, "customer_id" first
    history: type[models.Model]
    parent_fk: str  # the history row's attname of its parent, e.g. "account_id"
    figures: tuple[str, ...]  # the columns copied into the history row
    closed_values: dict[str, Any] = {}

    def __init__(self) -> None:
        self.parents = Table(
            self.parent,
            key=(self.key,),
            fields=self.fields,
            lifecycle=True,
            closed_values=self.closed_values,
        )
        # An older file's unknown parent is written with its bookkeeping already closed.
        self.closed_parents = Table(self.parent, key=(self.key,), fields=self.fields + BOOKKEEPING)
        self.histories = Table(self.history, key=(self.parent_fk, "data_date"), fields=self.figures)

    @abstractmethod
    def targets(self, batch: list[Row], ctx: LoadContext, day: date) -> dict[str, dict[str, Any]]:
        """key -> parent columns of the batch's acceptable rows; rejects the others."""

    def notes(self) -> dict[str, Any]:
        """Extra counts for the audit entry."""
        return {}

    def load(self, rows: Iterable[Row], ctx: LoadContext) -> LoadResult:
        if ctx.data_date is None:  # the runner refuses a file without one; history needs it
            raise ValueError(f"{self.label}导入须有数据日期")
        day = ctx.data_date
        self.result = LoadResult()
        self.created_closed = 0
        self.closed_on: date | None = None
        seen: set[str] = set()
        for batch in batches(rows):
            targets = self.targets(batch, ctx, day)
            seen.update(targets)
            if ctx.latest:
                self._current(targets, day)
            else:
                self._history_only(targets, day)
        if ctx.latest:
            present = seen | {k for k in ctx.present_keys if isinstance(k, str)}
            self.result.closed = len(self.parents.close_missing(present, day=day))
        # An account or loan whose customer changed follows the file; counted for the audit.
        moved = self.parents.changed_fields["customer_id"]
        self.result.details = {"customer_changed": moved, **self.notes()}
        if not ctx.latest:
            self.result.details |= {"history_only": True, "created_closed": self.created_closed}
        return self.result

    def _current(self, targets: dict[str, dict[str, Any]], day: date) -> None:
        status, pks = self.parents.apply(targets, day=day)
        history = self._histories(targets, pks, day)
        for key, state in status.items():
            self._count(state == INSERTED, state != UNCHANGED or history[(pks[key], day)] != UNCHANGED)

    def _history_only(self, targets: dict[str, dict[str, Any]], day: date) -> None:
        pks = self.parents.pks(targets)
        new = {key: t for key, t in targets.items() if key not in pks}
        if new:
            if self.closed_on is None:
                self.closed_on = closing_day(self.source, day, self.history)
            closed = {**self.closed_values, "first_seen": day, "last_seen": day, "closed_at": self.closed_on}
            pks.update(self.closed_parents.apply({key: t | closed for key, t in new.items()})[1])
            self.created_closed += len(new)
        # Bookkeeping only: this older file held the key before the first file we had.
        known = [pks[key] for key in targets if key not in new]
        manager = self.parent._default_manager
        for i in range(0, len(known), CHUNK):
            manager.filter(pk__in=known[i : i + CHUNK], first_seen__gt=day).update(first_seen=day)
        history = self._histories(targets, pks, day)
        for key in targets:
            self._count(key in new, history[(pks[key], day)] != UNCHANGED)

    def _histories(
        self, targets: dict[str, dict[str, Any]], pks: dict[str, int], day: date
    ) -> dict[tuple[int, date], str]:
        """Upsert the history rows of `targets` for `day`."""
        figures = self.figures
        rows = {(pks[key], day): {f: t[f] for f in figures} for key, t in targets.items()}
        return self.histories.apply(rows, want_pks=False, data_date=day)[0]

    def _count(self, inserted: bool, changed: bool) -> None:
        if inserted:
            self.result.inserted += 1
        elif changed:
            self.result.updated += 1
        else:
            self.result.unchanged += 1
