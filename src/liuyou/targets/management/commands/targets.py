"""`liuyou targets export LIST_ID --out FILE.xlsx`: a saved target list as an Excel file, the
same columns as the page's export (docs/targets.md). Run as an operator: the whole list."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from liuyou.core import excel
from liuyou.targets.models import TargetList


class Command(BaseCommand):
    help = "目标客户名单：export 导出为 Excel / Target lists: export one as XLSX"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="导出一份名单为 Excel")
        export.add_argument("list_id", type=int, metavar="LIST_ID")
        export.add_argument("--out", required=True, type=Path, metavar="FILE.xlsx")

    def handle(self, *args: Any, **options: Any) -> None:
        from liuyou.targets import services

        target = TargetList.objects.filter(pk=options["list_id"]).first()
        if target is None:
            print(f"未导出：名单 {options['list_id']} 不存在", file=sys.stderr)
            raise SystemExit(2)
        out: Path = options["out"]
        if out.suffix.lower() != ".xlsx":
            print("未导出：--out 须为 .xlsx 文件", file=sys.stderr)
            raise SystemExit(2)
        headers, rows = services.export_rows(user=None, target_list=target)
        data = list(rows)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(excel.workbook(headers, data, title="目标客户名单"))
        self.stdout.write(f"已导出名单“{target.name}”{len(data)} 位客户到 {out.resolve()}")
