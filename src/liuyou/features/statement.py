"""The one INSERT ... SELECT that writes a data date's feature rows.

Each source is aggregated per customer in its own derived table and left-joined to the
customers that existed on the data date, so one pass per source table does the work whatever
the number of customers. Dates and the data dates of the files read are parameters
(`services.window`). Divisions are ROUNDed in the statement to the columns' scale (2 for
money, 4 for ratios): SQLite would otherwise store 50666.6666666667 where PostgreSQL stores
50666.67, and a threshold would cut differently. The SQL is ANSI apart from `dialect`'s two
expressions, and runs on
SQLite, PostgreSQL and DuckDB alike (bench/mining.py runs it on DuckDB as the reference).
"""

from __future__ import annotations

from liuyou.features.dialect import date_param, days_between

COLUMNS = (
    "customer_id", "data_date", "org_id", "grid_id", "village_id", "manager_id",
    "customer_type", "segment", "industry", "refused_marketing", "age",
    "has_social_security_card", "payroll_flag",
    "deposit_accounts", "deposit_balance", "deposit_avg_3m", "deposit_change_3m",
    "loan_count", "loan_balance", "overdue_loans", "max_overdue_days", "overdue_amount",
    "restructured_loans", "ever_borrowed", "last_cleared_on", "days_since_cleared",
    "nearest_maturity", "days_to_maturity",
    "credit_limit", "credit_used", "utilization", "unused_line_since", "unused_line_days",
    "bureau_usable", "bureau_report_date", "other_bank_institutions", "other_bank_balance",
    "other_bank_npl_balance", "bureau_max_overdue_24m",
    "txn_months_3m", "credits_3m", "debits_3m", "payroll_months_3m", "payroll_amount_3m",
    "subsidy_amount_12m", "acquiring_avg_3m", "out_of_county_share_3m",
)  # fmt: skip

# The source tables by role; bench/mining.py creates tables of these names in DuckDB.
TABLES = {
    "feature": "features_customerfeature",
    "customer": "customers_customer",
    "account": "customers_depositaccount",
    "balance": "customers_depositbalance",
    "loan": "customers_loan",
    "snapshot": "customers_loansnapshot",
    "line": "customers_creditline",
    "bureau": "customers_bureausummary",
    "txn": "customers_txnmonthly",
}

MARKETING_PURPOSE = "customer_management"


def insert_sql(vendor: str) -> str:
    t = TABLES
    d = date_param(vendor, "d")
    p = {name: date_param(vendor, name) for name in ("dep_d", "dep_3m", "avg1", "avg2", "avg3", "loan_d")}
    m0, m3, m12 = (date_param(vendor, n) for n in ("m0", "m3", "m12"))

    def days(later: str, earlier: str) -> str:
        return days_between(vendor, later, earlier)

    if vendor == "sqlite":
        age = f"CAST(({days(d, 'c.birth_date')}) / 365.25 AS INTEGER)"  # CAST truncates here
    else:
        age = f"CAST(FLOOR(({days(d, 'c.birth_date')}) / 365.25) AS INTEGER)"
    return f"""
INSERT INTO {t["feature"]} ({", ".join(COLUMNS)})
SELECT
    c.id, {d}, c.org_id, c.grid_id, c.village_id, c.manager_id,
    c.customer_type, c.segment, c.industry, c.refused_marketing,
    CASE WHEN c.birth_date IS NULL THEN NULL ELSE {age} END,
    c.has_social_security_card, c.is_payroll,
    COALESCE(dep.accounts, 0), COALESCE(dep.balance, 0),
    ROUND((1.0 * COALESCE(av.total, 0)) / %(avg_months)s, 2),
    COALESCE(dep.balance, 0) - COALESCE(dep3.balance, 0),
    COALESCE(ln.loans, 0), COALESCE(ln.balance, 0), COALESCE(ln.overdue_loans, 0),
    COALESCE(ln.max_overdue_days, 0), COALESCE(ln.overdue_amount, 0), COALESCE(ln.restructured, 0),
    CASE WHEN ev.customer_id IS NULL THEN FALSE ELSE TRUE END,
    ev.last_cleared_on, {days(d, "ev.last_cleared_on")},
    ln.nearest_maturity, {days("ln.nearest_maturity", d)},
    COALESCE(cl.credit_limit, 0), COALESCE(cl.used, 0),
    CASE WHEN cl.credit_limit > 0 THEN ROUND((1.0 * cl.used) / cl.credit_limit, 4) END,
    CASE WHEN cl.used = 0 THEN cl.since END,
    CASE WHEN cl.used = 0 THEN {days(d, "cl.since")} END,
    CASE WHEN bu.customer_id IS NULL THEN FALSE ELSE TRUE END,
    bu.report_date, bu.other_bank_institutions, bu.other_bank_balance,
    bu.other_bank_npl_balance, bu.max_overdue_periods_24m,
    COALESCE(tx.months_3m, 0), COALESCE(tx.credits_3m, 0), COALESCE(tx.debits_3m, 0),
    COALESCE(tx.payroll_months_3m, 0), COALESCE(tx.payroll_3m, 0), COALESCE(tx.subsidy_12m, 0),
    ROUND((1.0 * COALESCE(tx.acquiring_3m, 0)) / 3, 2),
    CASE WHEN tx.flow_3m > 0 THEN ROUND((1.0 * tx.out_3m) / tx.flow_3m, 4) END
FROM {t["customer"]} c
LEFT JOIN (
    SELECT a.customer_id, SUM(CASE WHEN b.balance > 0 THEN 1 ELSE 0 END) AS accounts,
           SUM(b.balance) AS balance
    FROM {t["balance"]} b JOIN {t["account"]} a ON a.id = b.account_id
    WHERE b.data_date = {p["dep_d"]}
    GROUP BY a.customer_id
) dep ON dep.customer_id = c.id
LEFT JOIN (
    SELECT a.customer_id, SUM(b.balance) AS balance
    FROM {t["balance"]} b JOIN {t["account"]} a ON a.id = b.account_id
    WHERE b.data_date = {p["dep_3m"]}
    GROUP BY a.customer_id
) dep3 ON dep3.customer_id = c.id
LEFT JOIN (
    SELECT a.customer_id, SUM(b.monthly_avg_balance) AS total
    FROM {t["balance"]} b JOIN {t["account"]} a ON a.id = b.account_id
    WHERE b.data_date IN ({p["avg1"]}, {p["avg2"]}, {p["avg3"]})
    GROUP BY a.customer_id
) av ON av.customer_id = c.id
LEFT JOIN (
    SELECT l.customer_id, COUNT(*) AS loans, SUM(s.balance) AS balance,
           SUM(CASE WHEN s.overdue_days > 0 THEN 1 ELSE 0 END) AS overdue_loans,
           MAX(s.overdue_days) AS max_overdue_days,
           SUM(s.overdue_principal + s.overdue_interest) AS overdue_amount,
           SUM(CASE WHEN s.is_restructured THEN 1 ELSE 0 END) AS restructured,
           MIN(l.maturity_date) AS nearest_maturity
    FROM {t["snapshot"]} s JOIN {t["loan"]} l ON l.id = s.loan_id
    WHERE s.data_date = {p["loan_d"]} AND s.status IN ('normal', 'overdue') AND s.balance > 0
    GROUP BY l.customer_id
) ln ON ln.customer_id = c.id
LEFT JOIN (
    SELECT customer_id, MAX(CASE WHEN cleared_on <= {d} THEN cleared_on END) AS last_cleared_on
    FROM {t["loan"]}
    WHERE disbursed_on <= {d}
    GROUP BY customer_id
) ev ON ev.customer_id = c.id
LEFT JOIN (
    SELECT customer_id, SUM(credit_limit) AS credit_limit, SUM(used_amount) AS used,
           MIN(start_date) AS since
    FROM {t["line"]}
    WHERE status = 'active' AND start_date <= {d} AND end_date >= {d}
      AND first_seen <= {d} AND (closed_at IS NULL OR closed_at > {d})
    GROUP BY customer_id
) cl ON cl.customer_id = c.id
LEFT JOIN (
    SELECT b.customer_id, b.report_date, b.other_bank_institutions, b.other_bank_balance,
           b.other_bank_npl_balance, b.max_overdue_periods_24m
    FROM {t["bureau"]} b JOIN (
        SELECT customer_id, MAX(report_date) AS report_date
        FROM {t["bureau"]}
        WHERE authorized_purpose = '{MARKETING_PURPOSE}' AND authorized_on <= {d}
          AND authorization_expires_on >= {d} AND report_date <= {d}
        GROUP BY customer_id
    ) latest ON latest.customer_id = b.customer_id AND latest.report_date = b.report_date
) bu ON bu.customer_id = c.id
LEFT JOIN (
    SELECT customer_id,
           SUM(CASE WHEN month >= {m3} THEN 1 ELSE 0 END) AS months_3m,
           SUM(CASE WHEN month >= {m3} THEN credits ELSE 0 END) AS credits_3m,
           SUM(CASE WHEN month >= {m3} THEN debits ELSE 0 END) AS debits_3m,
           SUM(CASE WHEN month >= {m3} AND payroll_amount > 0 THEN 1 ELSE 0 END) AS payroll_months_3m,
           SUM(CASE WHEN month >= {m3} THEN payroll_amount ELSE 0 END) AS payroll_3m,
           SUM(subsidy_amount) AS subsidy_12m,
           SUM(CASE WHEN month >= {m3} THEN acquiring_amount ELSE 0 END) AS acquiring_3m,
           SUM(CASE WHEN month >= {m3} THEN out_of_county_amount ELSE 0 END) AS out_3m,
           SUM(CASE WHEN month >= {m3} THEN credits + debits ELSE 0 END) AS flow_3m
    FROM {t["txn"]}
    WHERE month >= {m12} AND month <= {m0}
    GROUP BY customer_id
) tx ON tx.customer_id = c.id
WHERE (c.first_seen IS NULL OR c.first_seen <= {d}) AND (c.closed_at IS NULL OR c.closed_at > {d})
"""  # noqa: S608 - table names are constants above; every value is a parameter
