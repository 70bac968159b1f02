"""The village extract: upsert by 村编码, serving grid or outlet, full-file closing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from liuyou.customers.models import Village

from .helpers import read_rejects, run, write_csv

pytestmark = pytest.mark.django_db
HEADER = ["村编码", "村名称", "乡镇", "户数", "人口", "经度", "纬度", "所属机构号"]


def village_file(tmp_path, rows, name="village_20250301.csv"):
    return write_csv(tmp_path / name, HEADER, rows)


def rows():
    return [
        ["410521100001", "东关村", "城关镇", "1,203", "4100", "114.3512345", "36.1", "1G1"],
        ["410521100002", "西关社区", "城关镇", "800", "2600", "", "", "101"],
    ]


def test_load_reload_and_close(tmp_path, bank):
    r = run("village", village_file(tmp_path, rows()))
    assert (r.status, r.read, r.inserted, r.updated, r.unchanged, r.rejected) == ("completed", 2, 2, 0, 0, 0)
    east = Village.objects.get(code="410521100001")
    assert (east.name, east.township, east.households, east.grid_id) == ("东关村", "城关镇", 1203, bank.g1.pk)
    assert east.longitude == Decimal("114.351235") and east.first_seen.isoformat() == "2025-03-01"

    again = run("village", village_file(tmp_path, rows(), name="village_20250302.csv"))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    east.refresh_from_db()
    assert east.last_seen.isoformat() == "2025-03-02"

    later = run("village", village_file(tmp_path, rows()[:1], name="village_20250303.csv"))
    assert (later.unchanged, later.closed) == (1, 1)
    west = Village.objects.get(code="410521100002")
    assert not west.is_active and west.closed_at.isoformat() == "2025-03-03"

    back = run("village", village_file(tmp_path, rows(), name="village_20250304.csv"))
    assert back.updated == 1
    west.refresh_from_db()
    assert west.is_active and west.closed_at is None


def test_an_unknown_or_wrong_kind_of_serving_org_rejects_the_row(tmp_path, bank):
    bad = rows()
    bad[0][7] = "NOPE"
    bad[1][7] = "100"  # a branch, not a grid or an outlet
    r = run("village", village_file(tmp_path, bad))
    assert (r.read, r.inserted, r.rejected) == (2, 0, 2)
    _, lines = read_rejects(r.reject_file)
    assert lines[0][-3:] == ["行号", "列名", "原因"]
    assert [line[-2] for line in lines[1:]] == ["所属机构号", "所属机构号"]
    assert "不是网格/网点" in lines[1][-1]
    assert Village.objects.count() == 0
