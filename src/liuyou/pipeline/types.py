"""What a pipeline step hands back to the runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class StepResult:
    """The outcome of one step for one data date.

    `rows`: rows the step wrote (the job run's 写入行数); `details`: the step's own counts
    (per table, per dimension ...), stored as JSON on the run and shown on its page."""

    rows: int
    details: dict[str, Any] = field(default_factory=dict)
