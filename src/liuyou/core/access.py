"""Who may do what: permission strings per user (union over roles, default deny) and the view
decorators that declare every route's requirement in one attribute the authorization-matrix
test reads.

Every view is wrapped in exactly one of `public`, `login_only` or `requires(code)`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse

PUBLIC = "__public__"
LOGIN = "__login__"

View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class ActiveRole:
    """One of a user's active roles as the request sees it: what it grants and how far."""

    pk: int
    code: str
    data_scope: str
    permissions: frozenset[str]


def active_roles(user: Any) -> list[ActiveRole]:
    """The user's active roles with their permission codes, read in one query and cached on
    the user object, which lives for one request: a role removed or disabled takes effect on
    the user's next request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    roles: list[ActiveRole] | None = getattr(user, "_liuyou_roles", None)
    if roles is None:
        grouped: dict[int, tuple[str, str, set[str]]] = {}
        with connection.cursor() as cursor:
            cursor.execute(_roles_sql(), [user.pk, True])
            for pk, code, data_scope, perm in cursor.fetchall():
                entry = grouped.setdefault(pk, (code, data_scope, set()))
                if perm is not None:
                    entry[2].add(perm)
        roles = [ActiveRole(pk, code, ds, frozenset(perms)) for pk, (code, ds, perms) in grouped.items()]
        user._liuyou_roles = roles
    return roles


@functools.cache
def _roles_sql() -> str:
    # Every request reads this (the user's roles and what they grant): hand-written, it
    # costs a tenth of what the ORM spends compiling the same three joins.
    from liuyou.system.models import Permission, Role, User

    q = connection.ops.quote_name
    user_roles = User.roles.through._meta.db_table
    role_perms = Role.permissions.through._meta.db_table
    # Only identifiers from the models' own metadata are put in; values go as parameters.
    return (
        f"SELECT r.{q('id')}, r.{q('code')}, r.{q('data_scope')}, p.{q('code')}"  # noqa: S608
        f" FROM {q(user_roles)} ur"
        f" INNER JOIN {q(Role._meta.db_table)} r ON r.{q('id')} = ur.{q('role_id')}"
        f" LEFT OUTER JOIN {q(role_perms)} rp ON rp.{q('role_id')} = r.{q('id')}"
        f" LEFT OUTER JOIN {q(Permission._meta.db_table)} p"
        f" ON p.{q('id')} = rp.{q('permission_id')}"
        f" WHERE ur.{q('user_id')} = %s AND r.{q('is_active')} = %s"
        f" ORDER BY r.{q('sort_order')}, r.{q('code')}, r.{q('id')}"
    )


def permissions_of(user: Any) -> frozenset[str]:
    """The user's permission codes (the union over the active roles), cached on the user
    object for the request.

    An API key narrows the set to its scopes (`_liuyou_key_scopes`)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_liuyou_perms", None)
    if cached is None:
        cached = frozenset().union(*(r.permissions for r in active_roles(user)))
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
