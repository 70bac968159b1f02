"""The upload page with the real background process: the request returns at once, a detached
`liuyou import --run-id N` fills the run the page created."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import BANK_ORGS, ORG_HEADER, write_csv
from .procs import RUNS, database_url, drop_database, environment, liuyou, query, wait_for

HEADER = ["村编码", "村名称", "乡镇", "户数", "人口", "经度", "纬度", "所属机构号"]

# Runs in its own process against the test's own database: an hq_admin uploads through the
# real middleware stack, the request's transaction commits and so starts the import process.
DRIVER = """
import json, sys
import django
django.setup()
from django.test.utils import setup_test_environment
setup_test_environment()
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from liuyou.system import services
from liuyou.system.models import Org, Role

user = services.create_user(staff_no="8001", name="导入管理员", org=Org.objects.get(code="000"),
    password="Liuyou#2026ok", roles=[Role.objects.get(code="hq_admin")], must_change_password=False)
client = Client()
client.force_login(user)
path = sys.argv[1]
with open(path, "rb") as f:
    upload = SimpleUploadedFile("village_20250301.csv", f.read())
response = client.post("/imports/", {"source": "village", "file": upload})
print(json.dumps({"status": response.status_code, "location": response.get("Location", "")}))
"""


@pytest.fixture
def proc_env(tmp_path):
    url, created = database_url(tmp_path)
    env = {**environment(tmp_path, url), "DJANGO_SETTINGS_MODULE": "liuyou.settings"}
    try:
        liuyou(env, tmp_path, "migrate", "-v0")
        yield env
    finally:
        drop_database(created)


def test_upload_runs_in_a_background_process(tmp_path, proc_env):
    env = proc_env
    liuyou(
        env, tmp_path, "import", "org", str(write_csv(tmp_path / "org_20250301.csv", ORG_HEADER, BANK_ORGS))
    )
    rows = [
        ["410521100001", "东关村", "城关镇", "1", "2", "", "", "101"],
        ["410521100002", "坏村", "", "", "", "", "", "X"],
    ]
    data = write_csv(tmp_path / "upload.csv", HEADER, rows)
    driver = subprocess.run(
        [sys.executable, "-c", DRIVER, str(data)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert driver.returncode == 0, driver.stderr
    answer = json.loads(driver.stdout.strip().splitlines()[-1])
    assert answer == {"status": 302, "location": "/imports/runs/2/"}

    def finished():
        runs = query(env, tmp_path, RUNS)
        return runs if runs[-1]["status"] != "running" else None

    upload = wait_for(finished, 60, "the background import")[-1]
    var = tmp_path / "var" / "imports"
    assert (upload["status"], upload["channel"], upload["read"], upload["inserted"], upload["rejected"]) == (
        "completed",
        "upload",
        2,
        1,
        1,
    ), (var / "2" / "output.log").read_text()
    assert upload["pid"] and upload["host"]
    assert (var / "uploads" / "2" / "village_20250301.csv").read_bytes() == data.read_bytes()
    assert Path(upload["reject_file"]) == (var / "2" / "village_20250301.rejects.csv").resolve()
    result = (var / "2" / "result.json").read_text(encoding="utf-8").splitlines()
    assert len(result) == 1 and json.loads(result[0])["run_id"] == 2
    assert json.loads((var / "2" / "progress.json").read_text(encoding="utf-8"))["stage"] == "done"
