"""Reads of the customer library, always through the data scope (core.scope).

Pages, exports and the API all call these, so a customer outside the user's scope is
invisible everywhere in the same way: absent from lists, 404 on lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import BooleanField, Case, QuerySet, Value, When

from liuyou.core import scope
from liuyou.customers.filters import CustomerFilter
from liuyou.customers.models import Customer, CustomerType, Segment

VIEW = "customer:view"
EXPORT = "customer:export"
PII = "pii:view"


def _base() -> QuerySet[Customer]:
    return Customer.objects.select_related("org", "grid", "manager")


def customer_filterset(
    *, user: Any, data: Mapping[str, Any] | None = None, queryset: QuerySet[Customer] | None = None
) -> CustomerFilter:
    """The bound filter set over the user's visible customers (its form renders the filters)."""
    qs = scope.scoped(queryset if queryset is not None else _base(), user, VIEW)
    return CustomerFilter(data or None, queryset=qs, user=user)


def customer_list(*, user: Any, filters: Mapping[str, Any] | None = None) -> QuerySet[Customer]:
    """Visible customers matching `filters` (q, segment, org, manager); invalid values are ignored."""
    return customer_filterset(user=user, data=filters).qs


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
    return scope.get_or_404(_base(), user, VIEW, customer_no=customer_no)


def customer_for_reveal(*, user: Any, customer_no: str) -> Customer:
    """A customer whose full ID and phone the user may see: inside both the viewing scope and
    the scope of the roles that grant pii:view; otherwise Http404."""
    return scope.get_or_404(scope.scoped(_base(), user, VIEW), user, PII, customer_no=customer_no)


def library_is_empty() -> bool:
    """True before any source data was loaded: the honest empty state, not a scope effect."""
    return not Customer.objects.exists()


def dict_labels(code: str) -> dict[str, str]:
    """value -> label of a dictionary (as admins maintain it), falling back to the built-in
    choices so a code never shows raw even before the dictionary is loaded."""
    from liuyou.system.models import DictItem

    defaults = {"customer_type": dict(CustomerType.choices), "segment": dict(Segment.choices)}.get(code, {})
    labels = dict(defaults)
    labels.update(DictItem.objects.filter(dict_type__code=code).values_list("value", "label"))
    return labels
