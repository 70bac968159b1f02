"""A real browser through the shell: log in, open the menu, open the user admin page, log out.

Run on a desktop viewport and on a 375-px phone, where the menu is an offcanvas behind a button.
Screenshots go to test-artifacts/. Any console error (CSP violations are reported there),
uncaught page error or failed same-origin request fails the test.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import transaction

from liuyou.system.demo import DEMO_PASSWORD, build_demo_bank

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

VIEWPORTS = {
    "desktop": {"width": 1366, "height": 860},
    "phone": {"width": 375, "height": 740},
}


@pytest.fixture
def demo_bank() -> Any:
    with transaction.atomic():
        return build_demo_bank()


def watch(page: Any, origin: str) -> list[str]:
    """Collect what must not happen: console errors (CSP included), page errors, failed requests."""
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    def on_failed(request: Any) -> None:
        # ERR_ABORTED: the browser dropped a request of a page it was leaving (a favicon still
        # loading when the next page or the context closed), which no server or CSP caused.
        # A blocked request reads ERR_BLOCKED_BY_CSP / ERR_CONNECTION_REFUSED and still counts.
        if "ERR_ABORTED" not in str(request.failure):
            problems.append(f"request failed: {request.url} {request.failure}")

    page.on("requestfailed", on_failed)

    def on_response(response: Any) -> None:
        if response.url.startswith(origin) and response.status >= 400:
            problems.append(f"HTTP {response.status}: {response.url}")

    page.on("response", on_response)
    return problems


def no_horizontal_scroll(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_login_menu_admin_page_logout(demo_bank, live_server, browser, artifacts, device):
    from playwright.sync_api import expect

    admin = next(login for login in demo_bank.logins if login.role == "system_admin")
    base = live_server.url
    phone = device == "phone"
    context = browser.new_context(
        viewport=VIEWPORTS[device], locale="zh-CN", is_mobile=phone, has_touch=phone
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = watch(page, base)
    try:
        # Anonymous: the shell sends us to the login page.
        page.goto(f"{base}/")
        expect(page).to_have_url(re.compile(r"/login(\?|$)"))
        expect(page.locator('input[name="username"]')).to_be_visible()
        expect(page.locator('input[name="password"]')).to_be_visible()
        page.screenshot(path=str(artifacts / f"shell-{device}-1-login.png"), full_page=True)

        page.fill('input[name="username"]', admin.staff_no)
        page.fill('input[name="password"]', DEMO_PASSWORD)
        page.get_by_role("button", name="登录", exact=True).click()
        expect(page).to_have_url(f"{base}/")
        expect(page).to_have_title(re.compile("六有"))
        assert admin.name in page.content()
        assert no_horizontal_scroll(page), "the workbench scrolls sideways"
        page.screenshot(path=str(artifacts / f"shell-{device}-2-workbench.png"), full_page=True)

        users_link = page.get_by_role("link", name="用户管理")
        if phone:
            # The menu is folded away; the button opens it as an offcanvas.
            expect(users_link).to_be_hidden()
            page.locator('[data-bs-toggle="offcanvas"]:visible').first.click()
            # Opened, and done sliding in (Bootstrap marks the transition with "showing").
            expect(page.locator(".offcanvas.show, .offcanvas-lg.show")).to_have_count(1)
            expect(page.locator(".offcanvas.showing, .offcanvas-lg.showing")).to_have_count(0)
        expect(users_link).to_be_visible()
        # A system admin's menu has the admin entries and no customer data.
        expect(page.get_by_role("link", name="机构管理")).to_be_visible()
        expect(page.get_by_role("link", name="客户信息库")).to_have_count(0)
        page.screenshot(path=str(artifacts / f"shell-{device}-3-menu.png"))

        users_link.click()
        expect(page).to_have_url(f"{base}/system/users/")
        expect(page.get_by_role("heading", name="用户管理")).to_be_visible()
        expect(page.locator("main")).to_contain_text(admin.staff_no)
        expect(page.locator("main")).to_contain_text(admin.name)
        assert no_horizontal_scroll(page), "the user list scrolls sideways"
        page.screenshot(path=str(artifacts / f"shell-{device}-4-users.png"), full_page=True)

        logout = page.get_by_role("button", name="退出")
        if not logout.is_visible():
            page.locator('header [data-bs-toggle="dropdown"]').first.click()
        expect(logout).to_be_visible()
        logout.click()
        expect(page).to_have_url(re.compile(r"/login(\?|$)"))
        expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible()
        page.screenshot(path=str(artifacts / f"shell-{device}-5-logged-out.png"), full_page=True)

        # The session is gone: the admin page sends us back to the login page.
        page.goto(f"{base}/system/users/")
        expect(page).to_have_url(re.compile(r"/login\?next=/system/users/"))
    finally:
        context.close()
    assert problems == []
