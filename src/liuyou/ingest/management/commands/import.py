"""`liuyou import SOURCE FILE`: load one source extract (see docs/import.md).

Exit 0 when the run completed (with or without rejects); 2 when the file was refused
(unknown source, unreadable file, control-file mismatch, missing columns...); 1 when the load
failed and was rolled back. With --json stdout carries exactly one JSON object; everything
else goes to stderr. A source that already has a run in progress is refused (exit 2) with a
message naming that run.

The hidden --run-id is how the upload page hands its run to this command: the page created
the run's row (holding the source's guard) and this process fills it in.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

from liuyou.ingest import runner
from liuyou.ingest.sources import SOURCES

EXIT_REFUSED = 2
EXIT_FAILED = 1


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"数据日期应为 YYYY-MM-DD：{text}") from None


class Command(BaseCommand):
    help = "导入源系统数据文件 / Import a source extract (CSV or XLSX)"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="数据源：" + ", ".join(SOURCES))
        parser.add_argument("file", help="数据文件（.csv 或 .xlsx）")
        parser.add_argument("--data-date", type=_date, help="数据日期 YYYY-MM-DD；默认取自文件名")
        parser.add_argument("--mapping", help="映射文件 MAP.yaml（表头映射、分隔符、编码、无表头列顺序）")
        parser.add_argument("--json", action="store_true", help="只在标准输出打印一个 JSON 结果对象")
        parser.add_argument(
            "--validate-only",
            action="store_true",
            help="只校验、写拒绝文件，不入库（适用于入库程序尚未上线的数据源）",
        )
        parser.add_argument("--run-id", type=int, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate("zh-hans")
        err = sys.stderr
        opts = runner.Options(
            source=options["source"],
            path=Path(options["file"]).expanduser().resolve(),
            data_date=options["data_date"],
            mapping=options["mapping"],
            validate_only=options["validate_only"],
            progress=lambda text: print(text, file=err, flush=True),
            run_id=options.get("run_id"),
        )
        try:
            run = runner.run_import(opts)
        except runner.Refused as exc:
            print(f"拒绝导入：{exc}", file=err)
            raise SystemExit(EXIT_REFUSED) from None
        except runner.Failed as exc:
            print(str(exc), file=err)
            raise SystemExit(EXIT_FAILED) from None
        result: dict[str, Any] = {"read": run.read}
        if opts.validate_only:
            result |= {"valid": run.read - run.rejected, "validate_only": True}
        else:
            result |= {"inserted": run.inserted, "updated": run.updated, "unchanged": run.unchanged}
        result |= {"rejected": run.rejected, "reject_file": run.reject_file, "closed": run.closed}
        result["run_id"] = run.pk
        if options["json"]:
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
            sys.stdout.flush()
            return
        summary = (
            f"{run.source} {run.file_name}（数据日期 {run.data_date}）：读取 {run.read} 行，"
            + (
                f"校验通过 {run.read - run.rejected}"
                if opts.validate_only
                else f"新增 {run.inserted}，更新 {run.updated}，未变化 {run.unchanged}"
            )
            + f"，拒绝 {run.rejected}，关闭 {run.closed}\n拒绝文件：{run.reject_file}"
        )
        if run.message:
            summary += f"\n说明：{run.message}"
        self.stdout.write(summary)
