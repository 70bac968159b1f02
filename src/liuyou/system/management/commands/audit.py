"""`liuyou audit verify [--chain operation|login|all] [--json]`: re-walk the hash chains of the
operation log and the login log and report every entry that was edited, deleted or inserted.

Exit status 0 when every checked chain is intact, 1 when any is broken. Read-only: it writes
nothing (not even a log entry), so it can run against a restored backup or a read replica.
There is deliberately no subcommand that purges or archives log entries: the database
triggers refuse deletion, and archiving is done by database backup (docs/audit.md).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from liuyou.core import audit


class Command(BaseCommand):
    # A verification must run even when some unrelated part of the installation is misconfigured.
    requires_system_checks: list[str] = []
    help = "审计日志工具。verify：逐条校验操作日志与登录日志的哈希链，发现被修改、删除或插入的记录。"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", metavar="verify", required=True)
        verify = sub.add_parser(
            "verify",
            help="校验日志哈希链；完整时退出码为 0，发现异常时为 1",
            description=(
                "逐条重新计算 SM3 哈希，检查序号连续、与上一条记录的链接和链头。只读，不写入任何数据。"
            ),
        )
        verify.add_argument(
            "--chain",
            choices=["operation", "login", "all"],
            default="all",
            help="要校验的日志：operation 操作日志，login 登录日志，all 两者（默认）",
        )
        verify.add_argument("--json", action="store_true", help="以一个 JSON 对象输出结果，便于监控脚本读取")
        verify.add_argument("--batch", type=int, default=5000, help="每批读取的记录数（默认 5000）")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self._verify(options["chain"], as_json=options["json"], batch=max(1, options["batch"]))

    def _verify(self, chain: str, *, as_json: bool, batch: int) -> None:
        # Not wrapped in a transaction: on SQLite a transaction would take the write lock and
        # stall the application for the length of the walk. verify() reads the chain head first
        # and walks only up to it, so entries appended meanwhile cannot look like damage.
        chains = audit.CHAINS if chain == "all" else (chain,)
        results = [audit.verify(c, batch=batch) for c in chains]
        ok = all(r.ok for r in results)
        if as_json:
            payload = {
                "ok": ok,
                "chains": {
                    r.chain: {
                        "ok": r.ok,
                        "checked": r.checked,
                        "head_seq": r.head_seq,
                        "head_hash": r.head_hash,
                        "broken": [{"seq": seq, "reason": reason} for seq, reason in r.broken],
                    }
                    for r in results
                },
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
        else:
            for r in results:
                label = audit.CHAIN_LABELS[r.chain]
                head = f"链头序号 {r.head_seq}，链头哈希 {r.head_hash}"
                if r.ok:
                    self.stdout.write(self.style.SUCCESS(f"{label}：已校验 {r.checked} 条，完整。{head}"))
                    continue
                self.stdout.write(
                    self.style.ERROR(f"{label}：已校验 {r.checked} 条，发现 {len(r.broken)} 处异常。{head}")
                )
                for seq, reason in r.broken:
                    self.stdout.write(f"  序号 {seq}：{reason}")
        if not ok:
            total = sum(len(r.broken) for r in results)
            raise CommandError(f"日志完整性校验未通过：共 {total} 处异常", returncode=1)
