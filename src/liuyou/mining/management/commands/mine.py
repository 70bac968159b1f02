"""`liuyou mine`: count the 11 dimensions for a data date (docs/mining.md).

The data date defaults to the latest completed import. When the feature table of that date
has not been built, it is built first (as `liuyou daily --step features` would). With --json
stdout carries exactly one JSON object:

    {"data_date": "2026-10-31", "dimensions": [{"code": "other_bank_loan", "count": 592, ...}, ...]}

Exit 0 when counted; 2 with a Chinese message when there is no data date to count.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from liuyou.features import services as features
from liuyou.features.models import FeatureBuild
from liuyou.mining import services
from liuyou.mining.definitions import BY_CODE

EXIT_REFUSED = 2


class Command(BaseCommand):
    help = "统计 11 个分析维度的目标客户数（按数据日期）/ Count the 11 dimensions for a data date"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data-date", metavar="YYYY-MM-DD", help="数据日期；默认为已完成导入的最新数据日期"
        )
        parser.add_argument("--json", action="store_true", help="只在标准输出打印一个 JSON 结果对象")

    def handle(self, *args: Any, **options: Any) -> None:
        as_json = options["json"]
        try:
            day = self._day(options["data_date"])
        except ValueError as exc:
            print(f"未统计：{exc}", file=sys.stderr, flush=True)
            if as_json:
                self._emit({"status": "refused", "error": str(exc)})
            raise SystemExit(EXIT_REFUSED) from None
        with transaction.atomic():
            if not FeatureBuild.objects.filter(data_date=day).exists():
                print(f"{day:%Y-%m-%d} 的客户宽表尚未生成，先生成…", file=sys.stderr, flush=True)
                features.compute(data_date=day)
            totals = services.mine(data_date=day)
        result: dict[str, Any] = {
            "data_date": day.isoformat(),
            "dimensions": [
                {
                    "code": code,
                    "name": BY_CODE[code].name,
                    "count": t["customers"],
                    "refused_excluded": t["refused"],
                    "version": t["version"],
                }
                for code, t in totals.items()
            ],
        }
        if as_json:
            self._emit(result)
            return
        self.stdout.write(f"数据日期 {result['data_date']}")
        for d in result["dimensions"]:
            self.stdout.write(
                f"  {d['name']}（{d['code']}）：{d['count']} 户（拒绝营销未计入 {d['refused_excluded']}）"
            )

    @staticmethod
    def _day(text: str | None) -> date:
        if text:
            try:
                return date.fromisoformat(text.strip())
            except ValueError:
                raise ValueError(f"数据日期应为 YYYY-MM-DD：{text}") from None
        from liuyou.pipeline.selectors import latest_import_date

        latest = latest_import_date()
        if latest is None:
            raise ValueError("尚无已完成的导入，无法确定数据日期")
        return latest

    def _emit(self, obj: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(obj, ensure_ascii=False))
        self.stdout.flush()
