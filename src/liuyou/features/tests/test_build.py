"""The feature table on hand-built customers: every column's definition, at and around its
edges (docs/features.md)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from liuyou.features import services
from liuyou.features.models import CustomerFeature, FeatureBuild
from liuyou.features.tests.conftest import D, month_end

pytestmark = pytest.mark.django_db

M = {n: month_end(2026, n) for n in range(1, 7)}  # month-end data dates of 2026


def build(day=D):
    return services.compute(data_date=day)


def row(customer, day=D) -> CustomerFeature:
    return CustomerFeature.objects.get(customer=customer, data_date=day)


def test_add_months_clamps_to_month_end():
    assert services.add_months(datetime.date(2026, 3, 31), -1) == datetime.date(2026, 2, 28)
    assert services.add_months(datetime.date(2026, 1, 15), -2) == datetime.date(2025, 11, 15)
    assert services.add_months(datetime.date(2025, 12, 31), 2) == datetime.date(2026, 2, 28)
    assert services.add_months(datetime.date(2026, 6, 1), -11) == datetime.date(2025, 7, 1)


def test_deposits_balance_average_and_change(books):
    c = books.customer()
    books.deposits(
        c,
        {M[3]: "1000", M[4]: "2000", M[5]: "3000", M[6]: "9000"},
        averages={M[4]: "4000", M[5]: "5000", M[6]: "6000"},
    )
    books.deposits(c, {M[6]: "1000"})
    empty = books.customer()
    build()
    f = row(c)
    assert f.deposit_accounts == 2
    assert f.deposit_balance == Decimal("10000.00")
    # 月日均 of June, May and April: (6000 + 1000) + 5000 + 4000 over 3 months
    assert f.deposit_avg_3m == Decimal("5333.33")
    # against the balance of the last file on or before 2026-03-30, i.e. February's: none, 0
    assert f.deposit_change_3m == Decimal("10000.00")
    e = row(empty)
    assert (e.deposit_accounts, e.deposit_balance, e.deposit_avg_3m) == (0, 0, 0)


def test_deposit_change_reads_three_months_back(books):
    c = books.customer()
    books.deposits(c, {datetime.date(2026, 3, 30): "4000", M[6]: "2500"})
    build()
    assert row(c).deposit_change_3m == Decimal("-1500.00")


def test_average_counts_a_month_without_the_customer_as_zero_and_skips_months_without_files(books):
    c = books.customer()
    other = books.customer()
    books.deposits(other, {M[5]: "1", M[6]: "1"})  # May and June have files; April none at all
    books.deposits(c, {M[6]: "3000"})  # c: only June
    build()
    assert row(c).deposit_avg_3m == Decimal("1500.00")  # (3000 + 0) / 2 months with files


def test_zero_balance_account_is_not_counted(books):
    c = books.customer()
    books.deposits(c, {M[6]: "0"})
    build()
    assert row(c).deposit_accounts == 0


def test_loans_open_overdue_and_maturity(books):
    c = books.customer()
    books.loan(c, balance="30000", maturity_date=datetime.date(2026, 8, 29))
    books.loan(
        c,
        balance="20000",
        status="overdue",
        overdue_days=45,
        overdue_principal="1500",
        overdue_interest="120.5",
        is_restructured=True,
    )
    books.loan(
        c,
        snapshots={D: {"balance": Decimal("0"), "status": "cleared"}},
        balance="0",
        status="cleared",
        cleared_on=datetime.date(2026, 2, 10),
    )
    build()
    f = row(c)
    assert (f.loan_count, f.loan_balance) == (2, Decimal("50000.00"))
    assert (f.overdue_loans, f.max_overdue_days, f.overdue_amount) == (1, 45, Decimal("1620.50"))
    assert f.restructured_loans == 1
    assert f.nearest_maturity == datetime.date(2026, 8, 29)
    assert f.days_to_maturity == 60
    assert f.ever_borrowed is True
    assert f.last_cleared_on == datetime.date(2026, 2, 10)
    assert f.days_since_cleared == 140


def test_churned_customer_cleared_everything(books):
    c = books.customer()
    books.loan(
        c,
        snapshots={D: {"balance": Decimal("0"), "status": "cleared"}},
        balance="0",
        status="cleared",
        cleared_on=datetime.date(2026, 4, 1),
    )
    never = books.customer()
    build()
    f = row(c)
    assert (f.loan_count, f.loan_balance, f.ever_borrowed, f.days_since_cleared) == (0, 0, True, 90)
    n = row(never)
    assert (n.ever_borrowed, n.last_cleared_on, n.days_since_cleared, n.nearest_maturity) == (
        False,
        None,
        None,
        None,
    )


def test_loans_read_the_latest_loan_file_on_or_before_the_date(books):
    c = books.customer()
    books.loan(
        c,
        snapshots={M[5]: {"balance": Decimal("5000")}, datetime.date(2026, 7, 31): {"balance": Decimal("9")}},
    )
    build()
    assert row(c).loan_balance == Decimal("5000.00")


def test_loan_disbursed_after_the_date_does_not_count(books):
    c = books.customer()
    books.loan(c, snapshots={}, disbursed_on=datetime.date(2026, 7, 5))
    build()
    assert row(c).ever_borrowed is False


def test_credit_lines_utilization_and_unused_days(books):
    used = books.customer()
    books.line(used, limit="100000", used="85000")
    unused = books.customer()
    books.line(unused, limit="50000", used="0", start=datetime.date(2026, 4, 1))
    books.line(unused, limit="50000", used="0", start=datetime.date(2026, 5, 1))
    stale = books.customer()
    books.line(stale, end=datetime.date(2026, 6, 29))  # expired the day before
    books.line(stale, start=datetime.date(2026, 7, 1))  # not started yet
    books.line(stale, status="frozen")
    build()
    u = row(used)
    assert (u.credit_limit, u.credit_used, u.utilization) == (
        Decimal("100000.00"),
        Decimal("85000.00"),
        Decimal("0.8500"),
    )
    assert (u.unused_line_since, u.unused_line_days) == (None, None)
    n = row(unused)
    assert (n.credit_limit, n.utilization) == (Decimal("100000.00"), Decimal("0.0000"))
    assert (n.unused_line_since, n.unused_line_days) == (datetime.date(2026, 4, 1), 90)
    s = row(stale)
    assert (s.credit_limit, s.utilization, s.unused_line_days) == (0, None, None)


def test_bureau_only_within_a_marketing_authorisation(books):
    ok = books.customer()
    books.bureau(ok, report_date=datetime.date(2026, 1, 5), balance="80000", institutions=1)
    books.bureau(
        ok, report_date=datetime.date(2026, 5, 5), balance="120000", institutions=2, max_overdue_periods_24m=1
    )
    books.bureau(ok, report_date=datetime.date(2026, 7, 5), balance="999999")  # after the date
    expired = books.customer()
    books.bureau(
        expired, report_date=datetime.date(2026, 1, 5), balance="1", expires=datetime.date(2026, 6, 29)
    )
    wrong = books.customer()
    books.bureau(wrong, report_date=datetime.date(2026, 5, 5), balance="1", purpose="loan_review")
    future = books.customer()
    books.bureau(
        future, report_date=datetime.date(2026, 5, 5), balance="1", authorized=datetime.date(2026, 7, 1)
    )
    build()
    f = row(ok)
    assert f.bureau_usable is True
    assert f.bureau_report_date == datetime.date(2026, 5, 5)
    assert (f.other_bank_institutions, f.other_bank_balance, f.bureau_max_overdue_24m) == (
        2,
        Decimal("120000.00"),
        1,
    )
    for c in (expired, wrong, future):
        r = row(c)
        assert (r.bureau_usable, r.other_bank_balance, r.bureau_report_date) == (False, None, None)


def test_transactions_three_and_twelve_month_windows(books):
    c = books.customer()
    books.txn(
        c,
        datetime.date(2026, 6, 1),
        credits=10000,
        debits=6000,
        payroll_amount=5000,
        acquiring_amount=40000,
        out_of_county_amount=12000,
        subsidy_amount=300,
    )
    books.txn(
        c,
        datetime.date(2026, 5, 1),
        credits=8000,
        debits=2000,
        payroll_amount=5000,
        acquiring_amount=20000,
        out_of_county_amount=0,
    )
    books.txn(c, datetime.date(2026, 3, 1), credits=999, subsidy_amount=700)  # outside the 3 months
    books.txn(c, datetime.date(2025, 7, 1), subsidy_amount=1000)  # 12th month back: inside
    books.txn(c, datetime.date(2025, 6, 1), subsidy_amount=5000)  # 13th: outside
    books.txn(c, datetime.date(2026, 7, 1), credits=77777)  # after the date
    build()
    f = row(c)
    assert f.txn_months_3m == 2
    assert (f.credits_3m, f.debits_3m) == (Decimal("18000.00"), Decimal("8000.00"))
    assert (f.payroll_months_3m, f.payroll_amount_3m) == (2, Decimal("10000.00"))
    assert f.subsidy_amount_12m == Decimal("2000.00")
    assert f.acquiring_avg_3m == Decimal("20000.00")  # 60,000 over 3 months
    assert f.out_of_county_share_3m == Decimal("0.4615")  # 12,000 / 26,000


def test_no_flow_gives_no_share(books):
    c = books.customer()
    build()
    f = row(c)
    assert (f.txn_months_3m, f.out_of_county_share_3m, f.acquiring_avg_3m) == (0, None, 0)


def test_profile_columns_age_and_refusal(books, bank):
    c = books.customer(
        birth_date=datetime.date(1990, 7, 1),
        refused_marketing=True,
        industry="A014",
        has_social_security_card=True,
        segment="salaried",
    )
    b = books.customer(birth_date=datetime.date(1990, 6, 30))
    firm = books.customer(customer_type="enterprise")
    build()
    f = row(c)
    assert (f.age, f.refused_marketing, f.industry, f.has_social_security_card, f.segment) == (
        35,
        True,
        "A014",
        True,
        "salaried",
    )
    assert (f.org_id, f.grid_id) == (c.org_id, c.grid_id)
    assert row(b).age == 36
    assert row(firm).age is None


def test_only_customers_that_existed_on_the_date(books):
    closed = books.customer(status="closed", closed_at=datetime.date(2026, 6, 30))
    later = books.customer(first_seen=datetime.date(2026, 7, 31))
    closed_after = books.customer(status="closed", closed_at=datetime.date(2026, 7, 31))
    build()
    assert not CustomerFeature.objects.filter(customer__in=[closed, later]).exists()
    assert CustomerFeature.objects.filter(customer=closed_after).exists()


def test_rebuild_is_idempotent_and_records_its_sources(books):
    c = books.customer()
    books.deposits(c, {M[6]: "100"})
    first = build()
    before = list(CustomerFeature.objects.values())
    second = build()
    assert first.rows == second.rows == 1
    after = list(CustomerFeature.objects.values())
    for r in before + after:
        r.pop("id")
    assert before == after
    b = FeatureBuild.objects.get(data_date=D)
    assert b.rows == 1
    assert b.sources["core_deposit"] == "2026-06-30"
    assert b.sources["credit_loan"] is None


def test_retention_keeps_recent_dates_and_month_ends(books):
    books.customer()
    days = [datetime.date(2026, 4, 1) + datetime.timedelta(days=i) for i in range(91)]  # Apr 1 .. Jun 30
    for day in days:
        build(day)
    kept = set(FeatureBuild.objects.values_list("data_date", flat=True))
    assert kept == set(days[-35:]) | {datetime.date(2026, 4, 30), datetime.date(2026, 5, 31)}
    assert set(CustomerFeature.objects.values_list("data_date", flat=True)) == kept


def test_retained_keeps_the_last_data_date_of_a_month_even_when_not_its_last_day():
    dates = [datetime.date(2026, 1, 29), datetime.date(2026, 1, 30)] + [
        datetime.date(2026, 3, 1) + datetime.timedelta(days=i) for i in range(40)
    ]
    kept = services.retained(dates)
    assert datetime.date(2026, 1, 30) in kept
    assert datetime.date(2026, 1, 29) not in kept
