"""Reads behind the customer 360 page. The customer has already passed the data scope
(selectors.customer_get); everything here hangs off that one customer through an indexed
foreign key, and every list is bounded so a customer with a long history still gives a
small page: at most MAX_ROWS items per section and HISTORY_POINTS dates of history each.
"""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.db import connection, models
from django.db.models import Case, F, Q, QuerySet, Sum, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from liuyou.core import access, scope
from liuyou.customers import bureau_access
from liuyou.customers.filters import open_loans
from liuyou.customers.models import (
    FAMILY_RELATIONS,
    AccountStatus,
    BureauPurpose,
    BureauSummary,
    CreditLine,
    Customer,
    DepositAccount,
    DepositBalance,
    Guarantee,
    Loan,
    LoanSnapshot,
    LoanStatus,
    ManagerAssignment,
    Relation,
    RelationType,
    TxnMonthly,
)

MAX_ROWS = 20
HISTORY_POINTS = 12
CHART_MONTHS = 12

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)

# How a relation recorded on the other customer reads from this customer's side: the other
# customer registered this one as their parent, so to this customer they are a child.
INVERSE_LABELS: dict[str, str] = {
    RelationType.SPOUSE: "配偶",
    RelationType.PARENT: "子女",
    RelationType.CHILD: "父母",
    RelationType.SAME_HOUSEHOLD: "同户",
    RelationType.GUARANTOR: "被担保人",
    RelationType.ACTUAL_CONTROLLER: "实际控制的企业",
    RelationType.RELATED_ENTERPRISE: "关联企业",
}


@dataclass
class Bounded(Generic[T]):
    """The first MAX_ROWS items and how many there are in all."""

    rows: list[T]
    total: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)


def bounded(qs: QuerySet[M], limit: int = MAX_ROWS) -> Bounded[M]:
    rows = list(qs[: limit + 1])
    if len(rows) <= limit:
        return Bounded(rows, len(rows))
    # Counted only when the page cannot show everything.
    return Bounded(rows[:limit], qs.order_by().count())


def latest_per(
    model: type[M], key: str, ids: Iterable[int], points: int = HISTORY_POINTS
) -> dict[int, list[M]]:
    """The last `points` rows by data date of each parent in `ids`, newest first, in one
    query: the unique (parent, data_date) index serves the scan of each parent."""
    ids = list(ids)
    if not ids:
        return {}
    rank = Window(RowNumber(), partition_by=[F(f"{key}_id")], order_by=F("data_date").desc())
    qs = (
        model._default_manager.filter(**{f"{key}_id__in": ids})
        .annotate(rank=rank)
        .filter(rank__lte=points)
        .order_by(f"{key}_id", "-data_date")
    )
    out: dict[int, list[M]] = defaultdict(list)
    for row in qs:
        out[getattr(row, f"{key}_id")].append(row)
    return out


# --- sections ---------------------------------------------------------------------------------


@dataclass
class RelationRow:
    label: str
    other: Customer | None
    masked_id: str
    registered_here: bool  # recorded on this customer's row, or on the other party's


@dataclass
class Relations:
    members: Bounded[Customer]
    rows: list[RelationRow]
    total: int

    def __bool__(self) -> bool:
        return bool(self.members.rows or self.rows)


# What the page draws of another customer (a relative, a borrower, a guarantor): a link.
PARTY_FIELDS = ("customer_no", "name")
RELATION_FIELDS = ("customer", "related_customer", "relation_type", "related_id_no_masked", "closed_at")


def _party(path: str) -> tuple[str, ...]:
    return tuple(f"{path}__{f}" for f in PARTY_FIELDS)


def relations(customer: Customer, *, outgoing: bool = True, incoming: bool = True) -> Relations:
    """`outgoing` / `incoming` False: the customer is known to have no relation recorded on
    their own row / on another customer's row, which is then not read."""
    members: Bounded[Customer] = Bounded([], 0)
    if customer.household_id:
        members = bounded(
            Customer.objects.filter(household_id=customer.household_id)
            .exclude(pk=customer.pk)
            .only("customer_no", "name")
            .order_by("customer_no")
        )
    out_rel: Bounded[Relation] = Bounded([], 0)
    in_rel: Bounded[Relation] = Bounded([], 0)
    if outgoing:
        out_rel = bounded(
            Relation.objects.filter(customer=customer, closed_at__isnull=True)
            .select_related("related_customer")
            .only(*RELATION_FIELDS, *_party("related_customer"))
            .order_by("relation_type", "id")
        )
    if incoming:
        in_rel = bounded(
            Relation.objects.filter(related_customer=customer, closed_at__isnull=True)
            .select_related("customer")
            .only(*RELATION_FIELDS, *_party("customer"))
            .order_by("relation_type", "id")
        )
    rows = [
        RelationRow(r.get_relation_type_display(), r.related_customer, r.related_id_no_masked, True)
        for r in out_rel.rows
    ]
    # A pair both sides registered (spouses, usually) shows once.
    seen = {r.related_customer_id for r in out_rel.rows if r.related_customer_id}
    incoming_rows = [
        RelationRow(INVERSE_LABELS.get(r.relation_type, r.get_relation_type_display()), r.customer, "", False)
        for r in in_rel.rows
        if not (r.customer_id in seen and r.relation_type in FAMILY_RELATIONS)
    ]
    # The pairs shown once are not "more relations than shown".
    shown_once = len(in_rel.rows) - len(incoming_rows)
    rows += incoming_rows
    return Relations(members=members, rows=rows, total=out_rel.total + in_rel.total - shown_once)


@dataclass
class AccountRow:
    account: DepositAccount
    history: list[DepositBalance]


@dataclass
class Deposits:
    accounts: list[AccountRow]
    total: int
    open_balance: Decimal
    open_count: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.accounts)

    def __bool__(self) -> bool:
        return bool(self.accounts)


def deposits(customer: Customer) -> Deposits:
    # Open accounts first, the largest on top; closed ones after.
    accounts = bounded(
        DepositAccount.objects.filter(customer=customer).order_by(
            F("closed_at").asc(nulls_first=True), "-balance", "account_no"
        )
    )
    history = latest_per(DepositBalance, "account", (a.pk for a in accounts.rows))
    if accounts.truncated:
        totals = (
            DepositAccount.objects.filter(customer=customer, closed_at__isnull=True)
            .exclude(status=AccountStatus.CLOSED)
            .aggregate(balance=Sum("balance"), count=models.Count("id"))
        )
    else:  # every account is on the page: add them up here
        still_open = [a for a in accounts.rows if a.closed_at is None and a.status != AccountStatus.CLOSED]
        totals = {"balance": sum((a.balance for a in still_open), Decimal("0")), "count": len(still_open)}
    return Deposits(
        accounts=[AccountRow(a, history.get(a.pk, [])) for a in accounts.rows],
        total=accounts.total,
        open_balance=totals["balance"] or Decimal("0"),
        open_count=totals["count"] or 0,
    )


@dataclass
class LoanRow:
    loan: Loan
    history: list[LoanSnapshot]
    is_open: bool


@dataclass
class Loans:
    loans: list[LoanRow]
    total: int
    open_balance: Decimal
    open_count: int
    overdue_count: int

    @property
    def truncated(self) -> bool:
        return self.total > len(self.loans)

    def __bool__(self) -> bool:
        return bool(self.loans)


def _is_open(loan: Loan) -> bool:
    return loan.closed_at is None and loan.status not in (LoanStatus.CLEARED, LoanStatus.WRITTEN_OFF)


def loans(customer: Customer) -> Loans:
    ended = Q(closed_at__isnull=False) | Q(status__in=(LoanStatus.CLEARED, LoanStatus.WRITTEN_OFF))
    still_open = Case(When(ended, then=Value(1)), default=Value(0))
    page = bounded(
        Loan.objects.filter(customer=customer)
        .select_related("handling_org")
        .order_by(still_open, "-disbursed_on", "loan_no")
    )
    history = latest_per(LoanSnapshot, "loan", (x.pk for x in page.rows))
    if page.truncated:
        totals = open_loans(customer=customer).aggregate(
            balance=Sum("balance"),
            count=models.Count("id"),
            overdue=models.Count("id", filter=Q(overdue_days__gt=0)),
        )
    else:  # every loan is on the page: add them up here
        on_books = [x for x in page.rows if _is_open(x)]
        totals = {
            "balance": sum((x.balance for x in on_books), Decimal("0")),
            "count": len(on_books),
            "overdue": sum(1 for x in on_books if x.overdue_days > 0),
        }
    return Loans(
        loans=[LoanRow(x, history.get(x.pk, []), _is_open(x)) for x in page.rows],
        total=page.total,
        open_balance=totals["balance"] or Decimal("0"),
        open_count=totals["count"] or 0,
        overdue_count=totals["overdue"] or 0,
    )


@dataclass
class LineRow:
    line: CreditLine
    available: Decimal
    utilization: Decimal | None  # percent, one decimal


def credit_lines(customer: Customer) -> Bounded[LineRow]:
    page = bounded(
        CreditLine.objects.filter(customer=customer).order_by(
            F("closed_at").asc(nulls_first=True), "-end_date", "line_no"
        )
    )
    rows = []
    for line in page.rows:
        util = None
        if line.credit_limit:
            util = (line.used_amount * 100 / line.credit_limit).quantize(Decimal("0.1"))
        rows.append(LineRow(line, max(line.credit_limit - line.used_amount, Decimal("0")), util))
    return Bounded(rows, page.total)


@dataclass
class Guarantees:
    given: Bounded[Guarantee]
    received: Bounded[Guarantee]

    def __bool__(self) -> bool:
        return bool(self.given.rows or self.received.rows)


GUARANTEE_FIELDS = ("loan", "guarantor", "guarantee_type", "amount", "closed_at")
LOAN_FIELDS = ("loan__loan_no", "loan__balance", "loan__customer")


def guarantees(customer: Customer, *, has_loans: bool = True, guarantor: bool = True) -> Guarantees:
    """`has_loans=False`: the customer has no loan at all, so nobody guarantees one;
    `guarantor=False`: the customer guarantees nothing. Either half is then not read."""
    order = (F("closed_at").asc(nulls_first=True), "-loan__disbursed_on", "id")
    # Collateral the borrower pledges for their own loan (抵押人 = 借款人) is not a guarantee
    # given for someone else: it shows only among the loan's guarantees.
    given: Bounded[Guarantee] = Bounded([], 0)
    if guarantor:
        given = bounded(
            Guarantee.objects.filter(guarantor=customer)
            .exclude(loan__customer=customer)
            .select_related("loan", "loan__customer")
            .only(*GUARANTEE_FIELDS, *LOAN_FIELDS, *_party("loan__customer"))
            .order_by(*order)
        )
    received: Bounded[Guarantee] = Bounded([], 0)
    if has_loans:
        received = bounded(
            Guarantee.objects.filter(loan__customer=customer)
            .select_related("loan", "guarantor")
            .only(*GUARANTEE_FIELDS, *LOAN_FIELDS, *_party("guarantor"))
            .order_by(*order)
        )
    return Guarantees(given=given, received=received)


@dataclass
class Bureau:
    """The bureau section. `summary` is set only inside an authorisation the viewer may use;
    `allowed` is False when the viewer's roles use no bureau purpose at all."""

    summary: BureauSummary | None
    allowed: bool
    has_any: bool
    purposes: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.summary is not None:
            return "shown"
        if not self.has_any:
            return "empty"
        return "unauthorised"


def _bureau_purposes(user: Any) -> frozenset[str]:
    # bureau_access.purposes_for, from the roles the request has already read.
    out: frozenset[str] = frozenset()
    for role in access.active_roles(user):
        out |= bureau_access.PURPOSES_BY_ROLE.get(role.code, frozenset())
    return out


def bureau(
    customer: Customer, user: Any, on: datetime.date | None = None, *, has_any: bool | None = None
) -> Bureau:
    """`has_any`: whether the customer has any summary at all, when already known."""
    on = on or timezone.localdate()
    purposes = sorted(_bureau_purposes(user))
    labels = [str(BureauPurpose(p).label) for p in purposes]
    summaries = BureauSummary.objects.filter(customer=customer)
    if has_any is None:
        has_any = summaries.exists()
    if not purposes or not has_any:
        return Bureau(None, bool(purposes), has_any, labels)
    usable = Q(pk__in=[])
    for purpose in purposes:
        usable |= BureauSummary.usable_q(on, purpose)
    summary = summaries.filter(usable).order_by("-report_date", "-authorization_expires_on").first()
    return Bureau(summary, True, has_any, labels)


@dataclass
class Chart:
    months: list[str]
    credits: list[Decimal]
    debits: list[Decimal]
    rows: list[TxnMonthly]

    def __bool__(self) -> bool:
        return bool(self.rows)

    def as_data(self) -> dict[str, Any]:
        return {
            "months": self.months,
            "credits": [str(v) for v in self.credits],
            "debits": [str(v) for v in self.debits],
        }


def _add_months(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


def transactions(customer: Customer) -> Chart:
    """The 12 months ending with the customer's latest month on file; a month without a
    summary is a zero, so the axis has no gaps."""
    latest = list(TxnMonthly.objects.filter(customer=customer).order_by("-month")[:CHART_MONTHS])
    if not latest:
        return Chart([], [], [], [])
    last = latest[0].month
    first = _add_months(last, -(CHART_MONTHS - 1))
    by_month = {r.month: r for r in latest if r.month >= first}
    months = [_add_months(first, i) for i in range(CHART_MONTHS)]
    zero = Decimal("0.00")
    return Chart(
        months=[f"{m:%Y-%m}" for m in months],
        credits=[by_month[m].credits if m in by_month else zero for m in months],
        debits=[by_month[m].debits if m in by_month else zero for m in months],
        rows=sorted(by_month.values(), key=lambda r: r.month, reverse=True),
    )


def manager_history(customer: Customer) -> Bounded[ManagerAssignment]:
    return bounded(
        ManagerAssignment.objects.filter(customer=customer)
        .select_related("manager", "changed_by")
        .order_by(F("end_date").desc(nulls_first=True), "-start_date", "role")
    )


@dataclass
class Customer360:
    relations: Relations
    deposits: Deposits
    loans: Loans
    credit_lines: Bounded[LineRow]
    guarantees: Guarantees
    bureau: Bureau
    transactions: Chart
    managers: Bounded[ManagerAssignment]
    # The other customers the page names (household, relations, guarantees) that the viewer
    # may open; the rest are shown masked and unlinked (customers.templatetags.party).
    visible: frozenset[int] = frozenset()

    def parties(self) -> set[int]:
        found = {m.pk for m in self.relations.members.rows}
        found |= {r.other.pk for r in self.relations.rows if r.other is not None}
        found |= {g.loan.customer_id for g in self.guarantees.given.rows}
        found |= {g.guarantor_id for g in self.guarantees.received.rows if g.guarantor_id}
        return found


# Which tables hold any row of the customer, under the key each section reads by. Every
# section's own query narrows further (open relations only, guarantees for others...), so a
# probe may send a section to read and find nothing, but never skips one that has rows.
PROBES: dict[str, tuple[type[models.Model], str]] = {
    "relations_out": (Relation, "customer"),
    "relations_in": (Relation, "related_customer"),
    "deposits": (DepositAccount, "customer"),
    "loans": (Loan, "customer"),
    "credit_lines": (CreditLine, "customer"),
    "guarantees_given": (Guarantee, "guarantor"),
    "bureau": (BureauSummary, "customer"),
    "transactions": (TxnMonthly, "customer"),
    "managers": (ManagerAssignment, "customer"),
}


@functools.cache
def _probe_sql() -> str:
    # Only identifiers from the models' own metadata are put in; the customer goes as a parameter.
    q = connection.ops.quote_name
    parts = []
    for model, key in PROBES.values():
        fk = model._meta.get_field(key)
        assert isinstance(fk, models.ForeignKey)
        table, column = q(model._meta.db_table), q(fk.column)
        parts.append(f"EXISTS (SELECT 1 FROM {table} WHERE {column} = %s)")  # noqa: S608
    return "SELECT " + ", ".join(parts)


def sections_present(customer: Customer) -> set[str]:
    """The PROBES keys with at least one row of the customer: one query of indexed EXISTS,
    hand-written because the ORM would spend longer compiling it than the database running
    it. Most customers have rows in only a few of these tables (a depositor without loans,
    guarantees or a bureau report), and a section known empty costs no query at all."""
    with connection.cursor() as cursor:
        cursor.execute(_probe_sql(), [customer.pk] * len(PROBES))
        row = cursor.fetchone()
    return {key for key, found in zip(PROBES, row, strict=True) if found}


def customer_360(*, user: Any, customer: Customer) -> Customer360:
    """Everything the 360 page shows of `customer` (already scope-checked) for `user`."""
    present = sections_present(customer)
    no_lines: Bounded[LineRow] = Bounded([], 0)
    no_managers: Bounded[ManagerAssignment] = Bounded([], 0)
    customer_loans = loans(customer) if "loans" in present else Loans([], 0, Decimal("0"), 0, 0)
    page = Customer360(
        relations=relations(
            customer, outgoing="relations_out" in present, incoming="relations_in" in present
        ),
        deposits=deposits(customer) if "deposits" in present else Deposits([], 0, Decimal("0"), 0),
        loans=customer_loans,
        credit_lines=credit_lines(customer) if "credit_lines" in present else no_lines,
        guarantees=guarantees(
            customer, has_loans=customer_loans.total > 0, guarantor="guarantees_given" in present
        ),
        bureau=bureau(customer, user, has_any="bureau" in present),
        transactions=transactions(customer) if "transactions" in present else Chart([], [], [], []),
        managers=manager_history(customer) if "managers" in present else no_managers,
    )
    parties = page.parties()
    if parties:
        viewable = scope.scoped(Customer.objects.filter(pk__in=parties), user, "customer:view")
        page.visible = frozenset(viewable.values_list("pk", flat=True))
    return page
