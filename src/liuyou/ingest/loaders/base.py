"""What the runner hands a loader, and what a loader hands back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from liuyou.ingest.loaders.upsert import INSERTED, UNCHANGED, UPDATED
from liuyou.ingest.validate import Problem, Row

BATCH = 2000


@dataclass
class LoadContext:
    data_date: date | None
    actor: Any
    # Refuse a row the validator passed (an unknown reference, a cycle...): it goes to the
    # reject file and counts as rejected, never as loaded.
    reject: Callable[[Row, list[Problem]], None]
    # False when a later data date was loaded already: history only, current state untouched.
    latest: bool = True
    # The cleaned key text of every record of the file, rejected ones included (a plain
    # string for single-column keys, a tuple of strings otherwise). Full-file closing spares
    # these: a row rejected for a bad phone number does not mean the person left.
    present_keys: set[Any] = field(default_factory=set)
    # The ImportRun being loaded, for the rows a loader records about it (identity conflicts).
    run_id: int | None = None


@dataclass
class LoadResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0  # keys missing from a full file, closed (not part of `read`)
    details: dict[str, Any] = field(default_factory=dict)  # for the audit entry

    def tally(self, statuses: Iterable[str]) -> None:
        """Count each row's outcome as Table.apply reports it (inserted/updated/unchanged)."""
        counts = Counter(statuses)
        self.inserted += counts[INSERTED]
        self.updated += counts[UPDATED]
        self.unchanged += counts[UNCHANGED]


class Loader(Protocol):
    def load(self, rows: Iterable[Row], ctx: LoadContext) -> LoadResult: ...


def batches(rows: Iterable[Row], size: int = BATCH) -> Iterable[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def history_only(
    rows: Iterable[Row], ctx: LoadContext, problems_of: Callable[[Row], list[Problem]] | None = None
) -> LoadResult:
    """An older file of a source that keeps no history: nothing current may change. Rows
    whose references fail are still rejected (the file is checked like any other); the rest
    count as unchanged, and nothing is closed."""
    result = LoadResult(details={"history_only": True})
    for row in rows:
        problems = problems_of(row) if problems_of else []
        if problems:
            ctx.reject(row, problems)
        else:
            result.unchanged += 1
    return result
