"""The jobs page: list, filters, export, batch and run pages, starting and re-running."""

from __future__ import annotations

import os
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from liuyou.pipeline import guard, jobs, services
from liuyou.pipeline.models import JobBatch, JobRun
from liuyou.system.models import OperationLog

from .conftest import DAY, items

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, role_users):
    client.force_login(role_users["hq_admin"])
    return role_users["hq_admin"]


def text(response) -> str:
    return response.content.decode()


def test_jobs_page_lists_runs_and_the_steps(client, admin, imported, use_steps):
    use_steps("first", "broken", "second")
    batch = services.run_daily()
    response = client.get("/jobs/")
    assert response.status_code == 200
    page = text(response)
    assert "共 <strong>3</strong> 条作业" in page
    assert f'href="/jobs/batches/{batch.pk}/"' in page and "会失败的步骤" in page
    assert "运行日终批处理" in page and "重新运行" in page and 'data-confirm="确定重新运行“第一步”' in page
    assert "已跳过" in page and "失败" in page
    assert "（当前为 2025-03-31）" in page


def test_filters_stay_in_the_url_and_narrow_the_list(client, admin, imported, use_steps):
    use_steps("first", "broken", "second")
    services.run_daily()
    services.run_daily(data_date=DAY.replace(day=1), steps=["first"])
    assert "共 <strong>2</strong> 条作业" in text(client.get("/jobs/?step=first"))
    assert "共 <strong>1</strong> 条作业" in text(client.get("/jobs/?status=failed"))
    assert "共 <strong>1</strong> 条作业" in text(client.get("/jobs/?date_to=2025-03-01"))
    assert "共 <strong>3</strong> 条作业" in text(
        client.get("/jobs/?date_from=2025-03-31&date_to=2025-03-31")
    )
    bad = text(client.get("/jobs/?date_from=2025-04-01&date_to=2025-03-01"))
    assert "结束日期不能早于开始日期" in bad and "共 <strong>0</strong> 条作业" in bad
    assert "无效的选项：nope" in text(client.get("/jobs/?step=nope"))
    assert client.get("/jobs/?sort=-rows").status_code == 200
    fragment = client.get("/jobs/?step=first", HTTP_HX_REQUEST="true")
    assert text(fragment).startswith('<div id="job-runs">')


def test_paginated(client, admin, imported):
    for _ in range(11):
        services.run_daily()
    page = text(client.get("/jobs/"))
    assert "共 <strong>33</strong> 条作业" in page and "page=2" in page


def test_export_holds_the_filtered_runs(client, admin, imported):
    services.run_daily()
    response = client.get("/jobs/export.xlsx?step=first")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("编号", "批次", "步骤", "步骤代码", "数据日期", "状态")
    assert len(rows) == 2 and rows[1][2:6] == ("第一步", "first", "2025-03-31", "已完成")
    assert "客户数：3" in rows[1][-1]
    assert OperationLog.objects.filter(action="pipeline.runs_export").exists()


def test_run_page_shows_details_as_a_table(client, admin, imported):
    batch = services.run_daily(steps=["first"])
    run = batch.runs.get()
    page = text(client.get(f"/jobs/runs/{run.pk}/"))
    assert "<code>customers</code></td><td>客户数</td>" in page
    assert "<code>by_kind.a</code>" in page and "<code>by_kind.b</code>" in page
    assert f'href="/jobs/batches/{batch.pk}/"' in page and "重新运行" in page


def test_batch_page_and_its_poll(client, admin, imported, use_steps):
    use_steps("first", "broken")
    batch = services.run_daily()
    page = text(client.get(f"/jobs/batches/{batch.pk}/"))
    assert "会失败的步骤运行出错（ValueError）：模拟的步骤错误" in page
    assert 'hx-trigger="every 2s"' not in page
    running = JobBatch.objects.create(
        data_date=DAY,
        status="running",
        steps=["first"],
        pid=os.getpid(),
        host=guard.this_host(),
        heartbeat_at=timezone.now(),
    )
    fragment = client.get(f"/jobs/batches/{running.pk}/", HTTP_HX_REQUEST="true")
    body = text(fragment)
    assert body.startswith('<section id="job-batch"') and 'hx-trigger="every 2s"' in body and "等待" in body


def test_start_runs_the_batch_and_shows_it(client, admin, imported, sync_jobs):
    response = client.post("/jobs/run/", {"data_date": "2025-03-31"})
    batch = JobBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/batches/{batch.pk}/"
    assert (batch.status, batch.channel, batch.triggered_by) == ("completed", "web", admin)
    assert JobRun.objects.filter(triggered_by=admin, channel="web").count() == 3
    assert OperationLog.objects.filter(action="pipeline.start", user_id=admin.pk).exists()


def test_rerun_one_step(client, admin, imported, sync_jobs, fake_registry):
    response = client.post("/jobs/run/", {"steps": "second", "data_date": "2025-03-01"})
    assert response.status_code == 302
    assert fake_registry == [("second", DAY.replace(day=1))]
    assert items("pt_second") == 2


def test_start_errors_are_answered_on_the_page(client, admin, db, sync_jobs):
    page = client.post("/jobs/run/", {})
    assert page.status_code == 400 and "尚无已完成的导入，无法确定数据日期" in text(page)
    bad = client.post("/jobs/run/", {"steps": "nope", "data_date": "2025-03-31"})
    assert bad.status_code == 400 and "未知的批处理步骤：nope" in text(bad)
    date = client.post("/jobs/run/", {"data_date": "31/03/2025"})
    assert date.status_code == 400 and "数据日期应为 YYYY-MM-DD" in text(date)
    assert not JobBatch.objects.exists()


def test_busy_answers_409(client, admin, imported, sync_jobs):
    JobBatch.objects.create(
        data_date=DAY, status="running", pid=os.getpid(), host=guard.this_host(), heartbeat_at=timezone.now()
    )
    response = client.post("/jobs/run/", {})
    assert response.status_code == 409 and "已有日终批处理正在运行" in text(response)


def test_page_start_runs_in_a_background_process(
    client, admin, imported, monkeypatch, django_capture_on_commit_callbacks
):
    started = []
    monkeypatch.setattr(jobs, "spawn", lambda batch_id: started.append(batch_id) or 4242)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/jobs/run/", {})
    batch = JobBatch.objects.get()
    assert response.status_code == 302 and started == [batch.pk]
    assert batch.status == "running" and batch.pid is None and not batch.runs.exists()
    assert jobs.command(batch.pk)[-4:] == ["daily", "--batch-id", str(batch.pk), "--json"]


def test_a_process_that_cannot_start_fails_the_batch(imported, monkeypatch):
    batch = guard.claim_batch(data_date=DAY, steps=[], triggered_by=None, channel="web")

    def fail(batch_id):
        raise OSError("no such file")

    monkeypatch.setattr(jobs, "spawn", fail)
    jobs.launch(batch.pk)
    batch.refresh_from_db()
    assert batch.status == "failed" and "无法启动批处理进程" in batch.message


def test_viewer_without_run_permission(client, role_users, imported):
    client.force_login(role_users["risk_officer"])
    page = text(client.get("/jobs/"))
    assert "运行日终批处理</h2>" not in page and "重新运行" not in page
    assert client.post("/jobs/run/", {}).status_code == 403


def test_menu_entry(client, admin):
    page = text(client.get("/jobs/"))
    assert "数据与批处理" in page and 'href="/jobs/"' in page


def test_run_list_badge_follows_the_status_code(client, role_users):
    from datetime import date

    from django.utils import timezone

    from liuyou.pipeline.models import JobBatch, JobRun

    batch = JobBatch.objects.create(data_date=date(2026, 6, 30), status="completed")
    JobRun.objects.create(batch=batch, step="features", data_date=batch.data_date, status="completed",
                          started_at=timezone.now())  # fmt: skip
    JobRun.objects.create(batch=batch, step="mining", data_date=batch.data_date, status="failed",
                          started_at=timezone.now(), message="测试")  # fmt: skip
    client.force_login(role_users["hq_admin"])
    page = client.get("/jobs/").content.decode()
    assert '<span class="badge text-bg-success">已完成</span>' in page
    assert '<span class="badge text-bg-danger">失败</span>' in page
