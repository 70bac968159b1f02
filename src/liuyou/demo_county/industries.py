"""The demo bank's own 产业 dictionary entries: the words its CRM uses, as sub-codes of the
built-in GB/T 4754 classes.

The county's CRM names a customer's 产业 in its own words (大棚蔬菜种植, 外出建筑务工). A bank
maps such words onto the national classification in its Industry dictionary ("county-specific
sub-codes allowed", customers.models.Industry); the crm_customer loader then stores the code for
a known word, so the customer list's 产业 filter (by code prefix) and the rule tags find them.
Each word gets `<GB/T small-class code>.<n>` under the nearest built-in class:
大棚蔬菜种植 → A0141.1 under A014 (蔬菜、食用菌及园艺作物种植).
"""

from __future__ import annotations

from liuyou.customers.models import Industry
from liuyou.demo_county.vocab import (
    BUSINESS_INDUSTRIES,
    ENTERPRISE_INDUSTRIES,
    FARM_INDUSTRIES,
    MIGRANT_INDUSTRIES,
    SALARIED_INDUSTRIES,
)


def county_words() -> list[tuple[str, str]]:
    """(CRM word, GB/T code) of every 产业 the demo county's CRM writes, first use first."""
    pairs = [
        *((label, code) for label, code, _ in FARM_INDUSTRIES.values()),
        *((label, code) for label, code, _ in BUSINESS_INDUSTRIES),
        *((label, code) for label, code, _ in MIGRANT_INDUSTRIES),
        *((label, code) for label, code, _ in SALARIED_INDUSTRIES),
        *((label, code) for label, code, _, _ in ENTERPRISE_INDUSTRIES),
    ]
    return list(dict.fromkeys(pairs))


def county_entries(known: set[str]) -> list[tuple[str, str, str]]:
    """(code, word, parent code) for each county word; `known`: the codes already in the
    dictionary, for choosing the parent (the longest known prefix of the GB/T code)."""
    entries: list[tuple[str, str, str]] = []
    used: dict[str, int] = {}
    for word, gbt in county_words():
        used[gbt] = used.get(gbt, 0) + 1
        parent = next((gbt[:n] for n in range(len(gbt), 0, -1) if gbt[:n] in known), "")
        entries.append((f"{gbt}.{used[gbt]}", word, parent))
    return entries


def ensure_county_industries() -> int:
    """Add the county's words to the Industry dictionary (idempotent: a code or word the
    dictionary already has is left alone). Returns how many were added."""
    existing = dict(Industry.objects.values_list("code", "pk"))
    names = set(Industry.objects.values_list("name", flat=True))
    order = (Industry.objects.order_by("-sort_order").values_list("sort_order", flat=True).first() or 0) + 1
    added = 0
    for i, (code, word, parent) in enumerate(county_entries(set(existing))):
        if code in existing or word in names:
            continue
        Industry.objects.create(code=code, name=word, parent_id=existing.get(parent), sort_order=order + i)
        added += 1
    return added
