"""Stand-in steps for the tests: they write dictionary items, which every test database has,
the way a real step writes its table (delete the data date's rows, insert them again)."""

from __future__ import annotations

from datetime import date

from liuyou.pipeline.types import StepResult

CALLS: list[tuple[str, date]] = []


def _dict(code: str):  # type: ignore[no-untyped-def]
    from liuyou.system.models import DictType

    return DictType.objects.get_or_create(code=code, defaults={"name": code})[0]


def _write(code: str, data_date: date, count: int) -> int:
    from liuyou.system.models import DictItem

    dict_type = _dict(code)
    prefix = f"{data_date:%Y%m%d}-"
    DictItem.objects.filter(dict_type=dict_type, value__startswith=prefix).delete()
    DictItem.objects.bulk_create(
        [
            DictItem(dict_type=dict_type, value=f"{prefix}{i}", label=f"行{i}", sort_order=i)
            for i in range(count)
        ]
    )
    return count


def first(*, data_date: date) -> StepResult:
    CALLS.append(("first", data_date))
    rows = _write("pt_first", data_date, 3)
    return StepResult(rows=rows, details={"customers": rows, "by_kind": {"a": 1, "b": 2}})


def second(*, data_date: date) -> StepResult:
    CALLS.append(("second", data_date))
    return StepResult(rows=_write("pt_second", data_date, 2), details={"inserted": 2})


def third(*, data_date: date) -> StepResult:
    CALLS.append(("third", data_date))
    return StepResult(rows=_write("pt_third", data_date, 1), details={})


def broken(*, data_date: date) -> StepResult:
    """Writes half its rows, then fails: the runner must roll the rows back."""
    CALLS.append(("broken", data_date))
    _write("pt_broken", data_date, 4)
    raise ValueError("模拟的步骤错误")


def bad_return(*, data_date: date) -> int:
    CALLS.append(("bad_return", data_date))
    _write("pt_bad", data_date, 1)
    return 1
