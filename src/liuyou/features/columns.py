"""What each feature column means, in one place: docs/features.md is written from it, rule
tags and dimension parameters name columns from it, and pages label them with it."""

from __future__ import annotations

from dataclasses import dataclass

# kind: money (元), ratio (0..1, shown as %), int, days, date, bool, code (a dictionary value)
KINDS = ("money", "ratio", "int", "days", "date", "bool", "code")


@dataclass(frozen=True)
class FeatureColumn:
    name: str
    label: str
    kind: str
    definition: str


COLUMNS: tuple[FeatureColumn, ...] = (
    FeatureColumn(
        "customer_type",
        "客户类型",
        "code",
        "core_customer 客户类型 (individual / enterprise).",
    ),
    FeatureColumn(
        "segment",
        "客户分类",
        "code",
        "crm_customer 客户分类 (five segments); empty until the CRM names one.",
    ),
    FeatureColumn(
        "industry",
        "产业",
        "code",
        "crm_customer 产业 code.",
    ),
    FeatureColumn(
        "refused_marketing",
        "拒绝营销",
        "bool",
        "crm_customer 拒绝营销. Such a customer enters no marketing list.",
    ),
    FeatureColumn(
        "age",
        "年龄",
        "int",
        "Whole years from 出生日期 to the data date (days / 365.25);"
        " empty for enterprises and unknown birth dates.",
    ),
    FeatureColumn(
        "has_social_security_card",
        "社保卡",
        "bool",
        "core_customer 是否社保卡.",
    ),
    FeatureColumn(
        "payroll_flag",
        "核心系统代发工资标志",
        "bool",
        "core_customer 是否代发工资.",
    ),
    FeatureColumn(
        "deposit_accounts",
        "存款账户数",
        "int",
        "Accounts with a balance above 0 in the deposit file of the deposit"
        " date (the latest core_deposit data date on or before the data date).",
    ),
    FeatureColumn(
        "deposit_balance",
        "存款余额",
        "money",
        "Sum of 余额 of those accounts on the deposit date.",
    ),
    FeatureColumn(
        "deposit_avg_3m",
        "近3个月日均存款",
        "money",
        "Mean over the calendar months of the data date and the two "
        "before it that have a deposit file, of the customer's total "
        "月日均余额 in that month's latest file; a month where the "
        "customer had no account counts as 0.",
    ),
    FeatureColumn(
        "deposit_change_3m",
        "存款较3个月前变动",
        "money",
        "存款余额 minus the balance in the latest deposit file on or "
        "before the same day three months earlier (0 there when the "
        "customer had none).",
    ),
    FeatureColumn(
        "loan_count",
        "在贷笔数",
        "int",
        "Loans with a balance above 0 and status 正常 or 逾期 in the loan"
        " file of the loan date (the latest credit_loan data date on "
        "or before the data date).",
    ),
    FeatureColumn(
        "loan_balance",
        "贷款余额",
        "money",
        "Sum of 贷款余额 of those loans.",
    ),
    FeatureColumn(
        "overdue_loans",
        "逾期笔数",
        "int",
        "Those loans with 逾期天数 above 0.",
    ),
    FeatureColumn(
        "max_overdue_days",
        "最长逾期天数",
        "days",
        "Largest 逾期天数 among them (0 when none).",
    ),
    FeatureColumn(
        "overdue_amount",
        "逾期本息",
        "money",
        "Sum of 逾期本金 plus 欠息 among them.",
    ),
    FeatureColumn(
        "restructured_loans",
        "重组笔数",
        "int",
        "Those loans marked 是否重组.",
    ),
    FeatureColumn(
        "ever_borrowed",
        "曾在本行贷款",
        "bool",
        "Any loan of the customer disbursed on or before the data date, open or cleared.",
    ),
    FeatureColumn(
        "last_cleared_on",
        "最近结清日期",
        "date",
        "Latest 结清日期 on or before the data date among the customer's loans.",
    ),
    FeatureColumn(
        "days_since_cleared",
        "距最近结清天数",
        "days",
        "Days from 最近结清日期 to the data date.",
    ),
    FeatureColumn(
        "nearest_maturity",
        "最近到期日",
        "date",
        "Earliest 到期日期 among the open loans.",
    ),
    FeatureColumn(
        "days_to_maturity",
        "距最近到期天数",
        "days",
        "Days from the data date to 最近到期日 (negative when already past).",
    ),
    FeatureColumn(
        "credit_limit",
        "有效授信额度",
        "money",
        "Sum of 授信额度 of credit lines with status 有效 whose 起始日期–到期日期 "
        "covers the data date and that the credit_line file held on "
        "it.",
    ),
    FeatureColumn(
        "credit_used",
        "已用额度",
        "money",
        "Sum of 已用额度 of those lines.",
    ),
    FeatureColumn(
        "utilization",
        "授信使用率",
        "ratio",
        "已用额度 / 有效授信额度; empty without a line.",
    ),
    FeatureColumn(
        "unused_line_since",
        "授信未用起始日",
        "date",
        "When nothing of the lines is used: the earliest 起始日期 among them; otherwise empty.",
    ),
    FeatureColumn(
        "unused_line_days",
        "授信未用天数",
        "days",
        "Days from 授信未用起始日 to the data date.",
    ),
    FeatureColumn(
        "bureau_usable",
        "征信可用于营销",
        "bool",
        "A bureau summary exists whose authorisation is for 客户管理与营销, "
        "given on or before the data date and not expired on it, with"
        " a report dated on or before it.",
    ),
    FeatureColumn(
        "bureau_report_date",
        "征信报告日期",
        "date",
        "Report date of the latest such summary; the four bureau "
        "figures below come from it and are empty without one.",
    ),
    FeatureColumn(
        "other_bank_institutions",
        "他行贷款机构数",
        "int",
        "征信 他行贷款机构数.",
    ),
    FeatureColumn(
        "other_bank_balance",
        "他行贷款余额",
        "money",
        "征信 他行贷款余额.",
    ),
    FeatureColumn(
        "other_bank_npl_balance",
        "他行不良余额",
        "money",
        "征信 他行不良余额.",
    ),
    FeatureColumn(
        "bureau_max_overdue_24m",
        "近24个月最大逾期期数",
        "int",
        "征信 近24个月最大逾期期数.",
    ),
    FeatureColumn(
        "txn_months_3m",
        "近3个月有交易汇总的月数",
        "int",
        "Months among the data date's calendar month and the two before with a txn_monthly row.",
    ),
    FeatureColumn(
        "credits_3m",
        "近3个月入账",
        "money",
        "Sum of 入账金额 over those three months.",
    ),
    FeatureColumn(
        "debits_3m",
        "近3个月出账",
        "money",
        "Sum of 出账金额 over those three months.",
    ),
    FeatureColumn(
        "payroll_months_3m",
        "近3个月代发工资月数",
        "int",
        "Months among those three with 代发工资金额 above 0.",
    ),
    FeatureColumn(
        "payroll_amount_3m",
        "近3个月代发工资",
        "money",
        "Sum of 代发工资金额 over those three months.",
    ),
    FeatureColumn(
        "subsidy_amount_12m",
        "近12个月惠农补贴",
        "money",
        "Sum of 惠农补贴金额 over the data date's month and the eleven before.",
    ),
    FeatureColumn(
        "acquiring_avg_3m",
        "近3个月月均收单",
        "money",
        "Sum of 收单交易额 over the three months divided by 3 (a month without a row counts as 0).",
    ),
    FeatureColumn(
        "out_of_county_share_3m",
        "近3个月县外交易占比",
        "ratio",
        "县外交易金额 / (入账金额 + 出账金额) over the three months; empty when there was no flow.",
    ),
)

BY_NAME = {c.name: c for c in COLUMNS}
