"""The txn_monthly extract: one row per customer and month, corrections by later files, no
month after the data date; an older file adds months but never overwrites."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from liuyou.customers.models import TxnMonthly
from liuyou.system.models import OperationLog

from .helpers import read_rejects, run, write_csv

pytestmark = pytest.mark.django_db
HEADER = [
    "客户号",
    "月份",
    "入账金额",
    "出账金额",
    "代发工资金额",
    "惠农补贴金额",
    "收单交易额",
    "县外交易金额",
    "交易笔数",
]


def txn_file(tmp_path, rows, day="20250331"):
    return write_csv(tmp_path / f"txn_monthly_{day}.csv", HEADER, rows)


def month(no="C1", m="2025-03", credits="12,345.67", count="42"):
    return [no, m, credits, "8000", "5000", "", "1200.5", "300", count]


@pytest.fixture
def customers(make_customer):
    return make_customer("C1"), make_customer("C2", name="李四")


def figures(customer):
    return list(
        TxnMonthly.objects.filter(customer=customer)
        .order_by("month")
        .values_list("month", "credits", "debits", "payroll_amount", "subsidy_amount", "txn_count")
    )


def test_load_reload_and_correct(tmp_path, customers):
    c1, c2 = customers
    rows = [month(), month(m="2025-02", credits="100"), month("C2", m="202503", count="")]
    r = run("txn_monthly", txn_file(tmp_path, rows))
    assert (r.status, r.read, r.inserted, r.updated, r.unchanged, r.rejected) == ("completed", 3, 3, 0, 0, 0)
    assert figures(c1) == [
        (date(2025, 2, 1), Decimal("100.00"), Decimal("8000.00"), Decimal("5000.00"), Decimal("0"), 42),
        (date(2025, 3, 1), Decimal("12345.67"), Decimal("8000.00"), Decimal("5000.00"), Decimal("0"), 42),
    ]
    assert figures(c2)[0][-1] == 0  # 交易笔数 empty: the model default
    assert TxnMonthly.objects.get(customer=c1, month=date(2025, 3, 1)).acquiring_amount == Decimal("1200.50")

    again = run("txn_monthly", txn_file(tmp_path, rows))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)

    # The next file corrects March and adds April; nothing is closed.
    april = [month(credits="12000"), month(m="2025-04")]
    r2 = run("txn_monthly", txn_file(tmp_path, april, "20250430"))
    assert (r2.inserted, r2.updated, r2.unchanged, r2.closed) == (1, 1, 0, 0)
    assert [f[:2] for f in figures(c1)] == [
        (date(2025, 2, 1), Decimal("100.00")),
        (date(2025, 3, 1), Decimal("12000.00")),
        (date(2025, 4, 1), Decimal("12345.67")),
    ]
    assert TxnMonthly.objects.filter(customer=c2).count() == 1


def test_every_rejection_has_its_reason(tmp_path, customers):
    rows = [month("C404"), month(m="2025-04"), month(m="2025-01", count="-2")]
    r = run("txn_monthly", txn_file(tmp_path, rows))
    assert (r.read, r.inserted, r.rejected) == (3, 0, 3)
    _, lines = read_rejects(r.reject_file)
    reasons = [(line[-2], line[-1]) for line in lines[1:]]
    assert reasons[0] == ("客户号", "客户号：客户号 C404 不存在")
    assert reasons[1] == ("月份", "月份：月份晚于数据日期")
    assert reasons[2][0] == "交易笔数"
    assert TxnMonthly.objects.count() == 0


def test_an_older_file_adds_months_but_never_overwrites(tmp_path, customers):
    c1, _ = customers
    run("txn_monthly", txn_file(tmp_path, [month(credits="500")], "20250430"))
    older = [month(credits="999"), month(m="2025-02", credits="200")]
    r = run("txn_monthly", txn_file(tmp_path, older, "20250331"))
    assert (r.status, r.inserted, r.updated, r.unchanged) == ("completed", 1, 0, 1)
    assert [f[:2] for f in figures(c1)] == [
        (date(2025, 2, 1), Decimal("200.00")),
        (date(2025, 3, 1), Decimal("500.00")),
    ]
    entry = OperationLog.objects.filter(action="ingest.run").latest("seq")
    assert entry.after["newer_kept"] == 1


def test_many_rows_in_batches(tmp_path, bank):
    from liuyou.customers.models import Customer

    Customer.objects.bulk_create(
        Customer(customer_no=f"K{i:05d}", name="客户", customer_type="individual", org=bank.o1)
        for i in range(4500)
    )
    rows = [month(f"K{i:05d}", m=("2025-03", "2025-02")[i % 2], count=str(i)) for i in range(4500)]
    r = run("txn_monthly", txn_file(tmp_path, rows))
    assert (r.read, r.inserted) == (4500, 4500)
    assert TxnMonthly.objects.get(customer__customer_no="K04499").txn_count == 4499
    rows[7][2] = "1"
    again = run("txn_monthly", txn_file(tmp_path, rows))
    assert (again.updated, again.unchanged) == (1, 4499)
