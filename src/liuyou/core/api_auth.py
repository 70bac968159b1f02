"""Who is calling the API, and may they: API keys (two headers) or the browser session.

`API_AUTH` is set on the NinjaAPI instance, so every router and operation requires one of
them unless it says `auth=None` (only /api/v1/health does). A key that is presented but
wrong answers 401 at once, rather than falling back to the session. Session calls go through
Django's CSRF check for unsafe methods; key calls carry no ambient credential and need none.

Inside an operation, `require(request, "customer:view")` or `@api_requires("...")` checks a
permission (403 JSON), and core.scope.scoped/get_or_404 apply the data scope (404 JSON).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, APIKeyHeader, HttpBearer
from ninja.utils import check_csrf

from liuyou.core import api_errors, request_context
from liuyou.core.access import LOGIN, has_perm

API_KEY_HEADER = "X-API-Key"


def _accept(request: HttpRequest, user: Any, method: str) -> Any:
    """Make `user` the request's user everywhere: views, audit records, logs."""
    request.user = user
    request.liuyou_auth_method = method  # type: ignore[attr-defined]
    request_context.current().user = user
    return user


def _by_key(request: HttpRequest, plain_key: str) -> Any:
    from liuyou.system import apikeys

    key = apikeys.authenticate(plain_key)
    if key is None:
        raise AuthenticationError()
    return _accept(request, key.user, "api_key")


class BearerKey(HttpBearer):
    """`Authorization: Bearer ly_<prefix>_<secret>`."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token:
            raise AuthenticationError()
        return _by_key(request, token)


class HeaderKey(APIKeyHeader):
    """`X-API-Key: ly_<prefix>_<secret>`."""

    param_name = API_KEY_HEADER

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key:
            return None
        return _by_key(request, key)


class Session(APIKeyCookie):
    """The logged-in browser session (the pages' own cookie), CSRF-checked for unsafe methods.

    Unlike ninja's SessionAuth, an anonymous call answers 401 before any CSRF check, so a
    caller without credentials always learns that first."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        # The page guard (system.middleware) leaves /api/ alone, so its holds apply here too.
        from liuyou.system import passwords
        from liuyou.system.models import UserStatus

        if not user.is_active or getattr(user, "status", UserStatus.ACTIVE) != UserStatus.ACTIVE:
            return None
        reason = passwords.change_reason(user)
        if reason:
            raise HttpError(403, reason)
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, api_errors.CSRF_FAILED)
        return _accept(request, user, "session")


API_AUTH = [BearerKey(), HeaderKey(), Session()]


def authenticate_request(request: HttpRequest) -> Any:
    """Run the API's authentication outside an operation (docs pages); the user or None.
    Raises AuthenticationError / HttpError exactly as the operations would."""
    for auth in API_AUTH:
        user = auth(request)
        if user:
            return user
    return None


def require(request: HttpRequest, code: str) -> None:
    """403 JSON unless the caller holds `code` (an API key: and its scopes include it)."""
    if not has_perm(request.user, code):
        raise api_errors.PermissionMissing(code)


def api_requires(code: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Operation decorator for `require`; also records the code on the view
    (`liuyou_permission`, as page views do) for tests and docs."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            require(request, code)
            return fn(request, *args, **kwargs)

        wrapper.liuyou_permission = code  # type: ignore[attr-defined]
        return wrapper

    return deco


def api_login_only(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Marks an operation any authenticated caller may use (auth itself is the API's)."""
    fn.liuyou_permission = LOGIN  # type: ignore[attr-defined]
    return fn


def docs_guard(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The OpenAPI document and the docs page under /api/v1 need the same credentials as the
    operations: 401 JSON otherwise."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            user = authenticate_request(request)
        except HttpError as exc:
            return api_errors.on_http_error(request, exc)
        if not user:
            return api_errors.error_response(request, 401, api_errors.UNAUTHENTICATED)
        return view(request, *args, **kwargs)

    return wrapper
