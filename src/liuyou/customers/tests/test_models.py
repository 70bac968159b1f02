"""The customer library's tables: keys and constraints refuse duplicates, accounts and loans
follow their customer's data scope, bureau figures count only within their authorisation,
the related person's ID number is a protected value, and the migrations build it all."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from liuyou.core import pii, scope
from liuyou.customers import models as m

D = datetime.date
DAY = D(2025, 3, 31)
SEEN = {"first_seen": DAY, "last_seen": DAY}


def loan_kwargs(**kw):
    base = dict(
        customer=None,
        handling_org=None,
        disbursed_on=D(2024, 4, 1),
        maturity_date=D(2026, 4, 1),
        amount=Decimal("100000.00"),
        balance=Decimal("80000.00"),
        guarantee_type="credit",
        status="normal",
        data_date=DAY,
        **SEEN,
    )
    base.update(kw)
    return base


@pytest.fixture
def lib(bank, role_users, make_customer):
    """Customer C1 of the account manager (outlet o1 in branch 1, grid g1) and C2 in branch 2,
    each with a village, an account with two balances, a loan with two snapshots, a credit
    line, a bureau summary and a month of transactions."""
    am = role_users["account_manager"]
    v1 = m.Village.objects.create(code="410521100201", name="东关村", township="城关镇", grid=bank.g1, **SEEN)
    v2 = m.Village.objects.create(code="410521200202", name="河湾村", township="东河乡", grid=bank.g2, **SEEN)
    c1 = make_customer("C1", name="张三", org=bank.o1, grid=bank.g1, manager=am, id_no="41052119900101123X")
    c2 = make_customer("C2", name="李四", org=bank.b2, grid=bank.g2)
    m.Customer.objects.filter(pk=c1.pk).update(village=v1)
    m.Customer.objects.filter(pk=c2.pk).update(village=v2)
    out = SimpleNamespace(c1=c1, c2=c2, am=am, v1=v1, v2=v2)
    for c, org in ((c1, bank.o1), (c2, bank.b2)):
        no = c.customer_no
        acct = m.DepositAccount.objects.create(
            account_no=f"A-{no}",
            customer=c,
            product_type="demand",
            balance=Decimal("5000.00"),
            data_date=DAY,
            **SEEN,
        )
        m.DepositBalance.objects.bulk_create(
            [
                m.DepositBalance(
                    account=acct,
                    data_date=D(2025, 2, 28),
                    balance=Decimal("4000"),
                    monthly_avg_balance=Decimal("3900"),
                ),
                m.DepositBalance(
                    account=acct, data_date=DAY, balance=Decimal("5000"), monthly_avg_balance=Decimal("4500")
                ),
            ]
        )
        loan = m.Loan.objects.create(**loan_kwargs(loan_no=f"L-{no}", customer=c, handling_org=org))
        m.LoanSnapshot.objects.create(loan=loan, **{f: getattr(loan, f) for f in m.LOAN_FIGURES})
        m.CreditLine.objects.create(
            line_no=f"CL-{no}",
            customer=c,
            credit_limit=Decimal("200000"),
            used_amount=Decimal("80000"),
            start_date=D(2024, 1, 1),
            end_date=D(2027, 1, 1),
            status="active",
            **SEEN,
        )
        m.BureauSummary.objects.create(
            customer=c,
            report_date=D(2025, 1, 10),
            authorized_on=D(2025, 1, 5),
            authorized_purpose="post_loan",
            authorization_expires_on=D(2025, 12, 31),
            data_date=DAY,
        )
        m.TxnMonthly.objects.create(customer=c, month=D(2025, 3, 1), credits=Decimal("1234.56"), txn_count=7)
        setattr(out, f"loan_{no}", loan)
        setattr(out, f"acct_{no}", acct)
    return out


def refused(create) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


# --- keys and constraints ---------------------------------------------------------------------


@pytest.mark.django_db
def test_source_keys_refuse_duplicates(lib, bank):
    c1, c2, loan = lib.c1, lib.c2, lib.loan_C1
    refused(lambda: m.Village.objects.create(code="410521100201", name="重复", grid=bank.g1, **SEEN))
    refused(
        lambda: m.DepositAccount.objects.create(
            account_no="A-C1", customer=c2, product_type="time", data_date=DAY, **SEEN
        )
    )
    refused(
        lambda: m.DepositBalance.objects.create(
            account=lib.acct_C1, data_date=DAY, balance=1, monthly_avg_balance=1
        )
    )
    refused(lambda: m.Loan.objects.create(**loan_kwargs(loan_no="L-C1", customer=c2, handling_org=bank.b2)))
    refused(lambda: m.LoanSnapshot.objects.create(loan=loan, balance=1, status="normal", data_date=DAY))
    refused(
        lambda: m.CreditLine.objects.create(
            line_no="CL-C1",
            customer=c2,
            credit_limit=1,
            start_date=DAY,
            end_date=DAY,
            status="active",
            **SEEN,
        )
    )
    refused(
        lambda: m.BureauSummary.objects.create(
            customer=c1,
            report_date=D(2025, 1, 10),
            authorized_on=DAY,
            authorized_purpose="post_loan",
            authorization_expires_on=DAY,
            data_date=DAY,
        )
    )
    refused(lambda: m.TxnMonthly.objects.create(customer=c1, month=D(2025, 3, 1)))
    m.Guarantee.objects.create(
        loan=loan, guarantor=c2, guarantee_type="guaranty", amount=Decimal("50000"), **SEEN
    )
    refused(
        lambda: m.Guarantee.objects.create(
            loan=loan, guarantor=c2, guarantee_type="mortgage", amount=1, **SEEN
        )
    )
    # Another date, month or guarantor is a new row, not a duplicate.
    m.DepositBalance.objects.create(
        account=lib.acct_C1, data_date=D(2025, 4, 30), balance=1, monthly_avg_balance=1
    )
    m.TxnMonthly.objects.create(customer=c1, month=D(2025, 4, 1))
    m.Guarantee.objects.create(loan=loan, guarantor=c1, guarantee_type="guaranty", amount=1, **SEEN)
    assert lib.acct_C1.balances.count() == 3
    assert c1.monthly_txns.count() == 2
    assert loan.guarantees.count() == 2


@pytest.mark.django_db
def test_source_keys_serve_upserts(lib):
    """The import upserts by source key (INSERT ... ON CONFLICT on both databases)."""
    acct = lib.acct_C1
    rows = [
        m.DepositBalance(
            account=acct, data_date=DAY, balance=Decimal("6000.00"), monthly_avg_balance=Decimal("1")
        ),
        m.DepositBalance(
            account=acct, data_date=D(2025, 4, 30), balance=Decimal("7000.00"), monthly_avg_balance=0
        ),
    ]
    m.DepositBalance.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["account", "data_date"], update_fields=["balance"]
    )
    assert dict(acct.balances.values_list("data_date", "balance")) == {
        D(2025, 2, 28): Decimal("4000.00"),
        DAY: Decimal("6000.00"),
        D(2025, 4, 30): Decimal("7000.00"),
    }
    m.Customer.objects.bulk_create(
        [m.Customer(customer_no="C1", name="张三新", customer_type="individual", org=lib.c1.org)],
        update_conflicts=True,
        unique_fields=["customer_no"],
        update_fields=["name"],
    )
    assert m.Customer.objects.get(customer_no="C1").name == "张三新"
    assert m.Customer.objects.count() == 2


@pytest.mark.django_db
def test_closing_is_consistent_with_status(lib):
    refused(lambda: m.Customer.objects.filter(pk=lib.c1.pk).update(status="closed"))
    refused(lambda: m.Customer.objects.filter(pk=lib.c1.pk).update(closed_at=DAY))
    assert m.Customer.objects.filter(pk=lib.c1.pk).update(status="closed", closed_at=DAY) == 1
    refused(lambda: m.Village.objects.filter(pk=lib.v1.pk).update(is_active=False))
    assert m.Village.objects.filter(pk=lib.v1.pk).update(is_active=False, closed_at=DAY) == 1
    assert m.Customer.objects.get(pk=lib.c1.pk).get_status_display() == "已关闭"


@pytest.mark.django_db
def test_one_open_assignment_per_role(lib, role_users):
    am, other = lib.am, role_users["service_specialist"]
    first = m.ManagerAssignment.objects.create(
        customer=lib.c1, manager=am, role="primary", start_date=D(2024, 1, 1), source="crm_import"
    )
    m.ManagerAssignment.objects.create(
        customer=lib.c1, manager=other, role="assisting", start_date=D(2024, 1, 1), source="crm_import"
    )
    refused(
        lambda: m.ManagerAssignment.objects.create(
            customer=lib.c1, manager=other, role="primary", start_date=DAY, source="reassignment"
        )
    )
    refused(lambda: m.ManagerAssignment.objects.filter(pk=first.pk).update(end_date=D(2023, 12, 31)))
    m.ManagerAssignment.objects.filter(pk=first.pk).update(end_date=DAY)
    m.ManagerAssignment.objects.create(
        customer=lib.c1,
        manager=other,
        role="primary",
        start_date=DAY,
        source="reassignment",
        changed_by=role_users["branch_head"],
    )
    history = list(lib.c1.manager_assignments.filter(role="primary").values_list("manager_id", "end_date"))
    assert history == [(other.pk, None), (am.pk, DAY)]


@pytest.mark.django_db
def test_relation_keys_by_related_customer_or_related_id(lib):
    c1, c2 = lib.c1, lib.c2
    m.Relation.objects.create(customer=c1, relation_type="spouse", related_customer=c2, **SEEN)
    refused(
        lambda: m.Relation.objects.create(customer=c1, relation_type="spouse", related_customer=c2, **SEEN)
    )
    m.Relation.objects.create(customer=c1, relation_type="guarantor", related_customer=c2, **SEEN)
    cipher, digest, masked = pii.protect("410521201001011234", "id")
    m.Relation.objects.create(
        customer=c1,
        relation_type="child",
        related_id_no_cipher=cipher,
        related_id_no_digest=digest,
        related_id_no_masked=masked,
        **SEEN,
    )
    refused(
        lambda: m.Relation.objects.create(
            customer=c1,
            relation_type="child",
            related_id_no_cipher=cipher,
            related_id_no_digest=digest,
            related_id_no_masked=masked,
            **SEEN,
        )
    )
    # Nobody on the other side is no relation at all.
    refused(lambda: m.Relation.objects.create(customer=c1, relation_type="parent", **SEEN))
    assert c1.relations.count() == 3
    assert list(c2.related_by.values_list("relation_type", flat=True).order_by("relation_type")) == [
        "guarantor",
        "spouse",
    ]


@pytest.mark.django_db
def test_money_is_exact_decimal_yuan(lib):
    m.TxnMonthly.objects.filter(customer=lib.c1).update(
        credits=Decimal("123456789012.34"), acquiring_amount=Decimal("0.10")
    )
    row = m.TxnMonthly.objects.get(customer=lib.c1)
    assert row.credits == Decimal("123456789012.34") and row.acquiring_amount == Decimal("0.10")
    assert str(row.credits) == "123456789012.34"
    assert str(m.Loan.objects.get(loan_no="L-C1").amount) == "100000.00"


@pytest.mark.django_db
def test_loan_figures_copy_into_a_snapshot(lib):
    snap = lib.loan_C1.snapshots.get()
    assert snap.data_date == DAY and snap.balance == Decimal("80000.00") and snap.status == "normal"
    assert snap.technical_overdue is None and snap.unauthorized_use is None  # optional columns: unknown
    assert "balance" in m.LOAN_FIGURES and "loan_no" not in m.LOAN_FIGURES and "loan" not in m.LOAN_FIGURES


@pytest.mark.django_db
def test_name_prefix_q_matches_prefixes_only(bank, make_customer):
    for no, name in (("N1", "张三"), ("N2", "张"), ("N3", "小张"), ("N4", "李四"), ("N5", "张三丰")):
        make_customer(no, name=name)
    found = m.Customer.objects.filter(m.Customer.name_prefix_q("张")).values_list("customer_no", flat=True)
    assert sorted(found) == ["N1", "N2", "N5"]
    assert list(
        m.Customer.objects.filter(m.Customer.name_prefix_q("张三丰")).values_list("name", flat=True)
    ) == ["张三丰"]


def test_month_key_is_first_of_month():
    assert m.TxnMonthly.month_of(D(2025, 3, 17)) == D(2025, 3, 1)


@pytest.mark.django_db
def test_builtin_industries_are_seeded():
    fruit = m.Industry.objects.select_related("parent__parent").get(code="A015")
    assert fruit.name == "水果种植" and fruit.parent.code == "A01" and fruit.parent.parent.code == "A"
    assert m.Industry.objects.filter(code__in=["A014", "A03", "F52", "H62"]).count() == 4


# --- data scope -------------------------------------------------------------------------------


SCOPED = (m.DepositAccount, m.Loan, m.CreditLine, m.BureauSummary, m.TxnMonthly)


@pytest.mark.django_db
@pytest.mark.parametrize("model", SCOPED, ids=lambda x: x.__name__)
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("account_manager", ["C1"]),  # own customers only
        ("service_specialist", ["C1"]),  # own grid g1
        ("branch_head", ["C1"]),  # branch 1 and below
        ("risk_officer", ["C1", "C2"]),  # all
        ("system_admin", []),  # no customer data
        ("none", []),  # no role: default deny
    ],
)
def test_customer_owned_rows_follow_the_customer_scope(lib, role_users, model, role, expected):
    qs = scope.scoped(model.objects.all(), role_users[role], "customer:view")
    assert sorted(qs.values_list("customer__customer_no", flat=True)) == expected


@pytest.mark.django_db
def test_account_manager_sees_only_loans_of_own_customers(lib, role_users, bank):
    am = lib.am
    # A loan handled by someone else's org, but of the manager's customer, is visible; a loan the
    # manager handles for a customer that is not theirs is not: the customer decides.
    m.Loan.objects.create(**loan_kwargs(loan_no="L-X", customer=lib.c2, handling_org=bank.o1, manager=am))
    seen = scope.scoped(m.Loan.objects.all(), am, "customer:view")
    assert sorted(seen.values_list("loan_no", flat=True)) == ["L-C1"]
    assert (
        scope.get_or_404(m.Loan.objects.all(), am, "customer:view", loan_no="L-C1").customer_id == lib.c1.pk
    )
    from django.http import Http404

    with pytest.raises(Http404):
        scope.get_or_404(m.Loan.objects.all(), am, "customer:view", loan_no="L-C2")


# --- bureau authorisation ---------------------------------------------------------------------


@pytest.mark.django_db
def test_bureau_usable_only_within_purpose_and_expiry(lib):
    def usable(day, purpose):
        return sorted(
            m.BureauSummary.objects.filter(m.BureauSummary.usable_q(day, purpose)).values_list(
                "customer__customer_no", flat=True
            )
        )

    m.BureauSummary.objects.filter(customer=lib.c2).update(
        authorized_purpose="customer_management", authorization_expires_on=D(2025, 6, 30)
    )
    assert usable(DAY, "post_loan") == ["C1"]
    assert usable(DAY, "customer_management") == ["C2"]
    assert usable(D(2025, 6, 30), "customer_management") == ["C2"]  # the expiry day still counts
    assert usable(D(2025, 7, 1), "customer_management") == []  # expired
    assert usable(D(2025, 1, 4), "post_loan") == []  # before the authorisation
    assert usable(D(2025, 1, 8), "post_loan") == []  # authorised, but the report came later
    assert usable(DAY, "loan_review") == []  # a purpose nobody authorised
    # Through a relation: customers having a usable summary.
    customers = m.Customer.objects.filter(
        m.BureauSummary.usable_q(DAY, "post_loan", prefix="bureau_summaries__")
    )
    assert list(customers.values_list("customer_no", flat=True)) == ["C1"]


# --- personal data ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_related_id_no_is_a_protected_value(lib):
    assert pii.registered()[m.Relation] == {"related_id_no": "id"}
    plain = "410521201001011234"
    cipher, digest, masked = pii.protect(plain, "id")
    rel = m.Relation.objects.create(
        customer=lib.c1,
        relation_type="child",
        related_id_no_cipher=cipher,
        related_id_no_digest=digest,
        related_id_no_masked=masked,
        **SEEN,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM customers_relation WHERE id = %s", [rel.pk])
        row = cursor.fetchone()
    assert plain not in repr(row)
    assert masked == "4105**********1234"
    assert pii.reveal(rel, "related_id_no") == plain
    found = m.Relation.objects.filter(related_id_no_digest__in=pii.digests_for_lookup(plain))
    assert list(found.values_list("pk", flat=True)) == [rel.pk]


@pytest.mark.django_db
def test_key_rotation_covers_relations(lib, settings):
    old, new = bytes(settings.LIUYOU_DATA_KEY), bytes.fromhex("ffeeddccbbaa99887766554433221100")
    plain = "410521201001011234"
    cipher, digest, masked = pii.protect(plain, "id")
    rel = m.Relation.objects.create(
        customer=lib.c1,
        relation_type="child",
        related_id_no_cipher=cipher,
        related_id_no_digest=digest,
        related_id_no_masked=masked,
        **SEEN,
    )
    settings.LIUYOU_DATA_KEY = new
    settings.LIUYOU_PREVIOUS_DATA_KEYS = (old,)
    command = importlib.import_module("liuyou.core.management.commands.rotate-data-key")
    assert any(t.model is m.Relation and t.name == "related_id_no" for t in command.targets())
    call_command("rotate-data-key", stdout=StringIO())
    rel.refresh_from_db()
    assert pii.key_id_of(rel.related_id_no_cipher) == pii.DataKey.from_master(new).key_id
    assert rel.related_id_no_digest == pii.digest(plain)
    assert pii.reveal(rel, "related_id_no") == plain


# --- migrations -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "customers", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def _indexes(table: str) -> dict[str, tuple[list[str], bool]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {name: (c["columns"], c["unique"]) for name, c in found.items() if c["index"] or c["unique"]}


@pytest.mark.django_db
def test_history_tables_carry_one_composite_key_and_no_redundant_index():
    for table, key, extra in (
        ("customers_depositbalance", ["account_id", "data_date"], ["data_date"]),
        ("customers_loansnapshot", ["loan_id", "data_date"], ["data_date"]),
        ("customers_txnmonthly", ["customer_id", "month"], ["month"]),
        ("customers_bureausummary", ["customer_id", "report_date"], None),
        ("customers_guarantee", ["loan_id", "guarantor_id"], ["guarantor_id"]),  # guarantees a customer gave
    ):
        idx = _indexes(table)
        columns = [cols for cols, _ in idx.values()]
        assert (key, True) in idx.values(), table
        # The composite key serves lookups by its first column: no separate index on it.
        assert [key[0]] not in columns, table
        if extra:
            assert extra in columns, table
        non_pk = [c for c in columns if c != ["id"]]
        assert sorted(non_pk) == sorted([key, extra] if extra else [key]), table


@pytest.mark.django_db
def test_lookup_indexes_exist_once():
    columns = [cols for cols, _ in _indexes("customers_customer").values()]
    for col in (
        "name",
        "manager_id",
        "village_id",
        "org_id",
        "grid_id",
        "assisting_manager_id",
        "household_id",
    ):
        assert [col] in columns, col
    # Exact-match keys: one b-tree each (no PostgreSQL LIKE twin that exact lookups never use).
    for col in ("customer_no", "id_no_digest", "phone_digest", "credit_code"):
        assert columns.count([col]) == 1, col
    for table, col in (
        ("customers_depositaccount", "account_no"),
        ("customers_loan", "loan_no"),
        ("customers_creditline", "line_no"),
        ("customers_village", "code"),
    ):
        idx = list(_indexes(table).values())
        assert ([col], True) in idx and [c for c, _ in idx].count([col]) == 1, table
