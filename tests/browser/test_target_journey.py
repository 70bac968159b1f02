"""A real browser through issue 4's main journey: the head office builds a target list from a
dimension on the analysis data (live count, save), distributes it to the customers' managers,
and an account manager opens their lead, reads why the customer is on it and records contact.

The data is a small demo county imported through the import path, then the daily pipeline
(feature table, rule tags, dimensions, product matching), as `liuyou demo` does."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from liuyou.system.demo import DEMO_PASSWORD, build_demo_bank, plan_demo_bank

from .test_shell_journey import VIEWPORTS, watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def county(tmp_path) -> dict[str, Any]:
    from liuyou.demo_county import generate
    from liuyou.demo_county.load import load_county
    from liuyou.pipeline.services import run_daily

    with transaction.atomic():
        build_demo_bank(seed=5)
    manifest = generate(out_dir=tmp_path / "extracts", customers=300, seed=5)
    assert not load_county(manifest).surprises
    from liuyou.products.services import ensure_demo_catalogue

    with transaction.atomic():
        ensure_demo_catalogue()  # as `liuyou demo` does before the daily run
    batch = run_daily(data_date=None, channel="cli")
    assert batch.status == "completed", batch.message
    _, users = plan_demo_bank(seed=5)
    admin = next(u for u in users if u.role == "hq_admin")
    # Who will get a lead when the list is handed out by manager: a working manager's customer
    # of the list, found now because the browser's thread may not use the database.
    from liuyou.system.models import User
    from liuyou.targets.selectors import Definition, candidates

    rows = candidates(
        user=User.objects.get(staff_no=admin.staff_no),
        definition=Definition(dimensions=["no_loan_conversion"]),
        data_date=batch.data_date,
    ).filter(customer__manager__is_active=True, customer__manager__status="active")
    feature = rows.select_related("customer__manager").order_by("customer__customer_no").first()
    assert feature is not None
    return {
        "admin": admin.staff_no,
        "data_date": batch.data_date.isoformat(),
        "customer_no": feature.customer.customer_no,
        "manager": feature.customer.manager.staff_no,
    }


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_build_distribute_and_follow_a_lead(county, live_server, browser, artifacts, device):
    from playwright.sync_api import expect

    base = live_server.url
    phone = device == "phone"
    context = browser.new_context(
        viewport=VIEWPORTS[device], locale="zh-CN", is_mobile=phone, has_touch=phone
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = watch(page, base)

    def login(staff_no: str) -> None:
        page.goto(f"{base}/login")
        page.get_by_label("工号").fill(staff_no)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).not_to_have_url(f"{base}/login")

    try:
        login(county["admin"])
        # The analysis page draws its chart (a static script, no inline code).
        page.goto(f"{base}/mining/")
        expect(page.locator("[data-dimension-chart] canvas").first).to_be_visible()

        page.goto(f"{base}/targets/new/")
        page.get_by_label("名单名称").fill("无贷户首贷营销")
        page.locator(".ly-builder").get_by_label("无贷转化").first.check()
        count = page.locator(".ly-preview-count")
        expect(count).to_be_visible()
        previewed = int(count.inner_text())
        assert previewed > 0
        page.get_by_role("button", name="保存名单（快照）").click()
        expect(page.locator("main h1").first).to_contain_text("无贷户首贷营销")
        expect(page.locator("body")).to_contain_text(f"快照 {previewed} 位客户")

        page.get_by_label("按当前主办客户经理").check()
        page.get_by_role("button", name="分配名单").click()
        expect(page.locator("body")).to_contain_text(f"已分配 {previewed} 条线索")
        page.screenshot(path=str(artifacts / f"target-list-{device}.png"), full_page=True)
        page.context.clear_cookies()

        login(county["manager"])
        page.goto(f"{base}/targets/leads/")
        page.get_by_role("link", name=county["customer_no"]).first.click()
        expect(page.locator(".ly-reasons")).to_contain_text("无贷转化")
        expect(page.locator(".ly-lead-status")).to_have_text("待联系")
        page.get_by_label("更新为").select_option("contacted")
        page.get_by_label("跟进说明").fill("电话联系，客户有春耕资金需求")
        page.get_by_role("button", name="更新线索").click()
        expect(page.locator(".ly-lead-status")).to_have_text("已联系")
        expect(page.locator(".ly-events")).to_contain_text("电话联系")
        page.screenshot(path=str(artifacts / f"lead-{device}.png"), full_page=True)
    finally:
        context.close()
    assert problems == []
