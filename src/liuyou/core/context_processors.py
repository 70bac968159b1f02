from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def shell(request: HttpRequest) -> dict[str, Any]:
    """Menu and identity for the page shell; filled in by core.menu."""
    from liuyou.core.menu import menu_for

    user = getattr(request, "user", None)
    ctx = getattr(request, "liuyou_ctx", None)
    return {
        "menu": menu_for(user, request.path) if user is not None and user.is_authenticated else [],
        "request_id": getattr(ctx, "request_id", ""),
    }
