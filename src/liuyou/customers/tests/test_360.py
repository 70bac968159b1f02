"""The customer 360 page: every library section with the right figures, bounded histories,
the bureau summary only within its authorisation, the transaction chart's data, scope."""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from liuyou.core import pii
from liuyou.customers import models as m

TODAY = timezone.localdate()


def html(response) -> str:
    return response.content.decode()


def section(page: str, key: str) -> str:
    """The HTML of one section card."""
    start = page.index(f'id="section-{key}"')
    end = page.find('<section class="card', start + 1)
    return page[start : end if end > 0 else len(page)]


def table(page: str, css: str) -> str:
    start = page.index(css)
    return page[start : page.index("</table>", start)]


def month(year: int, mon: int) -> datetime.date:
    return datetime.date(year, mon, 1)


def months_back(n: int) -> list[datetime.date]:
    """n month starts ending 2026-06, newest first."""
    out, y, mo = [], 2026, 6
    for _ in range(n):
        out.append(month(y, mo))
        y, mo = (y, mo - 1) if mo > 1 else (y - 1, 12)
    return out


@pytest.fixture
def rich(bank, role_users, make_customer, make_user, lib):
    am = role_users["account_manager"]
    old = make_user("5100", "account_manager", org=bank.o1)
    v1 = lib.village("V1", grid=bank.g1, name="李家村", township="城关镇")
    c1 = make_customer("C1", name="张一", org=bank.o1, grid=bank.g1, manager=am)
    c6 = make_customer("C6", name="刘六", org=bank.o1, grid=bank.g1, manager=am)
    c7 = make_customer("C7", name="张七", org=bank.o1, grid=bank.g1, manager=am)
    c2 = make_customer("C2", name="李二", org=bank.b2, grid=bank.g2)
    household = m.Household.objects.create(code="C1", member_count=2, data_date=lib.D, village=v1)
    m.Customer.objects.filter(pk__in=[c1.pk, c6.pk]).update(household=household)
    m.Customer.objects.filter(pk=c1.pk).update(
        village=v1,
        industry="A014",
        refused_marketing=True,
        refused_marketing_at=datetime.date(2026, 2, 1),
        assisting_manager=old,
    )
    seen = {"first_seen": lib.D, "last_seen": lib.D}
    m.Relation.objects.create(customer=c1, relation_type="spouse", related_customer=c6, **seen)
    m.Relation.objects.create(customer=c6, relation_type="spouse", related_customer=c1, **seen)
    m.Relation.objects.create(customer=c7, relation_type="parent", related_customer=c1, **seen)
    cipher, digest, masked = pii.protect("410521196001011234", "id")
    m.Relation.objects.create(
        customer=c1,
        relation_type="guarantor",
        related_id_no_cipher=cipher,
        related_id_no_digest=digest,
        related_id_no_masked=masked,
        **seen,
    )
    # deposits: 14 data dates of history on A1, a closed A2
    a1 = lib.account(c1, "6228000000000001", balance="12345.67", monthly_avg_balance="11000.00")
    lib.account(c1, "6228000000000002", balance="0.00", status="closed", closed_at=datetime.date(2026, 5, 31))
    dates = [d.replace(day=28) for d in months_back(14)]
    m.DepositBalance.objects.bulk_create(
        m.DepositBalance(
            account=a1, data_date=d, balance=Decimal(1000 + i), monthly_avg_balance=Decimal(900 + i)
        )
        for i, d in enumerate(dates)
    )
    # loans: L1 open with 14 snapshots, L2 cleared
    l1 = lib.loan(c1, "L1", balance="30000.00", amount="50000.00", overdue_days=5, status="overdue")
    lib.loan(c1, "L2", balance="0.00", status="cleared", disbursed_on=datetime.date(2023, 1, 1))
    m.LoanSnapshot.objects.bulk_create(
        m.LoanSnapshot(
            loan=l1, data_date=d, balance=Decimal(40000 - 500 * i), status="normal", overdue_days=0
        )
        for i, d in enumerate(reversed(dates))
    )
    m.CreditLine.objects.create(
        line_no="CL1",
        customer=c1,
        credit_limit=Decimal("100000.00"),
        used_amount=Decimal("95000.00"),
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2028, 1, 1),
        status="active",
        **seen,
    )
    l2b = lib.loan(c2, "LX", balance="20000.00", handling_org=bank.b2)
    m.Guarantee.objects.create(
        loan=l2b, guarantor=c1, guarantee_type="guaranty", amount=Decimal("20000"), **seen
    )
    m.Guarantee.objects.create(
        loan=l1, guarantor=c6, guarantee_type="guaranty", amount=Decimal("50000"), **seen
    )
    # C1 pledges their own property for their own loan (抵押人 = 借款人).
    m.Guarantee.objects.create(
        loan=l1, guarantor=c1, guarantee_type="mortgage", amount=Decimal("88000"), **seen
    )
    # transactions: 14 months to 2026-06, 2026-03 missing
    m.TxnMonthly.objects.bulk_create(
        m.TxnMonthly(
            customer=c1,
            month=mo,
            credits=Decimal(f"{1000 + i}.50"),
            debits=Decimal(f"{500 + i}.25"),
            txn_count=i,
        )
        for i, mo in enumerate(months_back(14))
        if mo != month(2026, 3)
    )
    lib.assign(c1, old, start=datetime.date(2023, 1, 1), end=datetime.date(2024, 12, 31))
    lib.assign(c1, am, start=datetime.date(2025, 1, 1))
    lib.assign(c1, old, role="assisting", start=datetime.date(2025, 1, 1))
    return {"c1": c1, "c2": c2, "am": am, "old": old}


def bureau(customer, *, purpose, report_date, expires, balance, authorized=None):
    return m.BureauSummary.objects.create(
        customer=customer,
        report_date=report_date,
        other_bank_institutions=2,
        other_bank_balance=Decimal(balance),
        authorized_on=authorized or report_date,
        authorized_purpose=purpose,
        authorization_expires_on=expires,
        data_date=report_date,
        card_utilization=Decimal("0.8532"),
    )


@pytest.mark.django_db
def test_profile_shows_library_fields(rich, login):
    page = html(login(rich["am"]).get("/customers/C1/"))
    assert "城关镇李家村" in page
    assert "城关第一网格" in page
    assert "A014 蔬菜、食用菌及园艺作物种植" in page
    assert "农户" in page
    assert "拒绝营销" in page and "该客户已拒绝营销（2026-02-01 起）" in page
    assert "用户5100（5100）" in page  # assisting manager


@pytest.mark.django_db
def test_no_refused_banner_for_customers_who_did_not_refuse(rich, login):
    page = html(login(rich["am"]).get("/customers/C6/"))
    assert "该客户已拒绝营销" not in page


@pytest.mark.django_db
def test_household_and_relations_both_directions(rich, login):
    page = section(html(login(rich["am"]).get("/customers/C1/")), "relations")
    assert "户 C1" in page and "刘六" in page
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", page, re.S)
    labels = sorted((label, re.sub(r"<[^>]+>|\s+", "", other)) for label, other in rows)
    assert labels == [
        ("子女", "张七C7"),  # C7 registered C1 as parent: to C1, C7 is a child
        ("担保", "非本行客户4105**********1234"),
        ("配偶", "刘六C6"),  # registered on both sides, shown once
    ]
    assert "410521196001011234" not in page
    assert "仅显示部分关联关系" not in page  # the pair shown once is not a relation left out


@pytest.mark.django_db
def test_deposits_with_last_twelve_balances(rich, login):
    page = section(html(login(rich["am"]).get("/customers/C1/")), "deposits")
    assert "有效账户 <strong>1</strong> 个，余额合计 <strong>12,345.67</strong> 元" in page
    assert "6228000000000001" in page and "6228000000000002" in page
    history = table(page, "ly-balance-history")
    dates = re.findall(r"<td>(\d{4}-\d{2}-\d{2})</td>", history)
    assert len(dates) == 12
    assert dates[0] == "2026-06-28" and dates[-1] == "2025-07-28"
    assert "1,000.00" in history and "1,011.00" in history and "1,012.00" not in history


@pytest.mark.django_db
def test_loans_with_monthly_history(rich, login):
    page = section(html(login(rich["am"]).get("/customers/C1/")), "loans")
    assert "未结清借据 <strong>1</strong> 笔，余额合计 <strong>30,000.00</strong> 元" in page
    assert "其中逾期 <strong>1</strong> 笔" in page
    assert page.index(">L1<") < page.index(">L2<")  # open loans first
    history = table(page, "ly-loan-history")
    dates = re.findall(r"<td>(\d{4}-\d{2}-\d{2})</td>", history)
    assert len(dates) == 12 and dates[0] == "2026-06-28"
    assert "33,500.00" in history  # the latest snapshot: 40000 - 13 * 500
    assert "39,500.00" not in history  # the 13th and 14th dates are left out


@pytest.mark.django_db
def test_credit_line_used_and_limit(rich, login):
    page = section(html(login(rich["am"]).get("/customers/C1/")), "credit_lines")
    assert "95,000.00 / 100,000.00" in page
    assert "95.0%" in page and "5,000.00" in page


@pytest.mark.django_db
def test_guarantees_given_and_received(rich, login):
    page = section(html(login(rich["am"]).get("/customers/C1/")), "guarantees")
    given = page[page.index("ly-guarantees-given") : page.index("ly-guarantees-received")]
    received = page[page.index("ly-guarantees-received") :]
    # 李二 is another branch's customer: the manager sees the loan, not the borrower's name.
    assert "李*" in given and "非本人管辖客户" in given and "LX" in given and "20,000.00" in given
    assert "李二" not in given and "/customers/C2/" not in given
    assert '<a href="/customers/C6/">刘六</a>' in received and "L1" in received and "50,000.00" in received
    # Their own collateral is listed with the loan, not as a guarantee given for someone else.
    assert "88,000.00" in received and "88,000.00" not in given


@pytest.mark.django_db
def test_parties_in_the_viewers_scope_are_named_and_linked(rich, login, role_users):
    page = section(html(login(role_users["hq_admin"]).get("/customers/C1/")), "guarantees")
    assert '<a href="/customers/C2/">李二</a>' in page and "非本人管辖客户" not in page


@pytest.mark.django_db
def test_manager_history_and_reassign_form_only_for_assigners(rich, login, role_users):
    page = section(html(login(rich["am"]).get("/customers/C1/")), "managers")
    assert page.count("<tr") == 4  # header + 3 assignments
    assert "2023-01-01" in page and "2024-12-31" in page and "至今" in page
    assert "调整客户经理" not in page
    head = section(html(login(role_users["branch_head"]).get("/customers/C1/")), "managers")
    assert 'hx-get="/customers/C1/assign"' in head and "调整客户经理" in head
    assert 'name="manager"' not in head  # the form comes on demand, not with every 360 view


@pytest.mark.django_db
def test_transaction_chart_data(rich, login):
    response = login(rich["am"]).get("/customers/C1/")
    page = html(response)
    data = json.loads(response.context["chart_data_json"])
    assert data["months"][0] == "2025-07" and data["months"][-1] == "2026-06" and len(data["months"]) == 12
    assert data["credits"][-1] == "1000.50" and data["debits"][-1] == "500.25"
    assert data["credits"][data["months"].index("2026-03")] == "0.00"  # a missing month is zero
    assert data["credits"][0] == "1011.50"
    assert 'data-txn-chart="{&quot;months&quot;: [&quot;2025-07&quot;' in page
    assert '<script src="/static/vendor/echarts-5.6.0/echarts.min.js"></script>' in page
    assert '<script src="/static/customers/txn-chart.js"></script>' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # no inline script
    assert ' style="' not in page


@pytest.mark.django_db
def test_static_assets_are_served(client):
    assert client.get("/static/customers/txn-chart.js").status_code == 200
    assert client.get("/static/customers/customers.css").status_code == 200


@pytest.mark.django_db
def test_empty_customer_has_honest_empty_sections_and_no_chart_script(rich, login):
    page = html(login(rich["am"]).get("/customers/C7/"))
    for text in (
        "暂无存款账户数据",
        "暂无贷款数据",
        "暂无授信数据",
        "暂无征信数据",
        "暂无交易数据",
        "暂无担保关系",
        "暂无客户经理分配记录",
        "暂无风险信息",
        "暂无走访记录",
        "暂无跟进提醒",
    ):
        assert text in page, text
    assert "echarts" not in page
    # Tags and the marketing panel come as fragments the page fetches once shown.
    assert 'hx-get="/tags/customers/C7/"' in page and 'hx-get="/customers/C7/marketing"' in page
    client = login(rich["am"])
    assert "暂无标签" in html(client.get("/tags/customers/C7/", HTTP_HX_REQUEST="true"))
    panel = html(client.get("/customers/C7/marketing", HTTP_HX_REQUEST="true"))
    assert "在最新数据日期不符合任何维度" in panel
    assert "暂无线索" in panel
    assert "暂无产品建议" in panel


def test_marketing_panel_shows_dimensions_leads_and_products(rich, login, bank):
    import datetime
    from decimal import Decimal

    from liuyou.customers.models import Customer
    from liuyou.features.models import CustomerFeature, FeatureBuild
    from liuyou.products.services import ensure_demo_catalogue

    customer = Customer.objects.get(customer_no="C7")
    day = datetime.date(2026, 6, 30)
    FeatureBuild.objects.create(data_date=day, rows=1)
    CustomerFeature.objects.create(
        customer=customer, data_date=day, org_id=customer.org_id, grid_id=customer.grid_id,
        manager_id=customer.manager_id, customer_type="individual", segment="farmer",
        deposit_avg_3m=Decimal("80000"), deposit_balance=Decimal("81000"), has_social_security_card=True,
    )  # fmt: skip
    ensure_demo_catalogue()
    panel = html(login(rich["am"]).get("/customers/C7/marketing", HTTP_HX_REQUEST="true"))
    assert "存款大户" in panel and "近3个月日均存款8.00万元，当前存款余额8.10万元" in panel
    assert "农户小额信用贷款" in panel  # a farmer with a social-security card and deposits
    assert "暂无线索" in panel


def test_marketing_panel_out_of_scope_is_404(rich, login):
    assert login(rich["am"]).get("/customers/C2/marketing").status_code == 404


SECTION_TABLES = (
    "customers_relation",
    "customers_depositaccount",
    "customers_loan",
    "customers_creditline",
    "customers_guarantee",
    "customers_bureausummary",
    "customers_txnmonthly",
    "customers_managerassignment",
)


@pytest.mark.django_db
def test_sections_without_rows_are_not_read(rich, login):
    """C7 has only a relation (registered on their own row): one probe finds which tables
    hold anything of theirs, and only the relations are read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(rich["am"])
    with CaptureQueriesContext(connection) as ctx:
        page = html(client.get("/customers/C7/"))
    reads = [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith("SELECT EXISTS")]
    touched = {t for t in SECTION_TABLES for sql in reads if f'"{t}"' in sql}
    assert touched == {"customers_relation"}
    assert "张一" in section(page, "relations") and "暂无贷款数据" in page


@pytest.mark.django_db
def test_probe_finds_every_table_with_rows(rich, lib):
    from liuyou.customers import selectors_360

    everything = set(selectors_360.PROBES) - {"bureau"}
    assert selectors_360.sections_present(rich["c1"]) == everything
    assert selectors_360.sections_present(rich["c2"]) == {"loans"}
    bureau(rich["c2"], purpose="loan_review", report_date=TODAY, expires=TODAY, balance="1")
    assert selectors_360.sections_present(rich["c2"]) == {"loans", "bureau"}


@pytest.mark.django_db
def test_totals_added_up_on_the_page_match_the_database(rich, lib):
    from django.db.models import Count, Q, Sum

    from liuyou.customers import selectors_360
    from liuyou.customers.filters import open_loans

    c1 = rich["c1"]
    lib.account(c1, "6228000000000009", balance="0.10", status="frozen")
    lib.loan(c1, "L3", balance="0.05", overdue_days=40, status="overdue")
    lib.loan(c1, "L4", balance="7.00", status="written_off")
    deposits = selectors_360.deposits(c1)
    assert not deposits.truncated
    expected = (
        m.DepositAccount.objects.filter(customer=c1, closed_at__isnull=True)
        .exclude(status="closed")
        .aggregate(balance=Sum("balance"), count=Count("id"))
    )
    assert (deposits.open_balance, deposits.open_count) == (expected["balance"], expected["count"])
    loans = selectors_360.loans(c1)
    assert not loans.truncated
    expected = open_loans(customer=c1).aggregate(
        balance=Sum("balance"), count=Count("id"), overdue=Count("id", filter=Q(overdue_days__gt=0))
    )
    assert (loans.open_balance, loans.open_count, loans.overdue_count) == (
        expected["balance"],
        expected["count"],
        expected["overdue"],
    )
    assert loans.open_count == 2 and loans.overdue_count == 2


@pytest.mark.django_db
def test_out_of_scope_360_is_404(rich, login, role_users):
    assert login(rich["am"]).get("/customers/C2/").status_code == 404
    assert login(role_users["branch_head"]).get("/customers/C2/").status_code == 404
    assert login(role_users["risk_officer"]).get("/customers/C2/").status_code == 200


@pytest.mark.django_db
def test_history_is_bounded(rich, login, lib):
    c1 = rich["c1"]
    for i in range(25):
        lib.account(c1, f"EXTRA{i:03d}", balance="1.00")
    page = section(html(login(rich["am"]).get("/customers/C1/")), "deposits")
    assert page.count("EXTRA0") == 19  # the largest (A1) and 19 more: 20 rows
    assert "6228000000000002" not in page  # the closed account sorts last and is cut
    assert "仅显示前 20 个账户，共 27 个。" in page


@pytest.mark.django_db
def test_query_count_does_not_grow_with_history(rich, login, lib, django_assert_max_num_queries):
    client = login(rich["am"])
    client.get("/customers/C1/")  # warm the session and permission caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get("/customers/C1/")
    c1 = rich["c1"]
    for i in range(10):
        loan = lib.loan(c1, f"LN{i}", balance="100.00")
        m.LoanSnapshot.objects.create(loan=loan, data_date=lib.D, balance=Decimal(100), status="normal")
        lib.account(c1, f"AC{i}", balance="5.00")
    with CaptureQueriesContext(connection) as after:
        client.get("/customers/C1/")
    assert len(after.captured_queries) == len(before.captured_queries)


@pytest.mark.django_db
def test_query_count_does_not_grow_with_related_customers(rich, login, lib, make_customer, bank):
    """Relatives, household members, borrowers and guarantors are read with only the columns
    the page draws: more of them must not cost a query each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(rich["am"])
    client.get("/customers/C1/")
    with CaptureQueriesContext(connection) as before:
        page = html(client.get("/customers/C1/"))
    c1, seen = rich["c1"], {"first_seen": lib.D, "last_seen": lib.D}
    for i in range(5):
        other = make_customer(f"R{i}", name=f"亲属{i}", org=bank.o1, manager=rich["am"])
        m.Customer.objects.filter(pk=other.pk).update(household=c1.household)
        m.Relation.objects.create(customer=c1, relation_type="child", related_customer=other, **seen)
        m.Relation.objects.create(customer=other, relation_type="same_household", related_customer=c1, **seen)
        loan = lib.loan(other, f"RL{i}", balance="10.00")
        m.Guarantee.objects.create(loan=loan, guarantor=c1, guarantee_type="guaranty", amount=1, **seen)
        own = lib.loan(c1, f"OL{i}", balance="10.00")
        m.Guarantee.objects.create(loan=own, guarantor=other, guarantee_type="guaranty", amount=1, **seen)
    with CaptureQueriesContext(connection) as after:
        grown = html(client.get("/customers/C1/"))
    assert len(after.captured_queries) == len(before.captured_queries)
    assert "亲属4" in section(grown, "relations") and "亲属4" in section(grown, "guarantees")
    assert "亲属4" not in page


# --- the bureau summary, only within its authorisation -----------------------------------------


@pytest.fixture
def reports(rich):
    c1 = rich["c1"]
    valid_from = TODAY - datetime.timedelta(days=30)
    bureau(
        c1,
        purpose="loan_review",
        report_date=valid_from,
        expires=TODAY + datetime.timedelta(days=300),
        balance="88888.88",
    )
    # newer, but for a purpose nobody here may use
    bureau(
        c1,
        purpose="credit_card",
        report_date=TODAY - datetime.timedelta(days=5),
        expires=TODAY + datetime.timedelta(days=300),
        balance="77777.77",
    )
    # newest, but its authorisation has expired
    bureau(
        c1,
        purpose="customer_management",
        report_date=TODAY - datetime.timedelta(days=2),
        authorized=TODAY - datetime.timedelta(days=400),
        expires=TODAY - datetime.timedelta(days=1),
        balance="66666.66",
    )
    return c1


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["account_manager", "branch_head", "risk_officer", "hq_admin"])
def test_bureau_shown_within_authorisation(reports, role_users, login, role):
    page = section(html(login(role_users[role]).get("/customers/C1/")), "bureau")
    assert "88,888.88" in page and "贷款审批" in page and "85.32%" in page
    assert "77,777.77" not in page and "66,666.66" not in page
    assert "无有效授权" not in page


@pytest.mark.django_db
def test_bureau_hidden_for_a_role_without_that_purpose(reports, role_users, login):
    page = section(html(login(role_users["post_loan_officer"]).get("/customers/C1/")), "bureau")
    assert "无有效授权，不可查看" in page
    for figure in ("88,888.88", "77,777.77", "66,666.66", "85.32%"):
        assert figure not in page


@pytest.mark.django_db
def test_bureau_expired_authorisation_is_hidden(rich, login):
    bureau(
        rich["c1"],
        purpose="loan_review",
        report_date=TODAY - datetime.timedelta(days=400),
        expires=TODAY - datetime.timedelta(days=1),
        balance="55555.55",
    )
    page = section(html(login(rich["am"]).get("/customers/C1/")), "bureau")
    assert "无有效授权，不可查看" in page and "55,555.55" not in page


@pytest.mark.django_db
def test_bureau_wrong_purpose_is_hidden(rich, login):
    bureau(
        rich["c1"],
        purpose="post_loan",
        report_date=TODAY,
        expires=TODAY + datetime.timedelta(days=10),
        balance="44444.44",
    )
    page = section(html(login(rich["am"]).get("/customers/C1/")), "bureau")
    assert "无有效授权，不可查看" in page and "44,444.44" not in page


@pytest.mark.django_db
def test_bureau_authorised_in_future_is_hidden(rich, login):
    bureau(
        rich["c1"],
        purpose="loan_review",
        report_date=TODAY,
        authorized=TODAY + datetime.timedelta(days=1),
        expires=TODAY + datetime.timedelta(days=10),
        balance="33333.33",
    )
    page = section(html(login(rich["am"]).get("/customers/C1/")), "bureau")
    assert "无有效授权，不可查看" in page and "33,333.33" not in page


def test_purposes_by_role():
    from liuyou.customers.bureau_access import PURPOSES_BY_ROLE

    front = {"loan_review", "customer_management"}
    for role in ("account_manager", "service_specialist", "branch_head", "task_force_lead", "hq_admin"):
        assert set(PURPOSES_BY_ROLE[role]) == front
    assert set(PURPOSES_BY_ROLE["risk_officer"]) == {"loan_review", "post_loan", "guarantee_review"}
    assert set(PURPOSES_BY_ROLE["post_loan_officer"]) == {"post_loan"}
    assert not any(r in PURPOSES_BY_ROLE for r in ("auditor", "system_admin", "security_admin"))
