"""角色权限: roles with their permissions and data scope. Roles are never deleted, only
disabled, so the operation log always names a role that still exists."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liuyou.core import excel
from liuyou.core.access import requires
from liuyou.core.rendering import render_page
from liuyou.system import selectors, services
from liuyou.system.filters import RoleFilter
from liuyou.system.forms import RoleForm
from liuyou.system.models import Org, Role
from liuyou.system.tables import RoleTable
from liuyou.system.views_common import act, paginate, perms, record_export, redirect_back, submit


def _filtered(request: HttpRequest) -> RoleFilter:
    return RoleFilter(request.GET or None, queryset=selectors.roles())


@requires("role:view")
@require_GET
def role_list(request: HttpRequest) -> HttpResponse:
    role_filter = _filtered(request)
    table = paginate(request, RoleTable(role_filter.qs, scope_labels=selectors.dict_labels("data_scope")))
    context = {
        "filter": role_filter,
        "table": table,
        "count": table.paginator.count,
        "can": perms(request, "role:manage"),
    }
    return render_page(
        request, "system/roles/list.html", context, fragment_template="system/roles/_list.html"
    )


@requires("role:view")
@require_GET
def role_export(request: HttpRequest) -> HttpResponse:
    roles = _filtered(request).qs.prefetch_related("permissions", "custom_orgs")
    labels = selectors.dict_labels("data_scope")
    headers = [
        "角色标识",
        "角色名称",
        "数据范围",
        "自定义机构",
        "权限数",
        "权限",
        "用户数",
        "内置",
        "状态",
        "说明",
    ]
    rows = [
        [
            r.code,
            r.name,
            labels.get(r.data_scope, r.data_scope),
            "、".join(o.name for o in r.custom_orgs.all()),
            r.permission_count,
            "、".join(p.name for p in r.permissions.all()),
            r.user_count,
            "是" if r.is_builtin else "否",
            "启用" if r.is_active else "停用",
            r.description,
        ]
        for r in roles
    ]
    record_export(action="role.export", object_type="system.role", count=len(rows), request=request)
    return excel.response("角色列表.xlsx", headers, rows, title="角色")


@requires("role:view")
@require_GET
def role_detail(request: HttpRequest, role_id: int) -> HttpResponse:
    role = get_object_or_404(selectors.roles(), pk=role_id)
    granted = set(role.permissions.values_list("pk", flat=True))
    groups = [(g, [p for p in ps if p.pk in granted]) for g, ps in selectors.permission_groups()]
    context = {
        "role": role,
        "scope_label": selectors.dict_labels("data_scope").get(role.data_scope, role.data_scope),
        "groups": [(g, ps) for g, ps in groups if ps],
        "custom_orgs": role.custom_orgs.order_by("path"),
        "can": perms(request, "role:manage"),
    }
    return render_page(request, "system/roles/detail.html", context)


def _orgs(request: HttpRequest) -> Any:
    return selectors.assignable_orgs(request.user, "role:manage")


def _form_page(request: HttpRequest, form: RoleForm, role: Role | None) -> HttpResponse:
    return render_page(request, "system/roles/form.html", {"form": form, "role": role})


@requires("role:manage", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def role_create(request: HttpRequest) -> HttpResponse:
    form = RoleForm(
        request.POST or None, orgs=_orgs(request), initial={"data_scope": "self", "sort_order": 0}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        role = submit(
            form,
            lambda: services.create_role(
                code=d["code"],
                name=d["name"],
                data_scope=d["data_scope"],
                permissions=list(d["permissions"]),
                custom_orgs=list(d["custom_orgs"]),
                description=d["description"],
                sort_order=d["sort_order"],
                actor=request.user,
            ),
        )
        if role is not None:
            messages.success(request, f"已新增角色：{role.name}")
            return redirect("sysadmin:role_list")
    return _form_page(request, form, None)


@requires("role:manage", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def role_edit(request: HttpRequest, role_id: int) -> HttpResponse:
    role = get_object_or_404(Role, pk=role_id)
    # Orgs already chosen stay listed even when now disabled, so saving does not drop them.
    orgs = Org.objects.filter(Q(pk__in=_orgs(request).values("pk")) | Q(pk__in=role.custom_orgs.values("pk")))
    initial = {
        "name": role.name,
        "code": role.code,
        "data_scope": role.data_scope,
        "custom_orgs": list(role.custom_orgs.all()),
        "permissions": list(role.permissions.all()),
        "description": role.description,
        "sort_order": role.sort_order,
    }
    form = RoleForm(request.POST or None, orgs=orgs.order_by("path"), role=role, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        done = submit(
            form,
            lambda: services.update_role(
                role=role,
                name=d["name"],
                code=None if role.is_builtin else d["code"],
                data_scope=d["data_scope"],
                permissions=list(d["permissions"]),
                custom_orgs=list(d["custom_orgs"]),
                description=d["description"],
                sort_order=d["sort_order"],
                actor=request.user,
            ),
        )
        if done is not None:
            messages.success(request, f"已保存角色：{done.name}")
            return redirect("sysadmin:role_detail", role_id=done.pk)
    return _form_page(request, form, role)


@requires("role:manage", methods=("POST",))
@require_POST
def role_disable(request: HttpRequest, role_id: int) -> HttpResponse:
    role = get_object_or_404(Role, pk=role_id)
    act(request, lambda: services.disable_role(role=role, actor=request.user), f"已停用角色：{role.name}")
    return redirect_back(request, reverse("sysadmin:role_list"))


@requires("role:manage", methods=("POST",))
@require_POST
def role_enable(request: HttpRequest, role_id: int) -> HttpResponse:
    role = get_object_or_404(Role, pk=role_id)
    act(request, lambda: services.enable_role(role=role, actor=request.user), f"已启用角色：{role.name}")
    return redirect_back(request, reverse("sysadmin:role_list"))
