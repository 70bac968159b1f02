"""The credit_line extract: lines by 授信编号, checks a credit system's errors, full-file closing
and reopening; an older file changes nothing (the source keeps no history)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from liuyou.customers.models import CreditLine

from .helpers import read_rejects, run, write_csv

pytestmark = pytest.mark.django_db
HEADER = ["授信编号", "客户号", "授信额度", "已用额度", "起始日期", "到期日期", "状态"]


def line_file(tmp_path, rows, day="20250131"):
    return write_csv(tmp_path / f"credit_line_{day}.csv", HEADER, rows)


def l1(used="20,000"):
    return ["SX001", "C1", "100000", used, "2024-01-01", "2027-01-01", "有效"]


def l2():
    return ["SX002", "C2", "50000", "", "2023-06-01", "2025-06-01", "冻结"]


@pytest.fixture
def customers(make_customer):
    return make_customer("C1"), make_customer("C2", name="李四")


def test_load_reload_update_close_and_reopen(tmp_path, customers):
    c1, _ = customers
    r = run("credit_line", line_file(tmp_path, [l1(), l2()]))
    assert (r.status, r.read, r.inserted, r.updated, r.unchanged, r.rejected) == ("completed", 2, 2, 0, 0, 0)
    one = CreditLine.objects.get(line_no="SX001")
    assert (one.customer_id, one.credit_limit, one.used_amount, one.start_date, one.end_date, one.status) == (
        c1.pk,
        Decimal("100000.00"),
        Decimal("20000.00"),
        date(2024, 1, 1),
        date(2027, 1, 1),
        "active",
    )
    two = CreditLine.objects.get(line_no="SX002")
    assert (two.used_amount, two.status) == (Decimal("0"), "frozen")

    again = run("credit_line", line_file(tmp_path, [l1(), l2()], "20250228"))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    one.refresh_from_db()
    assert one.last_seen == date(2025, 2, 28)

    mar = run("credit_line", line_file(tmp_path, [l1("30000")], "20250331"))
    assert (mar.updated, mar.closed) == (1, 1)
    two.refresh_from_db()
    assert two.closed_at == date(2025, 3, 31)
    assert CreditLine.objects.get(line_no="SX001").used_amount == Decimal("30000.00")

    apr = run("credit_line", line_file(tmp_path, [l1("30000"), l2()], "20250430"))
    assert (apr.updated, apr.unchanged) == (1, 1)
    two.refresh_from_db()
    assert two.closed_at is None


def test_every_rejection_has_its_reason(tmp_path, customers):
    rows = [
        ["SX010", "C404", "1000", "0", "2024-01-01", "2025-01-01", "有效"],
        ["SX011", "C1", "1000", "1000.01", "2024-01-01", "2025-01-01", "有效"],
        ["SX012", "C1", "", "0", "", "", ""],
        ["SX013", "C1", "1000", "0", "2024-01-01", "2025-01-01", "暂停"],
        ["SX014", "C1", "1000", "0", "2025-01-01", "2024-01-01", "有效"],
    ]
    r = run("credit_line", line_file(tmp_path, rows))
    assert (r.read, r.inserted, r.rejected) == (5, 0, 5)
    _, lines = read_rejects(r.reject_file)
    reasons = {line[0]: (line[-2], line[-1]) for line in lines[1:]}
    assert reasons["SX010"] == ("客户号", "客户号：客户号 C404 不存在")
    assert reasons["SX011"] == ("已用额度", "已用额度：已用额度超过授信额度")
    assert reasons["SX012"] == (
        "授信额度；起始日期；到期日期；状态",
        "授信额度：授信额度为空；起始日期：起始日期为空；到期日期：到期日期为空；状态：状态为空",
    )
    assert reasons["SX013"] == ("状态", "状态：暂停 无法识别，取值应为 有效、冻结、到期、终止")
    assert reasons["SX014"] == ("到期日期", "到期日期：到期日期早于起始日期")


def test_a_rejected_row_does_not_close_its_line(tmp_path, customers):
    run("credit_line", line_file(tmp_path, [l1(), l2()]))
    bad = l2()
    bad[3] = "99999999"
    r = run("credit_line", line_file(tmp_path, [l1(), bad], "20250228"))
    assert (r.unchanged, r.rejected, r.closed) == (1, 1, 0)
    assert CreditLine.objects.get(line_no="SX002").closed_at is None


def test_an_older_file_changes_nothing(tmp_path, customers):
    run("credit_line", line_file(tmp_path, [l1()], "20250228"))
    older = [l1("90000"), l2(), ["SX404", "C404", "1", "0", "2024-01-01", "2025-01-01", "有效"]]
    r = run("credit_line", line_file(tmp_path, older, "20250131"))
    assert (r.status, r.inserted, r.updated, r.unchanged, r.rejected, r.closed) == (
        "completed",
        0,
        0,
        2,
        1,
        0,
    )
    assert CreditLine.objects.get().used_amount == Decimal("20000.00")
    assert CreditLine.objects.get().last_seen == date(2025, 2, 28)
