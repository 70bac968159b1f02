from __future__ import annotations

from datetime import date

import pytest

from liuyou.pipeline import steps
from liuyou.pipeline.tests import fake_steps

DAY = date(2025, 3, 31)
FAKE = "liuyou.pipeline.tests.fake_steps"
REAL_STEPS = list(steps.STEPS)


def make_steps(*names: str) -> list[steps.Step]:
    labels = {"first": "第一步", "second": "第二步", "third": "第三步", "broken": "会失败的步骤"}
    labels |= {"bad_return": "返回值错误的步骤", "missing": "尚未上线的步骤"}
    return [steps.Step(name, (i + 1) * 10, labels[name], f"{FAKE}.{name}") for i, name in enumerate(names)]


@pytest.fixture(autouse=True)
def fake_registry(monkeypatch):
    """The tests never depend on the real steps: first → second → third, unless a test sets
    its own list with `use_steps`."""
    monkeypatch.setattr(steps, "STEPS", make_steps("first", "second", "third"))
    fake_steps.CALLS.clear()
    return fake_steps.CALLS


@pytest.fixture
def use_steps(monkeypatch):
    def use(*names: str) -> None:
        monkeypatch.setattr(steps, "STEPS", make_steps(*names))

    return use


@pytest.fixture
def imported(db):
    """A completed import with data date DAY: the pipeline's default data date."""
    from liuyou.ingest.models import ImportRun

    ImportRun.objects.create(source="org", file_name="org_20250331.csv", status="completed", data_date=DAY)
    ImportRun.objects.create(
        source="org", file_name="org_20250430.csv", status="failed", data_date=date(2025, 4, 30)
    )
    return DAY


@pytest.fixture
def sync_jobs(settings):
    settings.LIUYOU_JOB_BACKGROUND = False


def items(code: str) -> int:
    from liuyou.system.models import DictItem

    return DictItem.objects.filter(dict_type__code=code).count()
