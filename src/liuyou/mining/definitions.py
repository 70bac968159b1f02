"""The 11 dimensions of DESIGN.md, each a parameterised condition on the feature table with a
plain-Chinese reason built from the customer's own figures.

The parameters here are the defaults; the values in force live in `Dimension.params`, edited
by the head office and versioned (services.update_params). A condition is a Q on
CustomerFeature, so the same definition counts a million customers in SQL and tells one
customer on the 360 page whether it qualifies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    kind: str  # money (元), ratio (0..1), days, int, bool
    default: Any
    minimum: Any = None
    maximum: Any = None


@dataclass(frozen=True)
class Definition:
    code: str
    name: str
    condition_text: str  # the condition in words, with {param} placeholders
    action: str
    params: tuple[Param, ...]
    condition: Callable[[dict[str, Any]], Q]
    reason: Callable[[Any, dict[str, Any]], str]

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}


def wan(amount: Any) -> str:
    """12.00万元: amounts in reasons read as bank reports write them."""
    return f"{Decimal(amount or 0) / 10000:.2f}万元"


def pct(share: Any) -> str:
    return f"{Decimal(share or 0) * 100:.2f}%"


def _m(value: Any) -> Decimal:
    return Decimal(str(value))


DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        code="other_bank_loan",
        name="他行贷款",
        condition_text="征信（营销授权有效期内）显示他行贷款余额 ≥ {min_balance} 元，本行无在贷",
        action="争取他行客户，以本行产品承接或置换",
        params=(Param("min_balance", "他行贷款余额下限（元）", "money", 1, minimum=0),),
        condition=lambda p: Q(bureau_usable=True, other_bank_balance__gte=_m(p["min_balance"]), loan_count=0),
        reason=lambda f, p: (
            f"他行贷款余额{wan(f.other_bank_balance)}（{f.other_bank_institutions or 0}家机构，"
            f"征信报告{f.bureau_report_date:%Y-%m-%d}），本行无贷款"
        ),
    ),
    Definition(
        code="high_utilization",
        name="高额用信",
        condition_text="本行在贷客户，授信使用率 ≥ {min_utilization}",
        action="提额或追加营销",
        params=(Param("min_utilization", "授信使用率下限", "ratio", "0.80", minimum=0, maximum=1),),
        condition=lambda p: Q(loan_count__gt=0, utilization__gte=_m(p["min_utilization"])),
        reason=lambda f, p: (
            f"授信{wan(f.credit_limit)}，已用{wan(f.credit_used)}，使用率{pct(f.utilization)}，"
            f"贷款余额{wan(f.loan_balance)}"
        ),
    ),
    Definition(
        code="no_loan_conversion",
        name="无贷转化",
        condition_text="存款余额 ≥ {min_deposit} 元，从未在本行贷款",
        action="首贷营销",
        params=(Param("min_deposit", "存款余额下限（元）", "money", 1, minimum=0),),
        condition=lambda p: Q(ever_borrowed=False, deposit_balance__gte=_m(p["min_deposit"])),
        reason=lambda f, p: f"存款余额{wan(f.deposit_balance)}，从未在本行贷款",
    ),
    Definition(
        code="unused_credit",
        name="授信未用信",
        condition_text="有效授信分文未用已满 {min_days} 天",
        action="激活用信",
        params=(Param("min_days", "未用信天数下限", "days", 90, minimum=1),),
        condition=lambda p: Q(unused_line_days__gte=int(p["min_days"])),
        reason=lambda f, p: (
            f"授信{wan(f.credit_limit)}自{f.unused_line_since:%Y-%m-%d}起未用信，已{f.unused_line_days}天"
        ),
    ),
    Definition(
        code="maturing",
        name="到期续贷",
        condition_text="最近一笔贷款 {within_days} 天内到期，且无逾期",
        action="续贷营销",
        params=(Param("within_days", "到期天数上限", "days", 60, minimum=1),),
        condition=lambda p: Q(
            loan_count__gt=0,
            overdue_loans=0,
            days_to_maturity__gte=0,
            days_to_maturity__lte=int(p["within_days"]),
        ),
        reason=lambda f, p: (
            f"贷款余额{wan(f.loan_balance)}，{f.nearest_maturity:%Y-%m-%d}到期（还有{f.days_to_maturity}天），无逾期"
        ),
    ),
    Definition(
        code="churned",
        name="结清流失",
        condition_text="最近一笔贷款结清已满 {min_days} 天，此后无新贷款",
        action="燕归巢回流营销",
        params=(Param("min_days", "结清天数下限", "days", 90, minimum=1),),
        condition=lambda p: Q(loan_count=0, days_since_cleared__gte=int(p["min_days"])),
        reason=lambda f, p: (
            f"{f.last_cleared_on:%Y-%m-%d}结清最后一笔贷款，已{f.days_since_cleared}天无新贷款"
        ),
    ),
    Definition(
        code="high_deposit",
        name="存款大户",
        condition_text="近3个月日均存款 ≥ {min_average} 元",
        action="交叉销售",
        params=(Param("min_average", "近3个月日均存款下限（元）", "money", 50000, minimum=0),),
        condition=lambda p: Q(deposit_avg_3m__gte=_m(p["min_average"])),
        reason=lambda f, p: f"近3个月日均存款{wan(f.deposit_avg_3m)}，当前存款余额{wan(f.deposit_balance)}",
    ),
    Definition(
        code="payroll",
        name="代发工资",
        condition_text="近3个月中至少 {min_months} 个月有代发工资入账",
        action="上班族信用贷款",
        params=(Param("min_months", "代发月数下限", "int", 3, minimum=1, maximum=3),),
        condition=lambda p: Q(payroll_months_3m__gte=int(p["min_months"])),
        reason=lambda f, p: (
            f"近3个月中{f.payroll_months_3m}个月有代发工资入账，合计{wan(f.payroll_amount_3m)}"
        ),
    ),
    Definition(
        code="agri_subsidy",
        name="惠农补贴/社保卡",
        condition_text="近12个月惠农补贴 ≥ {min_subsidy} 元，或持有社保卡（{with_card}）",
        action="农户信用贷款",
        params=(
            Param("min_subsidy", "近12个月惠农补贴下限（元）", "money", 1, minimum=0),
            Param("with_card", "持社保卡即计入", "bool", True),
        ),
        condition=lambda p: (
            Q(subsidy_amount_12m__gte=_m(p["min_subsidy"]))
            | (Q(has_social_security_card=True) if p["with_card"] else Q(pk__in=[]))
        ),
        reason=lambda f, p: "，".join(
            part
            for part in (
                f"近12个月惠农补贴{wan(f.subsidy_amount_12m)}" if f.subsidy_amount_12m else "",
                "持有社保卡" if f.has_social_security_card else "",
            )
            if part
        ),
    ),
    Definition(
        code="active_merchant",
        name="活跃商户",
        condition_text="近3个月月均收单交易额 ≥ {min_monthly} 元",
        action="商户经营贷款",
        params=(Param("min_monthly", "月均收单下限（元）", "money", 30000, minimum=0),),
        condition=lambda p: Q(acquiring_avg_3m__gte=_m(p["min_monthly"])),
        reason=lambda f, p: f"近3个月月均收单{wan(f.acquiring_avg_3m)}",
    ),
    Definition(
        code="outbound",
        name="外出务工/创业",
        condition_text="近3个月县外交易占比 ≥ {min_share}",
        action="外拓专班对接",
        params=(Param("min_share", "县外交易占比下限", "ratio", "0.50", minimum=0, maximum=1),),
        condition=lambda p: Q(out_of_county_share_3m__gte=_m(p["min_share"])),
        reason=lambda f, p: (
            f"近3个月县外交易占比{pct(f.out_of_county_share_3m)}"
            f"（交易额{wan((f.credits_3m or 0) + (f.debits_3m or 0))}）"
        ),
    ),
)

BY_CODE = {d.code: d for d in DEFINITIONS}
CODES = tuple(d.code for d in DEFINITIONS)
