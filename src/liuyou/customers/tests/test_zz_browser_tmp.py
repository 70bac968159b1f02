import pytest
from tests.browser.conftest import browser, flushable_logs, _log_triggers_restored, artifacts  # noqa
from conftest import PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True)]

def test_shot(browser, live_server, artifacts, bank, role_users, make_customer):
    am = role_users["branch_head"]
    make_customer("C1", name="张三", org=bank.o1, grid=bank.g1, manager=role_users["account_manager"], id_no="41052119900101123X", phone="13812345678")
    make_customer("C2", name="王五", org=bank.o1, id_no="410521198505052345", phone="13900001111", segment="salaried")
    problems = []
    for viewport, tag in (({"width": 1366, "height": 860}, "desk"), ({"width": 375, "height": 740}, "phone")):
        ctx = browser.new_context(viewport=viewport, locale="zh-CN")
        page = ctx.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(live_server.url + "/login")
        page.fill("input[name=username]", am.staff_no)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        page.goto(live_server.url + "/customers/")
        print("SCROLL list", tag, page.evaluate("document.documentElement.scrollWidth"))
        page.screenshot(path=str(artifacts / f"pii_list_{tag}.png"), full_page=True)
        page.goto(live_server.url + "/customers/C1/")
        page.click("#pii-id_no button")
        page.wait_for_selector(".ly-pii-full")
        print("SCROLL detail", tag, page.evaluate("document.documentElement.scrollWidth"))
        page.screenshot(path=str(artifacts / f"pii_detail_{tag}.png"), full_page=True)
        ctx.close()
    print("PROBLEMS", problems)
