from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from liuyou.core import request_context

# A client owing a second factor may only finish or abandon the login.
PENDING_ALLOWED = frozenset({"/login", "/logout", "/totp/setup", "/totp/verify"})
# A user owing a password change may only change it or leave.
PASSWORD_ALLOWED = frozenset({"/password/change", "/logout"})


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


class SessionGuardMiddleware:
    """After authentication: records the user in the request context, then, before any view
    runs, holds a session to what it may do now:

    - a client that passed the password but owes the second factor reaches only the TOTP pages;
    - a user whose password must change (first login, after a reset, older than
      LIUYOU_PASSWORD_MAX_AGE_DAYS) reaches only the password page and logout;
    - a user marked left is signed out at once;
    - activity is stamped on the UserSession at most once a minute.

    /api/ is left alone (API-key calls carry no session) and so are static files.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_context.current().user = request.user if request.user.is_authenticated else None
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        path = request.path_info
        if path.startswith((settings.STATIC_URL or "/static/", "/api/")):
            return None
        from liuyou.system import passwords, sessions
        from liuyou.system.models import UserStatus

        user = request.user
        if not user.is_authenticated:
            if sessions.PENDING_KEY in request.session and path not in PENDING_ALLOWED:
                return _redirect(request, "/totp/verify")
            return None

        if getattr(user, "status", UserStatus.ACTIVE) != UserStatus.ACTIVE:
            logout(request)
            request_context.current().user = None
            return _redirect(request, "/login")

        quiet = bool(request.headers.get("HX-Request")) and getattr(view_func, "liuyou_quiet_poll", False)
        request.liuyou_quiet = quiet  # type: ignore[attr-defined]
        row_id = request.session.get(sessions.SESSION_ROW_KEY)
        now = int(time.time())
        if not quiet and row_id and now - int(request.session.get(sessions.SESSION_TOUCHED_KEY, 0)) >= 60:
            sessions.touch(user_session_id=row_id)
            request.session[sessions.SESSION_TOUCHED_KEY] = now

        if path not in PASSWORD_ALLOWED and passwords.change_reason(user):
            return _redirect(request, "/password/change")
        return None


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that a quiet poll (see core.access.quiet_poll) that changed nothing in
    the session does not save it, whatever SESSION_SAVE_EVERY_REQUEST says."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if getattr(request, "liuyou_quiet", False) and not request.session.modified:
            return response
        return super().process_response(request, response)
