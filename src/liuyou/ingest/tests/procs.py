"""Real `liuyou` processes against a database of their own, for the tests that need a process
to die or to run in the background: the test database of pytest-django lives inside the test
process's transaction, so another process could not see it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

LIUYOU = str(Path(sys.executable).with_name("liuyou"))


def database_url(tmp_path: Path) -> tuple[str, str | None]:
    """SQLite in tmp_path, or a fresh PostgreSQL database beside the one the suite runs on
    (its name is returned so the test can drop it)."""
    base = os.environ.get("LIUYOU_DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{tmp_path / 'db.sqlite3'}", None
    import psycopg

    prefix, _, name = base.rpartition("/")
    fresh = f"{name.split('?')[0]}_proc_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{fresh}"')
    return f"{prefix}/{fresh}", fresh


def drop_database(name: str | None) -> None:
    if name is None:
        return
    import psycopg

    base = os.environ["LIUYOU_DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def environment(tmp_path: Path, url: str) -> dict[str, str]:
    return {**os.environ, "LIUYOU_DATABASE_URL": url, "LIUYOU_VAR_DIR": str(tmp_path / "var")}


def liuyou(env: dict[str, str], cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([LIUYOU, *args], cwd=cwd, env=env, capture_output=True, text=True)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def query(env: dict[str, str], cwd: Path, code: str) -> Any:
    """Evaluate Python in `liuyou shell`; the code must print one JSON value as its last line."""
    done = liuyou(env, cwd, "shell", "-c", code)
    return json.loads(done.stdout.strip().splitlines()[-1])


RUNS = (
    "import json; from liuyou.ingest.models import ImportRun; "
    "print(json.dumps(list(ImportRun.objects.order_by('pk').values("
    "'pk', 'status', 'message', 'read', 'inserted', 'updated', 'unchanged', 'rejected', 'pid', 'host', "
    "'channel', 'file_name', 'reject_file')), default=str))"
)


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
