"""Reads of the customer library, always through the data scope (core.scope).

Pages, exports and the API all call these, so a customer outside the user's scope is
invisible everywhere in the same way: absent from lists, 404 on lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When

from liuyou.core import scope
from liuyou.customers.filters import CustomerFilter, plain_search, search_q
from liuyou.customers.models import Customer, CustomerType, Segment
from liuyou.system.models import Org, User, UserStatus
from liuyou.system.selectors import DisplayCache, display_labels

VIEW = "customer:view"
EXPORT = "customer:export"
PII = "pii:view"
ASSIGN = "customer:assign"


def _base() -> QuerySet[Customer]:
    return Customer.objects.select_related("org", "grid", "manager")


def _detail() -> QuerySet[Customer]:
    return _base().select_related("village", "assisting_manager", "household")


def customer_filterset(
    *,
    user: Any,
    data: Mapping[str, Any] | None = None,
    queryset: QuerySet[Customer] | None = None,
    options: bool = True,
) -> CustomerFilter:
    """The bound filter set over the user's visible customers (its form renders the filters;
    `options=False` when no form is rendered)."""
    qs = scope.scoped(queryset if queryset is not None else _base(), user, VIEW)
    return CustomerFilter(data or None, queryset=qs, user=user, options=options)


def customer_search(*, user: Any, data: Mapping[str, Any] | None) -> QuerySet[Customer] | None:
    """What customer_list answers for the search box's own request (`q` and no other filter
    value), without building the filter set; None when another filter has a value."""
    text = plain_search(data)
    if text is None:
        return None
    qs = scope.scoped(_base(), user, VIEW)
    return qs.filter(search_q(text)) if text else qs


def customer_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Customer]:
    """Visible customers matching `filters` (filters.FILTER_KEYS); invalid values are ignored."""
    qs = customer_search(user=user, data=filters)
    if qs is not None:
        return qs
    return customer_filterset(user=user, data=filters, options=False).qs


def customer_export_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Customer]:
    """What the list shows, further narrowed to the roles that grant export, each row flagged
    `pii_visible` when a role granting pii:view covers it."""
    qs = scope.scoped(customer_list(user=user, filters=filters), user, EXPORT)
    return with_pii_flag(qs, user)


def with_pii_flag(qs: QuerySet[Customer], user: Any) -> QuerySet[Customer]:
    q = scope.scope_q(user, PII, Customer)
    flag: Value | Case
    if q is None:
        flag = Value(False, output_field=BooleanField())
    elif not q.children:  # "all": an empty Q cannot be a When() condition
        flag = Value(True, output_field=BooleanField())
    else:
        flag = Case(When(q, then=Value(True)), default=Value(False), output_field=BooleanField())
    return qs.annotate(pii_visible=flag)


def customer_get(*, user: Any, customer_no: str) -> Customer:
    """One visible customer; Http404 when it does not exist or lies outside the scope."""
    return scope.get_or_404(_detail(), user, VIEW, customer_no=customer_no)


def _industry_rows() -> list[tuple[str, str]]:
    from liuyou.customers.models import Industry

    return list(Industry.objects.values_list("code", "name"))


_industries: DisplayCache[list[tuple[str, str]]] = DisplayCache(_industry_rows)


def industries() -> list[tuple[str, str]]:
    """(code, name) of every industry in display order, from the display cache (see
    system.selectors.DISPLAY_CACHE_SECONDS; industries change only with a migration)."""
    return _industries.get()


def industry_label(code: str) -> str:
    """'A014 蔬菜、食用菌及园艺作物种植' for a known code; an unknown code as given."""
    if not code:
        return ""
    name = dict(industries()).get(code)
    return f"{code} {name}" if name else code


def customer_for_reveal(*, user: Any, customer_no: str) -> Customer:
    """A customer whose full ID and phone the user may see: inside both the viewing scope and
    the scope of the roles that grant pii:view; otherwise Http404."""
    return scope.get_or_404(scope.scoped(_detail(), user, VIEW), user, PII, customer_no=customer_no)


def library_is_empty() -> bool:
    """True before any source data was loaded: the honest empty state, not a scope effect."""
    return not Customer.objects.exists()


def dict_labels(code: str) -> dict[str, str]:
    """value -> label of a dictionary (as admins maintain it), falling back to the built-in
    choices so a code never shows raw even before the dictionary is loaded. Display only:
    read through the display cache (system.selectors.display_labels)."""
    defaults = {"customer_type": dict(CustomerType.choices), "segment": dict(Segment.choices)}.get(code, {})
    labels = dict(defaults)
    labels.update(display_labels(code))
    return labels


# --- reassignment and the orphan report ---------------------------------------------------------


def customer_for_assign(*, user: Any, customer_no: str) -> Customer:
    """A customer whose managers `user` may change: inside the viewing scope and the scope of
    the roles granting customer:assign; otherwise Http404."""
    return scope.get_or_404(scope.scoped(_detail(), user, VIEW), user, ASSIGN, customer_no=customer_no)


def can_assign(*, user: Any, customer: Customer) -> bool:
    """Whether `user` may change this customer's managers (permission and assign scope)."""
    q = scope.scope_q(user, ASSIGN, Customer)  # None without the permission
    if q is None:
        return False
    if not q.children:  # the whole bank: nothing to look up
        return True
    return Customer.objects.filter(q, pk=customer.pk).exists()


def assignable_managers(*, user: Any) -> QuerySet[User]:
    """Staff `user` may make a customer's manager: working (在职 and able to log in), not a
    system-interface account, and belonging to an org inside the user's assign scope."""
    return (
        scope.scoped(User.objects.select_related("org"), user, ASSIGN)
        .filter(status=UserStatus.ACTIVE, is_active=True, is_service_account=False)
        .order_by("org__path", "staff_no")
    )


def departed_managers() -> QuerySet[User]:
    """Staff who can no longer look after customers: marked 离职 or unable to log in."""
    return User.objects.filter(Q(status=UserStatus.LEFT) | Q(is_active=False))


def orphan_q() -> Q:
    # IN over the few departed staff rides the manager_id index; no join to the user table.
    return Q(manager__isnull=True) | Q(manager_id__in=departed_managers().values("pk"))


def orphan_list(*, user: Any, org: Org | None = None) -> QuerySet[Customer]:
    """Customers in the user's assign scope with no primary manager or one who has left,
    optionally under `org` (its outlets and grids included)."""
    qs = scope.scoped(scope.scoped(_base(), user, VIEW), user, ASSIGN).filter(orphan_q())
    if org is not None:
        qs = qs.filter(Org.subtree_q(org.path, "org__path") | Org.subtree_q(org.path, "grid__path"))
    return qs


def orphan_org_choices(*, user: Any) -> QuerySet[Org]:
    return scope.scoped(Org.objects.all(), user, ASSIGN)


def scoped_for_export(qs: QuerySet[Customer], *, user: Any) -> QuerySet[Customer]:
    """`qs` narrowed further to the roles that grant export."""
    return scope.scoped(qs, user, EXPORT)
