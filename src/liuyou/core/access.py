"""Who may do what: permission strings per user (union over roles, default deny) and the view
decorators that declare every route's requirement in one attribute the authorization-matrix
test reads.

Every view is wrapped in exactly one of `public`, `login_only` or `requires(code)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse

PUBLIC = "__public__"
LOGIN = "__login__"

View = Callable[..., HttpResponse]


def permissions_of(user: Any) -> frozenset[str]:
    """The user's permission codes, cached on the user object for the request.

    An API key narrows the set to its scopes (`_liuyou_key_scopes`)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_liuyou_perms", None)
    if cached is None:
        from liuyou.system.models import Permission

        cached = frozenset(
            Permission.objects.filter(roles__users=user, roles__is_active=True).values_list("code", flat=True)
        )
        user._liuyou_perms = cached
    scopes = getattr(user, "_liuyou_key_scopes", None)
    if scopes is not None:
        return cached & frozenset(scopes)
    return cached


def has_perm(user: Any, code: str) -> bool:
    return code in permissions_of(user)


def forget(user: Any) -> None:
    """Drop cached permissions after roles change."""
    for attr in ("_liuyou_perms", "_liuyou_roles"):
        if hasattr(user, attr):
            delattr(user, attr)


READ_ONLY = frozenset({"GET", "HEAD"})


def _mark(view: View, requirement: str, methods: Iterable[str]) -> View:
    view.liuyou_permission = requirement  # type: ignore[attr-defined]
    view.liuyou_methods = tuple(methods)  # type: ignore[attr-defined]
    return view


def public(view: View | None = None, *, methods: Iterable[str] = ("GET",)) -> Any:
    def deco(fn: View) -> View:
        return _mark(fn, PUBLIC, methods)

    return deco(view) if view is not None else deco


def _guard(fn: View, requirement: str, methods: Iterable[str]) -> View:
    @wraps(fn)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=401)
                response["HX-Redirect"] = "/login"
                return response
            return redirect_to_login(request.get_full_path())
        if requirement != LOGIN and not has_perm(request.user, requirement):
            raise PermissionDenied(requirement)
        return fn(request, *args, **kwargs)

    methods = tuple(methods)
    if set(methods) <= READ_ONLY:
        # A page that only reads runs without the request transaction (ATOMIC_REQUESTS): on
        # SQLite that transaction takes the write lock at BEGIN (IMMEDIATE), so every page
        # view would queue behind every other. What such a view does write (an audit entry)
        # is atomic on its own.
        wrapper = transaction.non_atomic_requests(wrapper)
    return _mark(wrapper, requirement, methods)


def quiet_poll(fn: View) -> View:
    """An HTMX poll of this view (a progress fragment every few seconds) is not user activity:
    it neither saves nor stamps the session. Polls must not keep an idle session alive, and on
    SQLite any write would wait for the write lock a long import holds. Put it innermost."""
    fn.liuyou_quiet_poll = True  # type: ignore[attr-defined]
    return fn


def login_only(view: View | None = None, *, methods: Iterable[str] = ("GET",)) -> Any:
    def deco(fn: View) -> View:
        return _guard(fn, LOGIN, methods)

    return deco(view) if view is not None else deco


def requires(code: str, *, methods: Iterable[str] = ("GET",)) -> Callable[[View], View]:
    """Login plus permission `code`; otherwise the login page or a 403 page."""

    def deco(fn: View) -> View:
        return _guard(fn, code, methods)

    return deco
