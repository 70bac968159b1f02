"""The `liuyou` command: Django's management commands plus ours, from any directory.

    liuyou migrate | serve | createuser | apikey create | demo | rotate-data-key | audit verify
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] in {"--version", "-V", "version"}:
        from liuyou import __version__

        print(f"liuyou {__version__}")
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuyou.settings")
    from django.core.management import execute_from_command_line

    argv[0] = "liuyou"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
