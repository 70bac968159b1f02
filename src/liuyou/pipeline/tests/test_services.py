"""run_daily: order, default data date, idempotency, failure handling, the running guard."""

from __future__ import annotations

import os
import subprocess
from datetime import date, timedelta

import pytest
from django.utils import timezone

from liuyou.pipeline import guard, services
from liuyou.pipeline.models import JobBatch, JobRun, JobStatus
from liuyou.system.models import OperationLog

from .conftest import DAY, REAL_STEPS, items

pytestmark = pytest.mark.django_db


def statuses(batch: JobBatch) -> list[tuple[str, str]]:
    return list(batch.runs.order_by("step_order").values_list("step", "status"))


def test_runs_every_step_in_order_for_the_latest_imported_date(imported, fake_registry):
    batch = services.run_daily()
    assert fake_registry == [("first", DAY), ("second", DAY), ("third", DAY)]
    assert batch.data_date == DAY and batch.status == JobStatus.COMPLETED and batch.channel == "cli"
    assert statuses(batch) == [("first", "completed"), ("second", "completed"), ("third", "completed")]
    first = batch.runs.get(step="first")
    assert first.rows == 3 and first.details == {"customers": 3, "by_kind": {"a": 1, "b": 2}}
    assert first.duration is not None and first.finished_at >= first.started_at
    assert first.step_order == 10 and first.triggered_by is None
    assert batch.pid == os.getpid() and batch.duration is not None
    log = OperationLog.objects.get(action="pipeline.batch")
    assert log.result == "success" and log.after["data_date"] == "2025-03-31"
    assert [s["code"] for s in log.after["steps"]] == ["first", "second", "third"]


def test_steps_always_run_in_pipeline_order(imported, fake_registry):
    services.run_daily(steps=["third", "first"])
    assert [name for name, _ in fake_registry] == ["first", "third"]


def test_no_completed_import_means_no_data_date(db):
    with pytest.raises(services.PipelineError, match="尚无已完成的导入，无法确定数据日期"):
        services.run_daily()
    assert not JobBatch.objects.exists()


def test_unknown_step_is_refused_before_anything_runs(imported, fake_registry):
    with pytest.raises(services.PipelineError, match="未知的批处理步骤：nope；可用的步骤：first（第一步）"):
        services.run_daily(steps=["first", "nope"])
    assert fake_registry == [] and not JobBatch.objects.exists()


def test_a_step_runs_alone_for_an_explicit_date(db, fake_registry):
    day = date(2025, 2, 28)
    batch = services.run_daily(data_date=day, steps=["second"])
    assert fake_registry == [("second", day)]
    assert statuses(batch) == [("second", "completed")] and batch.steps == ["second"]
    assert items("pt_second") == 2 and items("pt_first") == 0


def test_rerunning_a_date_recomputes_instead_of_adding(imported):
    services.run_daily()
    services.run_daily()
    assert (items("pt_first"), items("pt_second"), items("pt_third")) == (3, 2, 1)
    assert JobBatch.objects.count() == 2 and JobRun.objects.filter(status="completed").count() == 6
    services.run_daily(data_date=DAY - timedelta(days=1))
    assert items("pt_first") == 6  # another date adds its own rows


def test_failed_step_rolls_back_and_skips_the_rest(imported, use_steps, fake_registry):
    use_steps("first", "broken", "second", "third")
    batch = services.run_daily()
    assert batch.status == JobStatus.FAILED
    assert statuses(batch) == [
        ("first", "completed"),
        ("broken", "failed"),
        ("second", "skipped"),
        ("third", "skipped"),
    ]
    broken = batch.runs.get(step="broken")
    assert broken.message == "会失败的步骤运行出错（ValueError）：模拟的步骤错误"
    assert "Traceback" not in broken.message and broken.rows == 0 and broken.duration is not None
    assert items("pt_broken") == 0  # the half-written rows are gone
    assert items("pt_first") == 3  # the step before keeps its committed rows
    skipped = batch.runs.get(step="second")
    assert skipped.message == "前序步骤“会失败的步骤”失败，本步骤未运行" and skipped.rows == 0
    assert [name for name, _ in fake_registry] == ["first", "broken"]
    log = OperationLog.objects.get(action="pipeline.batch")
    assert log.result == "failure"


def test_a_bad_return_value_fails_the_step_and_rolls_it_back(imported, use_steps):
    use_steps("bad_return")
    batch = services.run_daily()
    run = batch.runs.get()
    assert run.status == "failed" and "返回值不是 StepResult" in run.message
    assert items("pt_bad") == 0


def test_a_step_whose_function_does_not_exist_fails_with_a_clear_message(imported, use_steps):
    use_steps("missing", "first")
    batch = services.run_daily()
    assert statuses(batch) == [("missing", "failed"), ("first", "skipped")]
    assert (
        "步骤程序不存在或无法加载：liuyou.pipeline.tests.fake_steps.missing"
        in batch.runs.get(step="missing").message
    )


def test_the_real_registry_names_the_feature_table_step():
    # The real list, as imported (the autouse fixture replaces it for the tests).
    assert [(s.code, s.order, s.label, s.func_path) for s in REAL_STEPS] == [
        ("features", 30, "客户宽表", "liuyou.features.services.build_features"),
        ("tags", 50, "规则标签", "liuyou.tags.services.tag_step"),
        ("mining", 60, "目标挖掘（11 个维度）", "liuyou.mining.services.mine_step"),
        ("products", 70, "产品匹配", "liuyou.products.services.match_step"),
        ("leads", 75, "线索放款确认", "liuyou.targets.services.confirm_step"),
    ]


def test_a_running_batch_refuses_a_second_one(imported, fake_registry):
    holder = JobBatch.objects.create(
        data_date=DAY, status="running", pid=os.getpid(), host=guard.this_host(), heartbeat_at=timezone.now()
    )
    with pytest.raises(guard.Busy, match=rf"已有日终批处理正在运行#{holder.pk}（数据日期 2025-03-31"):
        services.run_daily()
    assert fake_registry == [] and JobBatch.objects.count() == 1


def test_running_guard_is_per_step_too(imported):
    batch = JobBatch.objects.create(data_date=DAY, status="completed")
    fields = {"batch": batch, "step": "first", "data_date": DAY, "started_at": timezone.now()}
    guard.claim_run(**fields)
    with pytest.raises(guard.Busy, match="步骤“第一步”已在运行"):
        guard.claim_run(**fields)
    guard.claim_run(**{**fields, "step": "second"})  # another step may run


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_batch_whose_process_died_is_failed_and_no_longer_blocks(imported):
    dead = JobBatch.objects.create(
        data_date=DAY, status="running", pid=dead_pid(), host=guard.this_host(), heartbeat_at=timezone.now()
    )
    stuck = JobRun.objects.create(
        batch=dead, step="first", data_date=DAY, status="running", started_at=timezone.now()
    )
    batch = services.run_daily()
    assert batch.status == "completed"
    dead.refresh_from_db()
    stuck.refresh_from_db()
    assert dead.status == "failed" and guard.INTERRUPTED in dead.message
    assert stuck.status == "failed" and stuck.message == guard.INTERRUPTED
    assert OperationLog.objects.filter(action="pipeline.batch", result="failure").count() == 1


def test_a_batch_on_another_host_counts_as_interrupted_once_stale(imported, settings):
    settings.LIUYOU_JOB_STALE_MINUTES = 10
    old = timezone.now() - timedelta(minutes=11)
    batch = JobBatch.objects.create(data_date=DAY, status="running", pid=1, host="elsewhere")
    JobBatch.objects.filter(pk=batch.pk).update(started_at=old, heartbeat_at=old)
    batch.refresh_from_db()
    assert guard.interrupted(batch)
    JobBatch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now())
    batch.refresh_from_db()
    assert not guard.interrupted(batch)


def test_a_claimed_batch_is_run_by_its_id(imported, role_users, fake_registry):
    user = role_users["hq_admin"]
    claimed = guard.claim_batch(data_date=DAY, steps=["second"], triggered_by=user, channel="web")
    batch = services.run_daily(batch_id=claimed.pk)
    assert batch.pk == claimed.pk and batch.status == "completed" and batch.pid == os.getpid()
    run = batch.runs.get()
    assert (run.step, run.triggered_by, run.channel) == ("second", user, "web")
    with pytest.raises(services.PipelineError, match=f"批次 #{claimed.pk} 不存在、已结束"):
        services.run_daily(batch_id=claimed.pk)


def test_result_dict_is_the_json_shape(imported):
    batch = services.run_daily(steps=["first"])
    result = services.result_dict(batch)
    assert result["data_date"] == "2025-03-31" and result["batch"] == batch.pk
    assert result["status"] == "completed"
    step = result["steps"][0]
    assert {k: step[k] for k in ("code", "label", "status", "rows")} == {
        "code": "first",
        "label": "第一步",
        "status": "completed",
        "rows": 3,
    }
    assert isinstance(step["seconds"], float) and step["details"]["by_kind"] == {"a": 1, "b": 2}
