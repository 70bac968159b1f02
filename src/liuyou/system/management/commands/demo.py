"""`liuyou demo`: migrate, build the demo bank (idempotent), print the demo logins, serve."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import CommandError, call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from liuyou.system.catalog import ROLES
from liuyou.system.demo import (
    DEFAULT_CUSTOMERS,
    DEFAULT_SEED,
    DemoError,
    build_demo_bank,
    representative_logins,
)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain-text table that lines up with Chinese (double-width) characters."""
    widths = [max(_width(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [
        "  ".join(_pad(h, w) for h, w in zip(headers, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += ["  ".join(_pad(str(c), w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)


class Command(BaseCommand):
    help = "演示：迁移数据库、生成演示银行、打印演示账号并启动服务 / Build the demo bank and serve it"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="只生成演示数据，不启动服务")
        parser.add_argument("--host", default="127.0.0.1", help="监听地址，默认 127.0.0.1")
        parser.add_argument("--port", type=int, default=8000, help="监听端口，默认 8000")
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"随机种子，相同种子生成相同的演示银行，默认 {DEFAULT_SEED}",
        )
        parser.add_argument(
            "--customers",
            type=int,
            default=DEFAULT_CUSTOMERS,
            metavar="N",
            help=f"演示县客户数量，默认 {DEFAULT_CUSTOMERS}；0 表示只建机构与账号",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("生产模式（LIUYOU_ENV=production）下不能生成演示数据：演示账号的密码是公开的")
        if options["customers"] < 0:
            raise CommandError("--customers 不能为负数")
        self.stdout.write("正在迁移数据库…")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("正在生成演示银行…")
        try:
            with transaction.atomic():
                result = build_demo_bank(seed=options["seed"], customers=options["customers"])
        except DemoError as exc:
            raise CommandError(str(exc)) from exc

        self.stdout.write(
            f"演示银行：{result.orgs_total} 个机构、{result.users_total} 个用户"
            f"（本次新建机构 {result.orgs_created} 个、用户 {result.users_created} 个）"
        )
        if options["customers"]:
            self._county(options["customers"], options["seed"])
        rows = [
            [lg.staff_no, lg.name, lg.role_name, lg.org_name, result.password]
            for lg in representative_logins(result.logins)
        ]
        self.stdout.write("")
        self.stdout.write("演示账号 Demo logins:")
        self.stdout.write(table(["工号", "姓名", "角色", "机构", "密码"], rows))
        counts = "、".join(
            f"{spec[0]} {result.users_by_role[code]} 人"
            for code, spec in ROLES.items()
            if code in result.users_by_role
        )
        self.stdout.write(f"共 {result.users_total} 个演示账号：{counts}；密码均为 {result.password}。")
        self.stdout.write(
            self.style.WARNING(
                "警告：演示账号共用公开的演示密码且无须改密，仅限演示，切勿用于生产环境。"
                "/ Demo only: shared public password, never use in production."
            )
        )
        self.stdout.write("")
        if options["no_serve"]:
            return
        call_command("serve", host=options["host"], port=options["port"])

    def _county(self, customers: int, seed: int) -> None:
        """Write the demo county's extracts and import them through the import path."""
        from liuyou.demo_county import generate
        from liuyou.demo_county.load import load_county

        out_dir = Path(settings.VAR_DIR) / "extracts"
        self.stdout.write(f"正在生成演示县源系统文件（{customers} 个客户，种子 {seed}）到 {out_dir} …")
        manifest = generate(out_dir=out_dir, customers=customers, seed=seed)
        self.stdout.write(
            f"已生成 {len(manifest.files)} 个文件、{manifest.total_rows} 行"
            f"（{manifest.elapsed_seconds:.1f} 秒）；正在导入…"
        )
        summary = load_county(manifest, progress=lambda text: self.stderr.write(text))
        loaded = sum(f.loaded for f in summary.files)
        rejected = sum(f.rejected for f in summary.files)
        skipped = sum(1 for f in summary.files if f.status == "skipped")
        self.stdout.write(
            f"导入完成：{len(summary.files)} 个文件（跳过已导入 {skipped} 个），入库 {loaded} 行，"
            f"拒绝 {rejected} 行（演示数据中故意放入的错误行），耗时 {summary.seconds:.1f} 秒"
        )
        for f in summary.surprises:
            self.stdout.write(
                self.style.WARNING(
                    f"与预期不符：{f.entry.file} 状态 {f.status}，读取 {f.read}/{f.entry.rows}，"
                    f"拒绝 {f.rejected}（预期 {f.entry.expected_rejects}）{f.message}"
                )
            )
        from liuyou.products.services import ensure_demo_catalogue

        with transaction.atomic():  # the demo's product catalogue, for the pipeline to match
            ensure_demo_catalogue()
        self._daily()

    def _daily(self) -> None:
        """Run the daily pipeline for the latest imported data date, one line per step."""
        from liuyou.pipeline import services
        from liuyou.pipeline.management.commands.daily import step_line

        self.stdout.write("正在运行日终批处理…")
        try:
            batch = services.run_daily(channel="demo", progress=lambda text: self.stderr.write(text))
        except (services.PipelineError, services.Busy) as exc:
            self.stdout.write(self.style.WARNING(f"日终批处理未运行：{exc}"))
            return
        result = services.result_dict(batch)
        self.stdout.write(
            f"日终批处理 批次#{batch.pk}（数据日期 {result['data_date']}）：{batch.get_status_display()}，"
            f"耗时 {(batch.duration or 0):.1f} 秒"
        )
        for step in result["steps"]:
            line = step_line(step)
            self.stdout.write(line if step["status"] == "completed" else self.style.WARNING(line))
