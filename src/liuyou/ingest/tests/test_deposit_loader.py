"""The core_deposit extract: accounts by 账号 with their latest figures, one balance row per
data date, full-file closing and reopening, older files filling history only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from liuyou.customers.models import CustomerAlias, DepositAccount, DepositBalance
from liuyou.system.models import OperationLog

from .helpers import read_rejects, run, write_csv

pytestmark = pytest.mark.django_db
HEADER = ["账号", "客户号", "产品类型", "开户日期", "到期日期", "余额", "月日均余额", "账户状态", "数据日期"]


def deposit_file(tmp_path, rows, day="20250131"):
    return write_csv(tmp_path / f"core_deposit_{day}.csv", HEADER, rows)


def a1(balance="1,000.50", day="2025-01-31", status="正常"):
    return ["6230001", "C1", "活期", "2020-05-01", "", balance, "900", status, day]


def a2():
    return ["6230002", "C2", "定期", "2024/1/1", "20260101", "50000", "50000", "", ""]


@pytest.fixture
def customers(make_customer):
    return make_customer("C1"), make_customer("C2", name="李四")


def balances(no):
    return list(
        DepositBalance.objects.filter(account__account_no=no)
        .order_by("data_date")
        .values_list("data_date", "balance", "monthly_avg_balance")
    )


def test_load_reload_new_date_close_and_reopen(tmp_path, customers):
    c1, c2 = customers
    r = run("core_deposit", deposit_file(tmp_path, [a1(), a2()]))
    assert (r.status, r.read, r.inserted, r.updated, r.unchanged, r.rejected) == ("completed", 2, 2, 0, 0, 0)
    acc = DepositAccount.objects.get(account_no="6230001")
    assert (acc.customer_id, acc.product_type, acc.status, acc.open_date, acc.maturity_date) == (
        c1.pk,
        "demand",
        "normal",
        date(2020, 5, 1),
        None,
    )
    assert (acc.balance, acc.monthly_avg_balance, acc.data_date) == (
        Decimal("1000.50"),
        Decimal("900.00"),
        date(2025, 1, 31),
    )
    assert (acc.first_seen, acc.last_seen, acc.closed_at) == (date(2025, 1, 31), date(2025, 1, 31), None)
    time = DepositAccount.objects.get(account_no="6230002")
    assert (time.customer_id, time.product_type, time.status, time.maturity_date) == (
        c2.pk,
        "time",
        "normal",  # 账户状态 empty: the model default
        date(2026, 1, 1),
    )
    assert balances("6230001") == [(date(2025, 1, 31), Decimal("1000.50"), Decimal("900.00"))]

    again = run("core_deposit", deposit_file(tmp_path, [a1(), a2()]))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert DepositBalance.objects.count() == 2

    # A new data date: a new balance row for every account, so every row is updated.
    feb = run("core_deposit", deposit_file(tmp_path, [a1("1200", "2025-02-28"), a2()], "20250228"))
    assert (feb.inserted, feb.updated, feb.unchanged, feb.closed) == (0, 2, 0, 0)
    acc.refresh_from_db()
    assert (acc.balance, acc.data_date, acc.last_seen, acc.first_seen) == (
        Decimal("1200.00"),
        date(2025, 2, 28),
        date(2025, 2, 28),
        date(2025, 1, 31),
    )
    assert [b[:2] for b in balances("6230001")] == [
        (date(2025, 1, 31), Decimal("1000.50")),
        (date(2025, 2, 28), Decimal("1200.00")),
    ]

    mar = run("core_deposit", deposit_file(tmp_path, [a1("1200", "2025-03-31")], "20250331"))
    assert (mar.updated, mar.closed) == (1, 1)
    time.refresh_from_db()
    assert (time.status, time.closed_at, time.last_seen) == ("closed", date(2025, 3, 31), date(2025, 2, 28))
    assert len(balances("6230002")) == 2  # closed, not deleted

    apr = run("core_deposit", deposit_file(tmp_path, [a1("1200", "2025-04-30"), a2()], "20250430"))
    assert (apr.updated, apr.closed) == (2, 0)
    time.refresh_from_db()
    assert (time.status, time.closed_at, time.last_seen) == ("normal", None, date(2025, 4, 30))


def test_every_rejection_has_its_reason(tmp_path, customers):
    rows = [
        ["6230009", "C404", "活期", "", "", "1", "1", "正常", ""],
        ["6230003", "C1", "活期", "", "", "1", "1", "挂失", ""],
        ["6230004", "C1", "", "", "", "1", "1", "", ""],
        ["6230005", "C1", "活期", "", "", "1", "1", "", "2025-01-30"],
        ["6230006", "C1", "活期", "", "", "", "", "销户", "2025-01-31"],
    ]
    r = run("core_deposit", deposit_file(tmp_path, rows))
    assert (r.read, r.inserted, r.rejected) == (5, 1, 4)
    _, lines = read_rejects(r.reject_file)
    reasons = {line[0]: (line[-2], line[-1]) for line in lines[1:]}
    assert reasons["6230009"] == ("客户号", "客户号：客户号 C404 不存在")
    assert reasons["6230003"] == ("账户状态", "账户状态：挂失 无法识别，取值应为 正常、冻结、久悬、销户")
    assert reasons["6230004"] == ("产品类型", "产品类型：产品类型为空")
    assert reasons["6230005"][0] == "数据日期"
    assert "数据日期与文件数据日期不一致" in reasons["6230005"][1]
    closed = DepositAccount.objects.get(account_no="6230006")
    assert (closed.status, closed.balance, closed.monthly_avg_balance) == (
        "closed",
        Decimal("0"),
        Decimal("0"),
    )
    assert DepositAccount.objects.count() == 1 and DepositBalance.objects.count() == 1


def test_a_rejected_row_does_not_close_its_account(tmp_path, customers):
    run("core_deposit", deposit_file(tmp_path, [a1(), a2()]))
    bad = a2()
    bad[7] = "挂失"
    r = run("core_deposit", deposit_file(tmp_path, [a1("1", "2025-02-28"), bad], "20250228"))
    assert (r.updated, r.rejected, r.closed) == (1, 1, 0)
    assert DepositAccount.objects.get(account_no="6230002").closed_at is None


def test_customer_change_and_alias(tmp_path, customers):
    c1, c2 = customers
    CustomerAlias.objects.create(
        alias_no="C1-OLD", customer=c1, source="core_customer", data_date=date(2025, 1, 1)
    )
    first = a1()
    first[1] = "C1-OLD"  # an alias lands on its customer
    run("core_deposit", deposit_file(tmp_path, [first]))
    assert DepositAccount.objects.get(account_no="6230001").customer_id == c1.pk
    moved = a1()
    moved[1] = "C2"
    r = run("core_deposit", deposit_file(tmp_path, [moved]))
    assert (r.updated, r.unchanged) == (1, 0)
    assert DepositAccount.objects.get(account_no="6230001").customer_id == c2.pk
    entry = OperationLog.objects.filter(action="ingest.run").latest("seq")
    assert entry.after["customer_changed"] == 1


def test_an_older_file_fills_history_only(tmp_path, customers):
    run("core_deposit", deposit_file(tmp_path, [a1("1000", "2025-02-28")], "20250228"))
    run("core_deposit", deposit_file(tmp_path, [a1("1000", "2025-03-31")], "20250331"))
    acc = DepositAccount.objects.get(account_no="6230001")
    old = a1("700", "2025-01-31", status="冻结")
    r = run("core_deposit", deposit_file(tmp_path, [old, a2()], "20250131"))
    assert (r.status, r.inserted, r.updated, r.unchanged, r.closed) == ("completed", 1, 1, 0, 0)
    acc.refresh_from_db()
    # The current columns stay those of 2025-03-31; only first_seen moves back.
    assert (acc.balance, acc.status, acc.data_date, acc.last_seen) == (
        Decimal("1000.00"),
        "normal",
        date(2025, 3, 31),
        date(2025, 3, 31),
    )
    assert acc.first_seen == date(2025, 1, 31)
    assert [b[:2] for b in balances("6230001")] == [
        (date(2025, 1, 31), Decimal("700.00")),
        (date(2025, 2, 28), Decimal("1000.00")),
        (date(2025, 3, 31), Decimal("1000.00")),
    ]
    # An account no loaded file had: created closed, as of the first later file.
    gone = DepositAccount.objects.get(account_no="6230002")
    assert (gone.status, gone.first_seen, gone.last_seen, gone.closed_at) == (
        "closed",
        date(2025, 1, 31),
        date(2025, 1, 31),
        date(2025, 2, 28),
    )
    assert balances("6230002") == [(date(2025, 1, 31), Decimal("50000.00"), Decimal("50000.00"))]

    again = run("core_deposit", deposit_file(tmp_path, [old, a2()], "20250131"))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert DepositBalance.objects.count() == 4
