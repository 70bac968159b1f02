"""The audit logs' integrity: append-only triggers, hash-chain tamper detection (library and
`liuyou audit verify`), sequential chaining, round-trip stability of hashed values, retention."""

from __future__ import annotations

import importlib
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from liuyou.core import audit
from liuyou.system.models import AuditChain, LoginLog, OperationLog

MIGRATION = importlib.import_module("liuyou.system.migrations.0002_catalog_and_append_only_logs")
REFUSAL = "日志只允许追加"


@contextmanager
def triggers_dropped():
    """What an attacker with DDL rights could do: drop the append-only triggers. They are
    recreated with the migration's own code afterwards (and the test transaction rolls back)."""
    with connection.cursor() as cursor:
        editor = SimpleNamespace(connection=connection, execute=cursor.execute)
        MIGRATION.drop_triggers(None, editor)
        try:
            yield
        finally:
            MIGRATION.add_triggers(None, editor)


def operations(n: int) -> list[OperationLog]:
    return [
        audit.record(
            action="org.update",
            object_type="system.org",
            object_id=str(i),
            object_repr=f"机构{i}",
            before={"name": f"旧名{i}"},
            after={"name": f"新名{i}"},
            message=f"第{i}条",
        )
        for i in range(1, n + 1)
    ]


def logins(n: int) -> list[LoginLog]:
    return [audit.record_login(staff_no=f"90{i:02d}", result="success") for i in range(1, n + 1)]


def run_verify(*args: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("audit", "verify", *args, stdout=out, stderr=StringIO())
    except CommandError as exc:
        return out.getvalue(), exc
    return out.getvalue(), None


# --- append-only triggers ---------------------------------------------------------------


@pytest.fixture
def one_of_each(db):
    return {"operation": operations(2)[0], "login": logins(2)[0]}


def _snapshot(entry):
    return {f.attname: getattr(entry, f.attname) for f in entry._meta.concrete_fields}


@pytest.mark.django_db
@pytest.mark.parametrize("chain", ["operation", "login"])
def test_orm_update_and_delete_are_refused(one_of_each, chain):
    entry = one_of_each[chain]
    model = type(entry)
    before = _snapshot(entry)
    attempts = [
        lambda: model.objects.filter(pk=entry.pk).update(staff_no="0000"),
        lambda: model.objects.filter(pk=entry.pk).delete(),
        lambda: model.objects.get(pk=entry.pk).delete(),
        lambda: model.objects.all().delete(),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError) as exc, transaction.atomic():
            attempt()
        assert REFUSAL in str(exc.value)
    entry.refresh_from_db()
    assert _snapshot(entry) == before
    assert model.objects.count() == 2
    assert audit.verify(chain).ok


@pytest.mark.django_db
@pytest.mark.parametrize("table", ["system_operationlog", "system_loginlog"])
def test_raw_sql_update_and_delete_are_refused(one_of_each, table):
    model = OperationLog if "operation" in table else LoginLog
    entry = model.objects.order_by("seq").first()
    before = _snapshot(entry)
    for sql, params in [
        (f"UPDATE {table} SET staff_no = %s WHERE id = %s", ["0000", entry.pk]),
        (f"UPDATE {table} SET hash = %s", ["0" * 64]),
        (f"DELETE FROM {table} WHERE id = %s", [entry.pk]),
        (f"DELETE FROM {table}", []),
    ]:
        with pytest.raises(DatabaseError) as exc, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
        assert REFUSAL in str(exc.value), sql
    entry.refresh_from_db()
    assert _snapshot(entry) == before
    assert model.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE triggers exist on PostgreSQL only")
@pytest.mark.parametrize("table", ["system_operationlog", "system_loginlog"])
def test_truncate_is_refused_on_postgresql(one_of_each, table):
    with pytest.raises(DatabaseError) as exc, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {table}")
    assert REFUSAL in str(exc.value)
    assert (OperationLog if "operation" in table else LoginLog).objects.count() == 2


@pytest.mark.django_db
def test_a_log_entry_stands_or_falls_with_its_transaction():
    operations(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(action="org.create", message="will roll back")
        raise RuntimeError
    assert OperationLog.objects.count() == 1
    assert AuditChain.objects.get(name="operation").seq == 1
    entry = audit.record(action="org.create")
    assert entry.seq == 2
    assert audit.verify("operation").ok


# --- tamper detection ---------------------------------------------------------------------


@pytest.mark.django_db
def test_altered_after_value_is_reported_by_verify_and_command():
    entries = operations(5)
    with triggers_dropped():
        OperationLog.objects.filter(seq=3).update(after={"name": "被改过的名字"})
    result = audit.verify("operation")
    assert not result.ok
    assert result.checked == 5
    assert result.broken == [(3, "内容与哈希不符（记录被篡改）")]

    out, error = run_verify("--chain", "operation")
    assert error is not None and error.returncode == 1
    assert "序号 3：内容与哈希不符（记录被篡改）" in out
    assert "1 处异常" in out
    assert OperationLog.objects.get(seq=3).hash == entries[2].hash  # the stored hash was left as it was


@pytest.mark.django_db
def test_altered_staff_no_is_reported_on_both_chains():
    operations(3)
    logins(3)
    with triggers_dropped():
        OperationLog.objects.filter(seq=2).update(staff_no="1234")
        LoginLog.objects.filter(seq=1).update(staff_no="1234")
    assert audit.verify("operation").broken == [(2, "内容与哈希不符（记录被篡改）")]
    assert audit.verify("login").broken == [(1, "内容与哈希不符（记录被篡改）")]

    out, error = run_verify()  # --chain all by default
    assert error is not None and error.returncode == 1
    assert "操作日志：已校验 3 条，发现 1 处异常" in out
    assert "登录日志：已校验 3 条，发现 1 处异常" in out
    assert "序号 2：内容与哈希不符" in out and "序号 1：内容与哈希不符" in out

    out, error = run_verify("--chain", "login", "--json")
    payload = json.loads(out)  # exactly one JSON object, nothing else on stdout
    assert error is not None and error.returncode == 1
    assert payload["ok"] is False
    assert list(payload["chains"]) == ["login"]
    assert payload["chains"]["login"]["broken"] == [{"seq": 1, "reason": "内容与哈希不符（记录被篡改）"}]


@pytest.mark.django_db
def test_deleted_entry_leaves_a_gap_in_the_sequence():
    operations(5)
    with triggers_dropped():
        OperationLog.objects.filter(seq=3).delete()
    result = audit.verify("operation")
    assert result.checked == 4
    assert result.broken == [
        (4, "序号不连续：应为 3，实为 4（有记录被删除）"),
        (4, "与上一条记录的链接不符"),
    ]
    out, error = run_verify("--chain", "operation")
    assert error is not None and error.returncode == 1
    assert "序号 4：序号不连续" in out


@pytest.mark.django_db
def test_deleted_first_entry_is_reported():
    operations(3)
    with triggers_dropped():
        OperationLog.objects.filter(seq=1).delete()
    seqs = {seq for seq, _ in audit.verify("operation").broken}
    assert seqs == {2}


@pytest.mark.django_db
def test_deleted_last_entry_mismatches_the_chain_head():
    operations(5)
    with triggers_dropped():
        OperationLog.objects.filter(seq=5).delete()
    result = audit.verify("operation")
    assert result.checked == 4
    assert result.broken == [(5, "链头序号 5 与最后一条记录 4 不符（末尾记录被删除）")]
    out, error = run_verify("--chain", "operation", "--json")
    assert error is not None and error.returncode == 1
    assert json.loads(out)["chains"]["operation"]["broken"][0]["seq"] == 5


@pytest.mark.django_db
def test_rewritten_last_entry_with_a_recomputed_hash_mismatches_the_chain_head():
    operations(3)
    with triggers_dropped():
        OperationLog.objects.filter(seq=3).update(message="改写")
        forged = OperationLog.objects.get(seq=3)
        OperationLog.objects.filter(seq=3).update(hash=audit.entry_hash(forged))
    assert audit.entry_intact(OperationLog.objects.get(seq=3))
    assert audit.verify("operation").broken == [(3, "链头哈希与最后一条记录不符（末尾记录被改写）")]


@pytest.mark.django_db
def test_deleted_chain_head_is_reported():
    operations(2)
    AuditChain.objects.filter(name="operation").delete()
    assert audit.verify("operation").broken == [(2, "链头记录缺失（日志链头被删除）")]


@pytest.mark.django_db
def test_intact_chains_pass_the_command_with_exit_status_zero():
    operations(3)
    logins(2)
    out, error = run_verify()
    assert error is None
    assert "操作日志：已校验 3 条，完整" in out
    assert "登录日志：已校验 2 条，完整" in out
    out, error = run_verify("--json")
    assert error is None
    payload = json.loads(out)
    assert payload["ok"] is True
    assert payload["chains"]["operation"]["checked"] == 3
    assert payload["chains"]["operation"]["head_seq"] == 3
    assert payload["chains"]["operation"]["head_hash"] == OperationLog.objects.get(seq=3).hash
    assert payload["chains"]["login"] == {
        "ok": True,
        "checked": 2,
        "head_seq": 2,
        "head_hash": LoginLog.objects.get(seq=2).hash,
        "broken": [],
    }


@pytest.mark.django_db
def test_empty_chains_verify():
    result = audit.verify("login")
    assert (result.ok, result.checked, result.head_seq) == (True, 0, 0)
    with pytest.raises(ValueError):
        audit.verify("nonsense")


# --- chaining ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_two_hundred_records_form_one_contiguous_chain():
    operations(200)
    result = audit.verify("operation", batch=7)  # several batches, one boundary inside a run
    assert result.ok and result.checked == 200
    rows = list(OperationLog.objects.order_by("seq").values_list("seq", "prev_hash", "hash"))
    assert [seq for seq, _, _ in rows] == list(range(1, 201))
    assert rows[0][1] == "0" * 64
    for (_, _, previous_hash), (_, prev_hash, _) in zip(rows, rows[1:], strict=False):
        assert prev_hash == previous_hash
    assert len({h for _, _, h in rows}) == 200
    head = AuditChain.objects.get(name="operation")
    assert (head.seq, head.last_hash) == (200, rows[-1][2])


@pytest.mark.django_db
def test_hashed_values_survive_the_database_round_trip():
    """What is hashed on write is what is read on verify, for awkward values on either database."""
    before = {
        "amount": Decimal("12345.60"),
        "day": date(2026, 3, 1),
        "at": datetime(2026, 3, 1, 8, 30, tzinfo=UTC),
        "big": 1e20,
        "tiny": 1e-7,
        "zero": -0.0,
        "ratio": 0.1,
        "nan": float("nan"),
        1: "int key",
        "nested": {"list": [1, "二", None, True], "empty": {}},
        "text": '中文 "quotes" \\ and\nnewline',
    }
    audit.record(
        action="user.update",
        object_type="system.user",
        before=before,
        after={"ok": True},
        object_repr="x" * 500,
        message="m" * 900,
    )
    audit.record_login(staff_no="9" * 50, result="failure", reason="r" * 300)
    ctx = audit.request_context.current()
    saved = (ctx.user_agent, ctx.path)
    ctx.user_agent, ctx.path = "Mozilla/5.0 " * 60, "/" + "p" * 400
    try:
        audit.record_login(staff_no="9001", result="success")
        audit.record(action="org.create")
    finally:
        ctx.user_agent, ctx.path = saved
    assert audit.verify("operation").ok
    assert audit.verify("login").ok
    stored = OperationLog.objects.get(seq=1)
    assert (
        stored.before["big"] == 10**20 and stored.before["1"] == "int key" and stored.before["nan"] == "nan"
    )
    assert len(stored.object_repr) == 200 and len(stored.message) == 500
    assert len(OperationLog.objects.get(seq=2).path) == 300
    assert len(LoginLog.objects.get(seq=2).user_agent) == 300
    assert len(LoginLog.objects.get(seq=1).staff_no) == 32


@pytest.mark.django_db
def test_entry_intact_flags_only_the_altered_entry():
    operations(2)
    with triggers_dropped():
        OperationLog.objects.filter(seq=1).update(object_repr="别的机构")
    assert not audit.entry_intact(OperationLog.objects.get(seq=1))
    assert audit.entry_intact(OperationLog.objects.get(seq=2))


# --- retention: no way to purge -------------------------------------------------------------


def test_retention_is_at_least_180_days(settings, tmp_path):
    from liuyou import config

    assert settings.LIUYOU_AUDIT_RETENTION_DAYS >= 180
    assert config.load({}, cwd=tmp_path).audit_retention_days == 180
    assert config.load({"LIUYOU_AUDIT_RETENTION_DAYS": "365"}, cwd=tmp_path).audit_retention_days == 365
    for bad in ("90", "179", "0", "-1", "abc"):
        with pytest.raises(config.ConfigError) as exc:
            config.load({"LIUYOU_AUDIT_RETENTION_DAYS": bad}, cwd=tmp_path)
        assert "LIUYOU_AUDIT_RETENTION_DAYS" in str(exc.value)


def test_there_is_no_purge_command():
    ours = [name for name, app in get_commands().items() if app.startswith("liuyou")]
    assert "audit" in ours
    assert not [
        n for n in ours if any(word in n for word in ("purge", "prune", "truncate", "clear", "delete"))
    ]
    assert not [n for n in ours if ("log" in n or "audit" in n) and n != "audit"]
    parser = load_command_class("liuyou.system", "audit").create_parser("liuyou", "audit")
    subcommands = next(a for a in parser._actions if a.dest == "subcommand").choices
    assert set(subcommands) == {"verify"}


# --- the real command line ------------------------------------------------------------------


def _liuyou() -> Path:
    return Path(sys.executable).with_name("liuyou")


@pytest.mark.skipif(not _liuyou().exists(), reason="the liuyou console script is not installed")
def test_liuyou_audit_verify_exit_status_from_the_command_line(tmp_path):
    db = tmp_path / "cli.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIUYOU_", "DJANGO_"))}
    env.update({"LIUYOU_DATABASE_URL": f"sqlite:///{db}", "LIUYOU_VAR_DIR": str(tmp_path / "var")})

    def liuyou(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(_liuyou()), *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    migrated = liuyou("migrate", "-v", "0", "--skip-checks")
    assert migrated.returncode == 0, migrated.stderr
    made = liuyou(
        "shell",
        "-c",
        "from liuyou.core import audit\nfor i in range(3): audit.record(action='org.update', message=str(i))",
    )
    assert made.returncode == 0, made.stderr

    ok = liuyou("audit", "verify", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["chains"]["operation"]["checked"] == 3

    with sqlite3.connect(db) as raw:
        raw.execute("DROP TRIGGER system_operationlog_no_update")
        raw.execute("UPDATE system_operationlog SET message = 'forged' WHERE seq = 2")
    broken = liuyou("audit", "verify", "--chain", "operation")
    assert broken.returncode == 1
    assert "序号 2：内容与哈希不符（记录被篡改）" in broken.stdout
    assert "日志完整性校验未通过" in broken.stderr
