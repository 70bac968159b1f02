"""A real browser through the import page: the head-office administrator uploads a village
extract with one bad row, sees the result (read = loaded + rejected), downloads the reject
file, and finds the run in the import history.

The run executes in the request here (LIUYOU_IMPORT_BACKGROUND off): the detached process of
a real upload is covered by ingest/tests/test_pages_subprocess.py.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.db import transaction

from liuyou.system.demo import DEMO_PASSWORD, build_demo_bank

from .test_shell_journey import VIEWPORTS, watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def village_file(tmp_path, settings) -> dict[str, Any]:
    from liuyou.system.models import Org, OrgKind

    settings.LIUYOU_IMPORT_BACKGROUND = False
    with transaction.atomic():
        bank = build_demo_bank()
    grid = Org.objects.filter(kind=OrgKind.GRID).order_by("code").first()
    assert grid is not None
    admin = next(login for login in bank.logins if login.role == "hq_admin")
    path = tmp_path / "village_20261031.csv"
    rows = [
        ["村编码", "村名称", "乡镇", "户数", "人口", "经度", "纬度", "所属机构号"],
        ["370725101201", "测试一村", "城关街道", "320", "1100", "119.10", "36.70", grid.code],
        ["370725101202", "测试二村", "城关街道", "280", "960", "", "", grid.code],
        ["3707251012", "编码不对村", "城关街道", "10", "30", "", "", grid.code],  # 10 digits
    ]
    with path.open("w", encoding="gbk", newline="") as f:
        csv.writer(f).writerows(rows)
    return {"path": path, "staff_no": admin.staff_no}


@pytest.mark.parametrize("device", ["desktop"])
def test_upload_result_rejects_and_history(village_file, live_server, browser, artifacts, device):
    from playwright.sync_api import expect

    base = live_server.url
    context = browser.new_context(viewport=VIEWPORTS[device], locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = watch(page, base)
    try:
        page.goto(f"{base}/login")
        page.get_by_label("工号").fill(village_file["staff_no"])
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).not_to_have_url(f"{base}/login")

        page.goto(f"{base}/imports/")
        page.get_by_label("数据源").select_option("village")
        page.get_by_label("数据文件").set_input_files(str(village_file["path"]))
        page.get_by_role("button", name="上传并导入").click()

        expect(page).to_have_url(re.compile(r"/imports/runs/\d+/$"))
        expect(page.locator(".ly-run-status")).to_have_text("已完成")
        expect(page.locator('[data-count="read"]')).to_have_text("3")
        expect(page.locator('[data-count="inserted"]')).to_have_text("2")
        expect(page.locator('[data-count="rejected"]')).to_have_text("1")
        page.screenshot(path=str(artifacts / f"import-result-{device}.png"), full_page=True)

        with page.expect_download() as info:
            page.locator(".ly-rejects-link").click()
        data = info.value.path().read_bytes()
        lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert lines[0][-3:] == ["行号", "列名", "原因"]
        assert len(lines) == 2 and lines[1][0] == "3707251012" and "村编码应为12位数字" in lines[1][-1]

        page.goto(f"{base}/imports/runs/")
        row = page.locator("table tbody tr").filter(has_text="village_20261031.csv")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("已完成")
    finally:
        context.close()
    assert problems == []
