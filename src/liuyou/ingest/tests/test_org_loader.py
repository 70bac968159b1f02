"""The org extract: upsert by 机构号, full-file closing, references, paths."""

from __future__ import annotations

import pytest

from liuyou.ingest import runner
from liuyou.ingest.models import ImportRun, RunStatus
from liuyou.system.models import OperationLog, Org

from .helpers import BANK_ORGS, ORG_HEADER, read_rejects, run, write_csv

pytestmark = pytest.mark.django_db


def org_file(tmp_path, rows, name="org_20250301.csv"):
    return write_csv(tmp_path / name, ORG_HEADER, rows)


def paths_are_right():
    for org in Org.objects.all():
        expected = (org.parent.path if org.parent_id else "/") + f"{org.pk}/"
        assert org.path == expected, org.code
        assert org.depth == expected.count("/") - 2


def test_first_load_inserts_a_tree_with_paths(tmp_path):
    rows = [
        ["101", "城关营业部", "100", "网点", "县城路1号"],  # child before its parent: order is free
        ["000", "县农商银行", "", "总行", ""],
        ["100", "城关支行", "000", "支行", ""],
    ]
    r = run("org", org_file(tmp_path, rows))
    assert (r.status, r.read, r.inserted, r.updated, r.unchanged, r.rejected) == ("completed", 3, 3, 0, 0, 0)
    outlet = Org.objects.get(code="101")
    assert outlet.kind == "outlet" and outlet.parent.code == "100" and outlet.address == "县城路1号"
    paths_are_right()


def test_reimport_is_all_unchanged_and_writes_nothing(tmp_path, bank):
    path = org_file(tmp_path, BANK_ORGS)
    stamps = dict(Org.objects.values_list("code", "updated_at"))
    r = run("org", path)
    assert (r.read, r.inserted, r.updated, r.unchanged, r.rejected, r.closed) == (4, 0, 0, 4, 0, 0)
    assert dict(Org.objects.values_list("code", "updated_at")) == stamps
    again = run("org", path)
    assert again.unchanged == 4 and "相同内容的文件" in again.message


def test_update_move_and_close(tmp_path, bank):
    rows = [r[:] for r in BANK_ORGS if r[0] != "200"]  # 东河支行 disappears
    rows[2] = ["101", "城关营业部（新）", "000", "支行", "新址"]  # renamed, promoted to a branch
    rows.append(["102", "新网点", "101", "网点", ""])
    r = run("org", org_file(tmp_path, rows))
    assert (r.read, r.inserted, r.updated, r.unchanged, r.closed) == (4, 1, 1, 2, 1)
    assert r.read == r.inserted + r.updated + r.unchanged + r.rejected
    bank.b2.refresh_from_db()
    assert bank.b2.is_active is False and Org.objects.filter(code="200").exists()  # closed, not deleted
    moved = Org.objects.get(code="101")
    assert moved.kind == "branch" and moved.parent_id == bank.hq.pk and moved.name == "城关营业部（新）"
    g2 = Org.objects.get(code="2G1")
    assert g2.is_active is True  # grids are not in the extract and never closed by it
    paths_are_right()
    entry = OperationLog.objects.filter(action="ingest.run").latest("seq")
    assert entry.after["closed_orgs"] == ["200"] and entry.after["inserted"] == 1


def test_closed_org_reopens_when_it_comes_back(tmp_path, bank):
    run("org", org_file(tmp_path, BANK_ORGS[:3]))
    assert not Org.objects.get(code="200").is_active
    r = run("org", org_file(tmp_path, BANK_ORGS, name="org_20250302.csv"))
    assert r.updated == 1 and Org.objects.get(code="200").is_active


def test_references_and_placement_are_checked(tmp_path, bank):
    rows = [
        *BANK_ORGS,
        ["300", "孤儿支行", "999", "支行", ""],  # unknown parent
        ["301", "孤儿的网点", "300", "网点", ""],  # parent rejected
        ["302", "挂错的网点", "000", "网点", ""],  # outlet under head office
        ["303", "第二总行", "000", "总行", ""],
        ["304", "甲", "305", "网点", ""],  # a cycle
        ["305", "乙", "304", "网点", ""],
        ["306", "无上级", "", "支行", ""],
        ["307", "坏类型", "000", "分行", ""],
    ]
    r = run("org", org_file(tmp_path, rows))
    assert (r.read, r.unchanged, r.rejected) == (12, 4, 8)
    assert not Org.objects.filter(code__startswith="30").exists()
    _, lines = read_rejects(r.reject_file)
    reasons = {line[0]: line[-1] for line in lines[1:]}
    assert "上级机构 999 不在本文件中" in reasons["300"]
    assert "上级机构 300 所在行被拒绝" in reasons["301"]
    assert "网点的上级机构必须是支行" in reasons["302"]
    assert "总行不能设置上级机构" in reasons["303"]
    assert "构成循环" in reasons["305"] and "304" in reasons

    assert "非总行机构须有上级机构" in reasons["306"]
    assert "取值应为 总行、支行、网点" in reasons["307"]


def test_failure_midway_leaves_orgs_as_they_were(tmp_path, bank, monkeypatch):
    before = list(Org.objects.order_by("pk").values())
    rows = [*BANK_ORGS[:3], ["102", "新网点", "100", "网点", ""]]

    def boom() -> None:
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr("liuyou.ingest.loaders.org._rebuild_paths", boom)
    with pytest.raises(runner.Failed, match="磁盘已满"):
        run("org", org_file(tmp_path, rows))
    assert list(Org.objects.order_by("pk").values()) == before
    failed = ImportRun.objects.get()
    assert failed.status == RunStatus.FAILED and "已全部回滚" in failed.message
    assert failed.finished_at is not None and failed.inserted == 0
    assert not (tmp_path / "org_20250301.rejects.csv").exists()
    assert OperationLog.objects.filter(action="ingest.run", result="failure").count() == 1


def test_a_rejected_org_row_does_not_close_the_org(tmp_path, bank):
    rows = [r[:] for r in BANK_ORGS]
    rows[3] = ["200", "东河支行", "000", "分行", ""]  # bad kind: rejected
    r = run("org", org_file(tmp_path, rows))
    assert (r.rejected, r.closed) == (1, 0)
    assert Org.objects.get(code="200").is_active
