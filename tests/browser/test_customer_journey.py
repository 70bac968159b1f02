"""A real browser through the customer library: an account manager searches a customer of
theirs by ID number, by name prefix and by customer number, opens the 360 page and sees the
figures the import loaded; a customer of another manager is not found and its 360 is 404.

The data is a small demo county (generated extracts, imported through the import path),
exactly what `liuyou demo` does at scale.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import quote

import pytest
from django.db import transaction

from liuyou.system.demo import DEMO_PASSWORD, build_demo_bank

from .test_shell_journey import VIEWPORTS, watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def county(tmp_path) -> dict[str, Any]:
    """The demo bank with 300 customers imported; the facts the browser must show."""
    from liuyou.core import pii
    from liuyou.customers.models import Customer, Loan, TxnMonthly
    from liuyou.demo_county import generate
    from liuyou.demo_county.load import load_county

    with transaction.atomic():
        build_demo_bank(seed=5)  # the bank the generator plans for the same seed
    manifest = generate(out_dir=tmp_path / "extracts", customers=300, seed=5)
    summary = load_county(manifest)
    assert not summary.surprises, [(f.entry.file, f.status, f.message) for f in summary.surprises]

    managers = Counter(
        Customer.objects.filter(customer_type="individual", manager__isnull=False).values_list(
            "manager__staff_no", flat=True
        )
    )
    staff_no = managers.most_common(1)[0][0]
    mine = Customer.objects.filter(manager__staff_no=staff_no, customer_type="individual")
    # A customer of theirs with a loan and a transaction history, for the 360 figures.
    with_loan = mine.filter(loans__isnull=False, monthly_txns__isnull=False).distinct()
    customer = (with_loan.first() or mine.first()) if mine.exists() else None
    assert customer is not None
    other = Customer.objects.exclude(manager__staff_no=staff_no).filter(customer_type="individual").first()
    assert other is not None
    loan = Loan.objects.filter(customer=customer).order_by("-disbursed_on").first()
    return {
        "staff_no": staff_no,
        "customer_no": customer.customer_no,
        "name": customer.name,
        "id_no": pii.reveal(customer, "id_no"),
        "id_masked": customer.id_no_masked,
        "loan_no": loan.loan_no if loan else None,
        "txn_months": TxnMonthly.objects.filter(customer=customer).count(),
        "other_no": other.customer_no,
        "other_id": pii.reveal(other, "id_no"),
    }


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_search_then_360(county, live_server, browser, artifacts, device):
    from playwright.sync_api import expect

    base = live_server.url
    phone = device == "phone"
    context = browser.new_context(
        viewport=VIEWPORTS[device], locale="zh-CN", is_mobile=phone, has_touch=phone
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = watch(page, base)
    try:
        page.goto(f"{base}/login")
        page.get_by_label("工号").fill(county["staff_no"])
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).not_to_have_url(f"{base}/login")

        page.goto(f"{base}/customers/")
        search = page.get_by_placeholder("客户号、客户名称、完整证件号码或手机号码")

        def search_for(value: str) -> None:
            """Submit a search and wait until its answer is on the page (htmx pushes the
            URL when it swaps the results), so no assertion runs against the previous one."""
            search.fill(value)
            search.press("Enter")
            expect(page).to_have_url(re.compile(r"[?&]q=" + re.escape(quote(value)) + "(&|$)"))

        # Exact ID number: one row, the customer, with the ID masked.
        search_for(county["id_no"])
        row = page.locator("table tbody tr").filter(has_text=county["customer_no"])
        expect(row).to_have_count(1)
        expect(row).to_contain_text(county["id_masked"])
        expect(page.locator("table tbody")).not_to_contain_text(county["id_no"])

        # Name prefix (the first character) also finds them.
        search_for(county["name"][:1])
        expect(page.locator("table tbody tr").filter(has_text=county["customer_no"])).to_have_count(1)

        # Another manager's customer: not in this manager's list, even by exact ID.
        search_for(county["other_id"])
        expect(page.locator("#customer-results .ly-count")).to_have_text("0")
        expect(page.locator("#customer-results")).to_contain_text("没有符合条件的客户")

        # Customer number, then the 360.
        search_for(county["customer_no"])
        page.locator("table tbody tr").filter(has_text=county["customer_no"]).get_by_role(
            "link", name=county["customer_no"]
        ).first.click()
        expect(page).to_have_url(f"{base}/customers/{county['customer_no']}/")
        expect(page.locator("main h1").first).to_contain_text(county["name"])
        if county["loan_no"]:
            expect(page.locator("body")).to_contain_text(county["loan_no"])
        if county["txn_months"]:
            # ECharts draws into a canvas once its script ran (no inline script: CSP).
            expect(page.locator("[data-txn-chart] canvas").first).to_be_visible()
        page.screenshot(path=str(artifacts / f"customer-360-{device}.png"), full_page=True)

        # Out of scope: 404, not 403 (the record's existence is not revealed).
        answer = page.goto(f"{base}/customers/{county['other_no']}/")
        assert answer is not None and answer.status == 404
        problems[:] = [p for p in problems if "404" not in p]
    finally:
        context.close()
    assert problems == []
