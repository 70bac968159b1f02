"""The `liuyou` command: Django's management commands plus ours, from any directory.

    liuyou migrate | serve | createuser | apikey create | demo | import | daily
    liuyou rotate-data-key | audit verify

Settings come from LIUYOU_* variables (and ./.env); the SQLite default lives in ./var under
the current directory, so the working directory chooses the installation.
"""

from __future__ import annotations

import os
import sys

# Our commands first in `liuyou --help`, in this order; any other command a Liuyou app
# ships is listed after them.
OPERATOR_COMMANDS = (
    "migrate",
    "serve",
    "createuser",
    "apikey",
    "demo",
    "import",
    "daily",
    "mine",
    "targets",
    "rotate-data-key",
    "audit",
)
HELP_FLAGS = {"-h", "--help", "help"}
# One-line help for the Django commands an operator uses as ours.
HELP_OVERRIDES = {
    "migrate": "建立或升级数据库结构（安装与升级后运行）/ Create or upgrade the database schema"
}


def _load_settings() -> None:
    """Import the settings now, so a configuration error ends here: the settings module prints
    the Chinese message naming the variable and exits with status 2, no traceback."""
    from django.conf import settings

    settings.INSTALLED_APPS  # noqa: B018 - touching it imports and validates the settings


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def main_help() -> str:
    from django.core.management import get_commands, load_command_class

    from liuyou import __version__

    commands = get_commands()
    ours = [name for name in OPERATOR_COMMANDS if name in commands]
    ours += sorted(n for n, app in commands.items() if app.startswith("liuyou") and n not in ours)
    lines = [
        f"六有 Liuyou {__version__} — 信贷管理与精准营销平台 / credit management and precision marketing",
        "",
        "用法 Usage: liuyou <命令 command> [选项 options]",
        "            liuyou <命令 command> --help    查看某个命令的说明 / help for one command",
        "            liuyou --version",
        "",
        "六有命令 Liuyou commands:",
    ]
    width = max(len(n) for n in ours) + 2 if ours else 0
    for name in ours:
        try:
            text = HELP_OVERRIDES.get(name) or _first_line(load_command_class(commands[name], name).help)
        except Exception:  # a broken third-party command must not hide the rest of the help
            text = ""
        lines.append(f"  {name.ljust(width)}{text}")
    lines += ["", "Django 命令 Django commands:"]
    rest = sorted(n for n in commands if n not in ours)
    for i in range(0, len(rest), 4):
        lines.append("  " + "  ".join(n.ljust(26) for n in rest[i : i + 4]).rstrip())
    lines += [
        "",
        "配置 Configuration: LIUYOU_* 环境变量或当前目录的 .env；见 docs/operations.md",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "liuyou"
    if len(argv) > 1 and argv[1] in {"--version", "-V", "version"}:
        from liuyou import __version__

        print(f"liuyou {__version__}")
        return
    # Always ours, even if the shell carries another project's DJANGO_SETTINGS_MODULE.
    os.environ["DJANGO_SETTINGS_MODULE"] = "liuyou.settings"
    _load_settings()
    if len(argv) == 1 or (len(argv) == 2 and argv[1] in HELP_FLAGS):
        import django

        django.setup()
        print(main_help())
        return

    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(argv)
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
