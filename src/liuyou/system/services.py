"""Writes to orgs, users and roles. Keyword-only; the caller owns the transaction; every
write is audited with before/after values."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from liuyou.core import access, audit
from liuyou.system import selectors
from liuyou.system.catalog import SEPARATED_DUTIES
from liuyou.system.models import (
    DataScope,
    DictItem,
    DictType,
    Org,
    OrgKind,
    PasswordHistory,
    Permission,
    Role,
    User,
    UserStatus,
)


def _path_of(org: Org) -> str:
    return (org.parent.path if org.parent is not None else "/") + f"{org.pk}/"


def create_org(
    *,
    code: str,
    name: str,
    kind: str,
    parent: Org | None,
    address: str = "",
    sort_order: int = 0,
    actor: Any = None,
) -> Org:
    check_org_placement(kind=kind, parent=parent)
    org = Org.objects.create(
        code=code, name=name, kind=kind, parent=parent, address=address, sort_order=sort_order
    )
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


def create_user(
    *,
    staff_no: str,
    name: str,
    org: Org,
    password: str | None,
    roles: list[Role] | None = None,
    position: str = "",
    phone: str = "",
    wecom_userid: str = "",
    must_change_password: bool = True,
    is_service_account: bool = False,
    actor: Any = None,
) -> User:
    user = User(
        staff_no=staff_no,
        name=name,
        org=org,
        position=position,
        phone=phone,
        wecom_userid=wecom_userid,
        must_change_password=must_change_password,
        is_service_account=is_service_account,
    )
    # None gives an unusable password: service accounts, or a bulk load that sets one shared hash after.
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


# --- helpers --------------------------------------------------------------------------------

# Timestamps change on every save and would make every diff non-empty.
_NOISE = ("updated_at", "created_at")


def _snap(obj: Any, **extra: Any) -> dict[str, Any]:
    data = audit.snapshot(obj)
    for key in _NOISE:
        data.pop(key, None)
    data.update(extra)
    return data


def _record_change(
    *, action: str, obj: Any, before: dict[str, Any], after: dict[str, Any], actor: Any
) -> None:
    """Log only the keys an edit changed; an edit that changed nothing leaves no entry."""
    b, a = audit.diff(before, after)
    if a:
        audit.record(action=action, user=actor, obj=obj, before=b, after=a)


def _is_same_user(actor: Any, user: User) -> bool:
    return actor is not None and getattr(actor, "pk", None) == user.pk


# --- orgs -------------------------------------------------------------------------------------

# Which kinds each kind may sit under; None: must be a root.
ORG_PARENT_KINDS: dict[str, tuple[str, ...] | None] = {
    OrgKind.HEAD_OFFICE: None,
    OrgKind.BRANCH: (OrgKind.HEAD_OFFICE,),
    OrgKind.OUTLET: (OrgKind.BRANCH,),
    OrgKind.GRID: (OrgKind.BRANCH,),
}


def check_org_placement(*, kind: str, parent: Org | None, org: Org | None = None) -> None:
    """Raise ValidationError (keyed by form field) when `kind` may not sit under `parent`."""
    allowed = ORG_PARENT_KINDS.get(kind, ())
    if kind not in ORG_PARENT_KINDS:
        raise ValidationError({"kind": "机构类型无效"})
    if allowed is None:
        if parent is not None:
            raise ValidationError({"parent": "总行不能设置上级机构"})
    elif parent is None:
        raise ValidationError({"parent": "请选择上级机构"})
    elif parent.kind not in allowed:
        labels = "、".join(str(OrgKind(k).label) for k in allowed)
        raise ValidationError({"parent": f"{OrgKind(kind).label}的上级机构必须是{labels}"})
    if parent is not None and not parent.is_active:
        raise ValidationError({"parent": "上级机构已停用"})
    if org is not None and org.pk:
        if parent is not None and parent.path.startswith(org.path):
            raise ValidationError({"parent": "不能将机构移动到其自身或下级机构之下"})
        if kind != org.kind and Org.objects.filter(parent=org).exists():
            raise ValidationError({"kind": "该机构下有下级机构，不能修改机构类型"})


def update_org(
    *,
    org: Org,
    code: str,
    name: str,
    kind: str,
    parent: Org | None,
    address: str = "",
    sort_order: int = 0,
    actor: Any = None,
) -> Org:
    """Edit an org; a new parent moves the whole subtree (logged as org.move)."""
    check_org_placement(kind=kind, parent=parent, org=org)
    if parent != org.parent:
        org = move_org(org=org, parent=parent, actor=actor)
    before = _snap(org)
    org.code, org.name, org.kind, org.address, org.sort_order = code, name, kind, address, sort_order
    org.save(update_fields=["code", "name", "kind", "address", "sort_order", "updated_at"])
    _record_change(action="org.update", obj=org, before=before, after=_snap(org), actor=actor)
    return org


def disable_org(*, org: Org, actor: Any = None) -> Org:
    active_users = User.objects.filter(org=org, status=UserStatus.ACTIVE).count()
    if active_users:
        raise ValidationError(f"该机构下仍有 {active_users} 名在职人员，请先调整人员所属机构后再停用")
    active_children = Org.objects.filter(parent=org, is_active=True).count()
    if active_children:
        raise ValidationError(f"该机构下仍有 {active_children} 个启用的下级机构，请先停用下级机构")
    return _set_active(org, False, "org.disable", actor)


def enable_org(*, org: Org, actor: Any = None) -> Org:
    if org.parent_id and not Org.objects.get(pk=org.parent_id).is_active:
        raise ValidationError("上级机构已停用，请先启用上级机构")
    return _set_active(org, True, "org.enable", actor)


def _set_active(obj: Any, active: bool, action: str, actor: Any) -> Any:
    if obj.is_active == active:
        return obj
    before = _snap(obj)
    obj.is_active = active
    obj.save(update_fields=["is_active", "updated_at"] if hasattr(obj, "updated_at") else ["is_active"])
    _record_change(action=action, obj=obj, before=before, after=_snap(obj), actor=actor)
    return obj


# --- users ------------------------------------------------------------------------------------


def onboard_user(
    *,
    staff_no: str,
    name: str,
    org: Org,
    position: str = "",
    phone: str = "",
    wecom_userid: str = "",
    is_service_account: bool = False,
    actor: Any = None,
) -> tuple[User, str]:
    """A new account with a random temporary password it must change at first login; a
    service account gets no usable password at all (API keys only), and "" is returned.

    Roles are not given here: granting is the security administrator's duty (三员分立)."""
    from liuyou.system import passwords

    temporary = (
        ""
        if is_service_account
        else passwords.generate_temporary_password(User(staff_no=staff_no, name=name))
    )
    user = create_user(
        staff_no=staff_no,
        name=name,
        org=org,
        password=temporary or None,
        position=position,
        phone=phone,
        wecom_userid=wecom_userid,
        must_change_password=not is_service_account,
        is_service_account=is_service_account,
        actor=actor,
    )
    return user, temporary


def _user_snap(user: User) -> dict[str, Any]:
    data = _snap(user)
    for key in ("last_login", "password_changed_at", "totp_confirmed_at"):
        data.pop(key, None)
    return data


def _end_sessions(user: User, actor: Any) -> None:
    # Imported here: the sessions module imports this app's models and audit in turn.
    from liuyou.system import sessions

    sessions.end_all_sessions(user=user, reason=sessions.EndReason.DISABLED, actor=actor)


def update_user(
    *,
    user: User,
    name: str,
    org: Org,
    position: str = "",
    phone: str = "",
    wecom_userid: str = "",
    status: str = UserStatus.ACTIVE,
    actor: Any = None,
) -> User:
    """Edit an account. Marking someone 离职 also closes the account and ends their sessions."""
    if status == UserStatus.LEFT and user.status != UserStatus.LEFT and _is_same_user(actor, user):
        raise ValidationError({"status": "不能将本人标记为离职"})
    if not org.is_active and org.pk != user.org_id:
        raise ValidationError({"org": "所选机构已停用"})
    before = _user_snap(user)
    leaving = status == UserStatus.LEFT and user.status != UserStatus.LEFT
    user.name, user.org, user.position = name, org, position
    user.phone, user.wecom_userid, user.status = phone, wecom_userid, status
    if leaving:
        user.is_active = False
    user.save()
    if leaving:
        _end_sessions(user, actor)
    _record_change(action="user.update", obj=user, before=before, after=_user_snap(user), actor=actor)
    return user


def disable_user(*, user: User, actor: Any = None) -> User:
    """Close an account: it can no longer log in and its open sessions end now."""
    if _is_same_user(actor, user):
        raise ValidationError("不能停用本人账号")
    if user.is_active:
        _set_user_active(user, False, actor)
    _end_sessions(user, actor)
    return user


def enable_user(*, user: User, actor: Any = None) -> User:
    if user.status == UserStatus.LEFT:
        raise ValidationError("离职人员不能启用，请先将状态改为在职")
    if not user.org.is_active:
        raise ValidationError("所属机构已停用，请先调整所属机构")
    if not user.is_active:
        _set_user_active(user, True, actor)
    return user


def _set_user_active(user: User, active: bool, actor: Any) -> None:
    before = _user_snap(user)
    user.is_active = active
    user.save(update_fields=["is_active", "updated_at"])
    _record_change(
        action="user.enable" if active else "user.disable",
        obj=user,
        before=before,
        after=_user_snap(user),
        actor=actor,
    )


def set_user_roles(*, user: User, roles: list[Role], actor: Any) -> User:
    """Replace a user's roles. Nobody grants to themselves (separation of duties)."""
    if _is_same_user(actor, user):
        raise PermissionDenied("不能修改本人的角色")
    duties = [r.name for r in roles if r.code in SEPARATED_DUTIES]
    if len(duties) > 1:
        raise ValidationError({"roles": f"三员分立：{'、'.join(duties)}不能由同一人兼任"})
    granted = set(Permission.objects.filter(roles__in=roles).values_list("code", flat=True))
    _check_duties(granted, field="roles")
    before = sorted(user.roles.values_list("code", flat=True))
    user.roles.set(roles)
    after = sorted(r.code for r in roles)
    if before != after:
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        message = "；".join(
            p
            for p in (
                f"授予 {','.join(added)}" if added else "",
                f"收回 {','.join(removed)}" if removed else "",
            )
            if p
        )
        audit.record(
            action="user.grant",
            user=actor,
            obj=user,
            before={"roles": before},
            after={"roles": after},
            message=message,
        )
    access.forget(user)
    return user


def reset_user_password(*, user: User, actor: Any) -> str:
    """A new temporary password (changed at next login); the security work owns the rules."""
    from liuyou.system import passwords

    return passwords.reset_password(user=user, actor=actor)


def reset_user_totp(*, user: User, actor: Any) -> None:
    from liuyou.system import totp

    totp.reset_totp(user=user, actor=actor)


# --- roles ------------------------------------------------------------------------------------


def _role_snap(role: Role) -> dict[str, Any]:
    return _snap(
        role,
        permissions=sorted(role.permissions.values_list("code", flat=True)),
        custom_orgs=sorted(role.custom_orgs.values_list("code", flat=True)),
    )


# Permissions one person must not hold together: whoever maintains accounts does not also
# decide what those accounts may do (三员分立).
CONFLICTING_PERMISSIONS = (("user:manage", "user:grant"),)


def _check_duties(codes: set[str], *, field: str) -> None:
    for a, b in CONFLICTING_PERMISSIONS:
        if a in codes and b in codes:
            names = dict(Permission.objects.filter(code__in=(a, b)).values_list("code", "name"))
            raise ValidationError(
                {field: f"三员分立：“{names.get(a, a)}”与“{names.get(b, b)}”不能由同一人兼有"}
            )


def _clean_scope(data_scope: str, custom_orgs: list[Org]) -> list[Org]:
    if data_scope not in DataScope.values:
        raise ValidationError({"data_scope": "数据范围无效"})
    if data_scope == DataScope.CUSTOM:
        if not custom_orgs:
            raise ValidationError({"custom_orgs": "自定义机构范围至少选择一个机构"})
        return list(custom_orgs)
    return []  # orgs only mean something for the custom scope


def create_role(
    *,
    code: str,
    name: str,
    data_scope: str,
    permissions: list[Permission],
    custom_orgs: list[Org] | None = None,
    description: str = "",
    sort_order: int = 0,
    actor: Any = None,
) -> Role:
    orgs = _clean_scope(data_scope, list(custom_orgs or []))
    _check_duties({p.code for p in permissions}, field="permissions")
    role = Role.objects.create(
        code=code,
        name=name,
        data_scope=data_scope,
        description=description,
        sort_order=sort_order,
        is_builtin=False,
    )
    role.permissions.set(permissions)
    role.custom_orgs.set(orgs)
    audit.record(action="role.create", user=actor, obj=role, after=_role_snap(role))
    return role


def _holds(actor: Any, role: Role) -> bool:
    if actor is None or getattr(actor, "pk", None) is None:
        return False
    return role.users.filter(pk=actor.pk).exists()


def update_role(
    *,
    role: Role,
    name: str,
    data_scope: str,
    permissions: list[Permission],
    custom_orgs: list[Org] | None = None,
    code: str | None = None,
    description: str = "",
    sort_order: int = 0,
    actor: Any = None,
) -> Role:
    """Edit a role. A built-in role keeps its code; nobody widens a role they hold themselves."""
    orgs = _clean_scope(data_scope, list(custom_orgs or []))
    if code is not None and code != role.code and role.is_builtin:
        raise ValidationError({"code": "内置角色的角色标识不可修改"})
    before = _role_snap(role)
    new_perms = sorted(p.code for p in permissions)
    _check_duties(set(new_perms), field="permissions")
    new_orgs = sorted(o.code for o in orgs)
    access_changed = (before["permissions"], before["data_scope"], before["custom_orgs"]) != (
        new_perms,
        data_scope,
        new_orgs,
    )
    if access_changed and _holds(actor, role):
        raise PermissionDenied("不能修改本人所持有角色的权限与数据范围")
    role.name, role.data_scope, role.description, role.sort_order = name, data_scope, description, sort_order
    if code is not None:
        role.code = code
    role.save()
    role.permissions.set(permissions)
    role.custom_orgs.set(orgs)
    _record_change(action="role.update", obj=role, before=before, after=_role_snap(role), actor=actor)
    return role


def disable_role(*, role: Role, actor: Any = None) -> Role:
    if _holds(actor, role):
        raise ValidationError("不能停用本人所持有的角色")
    return _set_active(role, False, "role.disable", actor)


def enable_role(*, role: Role, actor: Any = None) -> Role:
    return _set_active(role, True, "role.enable", actor)


# --- dictionaries -----------------------------------------------------------------------------

# Dictionaries that mirror model choices: their values are fixed by code, only labels change.
LOCKED_DICTS = frozenset({"org_kind", "user_status", "data_scope", "log_result"})


def create_dict_type(*, code: str, name: str, description: str = "", actor: Any = None) -> DictType:
    dict_type = DictType.objects.create(code=code, name=name, description=description, is_builtin=False)
    audit.record(action="dict.create", user=actor, obj=dict_type, after=_snap(dict_type))
    selectors.forget_dictionaries()
    return dict_type


def update_dict_type(
    *, dict_type: DictType, name: str, description: str = "", code: str | None = None, actor: Any = None
) -> DictType:
    if code is not None and code != dict_type.code and dict_type.is_builtin:
        raise ValidationError({"code": "内置字典的字典标识不可修改"})
    before = _snap(dict_type)
    dict_type.name, dict_type.description = name, description
    if code is not None:
        dict_type.code = code
    dict_type.save()
    _record_change(action="dict.update", obj=dict_type, before=before, after=_snap(dict_type), actor=actor)
    selectors.forget_dictionaries()
    return dict_type


def disable_dict_type(*, dict_type: DictType, actor: Any = None) -> DictType:
    if dict_type.is_builtin:
        raise ValidationError("内置字典不能停用")
    selectors.forget_dictionaries()
    return _set_active(dict_type, False, "dict.disable", actor)


def enable_dict_type(*, dict_type: DictType, actor: Any = None) -> DictType:
    selectors.forget_dictionaries()
    return _set_active(dict_type, True, "dict.enable", actor)


def create_dict_item(
    *, dict_type: DictType, value: str, label: str, sort_order: int = 0, actor: Any = None
) -> DictItem:
    if dict_type.code in LOCKED_DICTS:
        raise ValidationError("该字典由系统定义，不能新增字典项")
    item = DictItem.objects.create(dict_type=dict_type, value=value, label=label, sort_order=sort_order)
    audit.record(action="dict_item.create", user=actor, obj=item, after=_snap(item))
    selectors.forget_dictionaries()
    return item


def update_dict_item(*, item: DictItem, label: str, sort_order: int = 0, actor: Any = None) -> DictItem:
    """Relabel or reorder; the value is what stored data refers to, so it never changes."""
    before = _snap(item)
    item.label, item.sort_order = label, sort_order
    item.save(update_fields=["label", "sort_order"])
    _record_change(action="dict_item.update", obj=item, before=before, after=_snap(item), actor=actor)
    selectors.forget_dictionaries()
    return item


def disable_dict_item(*, item: DictItem, actor: Any = None) -> DictItem:
    if item.dict_type.code in LOCKED_DICTS:
        raise ValidationError("该字典由系统定义，字典项不能停用")
    selectors.forget_dictionaries()
    return _set_active(item, False, "dict_item.disable", actor)


def enable_dict_item(*, item: DictItem, actor: Any = None) -> DictItem:
    selectors.forget_dictionaries()
    return _set_active(item, True, "dict_item.enable", actor)
