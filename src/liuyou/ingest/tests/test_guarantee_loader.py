"""The guarantee extract: guarantees by 借据号 + 担保人客户号, loan and guarantor checked,
full-file closing and reopening; an older file changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from liuyou.customers.models import CustomerAlias, Guarantee, Loan

from .helpers import read_rejects, run, write_csv

pytestmark = pytest.mark.django_db
HEADER = ["借据号", "担保人客户号", "担保类型", "担保金额"]
D = date(2025, 1, 1)


def guarantee_file(tmp_path, rows, day="20250131"):
    return write_csv(tmp_path / f"guarantee_{day}.csv", HEADER, rows)


@pytest.fixture
def book(bank, make_customer):
    borrower, g1, g2 = make_customer("C1"), make_customer("G1", name="王五"), make_customer("G2", name="赵六")
    loan = Loan.objects.create(
        loan_no="JJ001",
        customer=borrower,
        disbursed_on=D,
        maturity_date=date(2026, 1, 1),
        amount=Decimal("100000"),
        guarantee_type="guaranty",
        handling_org=bank.o1,
        balance=Decimal("100000"),
        status="normal",
        data_date=D,
        first_seen=D,
        last_seen=D,
    )
    return loan, borrower, g1, g2


def rows():
    return [["JJ001", "G1", "保证", "100,000"], ["JJ001", "C1", "抵押", "150000.5"]]


def test_load_reload_update_close_and_reopen(tmp_path, book):
    loan, borrower, g1, _ = book
    r = run("guarantee", guarantee_file(tmp_path, rows()))
    assert (r.status, r.read, r.inserted, r.updated, r.unchanged, r.rejected) == ("completed", 2, 2, 0, 0, 0)
    got = {
        (g.guarantor_id, g.guarantee_type, g.amount, g.first_seen)
        for g in Guarantee.objects.filter(loan=loan)
    }
    assert got == {
        (g1.pk, "guaranty", Decimal("100000.00"), date(2025, 1, 31)),
        (borrower.pk, "mortgage", Decimal("150000.50"), date(2025, 1, 31)),
    }

    again = run("guarantee", guarantee_file(tmp_path, rows(), "20250228"))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)

    changed = [["JJ001", "G1", "保证", "80000"]]
    mar = run("guarantee", guarantee_file(tmp_path, changed, "20250331"))
    assert (mar.updated, mar.closed) == (1, 1)
    pledge = Guarantee.objects.get(guarantor=borrower)
    assert pledge.closed_at == date(2025, 3, 31)
    assert Guarantee.objects.get(guarantor=g1).amount == Decimal("80000.00")

    apr = run("guarantee", guarantee_file(tmp_path, rows(), "20250430"))
    assert (apr.updated, apr.closed) == (2, 0)
    pledge.refresh_from_db()
    assert pledge.closed_at is None


def test_every_rejection_has_its_reason(tmp_path, book):
    bad = [
        ["JJ404", "G1", "保证", "1"],
        ["JJ001", "G404", "保证", "1"],
        ["JJ001", "G1", "", ""],
        ["JJ001", "G2", "留置", "1"],
    ]
    r = run("guarantee", guarantee_file(tmp_path, bad))
    assert (r.read, r.inserted, r.rejected) == (4, 0, 4)
    _, lines = read_rejects(r.reject_file)
    reasons = {(line[0], line[1]): (line[-2], line[-1]) for line in lines[1:]}
    assert reasons[("JJ404", "G1")] == ("借据号", "借据号：借据号 JJ404 不存在")
    assert reasons[("JJ001", "G404")] == ("担保人客户号", "担保人客户号：担保人客户号 G404 不存在")
    assert reasons[("JJ001", "G1")] == (
        "担保类型；担保金额",
        "担保类型：担保类型为空；担保金额：担保金额为空",
    )
    assert reasons[("JJ001", "G2")] == (
        "担保类型",
        "担保类型：留置 无法识别，取值应为 信用、保证、抵押、质押",
    )


def test_rejected_rows_and_aliases(tmp_path, book):
    _, _, g1, g2 = book
    CustomerAlias.objects.create(alias_no="G1-OLD", customer=g1, source="core_customer", data_date=D)
    run("guarantee", guarantee_file(tmp_path, rows()))
    later = [
        ["JJ001", "G1-OLD", "保证", "100000"],  # the same guarantor by an alias: unchanged
        ["JJ001", "C1", "抵押", "abc"],  # rejected for its amount: the guarantee is not closed
        ["JJ001", "G1", "保证", "1"],  # the alias's customer again: a duplicate
        ["JJ001", "G2", "保证", "5000"],
    ]
    r = run("guarantee", guarantee_file(tmp_path, later, "20250228"))
    assert (r.read, r.inserted, r.unchanged, r.rejected, r.closed) == (4, 1, 1, 2, 0)
    assert Guarantee.objects.filter(closed_at__isnull=True).count() == 3
    assert Guarantee.objects.get(guarantor=g1).amount == Decimal("100000.00")
    _, lines = read_rejects(r.reject_file)
    assert "客户号别名" in lines[2][-1]


def test_an_older_file_changes_nothing(tmp_path, book):
    run("guarantee", guarantee_file(tmp_path, rows()[:1], "20250228"))
    r = run(
        "guarantee",
        guarantee_file(tmp_path, [["JJ001", "G1", "保证", "1"], ["JJ001", "G2", "保证", "1"]], "20250131"),
    )
    assert (r.status, r.inserted, r.updated, r.unchanged, r.closed) == ("completed", 0, 0, 2, 0)
    assert Guarantee.objects.get().amount == Decimal("100000.00")
