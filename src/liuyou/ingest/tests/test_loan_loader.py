"""The credit_loan extract: loans by 借据号 with their latest figures, one snapshot per data
date, reference checks, full-file closing and reopening, older files filling history only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from liuyou.customers.models import LOAN_FIGURES, Loan, LoanSnapshot
from liuyou.system.models import OperationLog

from .helpers import read_rejects, run, write_csv

pytestmark = pytest.mark.django_db
BASE = [
    "借据号",
    "合同号",
    "客户号",
    "产品代码",
    "发放日期",
    "到期日期",
    "发放金额",
    "贷款余额",
    "执行利率",
    "担保方式",
    "还款方式",
    "贷款用途",
    "行业代码",
    "是否零售",
    "逾期天数",
    "逾期本金",
    "欠息",
    "是否重组",
    "重组日期",
    "是否借新还旧",
    "是否信用减值",
    "预期信用损失",
    "债务人破产清算",
    "逃废债",
    "结清日期",
    "借据状态",
    "主办客户经理工号",
    "经办机构号",
    "数据日期",
]
OPTIONAL = ["技术性逾期", "重组后首次还款日", "擅自改变用途", "无还本续贷"]


def loan(no="JJ001", **cells):
    row = {
        "借据号": no,
        "合同号": "HT001",
        "客户号": "C1",
        "产品代码": "NH01",
        "发放日期": "2024-03-01",
        "到期日期": "2026-03-01",
        "发放金额": "100,000",
        "贷款余额": "80000",
        "执行利率": "4.35",
        "担保方式": "保证",
        "还款方式": "等额本息",
        "贷款用途": "购买化肥",
        "行业代码": "A0111",
        "是否零售": "是",
        "逾期天数": "0",
        "逾期本金": "",
        "欠息": "",
        "是否重组": "否",
        "重组日期": "",
        "是否借新还旧": "否",
        "是否信用减值": "否",
        "预期信用损失": "",
        "债务人破产清算": "否",
        "逃废债": "否",
        "结清日期": "",
        "借据状态": "正常",
        "主办客户经理工号": "M01",
        "经办机构号": "101",
        "数据日期": "",
        "技术性逾期": "否",
        "重组后首次还款日": "",
        "擅自改变用途": "否",
        "无还本续贷": "",
    }
    row.update(cells)
    return row


def loan_file(tmp_path, loans, day="20250131", header=None):
    header = header or BASE + OPTIONAL
    return write_csv(tmp_path / f"credit_loan_{day}.csv", header, [[r[h] for h in header] for r in loans])


@pytest.fixture
def parties(bank, make_customer, make_user):
    return make_customer("C1"), make_customer("C2", name="李四"), make_user("M01", org=bank.o1)


def test_load_reload_new_date_close_and_reopen(tmp_path, bank, parties):
    c1, _, manager = parties
    r = run("credit_loan", loan_file(tmp_path, [loan(), loan("JJ002", 客户号="C2", 主办客户经理工号="")]))
    assert (r.status, r.read, r.inserted, r.updated, r.unchanged, r.rejected) == ("completed", 2, 2, 0, 0, 0)
    one = Loan.objects.get(loan_no="JJ001")
    assert (one.customer_id, one.handling_org_id, one.manager_id, one.contract_no, one.product_code) == (
        c1.pk,
        bank.o1.pk,
        manager.pk,
        "HT001",
        "NH01",
    )
    assert (one.disbursed_on, one.maturity_date, one.amount, one.rate, one.guarantee_type) == (
        date(2024, 3, 1),
        date(2026, 3, 1),
        Decimal("100000.00"),
        Decimal("4.3500"),
        "guaranty",
    )
    assert (one.balance, one.overdue_principal, one.expected_credit_loss, one.status, one.is_retail) == (
        Decimal("80000.00"),
        Decimal("0"),
        None,  # nullable: empty means the source did not say
        "normal",
        True,
    )
    assert (one.technical_overdue, one.unauthorized_use, one.renewal_without_repayment) == (
        False,
        False,
        None,
    )
    assert (one.first_seen, one.data_date) == (date(2025, 1, 31), date(2025, 1, 31))
    assert Loan.objects.get(loan_no="JJ002").manager_id is None
    snap = LoanSnapshot.objects.get(loan=one)
    assert all(getattr(snap, f) == getattr(one, f) for f in LOAN_FIGURES)

    again = run("credit_loan", loan_file(tmp_path, [loan(), loan("JJ002", 客户号="C2", 主办客户经理工号="")]))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)

    feb = [
        loan(贷款余额="75000", 逾期天数="12", 逾期本金="1,000.00", 借据状态="逾期", 数据日期="2025-02-28"),
        loan("JJ002", 客户号="C2", 主办客户经理工号=""),
    ]
    r2 = run("credit_loan", loan_file(tmp_path, feb, "20250228"))
    assert (r2.inserted, r2.updated, r2.unchanged) == (0, 2, 0)
    one.refresh_from_db()
    assert (one.balance, one.overdue_days, one.overdue_principal, one.status, one.data_date) == (
        Decimal("75000.00"),
        12,
        Decimal("1000.00"),
        "overdue",
        date(2025, 2, 28),
    )
    assert list(
        LoanSnapshot.objects.filter(loan=one).order_by("data_date").values_list("data_date", "balance")
    ) == [
        (date(2025, 1, 31), Decimal("80000.00")),
        (date(2025, 2, 28), Decimal("75000.00")),
    ]

    mar = run("credit_loan", loan_file(tmp_path, [loan()], "20250331"))
    assert (mar.updated, mar.closed) == (1, 1)
    two = Loan.objects.get(loan_no="JJ002")
    assert (two.closed_at, two.status) == (date(2025, 3, 31), "normal")  # the loan's own status stays

    apr = run(
        "credit_loan",
        loan_file(tmp_path, [loan(), loan("JJ002", 客户号="C2", 主办客户经理工号="")], "20250430"),
    )
    assert apr.updated == 2
    two.refresh_from_db()
    assert (two.closed_at, two.last_seen) == (None, date(2025, 4, 30))


def test_optional_columns_absent_are_null(tmp_path, parties):
    r = run("credit_loan", loan_file(tmp_path, [loan()], header=BASE))
    assert r.inserted == 1
    one = Loan.objects.get()
    assert (one.technical_overdue, one.first_repayment_after_restructure, one.unauthorized_use) == (
        None,
        None,
        None,
    )
    assert one.renewal_without_repayment is None


def test_every_rejection_has_its_reason(tmp_path, parties):
    rows = [
        loan("R01", 客户号="C404"),
        loan("R02", 经办机构号=""),
        loan("R03", 经办机构号="999"),
        loan("R04", 主办客户经理工号="X99"),
        loan("R05", 发放日期="", 到期日期="", 发放金额="", 担保方式="", 借据状态=""),
        loan("R06", 到期日期="2024-01-01"),
        loan("R07", 数据日期="2025-01-30"),
        loan("R08", 逾期天数="-3"),
        loan("R09", 执行利率="1234.5"),
    ]
    r = run("credit_loan", loan_file(tmp_path, rows))
    assert (r.read, r.inserted, r.rejected) == (9, 0, 9)
    _, lines = read_rejects(r.reject_file)
    reasons = {line[0]: (line[-2], line[-1]) for line in lines[1:]}
    assert reasons["R01"] == ("客户号", "客户号：客户号 C404 不存在")
    assert reasons["R02"] == ("经办机构号", "经办机构号：经办机构号为空")
    assert reasons["R03"] == ("经办机构号", "经办机构号：经办机构号 999 不存在")
    assert reasons["R04"] == ("主办客户经理工号", "主办客户经理工号：主办客户经理工号 X99 不存在")
    assert reasons["R05"][0] == "发放日期；到期日期；发放金额；担保方式；借据状态"
    assert "发放金额：发放金额为空" in reasons["R05"][1] and "借据状态：借据状态为空" in reasons["R05"][1]
    assert reasons["R06"] == ("到期日期", "到期日期：到期日期早于发放日期")
    assert reasons["R07"][0] == "数据日期" and "数据日期与文件数据日期不一致" in reasons["R07"][1]
    assert reasons["R08"][0] == "逾期天数"
    assert reasons["R09"][0] == "执行利率"
    assert Loan.objects.count() == 0 and LoanSnapshot.objects.count() == 0


def test_contradictions_are_kept_and_counted(tmp_path, parties):
    rows = [
        loan("J1", 逾期天数="5"),  # overdue days on a 正常 loan
        loan("J2", 结清日期="2025-01-10"),  # a clearing date on a loan not 结清
        loan("J3", 借据状态="结清", 贷款余额="0"),  # 结清 without a date
    ]
    r = run("credit_loan", loan_file(tmp_path, rows))
    assert (r.inserted, r.rejected) == (3, 0)
    assert Loan.objects.get(loan_no="J1").overdue_days == 5
    assert Loan.objects.get(loan_no="J2").cleared_on == date(2025, 1, 10)
    entry = OperationLog.objects.filter(action="ingest.run").latest("seq")
    assert (
        entry.after["overdue_days_but_normal"],
        entry.after["cleared_on_but_not_cleared"],
        entry.after["cleared_without_date"],
    ) == (1, 1, 1)


def test_an_older_file_fills_history_only(tmp_path, parties):
    run("credit_loan", loan_file(tmp_path, [loan(贷款余额="70000")], "20250228"))
    one = Loan.objects.get(loan_no="JJ001")
    older = [loan(贷款余额="90000", 逾期天数="3", 借据状态="逾期"), loan("JJ009", 客户号="C2")]
    r = run("credit_loan", loan_file(tmp_path, older, "20250131"))
    assert (r.status, r.inserted, r.updated, r.unchanged, r.closed) == ("completed", 1, 1, 0, 0)
    one.refresh_from_db()
    assert (one.balance, one.status, one.data_date, one.first_seen) == (
        Decimal("70000.00"),
        "normal",
        date(2025, 2, 28),
        date(2025, 1, 31),
    )
    old = LoanSnapshot.objects.get(loan=one, data_date=date(2025, 1, 31))
    assert (old.balance, old.overdue_days, old.status) == (Decimal("90000.00"), 3, "overdue")
    gone = Loan.objects.get(loan_no="JJ009")
    assert (gone.first_seen, gone.last_seen, gone.closed_at) == (
        date(2025, 1, 31),
        date(2025, 1, 31),
        date(2025, 2, 28),
    )
    assert LoanSnapshot.objects.filter(loan=gone).count() == 1

    again = run("credit_loan", loan_file(tmp_path, older, "20250131"))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
