"""References a row names by the source system's number, resolved to our primary keys in
one query per batch. A number that resolves to nothing rejects the row (never an orphan).

Customer numbers resolve through aliases too: a second core 客户号 of the same person
lands on the one customer (customers.models.CustomerAlias).
"""

from __future__ import annotations

from collections.abc import Iterable

from liuyou.core.bulk import pairs_by_key
from liuyou.customers.models import Customer, CustomerAlias, Village
from liuyou.system.models import Org, User


def customer_pks(numbers: Iterable[str]) -> dict[str, int]:
    """客户号 -> Customer pk, for customer numbers and their aliases (closed customers too:
    a closed customer's loan history still belongs to them)."""
    wanted = [n for n in dict.fromkeys(numbers) if n]
    found: dict[str, int] = pairs_by_key(Customer, "customer_no", "id", wanted)
    missing = [n for n in wanted if n not in found]
    if missing:
        found.update(pairs_by_key(CustomerAlias, "alias_no", "customer_id", missing))
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
