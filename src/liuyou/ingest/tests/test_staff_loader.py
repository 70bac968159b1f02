"""The staff extract: accounts by 工号; 离职 or missing closes the login at once."""

from __future__ import annotations

import pytest
from conftest import PASSWORD
from django.test import Client

from liuyou.ingest import runner
from liuyou.ingest.models import ImportRun, RunStatus
from liuyou.system.models import OperationLog, User, UserSession

from .helpers import STAFF_HEADER, read_rejects, run, write_csv

pytestmark = pytest.mark.django_db
UA = "Mozilla/5.0 LiuyouIngestTest"


def staff_file(tmp_path, rows, name="staff_20250301.csv"):
    return write_csv(tmp_path / name, STAFF_HEADER, rows)


def signed_in(staff_no: str) -> Client:
    client = Client(HTTP_USER_AGENT=UA)
    r = client.post("/login", {"username": staff_no, "password": PASSWORD})
    assert r.status_code == 302
    assert client.get("/").status_code == 200
    return client


def everyone(make_user) -> list[list[str]]:
    """A file that lists the conftest users so that a full file does not close them."""
    return [[u.staff_no, u.name, u.org.code, "", "", "", "在职", ""] for u in User.objects.all()]


def test_new_staff_get_no_password_and_no_role(tmp_path, bank):
    rows = [
        ["0001", "张三", "101", "客户经理", "13812345678", "zhangsan", "在职", "2020-01-01"],
        ["0002", "李四", "100", "", "", "", "离职", "2019/3/1"],
    ]
    r = run("staff", staff_file(tmp_path, rows))
    assert (r.read, r.inserted, r.updated, r.unchanged, r.rejected) == (2, 2, 0, 0, 0)
    zs = User.objects.get(staff_no="0001")
    assert (zs.name, zs.org_id, zs.position, zs.phone, zs.wecom_userid) == (
        "张三",
        bank.o1.pk,
        "account_manager",  # the `position` dictionary's code for 客户经理
        "13812345678",
        "zhangsan",
    )
    assert zs.status == "active" and zs.is_active and not zs.has_usable_password()
    assert zs.must_change_password and zs.roles.count() == 0
    ls = User.objects.get(staff_no="0002")
    assert ls.status == "left" and not ls.is_active


def test_reimport_is_all_unchanged(tmp_path, bank):
    path = staff_file(tmp_path, [["0001", "张三", "101", "", "", "", "在职", ""]])
    run("staff", path)
    stamp = User.objects.get(staff_no="0001").updated_at
    r = run("staff", path)
    assert (r.read, r.inserted, r.updated, r.unchanged) == (1, 0, 0, 1)
    assert User.objects.get(staff_no="0001").updated_at == stamp


def test_unknown_org_is_rejected_not_orphaned(tmp_path, bank):
    rows = [["0001", "张三", "101", "", "", "", "在职", ""], ["0003", "王五", "999", "", "", "", "在职", ""]]
    r = run("staff", staff_file(tmp_path, rows))
    assert (r.read, r.inserted, r.rejected) == (2, 1, 1)
    assert not User.objects.filter(staff_no="0003").exists()
    _, lines = read_rejects(r.reject_file)
    assert lines[1][:3] == ["0003", "王五", "999"] and lines[1][-3:] == [
        "3",
        "机构号",
        "机构号：机构号 999 不存在",
    ]


def test_staff_marked_left_cannot_log_in_and_their_sessions_end(tmp_path, make_user):
    user = make_user("7001", "account_manager")
    client = signed_in("7001")
    rows = everyone(make_user)
    for row in rows:
        if row[0] == "7001":
            row[6] = "离职"
    r = run("staff", staff_file(tmp_path, rows))
    assert r.updated == 1 and r.unchanged == len(rows) - 1
    user.refresh_from_db()
    assert user.status == "left" and user.is_active is False
    assert client.get("/").status_code == 302  # signed out at once
    assert UserSession.objects.get(user=user).end_reason == "disabled"
    fresh = Client(HTTP_USER_AGENT=UA)
    r2 = fresh.post("/login", {"username": "7001", "password": PASSWORD})
    assert r2.status_code == 200 and "_auth_user_id" not in fresh.session  # the login form again
    assert fresh.get("/").status_code == 302
    entry = OperationLog.objects.filter(action="ingest.run").latest("seq")
    assert entry.after["leavers"] == ["7001"]


def test_staff_missing_from_the_full_file_is_closed(tmp_path, make_user):
    keep = make_user("7002", "account_manager")
    gone = make_user("7003", "account_manager")
    client = signed_in("7003")
    rows = [row for row in everyone(make_user) if row[0] != "7003"]
    r = run("staff", staff_file(tmp_path, rows))
    assert r.closed == 1 and r.read == r.unchanged
    gone.refresh_from_db()
    keep.refresh_from_db()
    assert gone.status == "left" and not gone.is_active and User.objects.filter(pk=gone.pk).exists()
    assert keep.status == "active" and keep.is_active
    assert client.get("/").status_code == 302
    assert OperationLog.objects.filter(action="ingest.run").latest("seq").after["leavers"] == ["7003"]


def test_service_accounts_are_not_closed_by_the_staff_file(tmp_path, bank):
    from liuyou.system import services

    svc = services.create_user(
        staff_no="API01", name="接口", org=bank.hq, password=None, is_service_account=True
    )
    run("staff", staff_file(tmp_path, [["0001", "张三", "101", "", "", "", "在职", ""]]))
    svc.refresh_from_db()
    assert svc.status == "active" and svc.is_active


def test_back_to_active_restores_status_but_not_the_login(tmp_path, make_user):
    user = make_user("7004", "account_manager")
    rows = everyone(make_user)
    left = [[*r[:6], "离职" if r[0] == "7004" else r[6], r[7]] for r in rows]
    run("staff", staff_file(tmp_path, left))
    r = run("staff", staff_file(tmp_path, rows, name="staff_20250302.csv"))
    assert r.updated == 1
    user.refresh_from_db()
    assert user.status == "active" and user.is_active is False  # enabling is the administrator's act


def test_failure_midway_leaves_staff_as_before(tmp_path, make_user, monkeypatch):
    make_user("7005", "account_manager")
    before = list(User.objects.order_by("pk").values("staff_no", "status", "is_active", "name"))
    rows = [[*r[:6], "离职", r[7]] for r in everyone(make_user)] + [
        ["0009", "新人", "101", "", "", "", "在职", ""]
    ]

    def boom(*args, **kwargs):
        raise RuntimeError("约束冲突")

    monkeypatch.setattr("liuyou.ingest.loaders.staff._end_sessions", boom)
    with pytest.raises(runner.Failed):
        run("staff", staff_file(tmp_path, rows))
    assert list(User.objects.order_by("pk").values("staff_no", "status", "is_active", "name")) == before
    assert ImportRun.objects.get().status == RunStatus.FAILED


def test_older_data_date_changes_nobody(tmp_path, bank, make_user):
    run(
        "staff",
        staff_file(tmp_path, [["0001", "张三", "101", "", "", "", "在职", ""]], name="staff_20250302.csv"),
    )
    older = run(
        "staff",
        staff_file(
            tmp_path,
            [
                ["0001", "张三改", "101", "", "", "", "离职", ""],
                ["0002", "李四", "999", "", "", "", "在职", ""],
            ],
        ),
    )
    assert (older.status, older.read, older.unchanged, older.rejected, older.closed) == (
        "completed",
        2,
        1,
        1,
        0,
    )
    user = User.objects.get(staff_no="0001")
    assert (user.name, user.status, user.is_active) == ("张三", "active", True)
    assert not User.objects.filter(staff_no="0002").exists()


def test_a_rejected_row_does_not_close_its_person(tmp_path, make_user):
    user = make_user("7006", "account_manager")
    rows = everyone(make_user)
    for row in rows:
        if row[0] == "7006":
            row[4] = "12345"  # a bad phone number rejects the row
    r = run("staff", staff_file(tmp_path, rows))
    assert r.rejected == 1 and r.closed == 0
    user.refresh_from_db()
    assert user.status == "active" and user.is_active


def test_a_grid_placement_made_in_the_app_survives_the_extract(tmp_path, bank, make_user):
    specialist = make_user("0003", "service_specialist", org=bank.g1)  # the app placed them in a grid
    rows = [[u[0], u[1], u[2], "", "", "", "在职", ""] for u in everyone(make_user) if u[0] != "0003"]
    rows.append(["0003", specialist.name, "100", "", "", "", "在职", ""])  # HR names the grid's branch
    run("staff", staff_file(tmp_path, rows))
    specialist.refresh_from_db()
    assert specialist.org_id == bank.g1.pk
    rows[-1][2] = "200"  # HR moves them to another branch: the extract wins
    run("staff", staff_file(tmp_path, rows, name="staff_20250302.csv"))
    specialist.refresh_from_db()
    assert specialist.org_id == bank.b2.pk


def test_a_post_missing_from_the_dictionary_is_kept_as_written(tmp_path, bank):
    run("staff", staff_file(tmp_path, [["0004", "周六", "101", "大堂经理", "", "", "在职", ""]]))
    assert User.objects.get(staff_no="0004").position == "大堂经理"
