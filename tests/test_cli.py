"""The `liuyou` console script, run as an operator would: a subprocess in a fresh directory
with no LIUYOU_* variables, so the SQLite database lands in ./var of that directory."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import liuyou
from liuyou.system.demo import DEMO_PASSWORD, plan_demo_bank

LIUYOU = Path(sys.executable).with_name("liuyou")
PACKAGE = Path(liuyou.__file__).resolve().parent


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("LIUYOU_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(extra)
    return env


def run(cwd: Path, *args: str, timeout: float = 180, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LIUYOU), *args],
        cwd=cwd,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def query(db: Path, sql: str, *params: object) -> list[tuple]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vendored_static_file() -> tuple[str, Path]:
    root = PACKAGE / "core" / "static"
    files = sorted(root.glob("vendor/bootstrap-*/css/bootstrap.min.css")) or sorted(
        p for p in root.glob("vendor/**/*") if p.is_file() and p.suffix in {".css", ".js"}
    )
    assert files, "no vendored static file under src/liuyou/core/static/vendor"
    return "/static/" + files[0].relative_to(root).as_posix(), files[0]


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    """A directory where `liuyou migrate` and `liuyou demo --no-serve` (twice) have run."""
    cwd = tmp_path_factory.mktemp("operator")
    migrated = run(cwd, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    first = run(cwd, "demo", "--no-serve", "--customers", "0")
    second = run(cwd, "demo", "--no-serve", "--customers", "50")
    return cwd, migrated, first, second


def test_version():
    out = run(Path.cwd(), "--version")
    assert out.returncode == 0
    assert out.stdout == f"liuyou {liuyou.__version__}\n"


def test_help_lists_our_commands_first():
    out = run(Path.cwd(), "--help")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    django_section = text.index("Django 命令")
    for name in ("migrate", "serve", "createuser", "demo"):
        assert f"\n  {name} " in text[:django_section], name
    assert "启动生产级 Web 服务" in text
    assert "makemigrations" in text[django_section:]
    assert "docs/operations.md" in text
    assert run(Path.cwd()).stdout == text  # bare `liuyou` prints the same help


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("serve", ["--host", "--port", "--workers", "--threads", "LIUYOU_WEB_WORKERS"]),
        (
            "createuser",
            ["--staff-no", "--name", "--org", "--role", "--password", "system_admin（系统管理员）"],
        ),
        ("demo", ["--no-serve", "--host", "--port", "--customers", "--seed"]),
    ],
)
def test_each_command_has_help(command, expected):
    out = run(Path.cwd(), command, "--help")
    assert out.returncode == 0, out.stderr
    for word in expected:
        assert word in out.stdout
    assert f"usage: liuyou {command}" in out.stdout


def test_migrate_and_demo_in_fresh_directory(demo_dir):
    cwd, migrated, first, second = demo_dir
    db = cwd / "var" / "liuyou.db"
    assert db.is_file()
    assert (cwd / "var" / "secret_key").is_file()
    assert query(db, "PRAGMA journal_mode")[0][0] == "wal"
    assert "Applying system.0002" in migrated.stdout

    orgs, users = plan_demo_bank()
    assert first.returncode == 0, first.stderr
    assert f"本次新建机构 {len(orgs)} 个、用户 {len(users)} 个" in first.stdout
    for cell in (
        "工号",
        "姓名",
        "角色",
        "机构",
        "密码",
        "000001",
        "系统管理员",
        "县农商银行总行",
        DEMO_PASSWORD,
    ):
        assert cell in first.stdout
    assert "仅限演示" in first.stdout
    assert "正在生成演示县" not in first.stdout  # --customers 0: the bank only

    assert second.returncode == 0, second.stderr
    assert "本次新建机构 0 个、用户 0 个" in second.stdout
    # The county goes through the import path; the only rejects are the planted bad rows.
    assert "导入完成" in second.stdout and "与预期不符" not in second.stdout, second.stdout + second.stderr


def test_demo_bank_contents(demo_dir):
    db = demo_dir[0] / "var" / "liuyou.db"
    orgs, users = plan_demo_bank()
    kinds = dict(query(db, "SELECT kind, COUNT(*) FROM system_org GROUP BY kind"))
    assert kinds["head_office"] == 1
    assert kinds["branch"] == 12
    assert 12 <= kinds["outlet"] <= 24
    assert 24 <= kinds["grid"] <= 48
    assert sum(kinds.values()) == len(orgs)
    assert query(db, "SELECT name FROM system_org WHERE code = '000'") == [("县农商银行总行",)]
    # Every outlet and grid hangs under a branch whose path prefixes its own.
    assert query(
        db,
        """SELECT COUNT(*) FROM system_org c JOIN system_org p ON c.parent_id = p.id
        WHERE c.kind IN ('outlet', 'grid') AND (p.kind != 'branch'
        OR substr(c.path, 1, length(p.path)) != p.path)""",
    ) == [(0,)]

    per_role = dict(
        query(
            db,
            """SELECT r.code, COUNT(*) FROM system_user u
        JOIN system_user_roles ur ON ur.user_id = u.id
        JOIN system_role r ON r.id = ur.role_id
        WHERE u.staff_no NOT LIKE '88%' AND NOT u.is_service_account GROUP BY r.code""",
        )
    )
    from liuyou.system.catalog import ROLES

    assert set(per_role) == set(ROLES)
    assert 60 <= per_role["account_manager"] <= 100
    assert per_role["branch_head"] == 12
    assert per_role["service_specialist"] == kinds["grid"]
    # Users the createuser tests add are not the demo's; its one integration account is apart.
    demo = "staff_no NOT LIKE '88%' AND NOT is_service_account"
    assert query(db, "SELECT name, password LIKE '!%' FROM system_user WHERE is_service_account") == [
        ("数据接口账号", 1)
    ]
    assert query(db, f"SELECT COUNT(*) FROM system_user WHERE {demo}") == [(len(users),)]
    # Usable at once: no forced change, one Argon2 hash of the shared demo password.
    assert query(db, f"SELECT COUNT(*) FROM system_user WHERE must_change_password AND {demo}") == [(0,)]
    hashes = query(db, f"SELECT DISTINCT password FROM system_user WHERE {demo}")
    assert len(hashes) == 1 and hashes[0][0].startswith("argon2$")
    # Audited: one entry per org and user created, none added by the second run.
    logged = dict(query(db, "SELECT action, COUNT(*) FROM system_operationlog GROUP BY action"))
    assert logged["org.create"] == len(orgs)
    (others,) = query(db, f"SELECT COUNT(*) FROM system_user WHERE NOT ({demo})")[0]
    assert logged["user.create"] == len(users) + others
    assert logged["demo.build"] == 1


def test_demo_password_logs_in(demo_dir):
    """The printed password is the real one: verify it against the stored hash."""
    from django.contrib.auth.hashers import check_password

    db = demo_dir[0] / "var" / "liuyou.db"
    (stored,) = query(db, "SELECT password FROM system_user WHERE staff_no = '000001'")[0]
    assert check_password(DEMO_PASSWORD, stored)
    assert not check_password("wrong-password", stored)


def test_createuser_happy_path(demo_dir):
    cwd = demo_dir[0]
    out = run(
        cwd,
        "createuser",
        "--staff-no",
        "880001",
        "--name",
        "赵建国",
        "--org",
        "010",
        "--role",
        "branch_head",
        "--role",
        "risk_officer",
        "--password",
        "Chengguan#Bank9",
    )
    assert out.returncode == 0, out.stderr
    assert "已创建用户 880001 赵建国（城关支行）" in out.stdout
    assert "首次登录须修改密码" in out.stdout
    db = cwd / "var" / "liuyou.db"
    row = query(
        db,
        """SELECT u.name, o.code, u.must_change_password, u.password FROM system_user u
        JOIN system_org o ON o.id = u.org_id WHERE u.staff_no = '880001'""",
    )
    assert row[0][:3] == ("赵建国", "010", 1)
    assert row[0][3].startswith("argon2$")
    roles = query(
        db,
        """SELECT r.code FROM system_user_roles ur JOIN system_role r ON r.id = ur.role_id
        JOIN system_user u ON u.id = ur.user_id WHERE u.staff_no = '880001' ORDER BY r.code""",
    )
    assert roles == [("branch_head",), ("risk_officer",)]
    assert query(
        db,
        "SELECT COUNT(*) FROM system_operationlog WHERE action = 'user.create' "
        "AND object_repr LIKE '%880001%'",
    ) == [(1,)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--staff-no", "880002", "--name", "钱多", "--org", "000", "--password", "abc"], "密码不符合要求"),
        (
            ["--staff-no", "880003", "--name", "钱多", "--org", "999", "--password", "Chengguan#Bank9"],
            "机构号 999 不存在",
        ),
        (
            [
                "--staff-no",
                "880004",
                "--name",
                "钱多",
                "--org",
                "000",
                "--role",
                "boss",
                "--password",
                "Chengguan#Bank9",
            ],
            "未知或已停用的角色：boss",
        ),
        (
            ["--staff-no", "000001", "--name", "钱多", "--org", "000", "--password", "Chengguan#Bank9"],
            "工号 000001 已存在",
        ),
        (["--staff-no", "880005", "--name", "钱多", "--org", "000"], "未提供 --password"),
        (
            ["--staff-no", "8" * 40, "--name", "钱多", "--org", "000", "--password", "Chengguan#Bank9"],
            "工号不能为空，且不超过 32 个字符",
        ),
    ],
)
def test_createuser_rejects_bad_input(demo_dir, args, message):
    cwd = demo_dir[0]
    db = cwd / "var" / "liuyou.db"
    before = query(db, "SELECT COUNT(*) FROM system_user")
    out = run(cwd, "createuser", *args)
    assert out.returncode != 0
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert query(db, "SELECT COUNT(*) FROM system_user") == before


def test_createuser_short_password_message_is_chinese(demo_dir):
    out = run(
        demo_dir[0],
        "createuser",
        "--staff-no",
        "880006",
        "--name",
        "孙立",
        "--org",
        "000",
        "--password",
        "Ab1!",
    )
    assert out.returncode == 1
    assert "密码太短" in out.stderr or "至少" in out.stderr, out.stderr


def test_createuser_first_admin_on_empty_database(tmp_path):
    """A fresh installation: migrate, then the first system admin together with the head office."""
    assert run(tmp_path, "migrate").returncode == 0
    db = tmp_path / "var" / "liuyou.db"
    admin = [
        "createuser",
        "--staff-no",
        "100001",
        "--name",
        "李卫东",
        "--org",
        "000",
        "--role",
        "system_admin",
    ]
    missing = run(tmp_path, *admin, "--password", "Chengguan#Bank9")
    assert missing.returncode == 1
    assert "机构号 000 不存在或已停用；全新安装可加 --head-office-name 先建立总行" in missing.stderr

    out = run(tmp_path, *admin, "--password", "Chengguan#Bank9", "--head-office-name", "县农商银行总行")
    assert out.returncode == 0, out.stderr
    assert "已建立总行 县农商银行总行（机构号 000）" in out.stdout
    assert query(db, "SELECT code, name, kind, path FROM system_org") == [
        ("000", "县农商银行总行", "head_office", "/1/")
    ]
    assert query(
        db,
        """SELECT u.staff_no, u.must_change_password, r.code FROM system_user u
        JOIN system_user_roles ur ON ur.user_id = u.id JOIN system_role r ON r.id = ur.role_id""",
    ) == [("100001", 1, "system_admin")]
    assert query(db, "SELECT action FROM system_operationlog ORDER BY seq") == [
        ("org.create",),
        ("user.create",),
    ]

    again = run(
        tmp_path, "createuser", "--staff-no", "100002", "--name", "王芳", "--org", "001",
        "--password", "Chengguan#Bank9", "--head-office-name", "另一个总行",
    )  # fmt: skip
    assert again.returncode == 1
    assert "已有机构，不能再用 --head-office-name 建立总行" in again.stderr
    assert query(db, "SELECT COUNT(*) FROM system_org") == [(1,)]


PRODUCTION_OK = {
    "LIUYOU_ENV": "production",
    "LIUYOU_SECRET_KEY": "p" * 64,
    "LIUYOU_DATA_KEY": "00112233445566778899aabbccddeeff",
    "LIUYOU_ALLOWED_HOSTS": "liuyou.bank.local",
}


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LIUYOU_ENV": "production"}, "生产模式必须设置至少 50 个字符的 LIUYOU_SECRET_KEY"),
        ({**PRODUCTION_OK, "LIUYOU_DEBUG": "true"}, "生产模式下不得开启 LIUYOU_DEBUG"),
        ({"LIUYOU_FOO": "1"}, "未知的配置项：LIUYOU_FOO"),
    ],
)
@pytest.mark.parametrize("command", [["migrate"], ["serve"], ["--help"]])
def test_config_error_exits_2_with_chinese_message(tmp_path, env, message, command):
    out = run(tmp_path, *command, **env)
    assert out.returncode == 2
    assert out.stderr.startswith("配置错误：")
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "var" / "liuyou.db").exists()


def test_demo_refused_in_production(tmp_path):
    out = run(tmp_path, "demo", "--no-serve", **PRODUCTION_OK)
    assert out.returncode == 1
    assert "生产模式（LIUYOU_ENV=production）下不能生成演示数据" in out.stderr
    assert not (tmp_path / "var" / "liuyou.db").exists()


def test_serve_refuses_unmigrated_database(tmp_path):
    port = free_port()
    out = run(tmp_path, "serve", "--port", str(port), timeout=60)
    assert out.returncode != 0
    assert "liuyou migrate" in out.stderr
    assert "Traceback" not in out.stderr
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0  # nothing listens


def test_serve_serves_pages_and_static_files(demo_dir):
    cwd = demo_dir[0]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    static_url, static_file = vendored_static_file()
    proc = subprocess.Popen(
        [str(LIUYOU), "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        cwd=cwd,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        login = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                login = httpx.get(f"{base}/login", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        if login is None:
            proc.kill()
            pytest.fail(f"server did not answer; exit={proc.wait()}; stderr:\n{proc.stderr.read()}")
        assert login.status_code == 200
        assert "登录" in login.text
        assert login.headers["server"].startswith("gunicorn")
        assert "frame-ancestors 'none'" in login.headers["content-security-policy"]

        static = httpx.get(base + static_url, timeout=10)
        assert static.status_code == 200
        assert static.content == static_file.read_bytes()
        assert static.headers["content-type"].startswith(
            ("text/css", "text/javascript", "application/javascript")
        )

        assert httpx.get(f"{base}/static/vendor/no-such-file.js", timeout=10).status_code == 404
    finally:
        proc.terminate()
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert f"http://127.0.0.1:{port}/" in stdout
    assert '"GET /login HTTP/1.1" 200' in stderr  # access log on stderr
    assert "Traceback" not in stderr


def test_readme_demo_table_matches_the_demo_bank():
    """The README's login table is what `liuyou demo` builds with the default seed."""
    import re

    from liuyou.system.catalog import ROLES
    from liuyou.system.demo import Login, representative_logins

    readme = (PACKAGE.parents[1] / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d{6}) \| (\S+) \| \S+ \(`(\w+)`\) \| (\S+) \| `([^`]+)` \|$", readme, re.M)
    orgs, users = plan_demo_bank()
    names = {o.code: o.name for o in orgs}
    logins = [Login(u.staff_no, u.name, u.role, ROLES[u.role][0], names[u.org_code]) for u in users]
    expected = [
        (lg.staff_no, lg.name, lg.role, lg.org_name, DEMO_PASSWORD) for lg in representative_logins(logins)
    ]
    assert rows == expected


def test_same_seed_same_bank():
    assert plan_demo_bank(7) == plan_demo_bank(7)
    assert plan_demo_bank(7) != plan_demo_bank(8)
    orgs, users = plan_demo_bank(8)
    assert len({u.staff_no for u in users}) == len(users)
    assert len({u.name for u in users}) == len(users)
    assert len({o.code for o in orgs}) == len(orgs)


@pytest.mark.django_db
def test_demo_password_meets_the_password_rules():
    from django.contrib.auth.password_validation import validate_password

    from liuyou.system.models import Org, User

    org = Org(code="000", name="总行", kind="head_office")
    for plan in plan_demo_bank()[1]:
        validate_password(DEMO_PASSWORD, user=User(staff_no=plan.staff_no, name=plan.name, org=org))


@pytest.mark.django_db
def test_build_demo_bank_in_process_is_idempotent_and_audited():
    """The same builder on the test database (SQLite or PostgreSQL)."""
    from liuyou.system.demo import build_demo_bank
    from liuyou.system.models import OperationLog, Org, User

    first = build_demo_bank(seed=11)
    assert first.orgs_created == first.orgs_total == Org.objects.count()
    staff = User.objects.filter(is_service_account=False)
    assert first.users_created == first.users_total == staff.count()
    assert list(User.objects.filter(is_service_account=True).values_list("staff_no", flat=True)) == ["000900"]
    second = build_demo_bank(seed=11)
    assert (second.orgs_created, second.users_created) == (0, 0)
    assert User.objects.count() == first.users_total + 1
    assert OperationLog.objects.filter(action="user.create").count() == first.users_total + 1
    assert OperationLog.objects.filter(action="demo.build").count() == 1

    branch = Org.objects.get(code="010")
    assert (
        Org.objects.filter(Org.subtree_q(branch.path)).exclude(pk=branch.pk).filter(kind="branch").count()
        == 0
    )
    head = User.objects.get(staff_no="010001")
    assert head.org_id == branch.pk and head.must_change_password is False
    assert list(head.roles.values_list("code", flat=True)) == ["branch_head"]
    assert head.check_password(DEMO_PASSWORD)


def test_service_account_and_api_key_on_the_demo(demo_dir):
    """An integrator's path: a service account, then a key for it, from the command line."""
    cwd = demo_dir[0]
    db = cwd / "var" / "liuyou.db"
    refused = run(
        cwd,
        "createuser",
        "--staff-no",
        "880090",
        "--name",
        "信贷接口",
        "--org",
        "000",
        "--service-account",
        "--password",
        "Abcd#12345",
    )
    assert refused.returncode != 0 and "系统接口账号不设密码" in refused.stderr
    made = run(
        cwd,
        "createuser",
        "--staff-no",
        "880090",
        "--name",
        "信贷接口",
        "--org",
        "000",
        "--role",
        "risk_officer",
        "--service-account",
    )
    assert made.returncode == 0, made.stderr
    assert query(
        db,
        "SELECT is_service_account, must_change_password, password LIKE '!%' "
        "FROM system_user WHERE staff_no = '880090'",
    ) == [(1, 0, 1)]
    key = run(
        cwd, "apikey", "create", "--name", "CRM", "--user", "000900", "--scope", "customer:view", "--json"
    )
    assert key.returncode == 0, key.stderr
    body = json.loads(key.stdout)
    assert body["key"].startswith("ly_")
    stored = query(db, "SELECT key_hash FROM system_apikey WHERE name = 'CRM'")
    assert len(stored) == 1 and body["key"] not in stored[0][0]
