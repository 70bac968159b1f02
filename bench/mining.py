"""The customer feature table and the 11 dimensions over N customers, against DuckDB.

    .venv/bin/python bench/mining.py --customers 100000 [--database sqlite|postgresql] [--json]

Builds a fresh database (SQLite file under --workdir, or the PostgreSQL database named by
--pg-url, dropped and recreated): migrate, the demo bank's orgs and staff, 200 villages on its
grids, then a synthetic library of N customers written directly in SQL (a recursive sequence
and deterministic pseudo-random expressions of its number, INSERT ... SELECT into the real
tables): customers, deposit accounts with balances on the data date and 4 earlier month-ends,
loans with snapshots, credit lines, bureau summaries and 12 months of transaction summaries,
in shares like a county bank's so that every dimension holds customers at its defaults.
Setup is not timed (its seconds are printed). Then, timed on the chosen database:

1. the feature table: `features.services.compute(data_date=D)` (the one INSERT ... SELECT);
2. the 11 dimensions: `mining.services.mine(data_date=D)` (one grouped pass, counts written).

Reference, same run: an in-memory DuckDB database with tables of the same names and columns
(DDL derived from the models), filled by the same generation SQL, then (1') the same
`statement.insert_sql("duckdb")` with the same window parameters and (2') the grouped count
query `mine()` runs, as Django compiles it for SQLite, run in DuckDB. The dimension counts of
both must agree (`counts_match`). Issue 4's goal at N = 1,000,000 on 2 cores: feature table
under 60 s and all 11 dimensions under 3 s, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import argparse
import calendar
import importlib.util
import json
import math
import os
import random
import re
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

PRIME = 1_000_003
# Multipliers of the pseudo-random expressions (x * x + i) % PRIME with x = (i * M) % PRIME: one
# per attribute, so that attributes drawn with different multipliers are (nearly) independent.
# (The plain (i * M) % PRIME is a lattice: its residues mod 1000 follow i mod small numbers.)
_RNG = random.Random(2026)
MULT = tuple(_RNG.randrange(2**31, 2**32) | 1 for _ in range(48))
MAP_SIZE = 600  # (org, grid, village, manager) combinations customers are spread over
VILLAGES = 200
HELPERS = ("bench_seq", "bench_map", "bench_dates", "bench_months")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--customers", type=int, default=100_000)
    p.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/liuyou_bench_mining")
    p.add_argument("--workdir", type=Path, default=None, help="默认临时目录")
    p.add_argument("--data-date", type=date.fromisoformat, default=date(2026, 6, 30))
    p.add_argument("--json", action="store_true", help="只在标准输出打印一个 JSON 对象")
    return p.parse_args()


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _bench_ingest() -> Any:
    spec = importlib.util.spec_from_file_location("bench_ingest", Path(__file__).with_name("ingest.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def month_end(day: date, back: int) -> date:
    """The last day of the month `back` months before `day`'s month."""
    year, month0 = divmod(day.year * 12 + day.month - 1 - back, 12)
    return date(year, month0 + 1, calendar.monthrange(year, month0 + 1)[1])


def month_start(day: date, back: int) -> date:
    return month_end(day, back).replace(day=1)


# --- the generation SQL, one text for SQLite, PostgreSQL and DuckDB ---------------------------


class Dialect:
    """The few expressions the three engines spell differently in the generation SQL."""

    def __init__(self, vendor: str, data_date: date) -> None:
        self.vendor = vendor
        self.d = data_date

    def day(self, value: date) -> str:
        if self.vendor == "sqlite":
            return f"'{value.isoformat()}'"
        return f"DATE '{value.isoformat()}'"

    def plus(self, days: str) -> str:
        """The data date plus `days` (an integer expression, may be negative)."""
        if self.vendor == "sqlite":
            return f"date('{self.d.isoformat()}', CAST({days} AS INTEGER) || ' days')"
        return f"(DATE '{self.d.isoformat()}' + CAST({days} AS INTEGER))"

    def stamp(self) -> str:
        text = f"'{self.d.isoformat()} 00:00:00'"
        return text if self.vendor == "sqlite" else f"TIMESTAMP {text}"

    @staticmethod
    def text(expr: str) -> str:
        return f"CAST({expr} AS VARCHAR)"


def h(k: int, key: str = "s.i") -> str:
    """A pseudo-random integer in [0, PRIME) drawn from `key` with multiplier k."""
    x = f"(({key} * {MULT[k]}) % {PRIME})"
    return f"(({x} * {x} + {key}) % {PRIME})"


def r(k: int, key: str = "s.i") -> str:
    """A pseudo-random per-mille bucket in [0, 1000)."""
    return f"({h(k, key)} % 1000)"


def fallback(field: Any, sql: Dialect) -> str:
    """A value for a NOT NULL column the generation does not care about (no DB defaults)."""
    kind = field.get_internal_type()
    if kind in ("CharField", "TextField", "SlugField", "EmailField", "URLField"):
        return "''"
    if kind == "BooleanField":
        return "FALSE"
    if kind == "DateField":
        return sql.day(sql.d)
    if kind == "DateTimeField":
        return sql.stamp()
    if kind == "JSONField":
        return "'{}'"
    if kind == "DecimalField" or kind.endswith("IntegerField") or kind == "FloatField":
        return "0"
    raise ValueError(f"no fallback for {field.model.__name__}.{field.name} ({kind})")


def insert_select(model: Any, sql: Dialect, exprs: dict[str, str], source: str) -> str:
    """INSERT ... SELECT into the model's table: the columns in `exprs`, plus every other NOT
    NULL column with its type's fallback (Django sets no database defaults)."""
    fields = model._meta.concrete_fields
    unknown = set(exprs) - {f.column for f in fields}
    if unknown:
        raise ValueError(f"{model.__name__}: no columns {sorted(unknown)}")
    cols, values = [], []
    for f in fields:
        if f.column in exprs:
            cols.append(f.column)
            values.append(exprs[f.column])
        elif not (f.null or f.primary_key):
            if f.is_relation:
                raise ValueError(f"{model.__name__}.{f.name}: a NOT NULL foreign key needs a value")
            cols.append(f.column)
            values.append(fallback(f, sql))
    select = ",\n    ".join(values)
    return f"INSERT INTO {model._meta.db_table} ({', '.join(cols)})\nSELECT\n    {select}\n{source}"


def helper_sql(sql: Dialect, n: int, mapping: list[tuple[int, int, int, int | None]]) -> list[str]:
    """The helper tables: the sequence 1..n, the (org, grid, village, manager) combinations,
    the data dates of the deposit and loan files and the 12 transaction months."""
    d = sql.d
    side = math.isqrt(max(n - 1, 0)) + 1
    rows = ", ".join(
        f"({k}, {org}, {grid}, {village}, {'NULL' if manager is None else manager})"
        for k, (org, grid, village, manager) in enumerate(mapping)
    )
    balance_dates = [d] + [month_end(d, back) for back in (1, 2, 3, 4)]
    loan_dates = [d] + [month_end(d, back) for back in (1, 2)]
    dates = ", ".join(
        [f"('balance', {j}, {sql.day(x)})" for j, x in enumerate(balance_dates)]
        + [f"('loan', {j}, {sql.day(x)})" for j, x in enumerate(loan_dates)]
    )
    months = ", ".join(f"({j}, {sql.day(month_start(d, j))})" for j in range(12))
    return [
        *(f"DROP TABLE IF EXISTS {t}" for t in HELPERS),
        "CREATE TABLE bench_seq (i BIGINT)",
        "CREATE TABLE bench_map (k BIGINT, org_id BIGINT, grid_id BIGINT, village_id BIGINT,"
        " manager_id BIGINT)",
        "CREATE TABLE bench_dates (kind VARCHAR(8), j BIGINT, d DATE)",
        "CREATE TABLE bench_months (j BIGINT, m DATE)",
        f"WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < {side - 1})\n"
        f"INSERT INTO bench_seq (i) SELECT a.i * {side} + b.i + 1 FROM seq a CROSS JOIN seq b\n"
        f"WHERE a.i * {side} + b.i + 1 <= {n} ORDER BY 1",
        f"INSERT INTO bench_map (k, org_id, grid_id, village_id, manager_id) VALUES {rows}",
        f"INSERT INTO bench_dates (kind, j, d) VALUES {dates}",
        f"INSERT INTO bench_months (j, m) VALUES {months}",
    ]


def generation_sql(sql: Dialect, n: int) -> list[tuple[str, str]]:
    """(table label, statement) in order: the synthetic library of n customers."""
    from liuyou.customers.models import (
        LOAN_FIGURES,
        BureauSummary,
        CreditLine,
        Customer,
        DepositAccount,
        DepositBalance,
        Loan,
        LoanSnapshot,
        TxnMonthly,
    )

    d, plus, text = sql.day(sql.d), sql.plus, sql.text
    individual = f"{r(0)} >= 25"  # 2.5 % enterprises
    closed = f"{r(5)} < 5"  # 0.5 % closed before the data date
    seq = "FROM bench_seq s"
    mapped = f"FROM bench_seq s JOIN bench_map m ON m.k = s.i % {MAP_SIZE}"
    out: list[tuple[str, str]] = []

    # customers: 45 % farmers, 12 % individual businesses, 13 % migrant workers, 13 % salaried
    out.append(("customers", insert_select(Customer, sql, {
        "id": "s.i",
        "customer_no": f"'C' || {text('1000000000 + s.i')}",
        "name": f"'客户' || {text('s.i')}",
        "customer_type": f"CASE WHEN {individual} THEN 'individual' ELSE 'enterprise' END",
        "segment": f"CASE WHEN NOT ({individual}) THEN 'small_enterprise' WHEN {r(1)} < 450 THEN 'farmer'"
                   f" WHEN {r(1)} < 570 THEN 'individual_business' WHEN {r(1)} < 700 THEN 'migrant_worker'"
                   f" WHEN {r(1)} < 830 THEN 'salaried' ELSE '' END",
        "org_id": "m.org_id", "grid_id": "m.grid_id", "village_id": "m.village_id",
        "manager_id": "m.manager_id",
        "sex": f"CASE WHEN NOT ({individual}) THEN '' WHEN s.i % 2 = 0 THEN 'M' ELSE 'F' END",
        "birth_date": f"CASE WHEN {individual} THEN {plus(f'-(6570 + {h(6)} % 22000)')} END",
        "open_date": plus(f"-(1 + {h(7)} % 7000)"),
        "has_social_security_card": f"CASE WHEN {individual} AND {r(2)} < 400 THEN TRUE ELSE FALSE END",
        "is_payroll": f"CASE WHEN {r(3)} < 80 THEN TRUE ELSE FALSE END",
        "refused_marketing": f"CASE WHEN {r(4)} < 20 THEN TRUE ELSE FALSE END",  # 2 %
        "status": f"CASE WHEN {closed} THEN 'closed' ELSE 'active' END",
        "closed_at": f"CASE WHEN {closed} THEN {plus('-10')} END",
        "first_seen": plus("-400"),
        "last_seen": f"CASE WHEN {closed} THEN {plus('-11')} ELSE {d} END",
        "crm_data_date": d,
    }, mapped)))  # fmt: skip

    # deposit accounts: 92 % a demand account (5 % of them empty, 15 % above 30,000), 30 % a
    # time deposit (5,000-50,000)
    demand = (
        f"CASE WHEN {r(12)} < 50 THEN 0 WHEN {r(12)} < 850 THEN 1 + {h(13)} % 30000"
        f" ELSE 30000 + {h(13)} % 200000 END"
    )
    account = {
        "customer_id": "s.i", "status": "'normal'", "data_date": d, "first_seen": plus("-400"),
        "last_seen": d, "open_date": plus(f"-(1 + {h(7)} % 7000)"),
    }  # fmt: skip
    out.append(("deposit_accounts", insert_select(DepositAccount, sql, {
        **account, "id": "s.i", "account_no": f"'A' || {text('1000000000 + s.i')}",
        "product_type": "'demand'", "balance": demand, "monthly_avg_balance": demand,
    }, f"{seq} WHERE {r(10)} >= 80")))  # fmt: skip
    time_deposit = f"5000 * (1 + {h(14)} % 10)"
    out.append(("deposit_accounts", insert_select(DepositAccount, sql, {
        **account, "id": f"{n} + s.i", "account_no": f"'A' || {text('2000000000 + s.i')}",
        "product_type": "'time'", "balance": time_deposit, "monthly_avg_balance": time_deposit,
    }, f"{seq} WHERE {r(11)} < 300")))  # fmt: skip
    # balances on the data date and 4 earlier month-ends, account by account (index order)
    moved = "CASE WHEN a.balance = 0 THEN 0 ELSE a.balance + 100 * dd.j END"
    out.append(("deposit_balances", insert_select(DepositBalance, sql, {
        "account_id": "a.id", "data_date": "dd.d", "balance": moved,
        "monthly_avg_balance": "CASE WHEN a.balance = 0 THEN 0 ELSE a.balance + 100 * dd.j + 13 END",
    }, "FROM customers_depositaccount a CROSS JOIN bench_dates dd WHERE dd.kind = 'balance'"
       " ORDER BY a.id, dd.j")))  # fmt: skip

    # loans: 25 % borrowers (8 % of loans overdue, maturities from 30 days past to 2 years
    # ahead), 7.5 % with a second loan; 8 % former borrowers with cleared loans only, and
    # 5 % of borrowers with an old cleared loan besides
    def loan(offset: int, salt: int, where: str, cleared: bool) -> tuple[str, str]:
        figures: dict[str, str]
        if cleared:
            figures = {
                "status": "'cleared'", "balance": "0", "amount": f"1000 * (20 + {h(salt)} % 300)",
                "cleared_on": plus(f"-(1 + {h(salt + 1)} % 900)"),
                "maturity_date": plus(f"-(1 + {h(salt + 1)} % 900)"),
                "disbursed_on": plus(f"-(367 + {h(salt + 1)} % 900)"),
            }  # fmt: skip
        else:
            overdue = f"{r(salt + 2)} < 80"
            figures = {
                "status": f"CASE WHEN {overdue} THEN 'overdue' ELSE 'normal' END",
                "overdue_days": f"CASE WHEN {overdue} THEN 1 + {h(salt + 3)} % 180 ELSE 0 END",
                "overdue_principal": f"CASE WHEN {overdue} THEN 100 * (1 + {h(salt + 3)} % 50) ELSE 0 END",
                "overdue_interest": f"CASE WHEN {overdue} THEN 10 * (1 + {h(salt + 3)} % 30) ELSE 0 END",
                "balance": f"1000 * (1 + {h(salt)} % 300)",
                "amount": f"1000 * (11 + {h(salt)} % 300)",
                "is_restructured": f"CASE WHEN {r(salt + 4)} < 10 THEN TRUE ELSE FALSE END",
                "disbursed_on": plus(f"-(1 + {h(salt + 1)} % 700)"),
                "maturity_date": plus(f"{h(salt + 5)} % 720 - 30"),
            }
        return ("loans", insert_select(Loan, sql, {
            "id": f"{offset} + s.i", "loan_no": f"'L' || {text(f'{offset + 1_000_000_000} + s.i')}",
            "customer_id": "s.i", "handling_org_id": "m.org_id", "manager_id": "m.manager_id",
            "guarantee_type": f"CASE WHEN {r(salt + 6)} < 600 THEN 'credit' ELSE 'guaranty' END",
            "data_date": d, "first_seen": plus("-400"), "last_seen": d, **figures,
        }, f"{mapped} WHERE {where}"))  # fmt: skip

    out.append(loan(0, 15, f"{r(8)} < 250", cleared=False))
    out.append(loan(n, 22, f"{r(8)} < 75", cleared=False))
    out.append(loan(2 * n, 29, f"{r(8)} < 50 OR ({r(8)} >= 250 AND {r(8)} < 330)", cleared=True))
    figures = {
        f.column: f"l.{f.column}" for f in LoanSnapshot._meta.concrete_fields if f.name in LOAN_FIGURES
    }
    out.append(("loan_snapshots", insert_select(LoanSnapshot, sql, {
        **figures, "data_date": "dd.d", "loan_id": "l.id",
    }, "FROM customers_loan l CROSS JOIN bench_dates dd"
       " WHERE dd.kind = 'loan' AND l.status IN ('normal', 'overdue') ORDER BY l.id, dd.j")))  # fmt: skip

    # credit lines: 40 % of borrowers and 8 % of the others, 16 % in all; 30 % unused,
    # 25 % used 80 % or more, 5 % frozen; started up to 1,000 days ago, for 3 years
    units = f"(1 + {h(36)} % 50)"
    used = (
        f"CASE WHEN {r(37)} < 300 THEN 0 WHEN {r(37)} < 550 THEN 100 * {units} * (80 + {h(38)} % 21)"
        f" ELSE 100 * {units} * (5 + {h(38)} % 75) END"
    )
    out.append(("credit_lines", insert_select(CreditLine, sql, {
        "line_no": f"'CL' || {text('1000000000 + s.i')}", "customer_id": "s.i",
        "credit_limit": f"10000 * {units}", "used_amount": used,
        "start_date": plus(f"-(1 + {h(39)} % 1000)"), "end_date": plus(f"1094 - {h(39)} % 1000"),
        "status": f"CASE WHEN {r(40)} < 50 THEN 'frozen' ELSE 'active' END",
        "first_seen": plus(f"-(1 + {h(39)} % 1000)"), "last_seen": d,
    }, f"{seq} WHERE ({r(8)} < 250 AND {r(35)} < 400) OR ({r(8)} >= 250 AND {r(35)} < 83)")))  # fmt: skip

    # bureau summaries: 14 %; half authorised for customer management, given up to 500 days
    # ago for one year (about a quarter expired); 60 % with other-bank loans; 4 % a second,
    # older report
    authorised = plus(f"-({h(42)} % 500)")
    bureau = {
        "customer_id": "s.i", "authorized_on": authorised,
        "authorization_expires_on": plus(f"365 - {h(42)} % 500"),
        "authorized_purpose": f"CASE WHEN {r(43)} < 500 THEN 'customer_management' ELSE 'loan_review' END",
        "other_bank_npl_balance": f"CASE WHEN {r(44)} < 50 THEN 5000 ELSE 0 END",
        "max_overdue_periods_24m": f"{h(44)} % 4", "queries_3m": f"{h(45)} % 6",
    }  # fmt: skip
    other = f"CASE WHEN {r(46)} < 600 THEN 10000 * (1 + {h(47)} % 80) ELSE 0 END"
    out.append(("bureau_summaries", insert_select(BureauSummary, sql, {
        **bureau, "report_date": authorised, "data_date": authorised, "other_bank_balance": other,
        "total_loan_balance": other,
        "other_bank_institutions": f"CASE WHEN {r(46)} < 600 THEN 1 + {h(47)} % 4 ELSE 0 END",
    }, f"{seq} WHERE {r(41)} < 140")))  # fmt: skip
    older = plus(f"-(200 + {h(42)} % 500)")
    out.append(("bureau_summaries", insert_select(BureauSummary, sql, {
        **bureau, "report_date": older, "data_date": older, "other_bank_balance": "20000",
        "total_loan_balance": "20000", "other_bank_institutions": "1",
    }, f"{seq} WHERE {r(41)} < 40")))  # fmt: skip

    # monthly transactions: the 3 recent months for everyone, the 9 before for a third.
    # Payroll every month for 8 % (two of three for 4 % more), subsidies in a quarter of the
    # months of farmers, acquiring for 5 % merchants, out-of-county share 40-95 % for 10 %
    # migrants (0-19 % for the others; a fixed share per customer, so the ratio is exact)
    q = "(s.i * 12 + mo.j)"
    share = f"CASE WHEN {r(30)} < 100 THEN 40 + {h(31)} % 56 ELSE {h(31)} % 20 END"
    out.append(("txn_monthly", insert_select(TxnMonthly, sql, {
        "customer_id": "s.i", "month": "mo.m",
        "credits": f"100 * (1 + {h(0, q)} % 300)", "debits": f"100 * ({h(1, q)} % 300)",
        "out_of_county_amount": f"(1 + {h(0, q)} % 300 + {h(1, q)} % 300) * ({share})",
        "payroll_amount": f"CASE WHEN {r(3)} < 80 THEN 3000 + 100 * ({h(2, q)} % 50)"
                          f" WHEN {r(3)} < 120 AND mo.j <> 1 THEN 3000 ELSE 0 END",
        "subsidy_amount": f"CASE WHEN {individual} AND {r(1)} < 450 AND {h(3, q)} % 4 = 0"
                          f" THEN 100 * (1 + {h(4, q)} % 20) ELSE 0 END",
        "acquiring_amount": f"CASE WHEN {r(32)} < 50 THEN 1000 * (5 + {h(5, q)} % 80) ELSE 0 END",
        "txn_count": f"1 + {h(6, q)} % 40",
    }, f"{seq} CROSS JOIN bench_months mo WHERE mo.j < 3 OR {r(33)} < 333"
       " ORDER BY s.i, mo.j DESC")))  # fmt: skip
    return out


ROW_TABLES = {
    "customers": "customers_customer",
    "deposit_accounts": "customers_depositaccount",
    "deposit_balances": "customers_depositbalance",
    "loans": "customers_loan",
    "loan_snapshots": "customers_loansnapshot",
    "credit_lines": "customers_creditline",
    "bureau_summaries": "customers_bureausummary",
    "txn_monthly": "customers_txnmonthly",
}


# --- setup on the Django database -------------------------------------------------------------


def setup_bank() -> list[tuple[int, int, int, int | None]]:
    """Demo bank and villages; returns the (org, grid, village, manager) combinations."""
    from django.core.management import call_command
    from django.db import transaction

    from liuyou.customers.models import Village
    from liuyou.system.demo import build_demo_bank
    from liuyou.system.models import Org, OrgKind, User

    call_command("migrate", interactive=False, verbosity=0)
    with transaction.atomic():
        build_demo_bank(customers=0)
    grids = list(Org.objects.filter(kind=OrgKind.GRID).order_by("pk").values_list("pk", "parent_id"))
    day = date(2026, 1, 1)
    Village.objects.bulk_create(
        Village(
            code=f"370725{100 + i // 20:03d}{201 + i % 20:03d}",
            name=f"测试{i}村",
            township=f"测试{i // 20}镇",
            grid_id=grids[i % len(grids)][0],
            first_seen=day,
            last_seen=day,
        )
        for i in range(VILLAGES)
    )
    villages = list(Village.objects.order_by("pk").values_list("pk", "grid_id"))
    branch_of = dict(grids)
    outlets: dict[int, list[int]] = {}
    for pk, parent in Org.objects.filter(kind=OrgKind.OUTLET).order_by("pk").values_list("pk", "parent_id"):
        outlets.setdefault(parent, []).append(pk)
    managers: dict[int, list[int]] = {}
    for pk, org in User.objects.filter(org__kind=OrgKind.OUTLET).order_by("pk").values_list("pk", "org_id"):
        managers.setdefault(org, []).append(pk)
    mapping: list[tuple[int, int, int, int | None]] = []
    for k in range(MAP_SIZE):
        village, grid = villages[k % len(villages)]
        branch_outlets = outlets[branch_of[grid]]
        outlet = branch_outlets[(k // len(villages)) % len(branch_outlets)]
        staff: list[int | None] = [*managers.get(outlet, [])] or [None]
        mapping.append((outlet, grid, village, staff[(k // len(villages)) % len(staff)]))
    return mapping


def generate_django(n: int, data_date: date, mapping: list[tuple[int, int, int, int | None]]) -> None:
    from django.db import connection

    sql = Dialect(connection.vendor, data_date)
    with connection.cursor() as cursor:
        for statement in helper_sql(sql, n, mapping):
            cursor.execute(statement)
        for label, statement in generation_sql(sql, n):
            t0 = time.perf_counter()
            cursor.execute(statement)
            log(f"  {label}: {cursor.rowcount} 行，{time.perf_counter() - t0:.1f} 秒")
        for table in HELPERS:
            cursor.execute(f"DROP TABLE {table}")
        if connection.vendor == "postgresql":
            for table in ("customers_customer", "customers_depositaccount", "customers_loan"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                )
    if connection.vendor == "postgresql":
        # What autovacuum does to freshly loaded tables (visibility map, hint bits, statistics)
        # before a nightly batch reads them.
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        log(f"  VACUUM ANALYZE：{time.perf_counter() - t0:.1f} 秒")
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def table_rows(cursor: Any) -> dict[str, int]:
    out = {}
    for label, table in ROW_TABLES.items():
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        out[label] = cursor.fetchone()[0]
    return out


# --- the 11 dimensions as mine() counts them --------------------------------------------------


def mining_query(data_date: date) -> tuple[list[Any], Any]:
    """The in-force dimensions and the grouped count queryset `mine()` runs (the same builder)."""
    from liuyou.mining import selectors
    from liuyou.mining.services import counting_query

    items = [i for i in selectors.in_force() if i.is_active]
    return items, counting_query(data_date=data_date, items=items)


def sqlite_compiled(qs: Any) -> tuple[str, tuple[Any, ...]]:
    """The queryset's SQL as Django writes it for SQLite, whatever the default database."""
    from django.db import connection

    if connection.vendor == "sqlite":
        return qs.query.sql_with_params()
    from django.db.backends.sqlite3.base import DatabaseWrapper

    wrapper = DatabaseWrapper(
        {
            **connection.settings_dict,
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": ":memory:",
            "OPTIONS": {},
        },
        alias="sqlite-compile",
    )
    try:
        return qs.query.get_compiler(connection=wrapper).as_sql()
    finally:
        wrapper.close()


# --- the DuckDB reference ---------------------------------------------------------------------


def duckdb_type(field: Any) -> str:
    kind = field.get_internal_type()
    if field.is_relation or kind.endswith("IntegerField") or kind in ("AutoField", "BigAutoField"):
        return "BIGINT"
    if kind == "DecimalField":
        return f"DECIMAL({field.max_digits},{field.decimal_places})"
    return {
        "CharField": "VARCHAR", "TextField": "VARCHAR", "JSONField": "VARCHAR", "DateField": "DATE",
        "DateTimeField": "TIMESTAMP", "BooleanField": "BOOLEAN", "FloatField": "DOUBLE",
    }[kind]  # fmt: skip


def duckdb_tables() -> list[str]:
    from django.apps import apps

    from liuyou.features.statement import TABLES

    by_table = {m._meta.db_table: m for m in apps.get_models()}
    out = []
    for table in TABLES.values():
        # The primary key numbers itself, as on the Django database (COUNT("id") counts it).
        out.append(f"CREATE SEQUENCE {table}_id_seq")
        cols = ", ".join(
            f"{f.column} {duckdb_type(f)}" + (f" DEFAULT nextval('{table}_id_seq')" if f.primary_key else "")
            for f in by_table[table]._meta.concrete_fields
        )
        out.append(f"CREATE TABLE {table} ({cols})")
    return out


def scalar(con: Any, query: str, params: Any = None) -> Any:
    row = con.execute(query, params).fetchone()
    return row[0]


def reference(
    n: int, data_date: date, mapping: list[tuple[int, int, int, int | None]], items: list[Any], qs: Any
) -> dict[str, Any]:
    import duckdb

    from liuyou.features.services import window
    from liuyou.features.statement import TABLES, insert_sql

    con = duckdb.connect(":memory:")
    sql = Dialect("duckdb", data_date)
    t0 = time.perf_counter()
    for statement in duckdb_tables() + helper_sql(sql, n, mapping):
        con.execute(statement)
    for _label, statement in generation_sql(sql, n):
        con.execute(statement)
    rows = {label: scalar(con, f"SELECT COUNT(*) FROM {t}") for label, t in ROW_TABLES.items()}
    setup = time.perf_counter() - t0

    params = window(data_date=data_date).params("duckdb")  # from the Django database: the same data
    statement = re.sub(r"%\((\w+)\)s", r"$\1", insert_sql("duckdb"))
    t0 = time.perf_counter()
    con.execute(statement, params)
    features_seconds = time.perf_counter() - t0
    rows["features"] = scalar(
        con, f"SELECT COUNT(*) FROM {TABLES['feature']} WHERE data_date = ?", [data_date]
    )

    query, query_params = sqlite_compiled(qs)
    t0 = time.perf_counter()
    cursor = con.execute(query.replace("%s", "?"), list(query_params))
    groups = cursor.fetchall()
    dimensions_seconds = time.perf_counter() - t0
    names = [c[0] for c in cursor.description]
    counts: dict[str, dict[str, int]] = {}
    refused_at = names.index("refused_marketing")
    for n_item, item in enumerate(items):
        c = names.index(f"c{n_item}")
        counts[item.code] = {
            "customers": sum(g[c] for g in groups if not g[refused_at]),
            "refused": sum(g[c] for g in groups if g[refused_at]),
        }
    threads = scalar(con, "SELECT current_setting('threads')")
    con.close()
    return {
        "setup_seconds": setup,
        "features_seconds": features_seconds,
        "dimensions_seconds": dimensions_seconds,
        "rows": rows,
        "groups": len(groups),
        "counts": counts,
        "threads": threads,
        "query": query,
    }


def main() -> None:
    args = parse_args()
    n, day = args.customers, args.data_date
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="liuyou-bench-mining-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ["LIUYOU_VAR_DIR"] = str(workdir / "var")
    os.environ["LIUYOU_DATABASE_URL"] = _bench_ingest().fresh_database(args, workdir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuyou.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    from liuyou.features.services import compute
    from liuyou.mining.models import DimensionCount
    from liuyou.mining.services import ensure_dimensions, mine

    log(f"准备数据库（{args.database}）、演示银行与 {n} 个客户的合成数据…")
    t0 = time.perf_counter()
    mapping = setup_bank()
    generate_django(n, day, mapping)
    with transaction.atomic():
        ensure_dimensions()  # stored once on a running system, not part of a day's mining
    setup_seconds = time.perf_counter() - t0
    with connection.cursor() as cursor:
        rows = table_rows(cursor)
    log(f"准备完成：{setup_seconds:.1f} 秒，{rows}")

    log("客户宽表（features.services.compute）…")
    t0 = time.perf_counter()
    with transaction.atomic():
        built = compute(data_date=day)
    features_seconds = time.perf_counter() - t0
    rows["features"] = built.rows
    log(f"  {built.rows} 行，{features_seconds:.2f} 秒")

    log("11 个维度（mining.services.mine）…")
    items, qs = mining_query(day)
    executed: list[str] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    t0 = time.perf_counter()
    with connection.execute_wrapper(capture), transaction.atomic():
        totals = mine(data_date=day)
    dimensions_seconds = time.perf_counter() - t0
    rows["dimension_counts"] = DimensionCount.objects.filter(data_date=day).count()
    same_query = qs.query.sql_with_params()[0] in executed
    log(f"  {dimensions_seconds:.2f} 秒；基准查询与 mine() 所执行的相同：{same_query}")

    log("参照：DuckDB（同样的生成 SQL、宽表语句与维度查询）…")
    ref = reference(n, day, mapping, items, qs)
    log(f"  宽表 {ref['features_seconds']:.2f} 秒，维度 {ref['dimensions_seconds']:.3f} 秒")

    counts = {code: t["customers"] for code, t in totals.items()}
    duck_counts = {code: t["customers"] for code, t in ref["counts"].items()}
    ours = {c: {"customers": t["customers"], "refused": t["refused"]} for c, t in totals.items()}
    counts_match = ours == ref["counts"] and rows["features"] == ref["rows"]["features"]
    result = {
        "database": args.database,
        "customers": n,
        "data_date": day.isoformat(),
        "rows": rows,
        "setup_seconds": round(setup_seconds, 1),
        "features_seconds": round(features_seconds, 3),
        "dimensions_seconds": round(dimensions_seconds, 3),
        "duckdb_setup_seconds": round(ref["setup_seconds"], 1),
        "duckdb_features_seconds": round(ref["features_seconds"], 3),
        "duckdb_dimensions_seconds": round(ref["dimensions_seconds"], 3),
        "features_ratio_to_duckdb": round(features_seconds / ref["features_seconds"], 1),
        "dimensions_ratio_to_duckdb": round(dimensions_seconds / ref["dimensions_seconds"], 1),
        "counts": counts,
        "duckdb_counts": duck_counts,
        "refused": {code: t["refused"] for code, t in totals.items()},
        "counts_match": counts_match,
        "dimension_query": "Django's SQLite SQL of mine()'s grouped query, run as is in DuckDB",
        "dimension_query_is_mines": same_query,
        "groups": ref["groups"],
        "duckdb_threads": ref["threads"],
        "goal": {"features_seconds": 60, "dimensions_seconds": 3},
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    for key, value in result.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
