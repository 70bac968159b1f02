"""Reads for the administration pages: orgs, users, roles and dictionaries.

Orgs and users are scoped data: every query starts from `core.scope.scoped`, so a page, an
export and a lookup all see the same rows. Roles, permissions and dictionaries are global
configuration and are not scoped.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import connection, transaction
from django.db.models import Count, Q, QuerySet

from liuyou.core import scope
from liuyou.system.models import DictItem, DictType, Org, Permission, Role, User, UserStatus

# --- dictionaries -------------------------------------------------------------------------------


def dict_labels(code: str) -> dict[str, str]:
    """value -> label for one dictionary, disabled items included: old records still show."""
    return dict(DictItem.objects.filter(dict_type__code=code).values_list("value", "label"))


# --- display caches -----------------------------------------------------------------------------

T = TypeVar("T")

# How long a process keeps a display cache (dictionary labels, the industry list) before
# reading it again. The process that makes an edit forgets at once (the services call
# forget_dictionaries); the other server processes show the edit within this many seconds.
DISPLAY_CACHE_SECONDS = 30.0


def _committed_reads() -> bool:
    """Whether what this thread reads now is committed data: outside any transaction."""
    return not connection.in_atomic_block


_caches: weakref.WeakSet[DisplayCache[Any]] = weakref.WeakSet()


def forget_display_caches() -> None:
    """Every display cache of this process forgets (tests; after a bulk change)."""
    for cache in _caches:
        cache.forget()


class DisplayCache(Generic[T]):
    """A small, display-only table (labels, names) kept in this process for
    DISPLAY_CACHE_SECONDS, so a page view does not read it every time.

    Only what was read outside a transaction is kept: inside one, the read may include the
    transaction's own uncommitted (and perhaps rolled back) edits. `forget()` drops the
    value, and a read that was under way when it was called is not kept either."""

    def __init__(self, load: Callable[[], T], seconds: float | None = None) -> None:
        self._load = load
        self._seconds = seconds
        self._entry: tuple[float, T] | None = None
        self._generation = 0
        self._lock = threading.Lock()
        _caches.add(self)

    def get(self) -> T:
        entry = self._entry
        now = time.monotonic()
        if entry is not None and entry[0] > now:
            return entry[1]
        generation = self._generation
        value = self._load()
        if _committed_reads():
            seconds = DISPLAY_CACHE_SECONDS if self._seconds is None else self._seconds
            with self._lock:
                if generation == self._generation:
                    self._entry = (now + seconds, value)
        return value

    def forget(self) -> None:
        with self._lock:
            self._generation += 1
            self._entry = None


def _all_dict_labels() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for code, value, label in DictItem.objects.order_by().values_list("dict_type__code", "value", "label"):
        out[code][value] = label
    return dict(out)


_dictionaries: DisplayCache[dict[str, dict[str, str]]] = DisplayCache(_all_dict_labels)


def display_labels(code: str) -> dict[str, str]:
    """What dict_labels answers, from the display cache (every dictionary is read in one
    query at most every DISPLAY_CACHE_SECONDS): for showing stored values, never for
    validating input. Returns a copy the caller may change."""
    return dict(_dictionaries.get().get(code, {}))


def forget_dictionaries() -> None:
    """After a dictionary edit: this process forgets now and again when the edit commits
    (a read racing the commit could otherwise keep the old labels)."""
    _dictionaries.forget()
    transaction.on_commit(_dictionaries.forget)


def dict_choices(code: str, *, keep: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(value, label) of the enabled items, plus any disabled value in `keep` (a record's
    current value must stay selectable while it is being edited)."""
    keep = [v for v in keep if v]
    items = DictItem.objects.filter(dict_type__code=code, dict_type__is_active=True).filter(
        Q(is_active=True) | Q(value__in=keep)
    )
    return list(items.order_by("sort_order", "value").values_list("value", "label"))


def dict_types() -> QuerySet[DictType]:
    return DictType.objects.annotate(
        item_count=Count("items", distinct=True),
        active_item_count=Count("items", filter=Q(items__is_active=True), distinct=True),
    ).order_by("code")


def dict_items(dict_type: DictType) -> QuerySet[DictItem]:
    return DictItem.objects.filter(dict_type=dict_type).order_by("sort_order", "value")


def dict_export_items(types: QuerySet[DictType]) -> QuerySet[DictItem]:
    return (
        DictItem.objects.filter(dict_type__in=types.values("pk"))
        .select_related("dict_type")
        .order_by("dict_type__code", "sort_order", "value")
    )


# --- orgs ---------------------------------------------------------------------------------------


def visible_orgs(user: Any, permission: str = "org:view") -> QuerySet[Org]:
    return scope.scoped(Org.objects.all(), user, permission)


def assignable_orgs(user: Any, permission: str) -> QuerySet[Org]:
    """Enabled orgs within `user`'s scope for `permission`: the choices of an org field."""
    return visible_orgs(user, permission).filter(is_active=True).order_by("path")


@dataclass
class OrgNode:
    org: Org
    depth: int = 0
    users: int = 0  # 在职 users attached directly to this org
    total_users: int = 0  # ... and to everything below it
    matched: bool = True  # False for an ancestor shown only to keep the tree readable
    kind_label: str = ""
    children: list[OrgNode] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.org.pk


def _user_counts(org_ids: Iterable[int]) -> dict[int, int]:
    rows = (
        User.objects.filter(org_id__in=list(org_ids), status=UserStatus.ACTIVE)
        .values("org_id")
        .annotate(n=Count("pk"))
        .values_list("org_id", "n")
    )
    return dict(rows)


def _path_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


def org_forest(
    visible: QuerySet[Org], matched: QuerySet[Org] | None = None, kind_labels: dict[str, str] | None = None
) -> list[OrgNode]:
    """The visible orgs as trees, children ordered by sort order then code.

    With `matched` (a filtered subset), only matches and their visible ancestors appear,
    the ancestors flagged so the page can dim them; head counts still cover the whole
    visible subtree. A visible org whose parent is not visible becomes a root: a branch head
    sees their branch as the top of the tree."""
    orgs = {o.pk: o for o in visible.order_by("path")}
    counts = _user_counts(orgs)
    nodes = {pk: OrgNode(org=org, users=counts.get(pk, 0)) for pk, org in orgs.items()}
    by_parent: dict[int | None, list[OrgNode]] = defaultdict(list)
    for node in nodes.values():
        parent = node.org.parent_id
        by_parent[parent if parent in nodes else None].append(node)

    def key(n: OrgNode) -> tuple[int, str]:
        return (n.org.sort_order, n.org.code)

    def build(node: OrgNode, depth: int) -> int:
        node.depth = depth
        node.kind_label = (kind_labels or {}).get(node.org.kind, node.org.kind)
        node.children = sorted(by_parent.get(node.pk, []), key=key)
        node.total_users = node.users + sum(build(c, depth + 1) for c in node.children)
        return node.total_users

    roots = sorted(by_parent.get(None, []), key=key)
    for root in roots:
        build(root, 0)
    if matched is None:
        return roots

    matched_ids = set(matched.values_list("pk", flat=True)) & set(nodes)
    keep = {i for pk in matched_ids for i in _path_ids(orgs[pk].path) if i in nodes}

    def prune(level: list[OrgNode]) -> list[OrgNode]:
        kept = [n for n in level if n.pk in keep]
        for n in kept:
            n.matched = n.pk in matched_ids
            n.children = prune(n.children)
        return kept

    return prune(roots)


def flatten(forest: list[OrgNode]) -> list[OrgNode]:
    """Depth-first rows for a tree table."""
    out: list[OrgNode] = []

    def walk(nodes: list[OrgNode]) -> None:
        for n in nodes:
            out.append(n)
            walk(n.children)

    walk(forest)
    return out


def in_tree_order(orgs: Iterable[Org]) -> list[Org]:
    """`orgs` as the tree shows them: each under its parent, siblings by sort order then code.
    (The path column orders by primary key, and as text: '/1/10/' before '/1/2/'.)"""
    orgs = list(orgs)
    ancestor_ids = {i for o in orgs for i in _path_ids(o.path)}
    keys = {
        pk: (order, code)
        for pk, order, code in Org.objects.filter(pk__in=ancestor_ids).values_list("pk", "sort_order", "code")
    }
    return sorted(orgs, key=lambda o: [keys.get(i, (0, "")) for i in _path_ids(o.path)])


def org_export_rows(orgs: QuerySet[Org]) -> QuerySet[Org]:
    return orgs.select_related("parent").order_by("path")


# --- users --------------------------------------------------------------------------------------


def visible_users(user: Any, permission: str = "user:view") -> QuerySet[User]:
    return scope.scoped(User.objects.all(), user, permission).select_related("org").prefetch_related("roles")


def user_in_scope(user: Any, permission: str, user_id: int) -> User:
    return scope.get_or_404(User.objects.select_related("org"), user, permission, pk=user_id)


def org_in_scope(user: Any, permission: str, org_id: int) -> Org:
    return scope.get_or_404(Org.objects.all(), user, permission, pk=org_id)


def grantable_roles(target: User) -> QuerySet[Role]:
    """Enabled roles, plus any disabled role the user still holds, so saving keeps it."""
    return Role.objects.filter(Q(is_active=True) | Q(users=target)).distinct().order_by("sort_order", "code")


# --- roles --------------------------------------------------------------------------------------


def roles() -> QuerySet[Role]:
    return Role.objects.annotate(
        permission_count=Count("permissions", distinct=True),
        user_count=Count("users", distinct=True),
    ).order_by("sort_order", "code")


def permission_groups(permissions: QuerySet[Permission] | None = None) -> list[tuple[str, list[Permission]]]:
    """Permissions grouped by `Permission.group`, groups in first-seen catalog order."""
    grouped: dict[str, list[Permission]] = {}
    for p in (permissions if permissions is not None else Permission.objects.all()).order_by(
        "sort_order", "code"
    ):
        grouped.setdefault(p.group, []).append(p)
    return list(grouped.items())
