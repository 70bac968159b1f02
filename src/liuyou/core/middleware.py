from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from liuyou.core import request_context


class RequestContextMiddleware:
    """Opens the request context (id, client IP) used by audit and logging; echoes the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = request_context.RequestContext(
            ip=request_context.client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            method=request.method or "",
            path=request.path[:300],
        )
        request.liuyou_ctx = ctx  # type: ignore[attr-defined]
        token = request_context.begin(ctx)
        try:
            response = self.get_response(request)
        finally:
            request_context.end(token)
        response["X-Request-ID"] = ctx.request_id
        return response
