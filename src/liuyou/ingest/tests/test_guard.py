"""One running import per source; a run left `running` by a dead process is marked failed."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from liuyou.customers.models import Village
from liuyou.ingest import guard, jobs, runner
from liuyou.ingest.models import ImportRun, RunStatus
from liuyou.system.models import OperationLog

from .helpers import run, write_csv

pytestmark = pytest.mark.django_db
HEADER = ["村编码", "村名称", "乡镇", "户数", "人口", "经度", "纬度", "所属机构号"]
ROWS = [["410521100001", "东关村", "城关镇", "1203", "4100", "", "", "1G1"]]


@pytest.fixture(autouse=True)
def var(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    settings.LIUYOU_IMPORT_BACKGROUND = False
    return settings.VAR_DIR


def village_file(tmp_path, name="village_20250301.csv"):
    return write_csv(tmp_path / name, HEADER, ROWS)


def live_run(source="village", **fields):
    """A run whose process is alive: this test process."""
    return guard.claim(
        source=source, file_name=f"{source}_20250301.csv", pid=os.getpid(), host=guard.this_host(), **fields
    )


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_the_database_refuses_a_second_running_row(bank):
    live_run()
    with pytest.raises(IntegrityError), transaction.atomic():
        ImportRun.objects.create(source="village", file_name="x.csv", status=RunStatus.RUNNING)
    ImportRun.objects.create(source="village", file_name="y.csv", status=RunStatus.COMPLETED)
    ImportRun.objects.create(source="org", file_name="org.csv", status=RunStatus.RUNNING)


def test_a_second_run_is_refused_naming_the_running_one(tmp_path, bank, role_users):
    holder = live_run(user=role_users["hq_admin"])
    with pytest.raises(runner.Refused) as exc:
        run("village", village_file(tmp_path))
    message = str(exc.value)
    assert f"#{holder.pk}" in message and "village_20250301.csv" in message and "行政村/社区" in message
    assert role_users["hq_admin"].name in message and "不能同时导入" in message
    refused = exc.value.run
    assert refused.status == RunStatus.REFUSED and refused.message == message
    assert Village.objects.count() == 0
    holder.refresh_from_db()
    assert holder.status == RunStatus.RUNNING

    # Another source is not held up.
    other = run(
        "org",
        write_csv(
            tmp_path / "org_20250301.csv", ["机构号", "机构名称", "上级机构号", "机构类型", "地址"], []
        ),
    )
    assert other.status == RunStatus.COMPLETED

    ImportRun.objects.filter(pk=holder.pk).update(status=RunStatus.COMPLETED)
    assert run("village", village_file(tmp_path)).status == RunStatus.COMPLETED


def test_the_cli_exits_non_zero_with_the_message(tmp_path, bank, capsys):
    holder = live_run()
    with pytest.raises(SystemExit) as exc:
        call_command("import", "village", str(village_file(tmp_path)), "--json")
    assert exc.value.code == 2
    out = capsys.readouterr()
    assert out.out == "" and f"已有导入正在运行#{holder.pk}" in out.err


def test_an_upload_is_refused_while_the_source_runs(client, bank, role_users, tmp_path, var):
    holder = live_run()
    client.force_login(role_users["hq_admin"])
    response = client.post(
        "/imports/",
        {
            "source": "village",
            "file": SimpleUploadedFile("village_20250301.csv", village_file(tmp_path).read_bytes()),
        },
    )
    assert response.status_code == 409
    text = response.content.decode()
    assert f"#{holder.pk}" in text and "不能同时导入" in text
    assert list(ImportRun.objects.values_list("pk", flat=True)) == [holder.pk]
    assert not (var / "imports" / "uploads").exists()


def test_a_run_whose_process_is_gone_is_failed_when_the_next_one_starts(tmp_path, bank):
    dead = guard.claim(
        source="village", file_name="village_20250228.csv", pid=dead_pid(), host=guard.this_host()
    )
    done = run("village", village_file(tmp_path))
    assert done.status == RunStatus.COMPLETED
    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED and dead.message == guard.INTERRUPTED and dead.finished_at
    entry = OperationLog.objects.filter(action="ingest.run", object_id=str(dead.pk)).get()
    assert entry.result == "failure" and entry.message == guard.INTERRUPTED


def test_history_page_marks_stale_runs_failed(client, bank, role_users, settings):
    settings.LIUYOU_IMPORT_STALE_MINUTES = 10
    alive = live_run("village")
    # Elsewhere: the pid means nothing here, only the heartbeat counts.
    quiet = guard.claim(source="org", file_name="org_20250301.csv", pid=1, host="other-host")
    ImportRun.objects.filter(pk=quiet.pk).update(started_at=timezone.now() - timedelta(minutes=11))
    beating = guard.claim(source="staff", file_name="staff_20250301.csv", pid=1, host="other-host")
    ImportRun.objects.filter(pk=beating.pk).update(started_at=timezone.now() - timedelta(minutes=60))
    jobs.write_progress(beating.pk, stage="loading", read=1000, rejected=0)

    client.force_login(role_users["hq_admin"])
    assert client.get("/imports/runs/").status_code == 200
    status = dict(ImportRun.objects.values_list("pk", "status"))
    assert status == {alive.pk: "running", quiet.pk: "failed", beating.pk: "running"}
    assert ImportRun.objects.get(pk=quiet.pk).message == guard.INTERRUPTED


def test_the_run_page_notices_a_dead_process(client, bank, role_users):
    dead = guard.claim(
        source="village", file_name="village_20250301.csv", pid=dead_pid(), host=guard.this_host()
    )
    client.force_login(role_users["hq_admin"])
    text = client.get(f"/imports/runs/{dead.pk}/").content.decode()
    assert "失败" in text and guard.INTERRUPTED in text and "every 2s" not in text


def test_a_zombie_counts_as_gone():
    proc = subprocess.Popen(["true"])
    for _ in range(200):
        try:
            state = Path(f"/proc/{proc.pid}/status").read_text()
        except OSError:
            pytest.skip("no /proc")
        if "\nState:\tZ" in state:
            break
        time.sleep(0.01)
    assert not guard.pid_alive(proc.pid)
    proc.wait()
    assert guard.pid_alive(os.getpid())


def test_an_adopted_run_must_be_running_and_of_that_source(tmp_path, bank):
    finished = ImportRun.objects.create(source="village", file_name="v.csv", status=RunStatus.COMPLETED)
    with pytest.raises(runner.Refused, match="不存在、已结束"):
        runner.run_import(runner.Options(source="village", path=village_file(tmp_path), run_id=finished.pk))
    held = guard.claim(source="org", file_name="org.csv")
    with pytest.raises(runner.Refused):
        runner.run_import(runner.Options(source="village", path=village_file(tmp_path), run_id=held.pk))
    assert Village.objects.count() == 0
