"""Each of the 11 dimensions at and around its default thresholds, with the reason naming
the customer's own figures; refused customers never enter a list."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from liuyou.features.models import CustomerFeature
from liuyou.mining import selectors, services
from liuyou.mining.definitions import CODES
from liuyou.mining.tests.conftest import D

pytestmark = pytest.mark.django_db


def members(code: str) -> set[int]:
    item = selectors.one_in_force(code)
    return set(
        CustomerFeature.objects.filter(data_date=D)
        .filter(selectors.list_q(item))
        .values_list("pk", flat=True)
    )


def reason(code: str, feature) -> str:
    return selectors.reason(selectors.one_in_force(code), CustomerFeature.objects.get(pk=feature.pk))


def test_eleven_dimensions_with_the_design_codes():
    assert CODES == (
        "other_bank_loan", "high_utilization", "no_loan_conversion", "unused_credit", "maturing", "churned",
        "high_deposit", "payroll", "agri_subsidy", "active_merchant", "outbound",
    )  # fmt: skip


def test_other_bank_loan(feats):
    hit = feats.feature(bureau_usable=True, other_bank_balance=Decimal("120000"), other_bank_institutions=2,
                        bureau_report_date=datetime.date(2026, 5, 5))  # fmt: skip
    borrower_here = feats.feature(bureau_usable=True, other_bank_balance=Decimal("5000"), loan_count=1)
    nothing_elsewhere = feats.feature(bureau_usable=True, other_bank_balance=Decimal("0"))
    unauthorised = feats.feature(bureau_usable=False)  # the feature table leaves the figures empty
    assert members("other_bank_loan") == {hit.pk}
    assert {borrower_here.pk, nothing_elsewhere.pk, unauthorised.pk}.isdisjoint(members("other_bank_loan"))
    assert (
        reason("other_bank_loan", hit) == "他行贷款余额12.00万元（2家机构，征信报告2026-05-05），本行无贷款"
    )


def test_high_utilization_at_eighty_percent(feats):
    at = feats.feature(loan_count=1, utilization=Decimal("0.8000"), credit_limit=Decimal("100000"),
                       credit_used=Decimal("80000"), loan_balance=Decimal("80000"))  # fmt: skip
    below = feats.feature(loan_count=1, utilization=Decimal("0.7999"))
    no_loan = feats.feature(loan_count=0, utilization=Decimal("0.9"))
    assert members("high_utilization") == {at.pk}
    assert reason("high_utilization", at) == "授信10.00万元，已用8.00万元，使用率80.00%，贷款余额8.00万元"
    assert below and no_loan


def test_no_loan_conversion(feats):
    saver = feats.feature(ever_borrowed=False, deposit_balance=Decimal("20100"))
    borrowed_once = feats.feature(ever_borrowed=True, deposit_balance=Decimal("20100"))
    no_deposit = feats.feature(ever_borrowed=False, deposit_balance=Decimal("0"))
    assert members("no_loan_conversion") == {saver.pk}
    assert reason("no_loan_conversion", saver) == "存款余额2.01万元，从未在本行贷款"
    assert borrowed_once and no_deposit


def test_unused_credit_at_ninety_days(feats):
    at = feats.feature(
        unused_line_days=90, unused_line_since=datetime.date(2026, 4, 1), credit_limit=Decimal("50000")
    )
    below = feats.feature(unused_line_days=89, unused_line_since=datetime.date(2026, 4, 2))
    used = feats.feature(unused_line_days=None)
    assert members("unused_credit") == {at.pk}
    assert reason("unused_credit", at) == "授信5.00万元自2026-04-01起未用信，已90天"
    assert below and used


def test_maturing_within_sixty_days_and_performing(feats):
    at = feats.feature(loan_count=1, days_to_maturity=60, nearest_maturity=datetime.date(2026, 8, 29),
                       loan_balance=Decimal("300000"))  # fmt: skip
    today = feats.feature(loan_count=1, days_to_maturity=0, nearest_maturity=D)
    later = feats.feature(loan_count=1, days_to_maturity=61)
    overdue = feats.feature(loan_count=1, days_to_maturity=10, overdue_loans=1)
    past = feats.feature(loan_count=1, days_to_maturity=-3)
    assert members("maturing") == {at.pk, today.pk}
    assert reason("maturing", at) == "贷款余额30.00万元，2026-08-29到期（还有60天），无逾期"
    assert later and overdue and past


def test_churned_ninety_days_after_clearing(feats):
    at = feats.feature(
        loan_count=0, days_since_cleared=90, last_cleared_on=datetime.date(2026, 4, 1), ever_borrowed=True
    )
    recent = feats.feature(loan_count=0, days_since_cleared=89)
    came_back = feats.feature(loan_count=1, days_since_cleared=400)
    assert members("churned") == {at.pk}
    assert reason("churned", at) == "2026-04-01结清最后一笔贷款，已90天无新贷款"
    assert recent and came_back


def test_high_deposit_at_fifty_thousand(feats):
    at = feats.feature(deposit_avg_3m=Decimal("50000"), deposit_balance=Decimal("61000"))
    below = feats.feature(deposit_avg_3m=Decimal("49999.99"))
    assert members("high_deposit") == {at.pk}
    assert reason("high_deposit", at) == "近3个月日均存款5.00万元，当前存款余额6.10万元"
    assert below


def test_payroll_every_month(feats):
    at = feats.feature(payroll_months_3m=3, payroll_amount_3m=Decimal("15000"))
    two = feats.feature(payroll_months_3m=2)
    assert members("payroll") == {at.pk}
    assert reason("payroll", at) == "近3个月中3个月有代发工资入账，合计1.50万元"
    assert two


def test_agri_subsidy_or_social_security_card(feats):
    subsidy = feats.feature(subsidy_amount_12m=Decimal("1"))
    card = feats.feature(has_social_security_card=True)
    neither = feats.feature(subsidy_amount_12m=Decimal("0"), has_social_security_card=False)
    assert members("agri_subsidy") == {subsidy.pk, card.pk}
    assert reason("agri_subsidy", subsidy) == "近12个月惠农补贴0.00万元"
    assert reason("agri_subsidy", card) == "持有社保卡"
    assert neither


def test_active_merchant_at_thirty_thousand_a_month(feats):
    at = feats.feature(acquiring_avg_3m=Decimal("30000"))
    below = feats.feature(acquiring_avg_3m=Decimal("29999.99"))
    assert members("active_merchant") == {at.pk}
    assert reason("active_merchant", at) == "近3个月月均收单3.00万元"
    assert below


def test_outbound_mostly_out_of_county(feats):
    at = feats.feature(
        out_of_county_share_3m=Decimal("0.5000"), credits_3m=Decimal("30000"), debits_3m=Decimal("10000")
    )
    below = feats.feature(out_of_county_share_3m=Decimal("0.4999"))
    no_flow = feats.feature(out_of_county_share_3m=None)
    assert members("outbound") == {at.pk}
    assert reason("outbound", at) == "近3个月县外交易占比50.00%（交易额4.00万元）"
    assert below and no_flow


def test_refused_marketing_enters_no_list_but_is_counted_apart(feats):
    feats.feature(deposit_avg_3m=Decimal("90000"), refused_marketing=True)
    ok = feats.feature(deposit_avg_3m=Decimal("90000"))
    assert members("high_deposit") == {ok.pk}
    totals = services.mine(data_date=D)
    assert totals["high_deposit"]["customers"] == 1
    assert totals["high_deposit"]["refused"] == 1


def test_customer_dimensions_on_the_360(feats):
    f = feats.feature(deposit_avg_3m=Decimal("90000"), deposit_balance=Decimal("90000"), payroll_months_3m=3)
    met = {item.code: text for item, text in selectors.customer_dimensions(customer=f.customer)}
    assert set(met) == {"high_deposit", "payroll", "no_loan_conversion"}
    assert met["high_deposit"] == "近3个月日均存款9.00万元，当前存款余额9.00万元"
    refused = feats.feature(deposit_avg_3m=Decimal("90000"), refused_marketing=True)
    assert selectors.customer_dimensions(customer=refused.customer) == []
