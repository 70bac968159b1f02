"""References a row names by the source system's number, resolved to our primary keys in
one query per batch. A number that resolves to nothing rejects the row (never an orphan).

Customer numbers resolve through aliases too: a second core 客户号 of the same person
lands on the one customer (customers.models.CustomerAlias).
"""

from __future__ import annotations

from collections.abc import Iterable

from liuyou.customers.models import Customer, CustomerAlias, Village
from liuyou.system.models import Org, User

CHUNK = 500


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = [v for v in dict.fromkeys(values) if v]
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def customer_pks(numbers: Iterable[str]) -> dict[str, int]:
    """客户号 -> Customer pk, for customer numbers and their aliases (closed customers too:
    a closed customer's loan history still belongs to them)."""
    found: dict[str, int] = {}
    for chunk in _chunks(numbers):
        found.update(Customer.objects.filter(customer_no__in=chunk).values_list("customer_no", "pk"))
        missing = [n for n in chunk if n not in found]
        if missing:
            found.update(
                CustomerAlias.objects.filter(alias_no__in=missing).values_list("alias_no", "customer_id")
            )
    return found


def org_pks() -> dict[str, int]:
    """机构号 -> Org pk for every org (a few hundred rows: read once per file)."""
    return dict(Org.objects.values_list("code", "pk"))


def staff_pks() -> dict[str, int]:
    """工号 -> User pk for every account (staff who left included: history names them)."""
    return dict(User.objects.values_list("staff_no", "pk"))


def village_pks() -> dict[str, tuple[int, int]]:
    """村编码 -> (Village pk, serving org pk)."""
    return {code: (pk, grid) for code, pk, grid in Village.objects.values_list("code", "pk", "grid_id")}
