"""List filters for customers, shared by the page, the export and the API so that all three
answer the same question. Values stay in the URL (?q=&segment=&org=&grid=&village=&manager=
&industry=&has_loan=&overdue=).

Every filter is a test on an indexed column of the customer row or an EXISTS on an indexed
foreign key, so a filtered page stays one scan of the scoped customers at a million rows.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet

from liuyou.core import pii, scope
from liuyou.customers.models import Customer, Loan, LoanStatus, Segment, Village
from liuyou.customers.widgets import FastSelect
from liuyou.system.models import Org, OrgKind, User

Q_MAX = 64  # longer than any name prefix, ID, phone or customer number worth searching

VIEW = "customer:view"

YES_NO = (("yes", "是"), ("no", "否"))

# Filters a list page counts as "the user narrowed the list" (the empty-state wording).
FILTER_KEYS = (
    "q", "segment", "org", "grid", "village", "manager", "industry", "has_loan", "overdue",
    "tags_all", "tags_any", "tags_none",
)  # fmt: skip


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
        | Customer.name_prefix_q(raw)
        | Q(id_no_digest__in=digests)
        | Q(phone_digest__in=digests)
    )


def open_loans(**extra: Any) -> QuerySet[Loan]:
    """Loans still on the books: not closed by a full file, not cleared or written off."""
    return Loan.objects.filter(closed_at__isnull=True, **extra).exclude(
        status__in=(LoanStatus.CLEARED, LoanStatus.WRITTEN_OFF)
    )


def has_open_loan() -> Exists:
    return Exists(open_loans(customer=OuterRef("pk")))


def has_overdue_loan() -> Exists:
    return Exists(open_loans(customer=OuterRef("pk"), overdue_days__gt=0))


def _own_customers(user: Any) -> QuerySet[Customer]:
    # A manager's own book: small, and served by the manager_id index.
    return Customer.objects.filter(manager_id=getattr(user, "pk", None))


def org_choices(user: Any) -> QuerySet[Org]:
    # Grids stay choosable here too: a grid is an org, and API callers pass its code as org.
    return scope.scoped(Org.objects.all(), user, VIEW)


def grid_choices(user: Any) -> QuerySet[Org]:
    """Grids in the user's org scope, plus the grids of the user's own customers (an account
    manager's scope is their own book, not an org)."""
    scoped_ids = scope.scoped(Org.objects.all(), user, VIEW).values("pk")
    own = _own_customers(user).values("grid_id")
    return Org.objects.filter(Q(pk__in=scoped_ids) | Q(pk__in=own), kind=OrgKind.GRID)


def village_choices(user: Any) -> QuerySet[Village]:
    """Villages served by a grid or outlet in the user's scope, plus those of their own customers."""
    scoped_ids = scope.scoped(Org.objects.all(), user, VIEW).values("pk")
    own = _own_customers(user).values("village_id")
    return Village.objects.filter(Q(grid_id__in=scoped_ids) | Q(pk__in=own)).order_by("township", "code")


def manager_choices(user: Any) -> QuerySet[User]:
    """Staff in the user's scope (left staff included: their customers still need finding)."""
    return (
        scope.scoped(User.objects.select_related("org"), user, VIEW)
        .filter(is_service_account=False)
        .order_by("staff_no")
    )


TAG_KEYS = ("tags_all", "tags_any", "tags_none")


def tag_choices(user: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """Active tags grouped by tag group (the tags app's list for this user)."""
    from liuyou.tags.selectors import tag_choices as grouped

    return [(group, [(str(pk), name) for pk, name in tags]) for group, tags in grouped(user=user)]


def industry_choices() -> list[tuple[str, str]]:
    # Indented by level (section A, division A01, group A014) so the nesting reads in a select.
    from liuyou.customers.selectors import industries

    def level(code: str) -> int:
        return 0 if len(code) == 1 else 1 if len(code) <= 3 else 2

    return [(code, f"{'　' * level(code)}{code} {name}") for code, name in industries()]


def option_rows(field: forms.Field, empty: str, rows: list[tuple[str, str]]) -> None:
    """Render `field`'s select from `rows`; validation stays with the field's own queryset."""
    field.widget.choices = [("", empty), *rows]


def _select(field: forms.Field) -> None:
    field.widget.attrs.setdefault(
        "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
    )


# The model-choice filters and the scoped querysets of what each accepts.
CHOICE_FILTERS: dict[str, Callable[[Any], QuerySet[Any]]] = {
    "org": org_choices,
    "grid": grid_choices,
    "village": village_choices,
    "manager": manager_choices,
}


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="查询",
        method="filter_q",
        max_length=Q_MAX,
        widget=forms.TextInput(attrs={"placeholder": "客户号、客户名称、完整证件号码或手机号码"}),
    )
    segment = django_filters.ChoiceFilter(
        widget=FastSelect, label="客户分类", choices=Segment.choices, empty_label="全部"
    )
    org = django_filters.ModelChoiceFilter(
        widget=FastSelect,
        label="机构",
        queryset=Org.objects.none(),
        to_field_name="code",
        method="filter_org",
        empty_label="全部",
    )
    grid = django_filters.ModelChoiceFilter(
        widget=FastSelect,
        label="网格",
        queryset=Org.objects.none(),
        to_field_name="code",
        field_name="grid",
        empty_label="全部",
    )
    village = django_filters.ModelChoiceFilter(
        widget=FastSelect,
        label="行政村",
        queryset=Village.objects.none(),
        to_field_name="code",
        field_name="village",
        empty_label="全部",
    )
    manager = django_filters.ModelChoiceFilter(
        widget=FastSelect,
        label="客户经理",
        queryset=User.objects.none(),
        to_field_name="staff_no",
        field_name="manager",
        empty_label="全部",
    )
    industry = django_filters.ChoiceFilter(
        widget=FastSelect, label="产业", choices=(), method="filter_industry", empty_label="全部"
    )
    has_loan = django_filters.ChoiceFilter(
        widget=FastSelect, label="有贷款", choices=YES_NO, method="filter_has_loan", empty_label="不限"
    )
    overdue = django_filters.ChoiceFilter(
        widget=FastSelect, label="逾期", choices=YES_NO, method="filter_overdue", empty_label="不限"
    )

    # Tags (issue 4): all of (AND), any of (OR), none of (NOT); combined with each other and
    # with the filters above by AND.
    tags_all = django_filters.MultipleChoiceFilter(label="同时具有标签", choices=(), method="filter_tags")
    tags_any = django_filters.MultipleChoiceFilter(label="具有任一标签", choices=(), method="filter_tags")
    tags_none = django_filters.MultipleChoiceFilter(label="不具有标签", choices=(), method="filter_tags")

    class Meta:
        model = Customer
        fields = list(FILTER_KEYS)

    def __init__(
        self,
        data: Any = None,
        queryset: QuerySet[Customer] | None = None,
        *,
        user: Any,
        options: bool = True,
        **kwargs: Any,
    ) -> None:
        """`options=False`: the selects' option lists are not read (an HTMX search, an export
        or the API renders no form); what the filters accept is the same either way."""
        super().__init__(data, queryset=queryset, **kwargs)
        # The choices themselves follow the data scope: a branch head picks among the
        # branch's outlets, grids, villages and staff; an account manager only their own.
        # Without a form to draw, only the filters given a value need their choices (an
        # empty value is never looked up), so a plain search builds none of them.
        given = {key for key in CHOICE_FILTERS if options or (self.data or {}).get(key)}
        for key in given:
            self.filters[key].queryset = CHOICE_FILTERS[key](user)
        # Read when the field validates a value or the select is drawn, not before.
        self.filters["industry"].extra["choices"] = industry_choices
        for key in TAG_KEYS:
            self.filters[key].extra["choices"] = lambda: tag_choices(user)
        fields = self.form.fields
        for field in fields.values():
            _select(field)
        if not options:
            return
        # What the selects show is read as plain tuples (no model instances: hundreds of
        # staff and villages per page view); what they accept is still the scoped querysets.
        org_rows = [(code, f"{code} {name}") for code, name in org_choices(user).values_list("code", "name")]
        option_rows(fields["org"], "全部", org_rows)
        grid_rows = grid_choices(user).order_by("code").values_list("code", "name")
        option_rows(fields["grid"], "全部", [(code, f"{code} {name}") for code, name in grid_rows])
        village_rows = village_choices(user).values_list("code", "township", "name")
        option_rows(fields["village"], "全部", [(code, f"{town}{name}") for code, town, name in village_rows])
        staff_rows = manager_choices(user).values_list("staff_no", "name", "status")
        option_rows(
            fields["manager"],
            "全部",
            [
                (no, f"{no} {name}" + ("（离职）" if status == "left" else ""))
                for no, name, status in staff_rows
            ],
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

    def filter_industry(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        # A section or division covers its sub-codes: GB/T 4754 codes nest by prefix (A > A01 > A014).
        if not value:
            return queryset
        return queryset.filter(industry__gte=value, industry__lt=value + "\U0010ffff")

    def filter_tags(self, queryset: QuerySet[Customer], name: str, value: list[str]) -> QuerySet[Customer]:
        from liuyou.tags.selectors import tag_filter_q

        if not value:
            return queryset
        ids = [int(v) for v in value]
        if name == "tags_all":
            return queryset.filter(tag_filter_q(all_of=ids))
        if name == "tags_any":
            return queryset.filter(tag_filter_q(any_of=ids))
        return queryset.filter(tag_filter_q(none_of=ids))

    def filter_has_loan(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        if value == "yes":
            return queryset.filter(has_open_loan())
        if value == "no":
            return queryset.filter(~has_open_loan())
        return queryset

    def filter_overdue(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        if value == "yes":
            return queryset.filter(has_overdue_loan())
        if value == "no":
            return queryset.filter(~has_overdue_loan())
        return queryset


_Q_FIELD = copy.deepcopy(CustomerFilter.base_filters["q"]).field


def plain_search(data: Mapping[str, Any] | None) -> str | None:
    """The search text of a request that sets no filter but `q` (what the search box sends),
    cleaned as the filter set cleans it: "" for no search (empty, or invalid and so ignored).
    None when another filter has a value: then the filter set itself must run."""
    data = data or {}
    if any(data.get(key) for key in FILTER_KEYS if key != "q"):
        return None
    try:
        text = _Q_FIELD.clean(data.get("q"))
    except ValidationError:
        return ""
    return text.strip() if text else ""
