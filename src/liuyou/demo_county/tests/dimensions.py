"""A small calculator of DESIGN.md's 11 dimensions at their default thresholds, straight
from the extract files, so the tests can check what share of customers each one holds."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

DIMENSIONS = (
    "other_bank_loan",
    "high_utilization",
    "no_loan_conversion",
    "unused_credit",
    "maturing",
    "churned",
    "high_deposit",
    "payroll",
    "agri_subsidy",
    "active_merchant",
    "outbound",
)


def read(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    return list(csv.DictReader(text.splitlines()))


def _files(out: Path, source: str) -> list[Path]:
    return sorted(out.glob(f"{source}_*.csv"))


def dimension_members(out: Path, end: date) -> tuple[set[str], dict[str, set[str]]]:
    """(customers of the latest snapshot, customers in each dimension)."""
    customers = {r["客户号"] for r in read(_files(out, "core_customer")[-1])}
    social = {r["客户号"] for r in read(_files(out, "core_customer")[-1]) if r["是否社保卡"] == "是"}
    e = end

    loan_files = _files(out, "credit_loan")
    ever_borrowed: set[str] = set()
    for f in loan_files:
        ever_borrowed |= {r["客户号"] for r in read(f)}
    latest_loans = read(loan_files[-1])
    active = {
        r["客户号"] for r in latest_loans if r["借据状态"] in ("正常", "逾期") and float(r["贷款余额"]) > 0
    }
    recent_issue = {
        r["客户号"] for r in latest_loans if date.fromisoformat(r["发放日期"]) > e - timedelta(days=90)
    }
    maturing = {
        r["客户号"]
        for r in latest_loans
        if r["借据状态"] == "正常"
        and r["逾期天数"] == "0"
        and e < date.fromisoformat(r["到期日期"]) <= e + timedelta(days=60)
    }
    by_customer: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in latest_loans:
        by_customer[r["客户号"]].append(r)
    churned = set()
    for c, rows in by_customer.items():
        if all(r["借据状态"] == "结清" for r in rows):
            last = max(date.fromisoformat(r["结清日期"]) for r in rows)
            if last <= e - timedelta(days=90):
                churned.add(c)

    lines = read(_files(out, "credit_line")[-1])
    high_util = {
        r["客户号"]
        for r in lines
        if r["状态"] == "有效"
        and r["客户号"] in active
        and float(r["已用额度"]) >= 0.8 * float(r["授信额度"])
    }
    unused = {
        r["客户号"]
        for r in lines
        if r["状态"] == "有效"
        and float(r["已用额度"]) == 0
        and date.fromisoformat(r["起始日期"]) <= e - timedelta(days=90)
        and r["客户号"] not in recent_issue
    }

    latest_report: dict[str, dict[str, str]] = {}
    for f in _files(out, "bureau"):
        for r in read(f):
            prev = latest_report.get(r["客户号"])
            if prev is None or r["报告日期"] >= prev["报告日期"]:
                latest_report[r["客户号"]] = r
    other_bank = {
        c
        for c, r in latest_report.items()
        if r["授权用途"] == "营销"
        and date.fromisoformat(r["授权到期日"]) >= e
        and float(r["他行贷款余额"]) > 0
        and c not in active
    }

    dep_files = _files(out, "core_deposit")
    deposit_customers = {r["客户号"] for r in read(dep_files[-1])}
    avg: dict[str, float] = defaultdict(float)
    for f in dep_files[-3:]:
        for r in read(f):
            avg[r["客户号"]] += float(r["月日均余额"]) / 3
    high_deposit = {c for c, v in avg.items() if v >= 50_000}

    txn_files = _files(out, "txn_monthly")
    payroll_months: dict[str, int] = defaultdict(int)
    acquiring: dict[str, float] = defaultdict(float)
    out_county: dict[str, float] = defaultdict(float)
    total: dict[str, float] = defaultdict(float)
    subsidy = set()
    for k, f in enumerate(txn_files[-12:]):
        last3 = k >= len(txn_files[-12:]) - 3
        for r in read(f):
            c = r["客户号"]
            if float(r["惠农补贴金额"]) > 0:
                subsidy.add(c)
            if last3:
                if float(r["代发工资金额"]) > 0:
                    payroll_months[c] += 1
                acquiring[c] += float(r["收单交易额"]) / 3
                out_county[c] += float(r["县外交易金额"])
                total[c] += float(r["入账金额"]) + float(r["出账金额"])

    dims = {
        "other_bank_loan": other_bank,
        "high_utilization": high_util,
        "no_loan_conversion": deposit_customers - ever_borrowed,
        "unused_credit": unused,
        "maturing": maturing,
        "churned": churned,
        "high_deposit": high_deposit,
        "payroll": {c for c, n in payroll_months.items() if n == 3},
        "agri_subsidy": subsidy | social,
        "active_merchant": {c for c, v in acquiring.items() if v >= 30_000},
        "outbound": {c for c, v in out_county.items() if total[c] > 0 and v / total[c] > 0.5},
    }
    return customers, {k: v & customers for k, v in dims.items()}


def shares(out: Path, end: date) -> dict[str, float]:
    customers, dims = dimension_members(out, end)
    return {k: len(dims[k]) / len(customers) for k in DIMENSIONS}
