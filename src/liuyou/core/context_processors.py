"""What every page shell needs: the user's menu, the breadcrumb, the request id.

The menu costs a permission query, so it is built lazily, at most once per request, and only
when a template actually reads it (fragments and the bare pages do not)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def _shell_menu(request: HttpRequest) -> list[dict[str, Any]]:
    cached = getattr(request, "_liuyou_menu", None)
    if cached is None:
        from liuyou.core.menu import menu_for

        user = getattr(request, "user", None)
        cached = menu_for(user, request.path) if user is not None and user.is_authenticated else []
        request._liuyou_menu = cached  # type: ignore[attr-defined]
    return cached


def _active(request: HttpRequest) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    from liuyou.core.menu import active_item

    return active_item(_shell_menu(request))


def _breadcrumb(request: HttpRequest) -> list[str]:
    section, item = _active(request)
    return [section["label"], item["label"]] if section and item else []


def shell(request: HttpRequest) -> dict[str, Any]:
    ctx = getattr(request, "liuyou_ctx", None)
    return {
        "menu": SimpleLazyObject(lambda: _shell_menu(request)),
        "active_menu_item": SimpleLazyObject(lambda: _active(request)[1] or {}),
        "breadcrumb": SimpleLazyObject(lambda: _breadcrumb(request)),
        "request_id": getattr(ctx, "request_id", ""),
    }
