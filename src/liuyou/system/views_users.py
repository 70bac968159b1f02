"""用户管理: the user list beside the org tree, accounts, and role grants.

Separation of duties (三员分立): `user:manage` (system administrator) creates and maintains
accounts but grants no role; `user:grant` (security administrator) grants roles; nobody
changes their own roles.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liuyou.core import excel, pii
from liuyou.core.access import requires
from liuyou.core.rendering import render_page
from liuyou.system import selectors, services
from liuyou.system.filters import UserFilter
from liuyou.system.forms import UserCreateForm, UserEditForm, UserRolesForm
from liuyou.system.models import User, UserSession
from liuyou.system.tables import UserTable
from liuyou.system.views_common import act, paginate, perms, record_export, redirect_back, submit


def _labels() -> dict[str, dict[str, str]]:
    return {
        code: selectors.dict_labels(code) for code in ("position", "user_status", "org_kind", "data_scope")
    }


def _filtered(request: HttpRequest) -> UserFilter:
    orgs = selectors.visible_orgs(request.user, "user:view")
    users = selectors.visible_users(request.user, "user:view")
    return UserFilter(request.GET or None, queryset=users, orgs=orgs)


@requires("user:view")
@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    user_filter = _filtered(request)
    labels = _labels()
    table = paginate(request, UserTable(user_filter.qs, labels=labels))
    selected = user_filter.selected_org
    open_ids = {int(p) for p in selected.path.strip("/").split("/")} if selected else set()
    context = {
        "filter": user_filter,
        "table": table,
        "count": table.paginator.count,
        "forest": selectors.org_forest(selectors.visible_orgs(request.user, "user:view")),
        "selected_org": selected,
        "open_ids": open_ids,
        "can": perms(request, "user:manage", "user:grant"),
    }
    return render_page(
        request, "system/users/list.html", context, fragment_template="system/users/_list.html"
    )


@requires("user:view")
@require_GET
def user_export(request: HttpRequest) -> HttpResponse:
    users = _filtered(request).qs.order_by("org__path", "staff_no")
    labels = _labels()
    headers = [
        "工号",
        "姓名",
        "机构号",
        "所属机构",
        "岗位",
        "手机号码",
        "企业微信账号",
        "角色",
        "员工状态",
        "账号状态",
        "下次登录须改密",
        "创建时间",
    ]
    rows = [
        [
            u.staff_no,
            u.name,
            u.org.code,
            u.org.name,
            labels["position"].get(u.position, u.position),
            pii.mask(u.phone, "phone"),
            u.wecom_userid,
            "、".join(r.name for r in u.roles.all()),
            labels["user_status"].get(u.status, u.status),
            "正常" if u.is_active else "停用",
            "是" if u.must_change_password else "否",
            u.created_at,
        ]
        for u in users
    ]
    record_export(action="user.export", object_type="system.user", count=len(rows), request=request)
    return excel.response("用户列表.xlsx", headers, rows, title="用户")


@requires("user:view")
@require_GET
def user_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    target = selectors.user_in_scope(request.user, "user:view", user_id)
    labels = _labels()
    roles = list(target.roles.order_by("sort_order", "code"))
    for role in roles:
        role.scope_label = labels["data_scope"].get(role.data_scope, role.data_scope)  # type: ignore[attr-defined]
    context = {
        "target": target,
        "roles": roles,
        "position_label": labels["position"].get(target.position, target.position),
        "status_label": labels["user_status"].get(target.status, target.status),
        "open_sessions": UserSession.objects.filter(user=target, ended_at__isnull=True).count(),
        "is_self": target.pk == request.user.pk,
        "can": perms(request, "user:manage", "user:grant"),
    }
    return render_page(request, "system/users/detail.html", context)


def _password_page(request: HttpRequest, target: User, password: str, title: str) -> HttpResponse:
    """The temporary password, shown this once: it is stored only as a hash."""
    response = render_page(
        request, "system/users/password_issued.html", {"target": target, "password": password, "title": title}
    )
    response["Cache-Control"] = "no-store"
    return response


@requires("user:manage", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    orgs = selectors.assignable_orgs(request.user, "user:manage")
    initial = {}
    if (org_id := request.GET.get("org", "")).isdigit() and orgs.filter(pk=int(org_id)).exists():
        initial["org"] = int(org_id)
    form = UserCreateForm(request.POST or None, orgs=orgs, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        result = submit(
            form,
            lambda: services.onboard_user(
                staff_no=d["staff_no"],
                name=d["name"],
                org=d["org"],
                position=d["position"],
                phone=d["phone"],
                wecom_userid=d["wecom_userid"],
                is_service_account=d["is_service_account"],
                actor=request.user,
            ),
        )
        if result is not None:
            user, password = result
            if user.is_service_account:
                messages.success(
                    request, f"已创建系统接口账号 {user.staff_no}：请由安全管理员授予角色并发放接口密钥"
                )
                return redirect("sysadmin:user_detail", user_id=user.pk)
            return _password_page(request, user, password, "新增用户成功")
    return render_page(request, "system/users/form.html", {"form": form, "target": None})


@requires("user:manage", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    target = selectors.user_in_scope(request.user, "user:manage", user_id)
    orgs = selectors.assignable_orgs(request.user, "user:manage")
    initial = {
        "name": target.name,
        "org": target.org_id,
        "position": target.position,
        "phone": target.phone,
        "wecom_userid": target.wecom_userid,
        "status": target.status,
    }
    form = UserEditForm(request.POST or None, orgs=orgs, current=target, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        done = submit(
            form,
            lambda: services.update_user(
                user=target,
                name=d["name"],
                org=d["org"],
                position=d["position"],
                phone=d["phone"],
                wecom_userid=d["wecom_userid"],
                status=d["status"],
                actor=request.user,
            ),
        )
        if done is not None:
            messages.success(request, f"已保存用户：{done.name}")
            return redirect("sysadmin:user_detail", user_id=done.pk)
    return render_page(request, "system/users/form.html", {"form": form, "target": target})


@requires("user:manage", methods=("POST",))
@require_POST
def user_disable(request: HttpRequest, user_id: int) -> HttpResponse:
    target = selectors.user_in_scope(request.user, "user:manage", user_id)
    act(
        request,
        lambda: services.disable_user(user=target, actor=request.user),
        f"已停用账号：{target.name}（{target.staff_no}），其在线会话已全部结束",
    )
    return redirect_back(request, reverse("sysadmin:user_detail", args=[target.pk]))


@requires("user:manage", methods=("POST",))
@require_POST
def user_enable(request: HttpRequest, user_id: int) -> HttpResponse:
    target = selectors.user_in_scope(request.user, "user:manage", user_id)
    act(
        request,
        lambda: services.enable_user(user=target, actor=request.user),
        f"已启用账号：{target.name}（{target.staff_no}）",
    )
    return redirect_back(request, reverse("sysadmin:user_detail", args=[target.pk]))


@requires("user:manage", methods=("POST",))
@require_POST
def user_reset_password(request: HttpRequest, user_id: int) -> HttpResponse:
    target = selectors.user_in_scope(request.user, "user:manage", user_id)
    if target.pk == request.user.pk:
        messages.error(request, "不能在此重置本人密码，请使用“修改密码”")
        return redirect("sysadmin:user_detail", user_id=target.pk)
    password = services.reset_user_password(user=target, actor=request.user)
    return _password_page(request, target, password, "密码已重置")


@requires("user:manage", methods=("POST",))
@require_POST
def user_reset_totp(request: HttpRequest, user_id: int) -> HttpResponse:
    target = selectors.user_in_scope(request.user, "user:manage", user_id)
    act(
        request,
        lambda: services.reset_user_totp(user=target, actor=request.user),
        f"已重置 {target.name} 的动态口令，其下次登录时须重新绑定",
    )
    return redirect("sysadmin:user_detail", user_id=target.pk)


@requires("user:grant", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def user_roles(request: HttpRequest, user_id: int) -> HttpResponse:
    target = selectors.user_in_scope(request.user, "user:grant", user_id)
    if target.pk == request.user.pk:
        raise PermissionDenied("不能修改本人的角色")
    form = UserRolesForm(request.POST or None, target=target, initial={"roles": list(target.roles.all())})
    if request.method == "POST" and form.is_valid():
        roles = list(form.cleaned_data["roles"])
        done = submit(form, lambda: services.set_user_roles(user=target, roles=roles, actor=request.user))
        if done is not None:
            messages.success(request, f"已保存 {target.name} 的角色")
            return redirect("sysadmin:user_detail", user_id=target.pk)
    labels = selectors.dict_labels("data_scope")
    chosen = {str(getattr(v, "pk", v)) for v in form["roles"].value() or []}
    role_rows = [
        (r, labels.get(r.data_scope, r.data_scope), str(r.pk) in chosen)
        for r in form.fields["roles"].queryset  # type: ignore[attr-defined]
    ]
    return render_page(
        request, "system/users/roles.html", {"form": form, "target": target, "role_rows": role_rows}
    )
