"""Writes to orgs, users and roles. Keyword-only; the caller owns the transaction; every
write is audited with before/after values."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from liuyou.core import audit
from liuyou.system.models import Org, PasswordHistory, Role, User


def _path_of(org: Org) -> str:
    return (org.parent.path if org.parent_id else "/") + f"{org.pk}/"


def create_org(*, code: str, name: str, kind: str, parent: Org | None, address: str = "",
               sort_order: int = 0, actor: Any = None) -> Org:
    org = Org.objects.create(code=code, name=name, kind=kind, parent=parent, address=address,
                             sort_order=sort_order)
    org.path = _path_of(org)
    org.depth = org.path.count("/") - 2
    org.save(update_fields=["path", "depth"])
    audit.record(action="org.create", user=actor, obj=org, after=audit.snapshot(org))
    return org


def move_org(*, org: Org, parent: Org | None, actor: Any = None) -> Org:
    """Re-parent `org` and rewrite the paths of its whole subtree in one statement."""
    if parent is not None and parent.path.startswith(org.path):
        raise ValueError("不能将机构移动到其自身或下级机构之下")
    before = audit.snapshot(org)
    old_path = org.path
    org.parent = parent
    new_path = _path_of(org)
    depth_shift = new_path.count("/") - old_path.count("/")
    Org.objects.filter(Org.subtree_q(old_path)).update(
        path=Concat(Value(new_path), Substr(F("path"), len(old_path) + 1)),
        depth=F("depth") + depth_shift,
    )
    Org.objects.filter(pk=org.pk).update(parent=parent)
    org.refresh_from_db()
    audit.record(action="org.move", user=actor, obj=org, before=before, after=audit.snapshot(org))
    return org


def create_user(*, staff_no: str, name: str, org: Org, password: str, roles: list[Role] | None = None,
                position: str = "", phone: str = "", wecom_userid: str = "", must_change_password: bool = True,
                is_service_account: bool = False, actor: Any = None) -> User:
    user = User(staff_no=staff_no, name=name, org=org, position=position, phone=phone, wecom_userid=wecom_userid,
                must_change_password=must_change_password, is_service_account=is_service_account)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save()
    PasswordHistory.objects.create(user=user, password=user.password)
    if roles:
        user.roles.set(roles)
    after = audit.snapshot(user)
    after["roles"] = sorted(r.code for r in roles or [])
    audit.record(action="user.create", user=actor, obj=user, after=after)
    return user
