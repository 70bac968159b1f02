"""A real import process killed midway (SIGKILL, no chance to clean up): the library is as it
was before the run, and the run is marked failed once the next import of the source starts."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest

from liuyou.ingest.guard import INTERRUPTED

from .helpers import BANK_ORGS, ORG_HEADER, write_csv
from .procs import LIUYOU, RUNS, database_url, drop_database, environment, liuyou, query, wait_for

HEADER = ["村编码", "村名称", "乡镇", "户数", "人口", "经度", "纬度", "所属机构号"]
BIG = 80_000

VILLAGES = (
    "import json; from liuyou.customers.models import Village; "
    "print(json.dumps(sorted(Village.objects.values_list('code', 'name', 'is_active'))))"
)


def village(i: int, name: str) -> list[str]:
    return [f"4105211{i:05d}", name, "城关镇", "100", "300", "114.1", "36.1", "101"]


@pytest.fixture
def proc_env(tmp_path):
    url, created = database_url(tmp_path)
    env = environment(tmp_path, url)
    try:
        liuyou(env, tmp_path, "migrate", "-v0")
        yield env
    finally:
        drop_database(created)


def test_a_killed_import_leaves_the_library_unchanged(tmp_path, proc_env):
    env = proc_env
    liuyou(
        env, tmp_path, "import", "org", str(write_csv(tmp_path / "org_20250301.csv", ORG_HEADER, BANK_ORGS))
    )
    small = write_csv(tmp_path / "village_20250301.csv", HEADER, [village(1, "东关村"), village(2, "西关村")])
    liuyou(env, tmp_path, "import", "village", str(small))
    before = query(env, tmp_path, VILLAGES)
    assert [v[1] for v in before] == ["东关村", "西关村"]

    # A later full file that renames both, adds many and would close none: big enough to be
    # killed while its rows stream into the load transaction.
    rows = [village(1, "东关新村"), village(2, "西关新村")] + [village(i, f"新村{i}") for i in range(3, BIG)]
    big = write_csv(tmp_path / "village_20250302.csv", HEADER, rows)
    proc = subprocess.Popen(
        [LIUYOU, "import", "village", str(big), "--json"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    progress = tmp_path / "var" / "imports" / "3" / "progress.json"

    def loading():
        try:
            data = json.loads(progress.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if data.get("stage") == "loading" and data["read"] >= 5000 else None

    try:
        seen = wait_for(loading, 120, "the import to be loading")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    assert 5000 <= seen["read"] < BIG

    assert query(env, tmp_path, VILLAGES) == before
    killed = query(env, tmp_path, RUNS)[-1]
    assert (killed["pk"], killed["status"], killed["pid"]) == (3, "running", proc.pid)

    again = write_csv(tmp_path / "village_20250303.csv", HEADER, [village(1, "东关村"), village(2, "西关村")])
    done = liuyou(env, tmp_path, "import", "village", str(again), "--json")
    assert json.loads(done.stdout)["unchanged"] == 2
    runs = {r["pk"]: r for r in query(env, tmp_path, RUNS)}
    assert (runs[3]["status"], runs[3]["message"]) == ("failed", INTERRUPTED)
    assert runs[4]["status"] == "completed"
    assert query(env, tmp_path, VILLAGES) == before
