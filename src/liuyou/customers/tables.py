"""Columns of the customer list. ID and phone columns show the stored masks only; the full
values never reach a list."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import django_tables2 as tables
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import RFC3986_SUBDELIMS, urlencode
from django.utils.safestring import SafeString

from liuyou.customers.models import Customer

PER_PAGE = 20

# column -> model ordering; the table and the export both read it
SORTS: dict[str, tuple[str, ...]] = {
    "customer_no": ("customer_no",),
    "name": ("name", "customer_no"),
    "customer_type": ("customer_type", "customer_no"),
    "segment": ("segment", "customer_no"),
    "org": ("org__code", "customer_no"),
    "manager": ("manager__staff_no", "customer_no"),
}


# The list's columns: (name, header, sortable). Sorting and paging follow the URL (?sort=
# a column name, "-" for descending; ?page=), with the markup django-tables2's bootstrap5
# template used to give; the rows are drawn in Python (20 rows x 8 cells through the
# template engine cost more than the query behind them).
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("customer_no", "客户号", True),
    ("name", "客户名称", True),
    ("customer_type", "客户类型", True),
    ("id_no_masked", "证件号码", False),
    ("phone_masked", "手机号码", False),
    ("segment", "客户分类", True),
    ("org", "开户机构", True),
    ("manager", "客户经理", True),
)
DEFAULT_SORT = ("customer_no",)
LIST_FIELDS = (
    "customer_no",
    "name",
    "customer_type",
    "id_no_masked",
    "phone_masked",
    "segment",
    "org__name",
    "manager__name",
)
PAGE_RANGE = 10  # page links shown at most, first and last included

ROW = (
    '<tr class="{}"><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
    "<td>{}</td><td>{}</td><td>{}</td></tr>"
)
EMPTY = "—"


@dataclass(frozen=True)
class Header:
    label: str
    href: str  # "" for a column that does not sort
    css: str  # "orderable", "asc orderable", "desc orderable" or ""


@dataclass(frozen=True)
class PageLink:
    label: int | str  # a page number or "..."
    href: str  # "" for the ellipsis
    active: bool


@dataclass
class CustomerResults:
    """One page of the customer list, ready to draw."""

    headers: list[Header]
    records: list[Customer]  # the customers on this page
    rows: list[SafeString]  # each one's table row
    count: int
    number: int
    num_pages: int
    previous: str  # link to the previous page, "" on the first
    next: str  # link to the next page, "" on the last
    links: list[PageLink] = field(default_factory=list)


def _link(params: QueryDict, key: str, value: Any) -> str:
    # The current query string with one parameter replaced (added at the end when absent).
    values = dict(params.lists())
    values[key] = [str(value)]
    return "?" + urlencode(values, doseq=True)


def sort_aliases(params: QueryDict) -> tuple[str, ...]:
    """The ?sort= values naming a sortable column (each may start with "-"); without any
    ?sort= the list sorts by customer number. Unknown values are ignored."""
    given = params.getlist("sort")
    if not given:
        return DEFAULT_SORT
    return tuple(a for a in given if (a[1:] if a.startswith("-") else a) in SORTS)


def _ordering(aliases: tuple[str, ...]) -> list[str]:
    fields: list[str] = []
    for alias in aliases:
        fields += ordering(alias)
    return fields


def page_range(number: int, num_pages: int) -> list[int | str]:
    """At most PAGE_RANGE page numbers around `number`, always with the first and the last,
    "..." for what is skipped."""
    if num_pages <= PAGE_RANGE:
        return list(range(1, num_pages + 1))
    start = max(number - PAGE_RANGE // 2, 1)
    end = start + PAGE_RANGE
    if end > num_pages:
        start, end = num_pages - PAGE_RANGE + 1, num_pages + 1
    out: list[int | str] = list(range(start, end))
    if 1 not in out:
        out = [1, "...", *out[2:]]
    if num_pages not in out:
        out = [*out[:-2], "...", num_pages]
    return out


def _requested_page(params: QueryDict) -> int:
    try:
        return int(params.get("page") or "1")
    except ValueError:
        return 1


def customer_results(
    qs: QuerySet[Customer], params: QueryDict, *, labels: dict[str, dict[str, str]]
) -> CustomerResults:
    """Page ?page= of `qs` sorted by ?sort=, PER_PAGE rows. A page number past the end
    shows the last page; one that is not a number, the first. The total is counted only
    when this page does not already show where the list ends."""
    # Only the columns drawn: the whole row (ciphertexts, the manager's account) costs
    # more to read and build than the query takes to run.
    qs = qs.select_related(None).select_related("org", "manager").only(*LIST_FIELDS)
    aliases = sort_aliases(params)
    if aliases:
        qs = qs.order_by(*_ordering(aliases))
    number = _requested_page(params)
    rows: list[Customer] = []
    count = -1
    if number >= 1:
        offset = (number - 1) * PER_PAGE
        rows = list(qs[offset : offset + PER_PAGE + 1])
        if len(rows) <= PER_PAGE and (rows or number == 1):
            count = offset + len(rows)
    if count < 0:
        count = qs.count()
    num_pages = max(1, -(-count // PER_PAGE))
    if not 1 <= number <= num_pages:
        number = num_pages
        offset = (number - 1) * PER_PAGE
        rows = list(qs[offset : offset + PER_PAGE])
    rows = rows[:PER_PAGE]
    detail = _detail_url()
    return CustomerResults(
        headers=_headers(params, aliases),
        records=rows,
        rows=[_row(i, c, labels, detail) for i, c in enumerate(rows)],
        count=count,
        number=number,
        num_pages=num_pages,
        previous=_link(params, "page", number - 1) if number > 1 else "",
        next=_link(params, "page", number + 1) if number < num_pages else "",
        links=[
            PageLink(p, _link(params, "page", p) if p != "..." else "", p == number)
            for p in (page_range(number, num_pages) if num_pages > 1 else [])
        ],
    )


def _headers(params: QueryDict, aliases: tuple[str, ...]) -> list[Header]:
    current = {a.lstrip("-"): ("desc" if a.startswith("-") else "asc") for a in reversed(aliases)}
    out = []
    for name, label, sortable in COLUMNS:
        if not sortable:
            out.append(Header(label, "", ""))
            continue
        state = current.get(name)
        nxt = f"-{name}" if state == "asc" else name
        out.append(Header(label, _link(params, "sort", nxt), f"{state} orderable" if state else "orderable"))
    return out


def _detail_url() -> Callable[[str], str]:
    # reverse() once per page rather than once per row; the number is quoted as reverse()
    # quotes it.
    marker = "0"
    head, tail = reverse("customers:detail", args=[marker]).rsplit(marker, 1)
    return lambda customer_no: head + quote(customer_no, safe=RFC3986_SUBDELIMS + "/~:@") + tail


def _row(
    index: int, c: Customer, labels: dict[str, dict[str, str]], detail: Callable[[str], str]
) -> SafeString:
    types, segments = labels.get("customer_type", {}), labels.get("segment", {})
    return format_html(
        ROW,
        "odd" if index % 2 else "even",
        detail(c.customer_no),
        c.customer_no,
        c.name or EMPTY,
        types.get(c.customer_type, c.customer_type) if c.customer_type else EMPTY,
        c.id_no_masked or EMPTY,
        c.phone_masked or EMPTY,
        segments.get(c.segment, c.segment) if c.segment else EMPTY,
        c.org.name or EMPTY,
        c.manager.name if c.manager is not None and c.manager.name else EMPTY,
    )


def ordering(sort: str | None) -> list[str]:
    """The model ordering for a `?sort=` value the list page accepts, so the export comes
    out in the order the user is looking at; unknown values fall back to customer number."""
    key = (sort or "").strip()
    name = key.lstrip("-")
    fields = SORTS.get(name)
    if not fields:
        return ["customer_no"]
    return [("-" + f if key.startswith("-") else f) for f in fields]


def manager_state(customer: Customer) -> str:
    """Why a customer is on the orphan report."""
    manager = customer.manager
    if manager is None:
        return "未分配主办客户经理"
    if manager.status == "left":
        return "客户经理已离职"
    return "客户经理账号已停用"


class OrphanTable(tables.Table):
    customer_no = tables.Column(verbose_name="客户号")
    name = tables.Column(verbose_name="客户名称", order_by=SORTS["name"])
    segment = tables.Column(verbose_name="客户分类", order_by=SORTS["segment"])
    org = tables.Column(verbose_name="开户机构", accessor="org__name", order_by=SORTS["org"])
    grid = tables.Column(verbose_name="所属网格", accessor="grid__name", orderable=False, default="—")
    manager = tables.Column(
        verbose_name="原主办客户经理", accessor="manager__name", order_by=SORTS["manager"], default="—"
    )
    state = tables.Column(verbose_name="情况", accessor="pk", orderable=False)
    action = tables.Column(verbose_name="", accessor="customer_no", orderable=False)

    class Meta:
        attrs = {"class": "table table-sm table-hover align-middle text-nowrap"}
        order_by = ("customer_no",)

    def __init__(self, *args: Any, labels: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.segment_labels = labels or {}

    def render_customer_no(self, value: str) -> str:
        return format_html('<a href="{}">{}</a>', reverse("customers:detail", args=[value]), value)

    def render_segment(self, value: str) -> str:
        return self.segment_labels.get(value, value)

    def render_manager(self, value: str, record: Customer) -> str:
        return f"{value}（{record.manager.staff_no}）" if record.manager else "—"

    def render_state(self, record: Customer) -> str:
        return format_html('<span class="badge text-bg-warning">{}</span>', manager_state(record))

    def render_action(self, value: str) -> str:
        return format_html(
            '<a class="btn btn-outline-primary btn-sm" href="{}#section-managers">调整客户经理</a>',
            reverse("customers:detail", args=[value]),
        )
