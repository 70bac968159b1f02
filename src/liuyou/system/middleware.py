from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from liuyou.core import request_context


class SessionGuardMiddleware:
    """After authentication: records the user in the request context. (The security work adds
    idle-timeout notice, revoked sessions, password expiry and pending second factor here.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_context.current().user = request.user if request.user.is_authenticated else None
        return self.get_response(request)
