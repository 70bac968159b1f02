"""Households (户) rebuilt from the open family relations among customers.

One pass over the relation table: union-find over (customer, related customer) pairs of
the family types gives the connected components; each component of two or more customers
is a household whose code is its smallest 客户号 (the same relations give the same
households), whose village is its members' most common one (ties: the smallest village
pk) and whose member_count is its size. Closed customers are not members. Households are
upserted by code, Customer.household follows (only where it changed), customers in no
household lose theirs, and households left without members are deleted: they are derived
data, rebuilt from the relations at every relation import.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from django.db import connection

from liuyou.core.bulk import pairs_by_key
from liuyou.customers.models import FAMILY_RELATIONS, Customer, Household, RecordStatus, Relation
from liuyou.ingest.loaders.upsert import CHUNK, insert_rows, qn


def _find(parent: dict[int, int], x: int) -> int:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:  # path compression keeps the next finds short
        parent[x], x = root, parent[x]
    return root


def components() -> tuple[dict[int, int], dict[int, tuple[str, int | None, int | None]]]:
    """(customer pk -> root pk, customer pk -> (客户号, village pk, household pk)) of every
    customer linked by an open family relation to another open customer."""
    parent: dict[int, int] = {}
    info: dict[int, tuple[str, int | None, int | None]] = {}
    pairs = Relation.objects.filter(
        closed_at__isnull=True,
        relation_type__in=FAMILY_RELATIONS,
        related_customer__isnull=False,
        customer__status=RecordStatus.ACTIVE,
        related_customer__status=RecordStatus.ACTIVE,
    ).values_list(
        "customer_id",
        "customer__customer_no",
        "customer__village_id",
        "customer__household_id",
        "related_customer_id",
        "related_customer__customer_no",
        "related_customer__village_id",
        "related_customer__household_id",
    )
    for a, a_no, a_village, a_house, b, b_no, b_village, b_house in pairs.iterator(chunk_size=5000):
        if a == b:
            continue
        info[a] = (a_no, a_village, a_house)
        info[b] = (b_no, b_village, b_house)
        parent.setdefault(a, a)
        parent.setdefault(b, b)
        ra, rb = _find(parent, a), _find(parent, b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: _find(parent, x) for x in parent}, info


def rebuild(*, day: date) -> dict[str, Any]:
    roots, info = components()
    groups: dict[int, list[int]] = {}
    for member, root in roots.items():
        groups.setdefault(root, []).append(member)
    # code -> (members, village pk, member count)
    wanted: dict[str, tuple[list[int], int | None, int]] = {}
    for members in groups.values():
        code = min(info[m][0] for m in members)
        villages = Counter(info[m][1] for m in members if info[m][1] is not None)
        village = min(villages, key=lambda v: (-villages[v], v)) if villages else None
        wanted[code] = (members, village, len(members))

    stored = {
        code: (pk, village, count)
        for pk, code, village, count in Household.objects.values_list(
            "pk", "code", "village_id", "member_count"
        )
    }
    new = [[code, village, count, day] for code, (_, village, count) in wanted.items() if code not in stored]
    insert_rows(Household, ["code", "village_id", "member_count", "data_date"], new)
    changed = [
        [village, count, day, stored[code][0]]
        for code, (_, village, count) in wanted.items()
        if code in stored and stored[code][1:] != (village, count)
    ]
    if changed:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {qn(Household._meta.db_table)} SET {qn('village_id')} = %s, "  # noqa: S608
                f"{qn('member_count')} = %s, {qn('data_date')} = %s WHERE {qn('id')} = %s",
                changed,
            )
    # Chunked: a county of a million customers makes more new households in one file than
    # SQLite takes parameters in one statement (32,766).
    pks: dict[str, int] = pairs_by_key(Household, "code", "id", [row[0] for row in new])
    pks.update({code: v[0] for code, v in stored.items()})

    moves: list[list[int]] = []
    for code, (members, _, _) in wanted.items():
        house = pks[code]
        moves.extend([house, m] for m in members if info[m][2] != house)
    if moves:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {qn(Customer._meta.db_table)} SET {qn('household_id')} = %s WHERE {qn('id')} = %s",  # noqa: S608
                moves,
            )
    members_now = set(roots)
    leaving = [
        pk
        for pk in Customer.objects.filter(household__isnull=False)
        .values_list("pk", flat=True)
        .iterator(chunk_size=5000)
        if pk not in members_now
    ]
    for i in range(0, len(leaving), CHUNK):
        Customer.objects.filter(pk__in=leaving[i : i + CHUNK]).update(household=None)
    gone = [pk for code, (pk, _, _) in stored.items() if code not in wanted]
    for i in range(0, len(gone), CHUNK):
        Household.objects.filter(pk__in=gone[i : i + CHUNK]).delete()
    return {
        "households": len(wanted),
        "household_members": len(roots),
        "households_created": len(new),
        "households_changed": len(changed),
        "households_removed": len(gone),
        "household_moves": len(moves) + len(leaving),
    }
