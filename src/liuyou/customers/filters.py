"""List filters for customers, shared by the page, the export and the API so that all three
answer the same question. Values stay in the URL (?q=&segment=&org=&manager=)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from liuyou.core import pii, scope
from liuyou.customers.models import Customer, Segment
from liuyou.system.models import Org, User

Q_MAX = 64  # longer than any name prefix, ID, phone or customer number worth searching


def search_q(text: str) -> Q:
    """Free-text search: exact customer number, exact credit code, name prefix, or the exact
    ID or phone number through the HMAC index (under every configured key, so it keeps
    working during a key rotation). A partial ID or phone never matches."""
    raw = text.strip()
    if not raw:
        return Q()
    digests = pii.digests_for_lookup(raw)
    return (
        Q(customer_no=raw)
        | Q(credit_code=pii.normalize(raw))
        | Q(name__istartswith=raw)
        | Q(id_no_digest__in=digests)
        | Q(phone_digest__in=digests)
    )


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="查询",
        method="filter_q",
        max_length=Q_MAX,
        widget=forms.TextInput(attrs={"placeholder": "客户号、客户名称、完整证件号码或手机号码"}),
    )
    segment = django_filters.ChoiceFilter(label="客户分类", choices=Segment.choices, empty_label="全部")
    org = django_filters.ModelChoiceFilter(
        label="机构",
        queryset=Org.objects.none(),
        to_field_name="code",
        method="filter_org",
        empty_label="全部",
    )
    manager = django_filters.ModelChoiceFilter(
        label="客户经理",
        queryset=User.objects.none(),
        to_field_name="staff_no",
        field_name="manager",
        empty_label="全部",
    )

    class Meta:
        model = Customer
        fields = ["q", "segment", "org", "manager"]

    def __init__(
        self, data: Any = None, queryset: QuerySet[Customer] | None = None, *, user: Any, **kwargs: Any
    ) -> None:
        super().__init__(data, queryset=queryset, **kwargs)
        # The choices themselves follow the data scope: a branch head picks among the
        # branch's outlets and staff, an account manager only sees their own.
        self.filters["org"].queryset = scope.scoped(Org.objects.all(), user, "customer:view")
        self.filters["manager"].queryset = scope.scoped(
            User.objects.select_related("org"), user, "customer:view"
        ).order_by("staff_no")
        self.form.fields["org"].label_from_instance = lambda o: f"{o.code} {o.name}"
        self.form.fields["manager"].label_from_instance = lambda u: f"{u.staff_no} {u.name}"
        for field in self.form.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )

    def filter_q(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        return queryset.filter(search_q(value)) if value and value.strip() else queryset

    def filter_org(self, queryset: QuerySet[Customer], name: str, value: Org | None) -> QuerySet[Customer]:
        # A branch means the branch and everything below it: customers opened at its outlets
        # and customers of its grids (a grid is an org too, so choosing one works).
        if not value:
            return queryset
        return queryset.filter(
            Org.subtree_q(value.path, "org__path") | Org.subtree_q(value.path, "grid__path")
        )
