"""Read-only system endpoints: the caller (/me), orgs and users, through the data scope.

Users' phone numbers are masked in every answer; a caller holding pii:view may ask for one
user's full number with `?reveal=true` on the detail endpoint, and that reveal is audited.
"""

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from liuyou.core import audit, pii
from liuyou.core.access import permissions_of
from liuyou.core.api_auth import api_login_only, api_requires, require
from liuyou.core.scope import get_or_404, scoped
from liuyou.system.models import Org, OrgKind, User, UserStatus

router = Router(tags=["系统"])

PAGE_SIZE = 50


class Paged(PageNumberPagination):
    """`?page=N` (from 1) and optional `?page_size=` up to 100; answers {items, count}."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(page_size=PAGE_SIZE, max_page_size=100, **kwargs)


class OrgRef(Schema):
    id: int
    code: str
    name: str


class RoleRef(Schema):
    code: str
    name: str


class ApiKeyInfo(Schema):
    name: str
    prefix: str
    scopes: list[str]
    expires_at: datetime | None


class MeOut(Schema):
    staff_no: str
    name: str
    org: OrgRef
    roles: list[RoleRef]
    permissions: list[str]
    is_service_account: bool
    auth_method: str
    api_key: ApiKeyInfo | None = None


class OrgOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    parent_id: int | None
    depth: int
    path: str
    address: str
    is_active: bool

    @staticmethod
    def resolve_kind_label(obj: Org) -> str:
        return str(OrgKind(obj.kind).label) if obj.kind in OrgKind.values else obj.kind


class UserOut(Schema):
    id: int
    staff_no: str
    name: str
    org: OrgRef
    position: str
    phone: str
    wecom_userid: str
    status: str
    status_label: str
    is_active: bool
    is_service_account: bool
    roles: list[str]

    @staticmethod
    def resolve_phone(obj: User) -> str:
        revealed = getattr(obj, "_liuyou_revealed_phone", None)
        return revealed if revealed is not None else pii.mask(obj.phone or "", "phone")

    @staticmethod
    def resolve_status_label(obj: User) -> str:
        return str(UserStatus(obj.status).label) if obj.status in UserStatus.values else obj.status

    @staticmethod
    def resolve_roles(obj: User) -> list[str]:
        return sorted(r.code for r in obj.roles.all() if r.is_active)


@router.get("/me", response=MeOut, summary="当前调用者：工号、机构、角色与权限")
@api_login_only
def me(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.user  # authenticated: the API's auth ran first
    key = getattr(user, "_liuyou_api_key", None)
    return {
        "staff_no": user.staff_no,
        "name": user.name,
        "org": user.org,
        "roles": list(user.roles.filter(is_active=True).order_by("sort_order", "code")),
        "permissions": sorted(permissions_of(user)),
        "is_service_account": user.is_service_account,
        "auth_method": getattr(request, "liuyou_auth_method", "session"),
        "api_key": key,
    }


@router.get("/orgs", response=list[OrgOut], summary="机构列表（需 org:view，按数据范围）")
@paginate(Paged)
@api_requires("org:view")
def list_orgs(
    request: HttpRequest,
    q: str = "",
    kind: str = "",
    parent_id: int | None = None,
    active: bool | None = None,
) -> QuerySet[Org]:
    qs = scoped(Org.objects.all(), request.user, "org:view").order_by("path")
    if q.strip():
        qs = qs.filter(Q(name__icontains=q.strip()) | Q(code__icontains=q.strip()))
    if kind:
        qs = qs.filter(kind=kind)
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs


@router.get("/orgs/{org_id}", response=OrgOut, summary="机构详情（需 org:view，范围外 404）")
@api_requires("org:view")
def get_org(request: HttpRequest, org_id: int) -> Org:
    return get_or_404(Org.objects.all(), request.user, "org:view", pk=org_id)


def _user_rows() -> QuerySet[User]:
    return User.objects.select_related("org").prefetch_related("roles")


@router.get("/users", response=list[UserOut], summary="用户列表（需 user:view，按数据范围，手机号脱敏）")
@paginate(Paged)
@api_requires("user:view")
def list_users(
    request: HttpRequest,
    q: str = "",
    org_id: int | None = None,
    include_suborgs: bool = True,
    status: str = "",
    role: str = "",
) -> QuerySet[User]:
    qs = scoped(_user_rows(), request.user, "user:view").order_by("staff_no")
    if q.strip():
        qs = qs.filter(Q(staff_no__icontains=q.strip()) | Q(name__icontains=q.strip()))
    if org_id is not None:
        org = Org.objects.filter(pk=org_id).first()
        if org is None:
            return qs.none()
        qs = qs.filter(Org.subtree_q(org.path, "org__path")) if include_suborgs else qs.filter(org=org)
    if status:
        qs = qs.filter(status=status)
    if role:
        qs = qs.filter(roles__code=role).distinct()
    return qs


@router.get(
    "/users/{staff_no}",
    response=UserOut,
    summary="用户详情（需 user:view，范围外 404；?reveal=true 且有 pii:view 时显示完整手机号并记录）",
)
@api_requires("user:view")
def get_user(request: HttpRequest, staff_no: str, reveal: bool = False) -> User:
    user = get_or_404(_user_rows(), request.user, "user:view", staff_no=staff_no)
    if reveal:
        require(request, "pii:view")
        user._liuyou_revealed_phone = user.phone  # type: ignore[attr-defined]
        audit.record(action="pii.reveal", obj=user, message="接口查看完整手机号（phone）")
    return user
