"""The bureau extract: reports by 客户号 + 报告日期, only within an authorisation; incremental
(never closed); an older file adds missing reports but never overwrites."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from liuyou.customers.models import BureauSummary, CustomerAlias
from liuyou.system.models import OperationLog

from .helpers import read_rejects, run, write_csv

pytestmark = pytest.mark.django_db
HEADER = [
    "客户号",
    "报告日期",
    "他行贷款机构数",
    "他行贷款余额",
    "他行不良余额",
    "他行逾期90天以上余额",
    "全部贷款余额",
    "近3个月查询次数",
    "近24个月最大逾期期数",
    "对外担保余额",
    "信用卡使用率",
    "授权日期",
    "授权用途",
    "授权到期日",
]


def bureau_file(tmp_path, rows, day="20250131"):
    return write_csv(tmp_path / f"bureau_{day}.csv", HEADER, rows)


def report(no="C1", on="2025-01-10", other="2", balance="300,000", purpose="贷款审批", util="0.853249"):
    return [
        no,
        on,
        other,
        balance,
        "0",
        "",
        "350000",
        "3",
        "1",
        "",
        util,
        "2025-01-05",
        purpose,
        "2026-01-05",
    ]


@pytest.fixture
def customers(make_customer):
    return make_customer("C1"), make_customer("C2", name="李四")


def test_load_reload_correct_and_never_close(tmp_path, customers):
    c1, c2 = customers
    r = run("bureau", bureau_file(tmp_path, [report(), report("C2", util="", purpose="营销")]))
    assert (r.status, r.read, r.inserted, r.updated, r.unchanged, r.rejected) == ("completed", 2, 2, 0, 0, 0)
    one = BureauSummary.objects.get(customer=c1)
    assert (one.report_date, one.other_bank_institutions, one.other_bank_balance, one.total_loan_balance) == (
        date(2025, 1, 10),
        2,
        Decimal("300000.00"),
        Decimal("350000.00"),
    )
    assert (one.other_bank_overdue90_balance, one.external_guarantee_balance, one.queries_3m) == (
        Decimal("0"),
        Decimal("0"),
        3,
    )
    assert one.card_utilization == Decimal("0.8532")  # kept to the column's 4 places
    assert (one.authorized_on, one.authorized_purpose, one.authorization_expires_on, one.data_date) == (
        date(2025, 1, 5),
        "loan_review",
        date(2026, 1, 5),
        date(2025, 1, 31),
    )
    two = BureauSummary.objects.get(customer=c2)
    assert (two.card_utilization, two.authorized_purpose) == (None, "customer_management")

    again = run("bureau", bureau_file(tmp_path, [report(), report("C2", util="", purpose="营销")]))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)

    # A later file corrects one report and adds a newer one; nothing is closed.
    feb = [report(balance="280000"), report(on="2025-02-20")]
    r2 = run("bureau", bureau_file(tmp_path, feb, "20250228"))
    assert (r2.inserted, r2.updated, r2.unchanged, r2.closed) == (1, 1, 0, 0)
    one.refresh_from_db()
    assert (one.other_bank_balance, one.data_date) == (Decimal("280000.00"), date(2025, 2, 28))
    assert BureauSummary.objects.count() == 3


def test_every_rejection_has_its_reason(tmp_path, customers):
    no_auth = report("C2")
    no_auth[11] = no_auth[13] = ""
    backwards = report("C1", on="2025-01-11")
    backwards[13] = "2024-12-31"
    rows = [
        report("C404"),
        no_auth,
        report("C1", on="2025-01-12", purpose="随便看看"),
        backwards,
        report("C1", on="2025-02-01"),
        report("C1", on="2025-01-13", other="-1"),
        report("C1", on="2025-01-14", util="-0.5"),
    ]
    r = run("bureau", bureau_file(tmp_path, rows))
    assert (r.read, r.inserted, r.rejected) == (7, 0, 7)
    _, lines = read_rejects(r.reject_file)
    reasons = [(line[-2], line[-1]) for line in lines[1:]]
    assert reasons[0] == ("客户号", "客户号：客户号 C404 不存在")
    assert reasons[1] == (
        "授权日期、授权到期日",
        "授权日期、授权到期日：缺少征信授权信息，不得使用该征信数据",
    )
    assert reasons[2][0] == "授权用途" and "随便看看 无法识别，取值应为 贷款审批、贷后管理" in reasons[2][1]
    assert reasons[3] == ("授权到期日", "授权到期日：授权到期日早于授权日期")
    assert reasons[4] == ("报告日期", "报告日期：报告日期晚于数据日期")
    assert reasons[5][0] == "他行贷款机构数"
    assert reasons[6][0] == "信用卡使用率"
    assert BureauSummary.objects.count() == 0


def test_an_alias_duplicate_is_rejected(tmp_path, customers):
    c1, _ = customers
    CustomerAlias.objects.create(
        alias_no="C1-OLD", customer=c1, source="core_customer", data_date=date(2025, 1, 1)
    )
    r = run("bureau", bureau_file(tmp_path, [report(), report("C1-OLD")]))
    assert (r.inserted, r.rejected) == (1, 1)
    _, lines = read_rejects(r.reject_file)
    assert lines[1][-2] == "客户号" and "客户号别名" in lines[1][-1]


def test_an_older_file_adds_reports_but_never_overwrites(tmp_path, customers):
    c1, c2 = customers
    run("bureau", bureau_file(tmp_path, [report(balance="280000")], "20250228"))
    older = [report(balance="300000"), report("C2")]
    r = run("bureau", bureau_file(tmp_path, older, "20250131"))
    assert (r.status, r.inserted, r.updated, r.unchanged) == ("completed", 1, 0, 1)
    assert BureauSummary.objects.get(customer=c1).other_bank_balance == Decimal("280000.00")
    assert BureauSummary.objects.get(customer=c2).data_date == date(2025, 1, 31)
    entry = OperationLog.objects.filter(action="ingest.run").latest("seq")
    assert (entry.after["history_only"], entry.after["newer_kept"]) == (True, 1)
