"""/api/v1/jobs: the run list, one batch, starting a batch."""

from __future__ import annotations

import json
import os

import pytest
from django.utils import timezone

from liuyou.pipeline import guard, jobs, services
from liuyou.pipeline.models import JobBatch

from .conftest import DAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, role_users):
    client.force_login(role_users["hq_admin"])
    return role_users["hq_admin"]


def post(client, body):
    return client.post("/api/v1/jobs/daily", data=json.dumps(body), content_type="application/json")


def test_runs_list_paginated_and_filtered(client, admin, imported, use_steps):
    use_steps("first", "broken", "second")
    batch = services.run_daily()
    body = client.get("/api/v1/jobs/runs").json()
    assert body["count"] == 3
    newest = {r["step"]: r for r in body["items"]}
    assert newest["first"]["batch"] == batch.pk and newest["first"]["rows"] == 3
    assert newest["first"]["step_label"] == "第一步" and newest["first"]["details"]["customers"] == 3
    assert newest["broken"]["status"] == "failed" and "模拟的步骤错误" in newest["broken"]["message"]
    assert client.get("/api/v1/jobs/runs?status=skipped").json()["count"] == 1
    assert client.get(f"/api/v1/jobs/runs?step=first&batch={batch.pk}").json()["count"] == 1
    assert client.get("/api/v1/jobs/runs?date_from=2025-04-01").json()["count"] == 0
    bad = client.get("/api/v1/jobs/runs?step=nope")
    assert bad.status_code == 422 and "查询参数无效" in bad.json()["detail"]
    assert client.get("/api/v1/jobs/runs?status=whatever").status_code == 422


def test_batch_detail(client, admin, imported):
    batch = services.run_daily(steps=["second"])
    body = client.get(f"/api/v1/jobs/batches/{batch.pk}").json()
    assert body["batch"] == batch.pk and body["data_date"] == "2025-03-31" and body["status"] == "completed"
    assert [s["code"] for s in body["steps"]] == ["second"]
    assert client.get("/api/v1/jobs/batches/999").status_code == 404


def test_start_runs_synchronously_in_tests(client, admin, imported, sync_jobs):
    response = post(client, {"steps": ["first"]})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "completed" and body["channel"] == "api"
    assert [s["code"] for s in body["steps"]] == ["first"]


def test_start_in_background_answers_202(
    client, admin, imported, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(jobs, "spawn", lambda batch_id: 1)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, {"data_date": "2025-03-01"})
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "running" and body["data_date"] == "2025-03-01" and body["steps"] == []


def test_start_errors_are_json(client, admin, db, sync_jobs):
    none = post(client, {})
    assert none.status_code == 422 and none.json()["detail"] == "尚无已完成的导入，无法确定数据日期"
    unknown = post(client, {"data_date": "2025-03-31", "steps": ["nope"]})
    assert unknown.status_code == 422 and "未知的批处理步骤" in unknown.json()["detail"]
    bad_date = post(client, {"data_date": "31.03.2025"})
    assert bad_date.status_code == 422 and "request_id" in bad_date.json()
    assert not JobBatch.objects.exists()


def test_busy_is_409(client, admin, imported, sync_jobs):
    JobBatch.objects.create(
        data_date=DAY, status="running", pid=os.getpid(), host=guard.this_host(), heartbeat_at=timezone.now()
    )
    response = post(client, {})
    assert response.status_code == 409 and "已有日终批处理正在运行" in response.json()["detail"]


def test_viewer_may_list_but_not_start(client, role_users, imported):
    client.force_login(role_users["risk_officer"])
    assert client.get("/api/v1/jobs/runs").status_code == 200
    response = post(client, {})
    assert response.status_code == 403 and response.json()["detail"] == "无权访问：需要权限 job:run"
