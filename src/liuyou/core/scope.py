"""Data scope: the one place that narrows a queryset to what a user may see.

A scoped model registers how its rows map to the org tree and to an owning user. A user's
visible rows for a permission are the union of the scopes of the user's active roles that
grant that permission; no such role means nothing (default deny). Lookups outside the scope
raise Http404, so a record the user may not see looks exactly like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class ScopeSpec:
    org_path: str | None  # lookup to the owning org's materialized path, e.g. "org__path"
    owner: str | None  # lookup to the owning user's id, e.g. "manager_id"; None: self means own org
    org_ids: tuple[str, ...] = ()  # lookups to org ids matched by the "own org" scope (org, grid...)


_SPECS: dict[type[models.Model], ScopeSpec] = {}

# Later capabilities (task forces) plug in how "team" widens a user's view for a model.
TeamResolver = Callable[[Any, ScopeSpec], Q]
_team_resolvers: list[TeamResolver] = []


def register(model: type[models.Model], spec: ScopeSpec) -> None:
    _SPECS[model] = spec


def register_team_resolver(resolver: TeamResolver) -> None:
    _team_resolvers.append(resolver)


def spec_for(model: type[models.Model]) -> ScopeSpec:
    try:
        return _SPECS[model]
    except KeyError as exc:
        raise LookupError(f"{model.__name__} has no registered data scope") from exc


def _nothing() -> Q:
    return Q(pk__in=[])


def _role_q(role: Any, user: Any, spec: ScopeSpec) -> Q:
    from liuyou.system.models import DataScope, Org, Role

    scope = role.data_scope
    if scope == DataScope.ALL:
        return Q()
    org = user.org
    own_org: Q | None = None
    for lookup in spec.org_ids:
        own_org = Q(**{lookup: org.pk}) if own_org is None else own_org | Q(**{lookup: org.pk})
    if own_org is None and spec.org_path:
        own_org = Q(**{spec.org_path: org.path})
    if scope == DataScope.ORG:
        return own_org if own_org is not None else _nothing()
    if scope == DataScope.ORG_AND_BELOW:
        return Org.subtree_q(org.path, spec.org_path) if spec.org_path else _nothing()
    if scope == DataScope.CUSTOM:
        if not spec.org_path:
            return _nothing()
        q = _nothing()
        paths = Role.custom_orgs.through.objects.filter(role_id=role.pk).values_list("org__path", flat=True)
        for path in paths:
            q |= Org.subtree_q(path, spec.org_path)
        return q
    self_q = Q(**{spec.owner: user.pk}) if spec.owner else (own_org if own_org is not None else _nothing())
    if scope == DataScope.TEAM:
        q = self_q
        for resolver in _team_resolvers:
            q |= resolver(user, spec)
        return q
    if scope == DataScope.SELF:
        return self_q
    return _nothing()


def scope_q(user: Any, permission: str, model: type[models.Model]) -> Q | None:
    """The filter for `model` rows `user` may see under `permission`; None means none."""
    from liuyou.core.access import active_roles, has_perm

    if not has_perm(user, permission):
        return None
    spec = spec_for(model)
    roles = [r for r in active_roles(user) if permission in r.permissions]
    q: Q | None = None
    for role in roles:
        rq = _role_q(role, user, spec)
        if not rq.children:  # Q() means "all": nothing can widen it further
            return Q()
        q = rq if q is None else q | rq
    return q


def scoped(qs: QuerySet[M], user: Any, permission: str) -> QuerySet[M]:
    """Narrow `qs` to the rows `user` may see under `permission` (default deny)."""
    q = scope_q(user, permission, qs.model)
    if q is None:
        return qs.none()
    return qs.filter(q) if q.children else qs


def get_or_404(qs: QuerySet[M], user: Any, permission: str, **lookup: Any) -> M:
    """One row inside the user's scope, else Http404 whether it exists or not."""
    try:
        return scoped(qs, user, permission).get(**lookup)
    except ObjectDoesNotExist as exc:
        raise Http404("记录不存在或无权访问") from exc
