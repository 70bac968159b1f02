"""The daily pipeline's steps, in the order they run (shared/DESIGN.md, "Data flow").

Each step is a domain service with the signature

    def build(*, data_date: datetime.date) -> liuyou.pipeline.types.StepResult

named here by its dotted path and imported only when the step runs, so this module imports no
domain. The step deletes and re-inserts its own rows for the data date, which makes a re-run
of a date a recomputation. The runner opens the transaction around each call; the step itself
opens none.

DESIGN's list, with the `order` each step takes (gaps leave room for steps of later
capabilities; only steps whose function exists are registered):

    10 loan classification · 20 warnings · 30 customer feature table · 40 scores
    50 rule tags · 60 target mining · 70 product matching · 80 reminders
    90 KPI aggregates · 100 daily broadcast
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    code: str
    order: int
    label: str
    func_path: str

    def resolve(self) -> Callable[..., Any]:
        """The step's function; ImportError/AttributeError when it does not exist (yet)."""
        module, _, name = self.func_path.rpartition(".")
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


STEPS: list[Step] = [
    Step("features", 30, "客户宽表", "liuyou.features.services.build_features"),
    Step("tags", 50, "规则标签", "liuyou.tags.services.tag_step"),
    Step("mining", 60, "目标挖掘（11 个维度）", "liuyou.mining.services.mine_step"),
    Step("products", 70, "产品匹配", "liuyou.products.services.match_step"),
    Step("leads", 75, "线索放款确认", "liuyou.targets.services.confirm_step"),
]


class UnknownStep(ValueError):
    """A step code that is not registered; the message is Chinese and lists the known codes."""


def registry() -> list[Step]:
    """The registered steps in running order. Read through this function (not the list
    itself), so tests can substitute their own steps."""
    return sorted(STEPS, key=lambda s: s.order)


def by_code() -> dict[str, Step]:
    return {s.code: s for s in registry()}


def label_of(code: str) -> str:
    step = by_code().get(code)
    return step.label if step else code


def choices() -> list[tuple[str, str]]:
    return [(s.code, f"{s.label}（{s.code}）") for s in registry()]


def select(codes: Iterable[str] | None = None) -> list[Step]:
    """The steps to run: all of them, or the named ones in pipeline order (not in the order
    given); an unknown code raises UnknownStep."""
    steps = registry()
    if not codes:
        return steps
    wanted = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    known = {s.code for s in steps}
    unknown = [c for c in wanted if c not in known]
    if unknown:
        listed = "、".join(f"{s.code}（{s.label}）" for s in steps) or "无"
        raise UnknownStep(f"未知的批处理步骤：{'、'.join(unknown)}；可用的步骤：{listed}")
    return [s for s in steps if s.code in wanted]
