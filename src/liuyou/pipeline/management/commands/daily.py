"""`liuyou daily`: run the daily pipeline for one data date (see docs/pipeline.md).

Exit 0 when every step completed; 1 when a step failed (its writes rolled back, the later
steps skipped); 2 when the batch could not start: a bad data date, an unknown step, no
completed import to take the data date from, or another batch still running. With --json
stdout carries exactly one JSON object (the batch, or {"status": "refused", "error": ...});
the log goes to stderr.

The hidden --batch-id is how the jobs page and the API hand their batch to this process.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

from liuyou.pipeline import guard, services
from liuyou.pipeline import steps as steps_mod
from liuyou.pipeline.models import JobStatus

EXIT_FAILED = 1
EXIT_REFUSED = 2


class Refused(Exception):
    pass


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Refused(f"数据日期应为 YYYY-MM-DD：{text}") from None


class Command(BaseCommand):
    help = (
        "运行日终批处理（客户宽表、规则标签、维度、产品匹配等，按数据日期，可重复运行）"
        "/ Run the daily pipeline for a data date"
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-date", help="数据日期 YYYY-MM-DD；默认为已完成导入的最新数据日期", metavar="YYYY-MM-DD"
        )
        parser.add_argument(
            "--step",
            action="append",
            default=[],
            metavar="CODE",
            help="只运行这个步骤（可重复，也可用逗号分隔）；默认运行全部步骤。步骤："
            + "、".join(f"{s.code}（{s.label}）" for s in steps_mod.registry()),
        )
        parser.add_argument("--json", action="store_true", help="只在标准输出打印一个 JSON 结果对象")
        parser.add_argument("--batch-id", type=int, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate("zh-hans")
        err = sys.stderr
        as_json = options["json"]
        codes = [c for item in options["step"] for c in item.split(",") if c.strip()]
        try:
            if options.get("batch_id") is not None and (codes or options["data_date"]):
                raise Refused("--batch-id 不能与 --data-date、--step 同时使用")
            day = _date(options["data_date"]) if options["data_date"] else None
            batch = services.run_daily(
                data_date=day,
                steps=codes or None,
                channel="cli",
                batch_id=options.get("batch_id"),
                progress=lambda text: print(text, file=err, flush=True),
            )
        except (Refused, services.PipelineError, guard.Busy) as exc:
            print(f"未运行：{exc}", file=err, flush=True)
            if as_json:
                _emit({"status": "refused", "error": str(exc)})
            raise SystemExit(EXIT_REFUSED) from None
        result = services.result_dict(batch)
        if as_json:
            _emit(result)
        else:
            self.stdout.write(_text(result))
        if batch.status != JobStatus.COMPLETED:
            raise SystemExit(EXIT_FAILED)


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


STATUS_LABELS = dict(JobStatus.choices)


def step_line(step: dict[str, Any]) -> str:
    seconds = step["seconds"] or 0
    line = (
        f"  {step['label']}（{step['code']}）：{STATUS_LABELS.get(step['status'], step['status'])}，"
        f"{step['rows']} 行，{seconds:.1f} 秒"
    )
    return line + (f"；{step['message']}" if step["message"] else "")


def _text(result: dict[str, Any]) -> str:
    lines = [
        f"日终批处理 批次#{result['batch']}，数据日期 {result['data_date']}："
        f"{STATUS_LABELS.get(result['status'], result['status'])}（{(result['seconds'] or 0):.1f} 秒）"
    ]
    lines += [step_line(s) for s in result["steps"]]
    return "\n".join(lines)
