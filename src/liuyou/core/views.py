"""The workbench home page and the error pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import timezone

from liuyou.core import workbench as cards
from liuyou.core.access import login_only
from liuyou.core.rendering import render_page


@login_only
def workbench(request: HttpRequest) -> HttpResponse:
    roles = cards.active_roles(request.user)
    if not roles:
        return render(request, "core/no_role.html", {})
    context = {
        "roles": roles,
        "sections": cards.sections_for(request.user, roles),
        "panels": cards.panels_for(request.user),
        "today": timezone.localdate(),
        "empty_text": cards.EMPTY_TEXT,
    }
    return render_page(
        request, "core/workbench.html", context, fragment_template="core/_workbench_cards.html"
    )


# --- errors ------------------------------------------------------------------------------


def _request_id(request: HttpRequest | None) -> str:
    ctx = getattr(request, "liuyou_ctx", None)
    return getattr(ctx, "request_id", "")


def _wants_json(request: HttpRequest) -> bool:
    # The API speaks JSON; an HTMX request swaps markup into a page, so a whole error page
    # would land inside it: app.js shows the JSON detail as an alert instead.
    return request.path.startswith("/api/") or request.headers.get("HX-Request") == "true"


def _is_anonymous(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


def _error(request: HttpRequest, status: int, title: str, message: str, **extra: Any) -> HttpResponse:
    request_id = _request_id(request)
    if _wants_json(request):
        return JsonResponse(
            {"detail": message, "request_id": request_id},
            status=status,
            json_dumps_params={"ensure_ascii": False},
        )
    anonymous = _is_anonymous(request)
    context = {
        "status": status,
        "title": title,
        "message": message,
        "request_id": request_id,
        "base_template": "core/base_bare.html" if anonymous else "core/base.html",
        "show_login": anonymous,
        **extra,
    }
    return render(request, "core/error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "请求无效", "请求内容有误，请检查后重试。")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, "无权访问", "您没有执行此操作的权限。如需开通，请联系安全管理员。")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "页面不存在", "您访问的页面或记录不存在，或不在您的数据范围内。")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(request, 403, "页面已过期", "页面已过期或请求来源无法验证，请刷新页面后重试。")


SERVER_ERROR_MESSAGE = "系统处理出错，请稍后重试。如问题持续，请联系系统管理员并提供请求号。"


def server_error(request: HttpRequest) -> HttpResponse:
    """Touches neither the database nor the user: whatever broke the request may be broken
    still, and the error page must not fail in turn."""
    request_id = _request_id(request)
    if _wants_json(request):
        return JsonResponse(
            {"detail": SERVER_ERROR_MESSAGE, "request_id": request_id},
            status=500,
            json_dumps_params={"ensure_ascii": False},
        )
    body = loader.get_template("core/500.html").render(
        {"title": "系统繁忙", "message": SERVER_ERROR_MESSAGE, "request_id": request_id}, request=None
    )
    return HttpResponse(body, status=500)
