"""`liuyou serve`: the production web server (gunicorn, threaded workers) in one command.

Static files are served by the application itself (WhiteNoise reading the package's static
folders), so there is no collectstatic step and no web server to configure for them.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.management import CommandError
from django.core.management.base import BaseCommand, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor


def pending_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Names of the migrations not yet applied to the database."""
    connection = connections[alias]
    connection.prepare_database()
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def _stderr_access_logger() -> type:
    from gunicorn.glogging import Logger

    class StderrAccessLogger(Logger):  # type: ignore[misc]
        """gunicorn writes the access log ("-") to stdout; operators collect stderr."""

        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            for handler in self.access_log.handlers:
                if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
                    handler.setStream(sys.stderr)

    return StderrAccessLogger


def run_server(*, host: str, port: int, workers: int, threads: int, timeout: int = 120) -> None:
    """Run gunicorn in this process until it is stopped (SIGTERM/SIGINT: graceful shutdown)."""
    from gunicorn.app.base import BaseApplication

    trusted = ",".join(str(net) for net in settings.LIUYOU_TRUSTED_PROXIES) or "127.0.0.1,::1"
    options: dict[str, Any] = {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": timeout,
        "graceful_timeout": 30,
        "keepalive": 5,
        "accesslog": "-",
        # %(U)s is the path without the query string: list searches carry exact ID and phone
        # numbers in the URL, and those must not land in access logs in clear.
        "access_log_format": '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"',
        "errorlog": "-",
        "logger_class": _stderr_access_logger(),
        # No ~/.gunicorn control socket: several instances may run under one account.
        "control_socket_disable": True,
        "loglevel": "info",
        "proc_name": "liuyou",
        "forwarded_allow_ips": trusted,
        # Load Django once in the master: a broken deployment fails at start, and workers fork warm.
        "preload_app": True,
    }

    class LiuyouApplication(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from liuyou.wsgi import application

            return application

    LiuyouApplication().run()


class Command(BaseCommand):
    help = "启动生产级 Web 服务（gunicorn）/ Serve Liuyou with the production web server"
    requires_system_checks: list[str] = []  # run below, with the deployment checks in production

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host", default="127.0.0.1", help="监听地址，默认 127.0.0.1（对外服务用 0.0.0.0）"
        )
        parser.add_argument("--port", type=int, default=8000, help="监听端口，默认 8000")
        parser.add_argument(
            "--workers", type=int, default=None, help="工作进程数，默认取 LIUYOU_WEB_WORKERS（2）"
        )
        parser.add_argument(
            "--threads", type=int, default=None, help="每个进程的线程数，默认取 LIUYOU_WEB_THREADS（4）"
        )
        parser.add_argument("--timeout", type=int, default=120, help="单个请求的超时秒数，默认 120")

    def handle(self, *args: Any, **options: Any) -> None:
        workers = options["workers"] or settings.CONFIG.web_workers
        threads = options["threads"] or settings.CONFIG.web_threads
        if workers < 1 or threads < 1 or not 0 < options["port"] < 65536:
            raise CommandError("进程数与线程数须为正整数，端口须在 1–65535 之间")

        self.check(include_deployment_checks=settings.PRODUCTION, fail_level=checks.ERROR)
        pending = pending_migrations()
        if pending:
            raise CommandError(
                f"数据库有 {len(pending)} 个迁移尚未执行（如 {pending[0]}），拒绝启动。"
                "请先运行 liuyou migrate / Unapplied migrations: run `liuyou migrate` first."
            )
        # WhiteNoise also looks in STATIC_ROOT, if one is set (files come from the package), and
        # warns on every start if the folder is missing.
        if settings.STATIC_ROOT:
            Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        # Forked workers must not share the master's database connection.
        connections.close_all()

        for warning in settings.CONFIG.warnings:
            self.stderr.write(f"提示：{warning}")
        mode = "生产模式" if settings.PRODUCTION else "开发模式"
        url_host = f"[{options['host']}]" if ":" in options["host"] else options["host"]
        self.stdout.write(
            f"六有已启动（{mode}，{workers} 进程 × {threads} 线程）：http://{url_host}:{options['port']}/  "
            "按 Ctrl+C 停止"
        )
        self.stdout.flush()
        run_server(
            host=options["host"],
            port=options["port"],
            workers=workers,
            threads=threads,
            timeout=options["timeout"],
        )
