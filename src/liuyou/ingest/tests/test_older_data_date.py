"""A file older than the latest data date loaded is no longer refused: the run completes and
the loader is told it is not the latest (ctx.latest=False), so it fills history only."""

from __future__ import annotations

import pytest

from liuyou.ingest import loaders
from liuyou.ingest.models import RunStatus

from .helpers import BANK_ORGS, ORG_HEADER, STAFF_HEADER, run, write_csv

pytestmark = pytest.mark.django_db

FILES = {
    "org": (ORG_HEADER, BANK_ORGS),
    "staff": (STAFF_HEADER, [["0001", "张三", "101", "", "", "", "在职", ""]]),
    "village": (
        ["村编码", "村名称", "乡镇", "户数", "人口", "经度", "纬度", "所属机构号"],
        [["410521100001", "东关村", "城关镇", "1203", "4100", "", "", "1G1"]],
    ),
}


@pytest.fixture
def seen(monkeypatch):
    """The `latest` flag of every LoadContext a real loader receives."""
    flags: list[bool] = []
    real_get = loaders.get

    class Spy:
        def __init__(self, inner):
            self.inner = inner

        def load(self, rows, ctx):
            flags.append(ctx.latest)
            return self.inner.load(rows, ctx)

    monkeypatch.setattr(loaders, "get", lambda source: (lambda inner: inner and Spy(inner))(real_get(source)))
    return flags


@pytest.mark.parametrize("source", ["org", "staff", "village"])
def test_an_older_file_completes_as_history_only(source, tmp_path, bank, seen, settings):
    settings.VAR_DIR = tmp_path / "var"
    header, rows = FILES[source]
    newer = run(source, write_csv(tmp_path / f"{source}_20250302.csv", header, rows))
    older = run(source, write_csv(tmp_path / f"{source}_20250301.csv", header, rows))
    same_day = run(source, write_csv(tmp_path / f"{source}_20250302.csv", header, rows))
    assert [r.status for r in (newer, older, same_day)] == [RunStatus.COMPLETED] * 3
    assert seen == [True, False, True]
    assert (
        "数据日期 2025-03-01 早于已导入的最新数据日期 2025-03-02：仅补充历史，当前数据不变" in older.message
    )
    assert older.read == older.inserted + older.updated + older.unchanged + older.rejected
