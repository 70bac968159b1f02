"""The real `liuyou import` process: with --json, stdout is one JSON object and nothing else."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .helpers import BANK_ORGS, ORG_HEADER, write_csv

LIUYOU = str(Path(sys.executable).with_name("liuyou"))


def test_json_stdout_is_one_object_and_refusal_exits_2(tmp_path):
    env = {
        **os.environ,
        "LIUYOU_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "LIUYOU_VAR_DIR": str(tmp_path / "var"),
    }
    subprocess.run([LIUYOU, "migrate", "-v0"], cwd=tmp_path, env=env, check=True, capture_output=True)
    path = write_csv(tmp_path / "org_20250301.csv", [*ORG_HEADER, "备注"], [[*r, ""] for r in BANK_ORGS])
    done = subprocess.run(
        [LIUYOU, "import", "org", str(path), "--json"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert (result["read"], result["inserted"], result["rejected"]) == (4, 4, 0)
    assert Path(result["reject_file"]).is_absolute() and Path(result["reject_file"]).is_file()
    assert "未识别的列（未导入）：备注" in done.stderr

    (tmp_path / "org_20250302.csv.ok").write_text("99", encoding="utf-8")
    again = write_csv(tmp_path / "org_20250302.csv", ORG_HEADER, BANK_ORGS)
    refused = subprocess.run(
        [LIUYOU, "import", "org", str(again), "--json"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert refused.returncode == 2 and refused.stdout == ""
    assert "整个文件拒绝导入" in refused.stderr
