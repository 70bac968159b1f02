"""guarantee (担保关系, full, key 借据号 + 担保人客户号): upsert by (loan, guarantor), close
guarantees missing from a full file.

The loan (借据号, loaded by credit_loan first) and the guarantor (担保人客户号, aliases
included) must exist. 担保类型 (信用/保证/抵押/质押) and 担保金额 are required by the model.

The source keeps no history: a file older than the latest loaded one only checks its rows
and changes nothing; its valid rows count as unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from liuyou.customers.models import Guarantee, GuaranteeType, Loan
from liuyou.ingest.loaders.base import LoadContext, LoadResult, batches
from liuyou.ingest.loaders.checks import Words, missing, unknown
from liuyou.ingest.loaders.refs import customer_pks
from liuyou.ingest.loaders.upsert import CHUNK, Table
from liuyou.ingest.sources import words_to_codes
from liuyou.ingest.validate import Row

KIND = Words("担保类型", words_to_codes(GuaranteeType))
Pair = tuple[int, int]  # (loan pk, guarantor pk): the table's key
DUPLICATE = ("担保人客户号", "与本文件另一行是同一借据的同一担保人（客户号别名），重复")


def loan_pks(numbers: Iterable[str]) -> dict[str, int]:
    """借据号 -> Loan pk (closed loans too: their guarantees are still on file)."""
    found: dict[str, int] = {}
    items = list(dict.fromkeys(n for n in numbers if n))
    for i in range(0, len(items), CHUNK):
        found.update(Loan.objects.filter(loan_no__in=items[i : i + CHUNK]).values_list("loan_no", "pk"))
    return found


class GuaranteeLoader:
    def __init__(self) -> None:
        self.guarantees = Table(
            Guarantee, key=("loan_id", "guarantor_id"), fields=("guarantee_type", "amount"), lifecycle=True
        )

    def load(self, rows: Iterable[Row], ctx: LoadContext) -> LoadResult:
        if ctx.data_date is None:  # the runner refuses a file without one; closing needs it
            raise ValueError("担保关系导入须有数据日期")
        day = ctx.data_date
        result = LoadResult()
        seen: set[Pair] = set()
        seen_text: set[tuple[str, str]] = set()
        for batch in batches(rows):
            targets = self._targets(batch, ctx, seen, seen_text)
            if not ctx.latest:
                result.unchanged += len(targets)
                continue
            status, _ = self.guarantees.apply(targets, day=day, want_pks=False)
            result.tally(status.values())
        if ctx.latest:
            result.closed = len(self.guarantees.close_missing(seen | self._rejected(ctx, seen_text), day=day))
        else:
            result.details = {"history_only": True}
        return result

    def _targets(
        self, batch: list[Row], ctx: LoadContext, seen: set[Pair], seen_text: set[tuple[str, str]]
    ) -> dict[Pair, dict[str, Any]]:
        loans = loan_pks(r.values["loan_no"] for r in batch)
        customers = customer_pks(r.values["guarantor_no"] for r in batch)
        targets: dict[Pair, dict[str, Any]] = {}
        for row in batch:
            v = row.values
            problems = []
            loan = loans.get(v["loan_no"])
            if loan is None:
                problems.append(unknown("借据号", v["loan_no"]))
            guarantor = customers.get(v["guarantor_no"])
            if guarantor is None:
                problems.append(unknown("担保人客户号", v["guarantor_no"]))
            word = v.get("kind")
            kind = KIND.mapping.get(word) if word else None
            if not word:
                problems.append(missing("担保类型"))
            elif kind is None:
                problems.append(KIND.problem(word))
            amount = v.get("amount")
            if amount is None:
                problems.append(missing("担保金额"))
            if problems or loan is None or guarantor is None:
                ctx.reject(row, problems)
                continue
            pair = (loan, guarantor)
            if pair in seen:
                # Two numbers of one guarantor (a customer number and its alias) on one loan:
                # one guarantee; the first row holds it, the second is a duplicate.
                ctx.reject(row, [DUPLICATE])
                continue
            seen.add(pair)
            seen_text.add((v["loan_no"], v["guarantor_no"]))
            targets[pair] = {"guarantee_type": kind, "amount": amount}
        return targets

    def _rejected(self, ctx: LoadContext, seen_text: set[tuple[str, str]]) -> set[Pair]:
        """The (loan, guarantor) keys of the file's rejected rows: a row rejected for a bad
        amount does not mean the guarantee ended."""
        texts = [k for k in ctx.present_keys if isinstance(k, tuple) and len(k) == 2 and k not in seen_text]
        loans = loan_pks(k[0] for k in texts)
        customers = customer_pks(k[1] for k in texts)
        return {(loans[lo], customers[g]) for lo, g in texts if lo in loans and g in customers}
