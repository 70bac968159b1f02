"""机构管理: the org tree, create, edit (moving a subtree), enable/disable, export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liuyou.core import excel
from liuyou.core.access import requires
from liuyou.core.rendering import render_page
from liuyou.system import selectors, services
from liuyou.system.filters import OrgFilter
from liuyou.system.forms import OrgForm
from liuyou.system.models import Org, OrgKind
from liuyou.system.views_common import act, perms, record_export, redirect_back, submit

# The kind a new child usually has, so "新增下级" opens with a sensible default.
_CHILD_KIND: dict[str, str] = {OrgKind.HEAD_OFFICE: OrgKind.BRANCH, OrgKind.BRANCH: OrgKind.OUTLET}


def _tree(request: HttpRequest) -> tuple[OrgFilter, list[selectors.OrgNode]]:
    visible = selectors.visible_orgs(request.user, "org:view")
    org_filter = OrgFilter(request.GET or None, queryset=visible)
    forest = selectors.org_forest(
        visible, org_filter.qs if org_filter.narrowed else None, kind_labels=selectors.dict_labels("org_kind")
    )
    return org_filter, selectors.flatten(forest)


@requires("org:view")
@require_GET
def org_list(request: HttpRequest) -> HttpResponse:
    org_filter, rows = _tree(request)
    context = {
        "filter": org_filter,
        "rows": rows,
        "count": sum(1 for r in rows if r.matched),
        "can": perms(request, "org:manage", "user:view"),
    }
    return render_page(request, "system/orgs/list.html", context, fragment_template="system/orgs/_tree.html")


@requires("org:view")
@require_GET
def org_export(request: HttpRequest) -> HttpResponse:
    _, rows = _tree(request)
    matched = [r for r in rows if r.matched]
    headers = [
        "机构号",
        "机构名称",
        "机构类型",
        "上级机构号",
        "上级机构",
        "层级",
        "地址",
        "排序",
        "本级在职人数",
        "含下级在职人数",
        "状态",
        "创建时间",
    ]
    data = [
        [
            r.org.code,
            r.org.name,
            r.kind_label,
            r.org.parent.code if r.org.parent else "",
            r.org.parent.name if r.org.parent else "",
            r.org.depth + 1,
            r.org.address,
            r.org.sort_order,
            r.users,
            r.total_users,
            "启用" if r.org.is_active else "停用",
            r.org.created_at,
        ]
        for r in matched
    ]
    record_export(action="org.export", object_type="system.org", count=len(data), request=request)
    return excel.response("机构列表.xlsx", headers, data, title="机构")


def _form_page(request: HttpRequest, form: OrgForm, org: Org | None) -> HttpResponse:
    return render_page(request, "system/orgs/form.html", {"form": form, "org": org})


@requires("org:manage", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def org_create(request: HttpRequest) -> HttpResponse:
    parents = selectors.assignable_orgs(request.user, "org:manage")
    initial: dict[str, Any] = {"sort_order": 0}
    parent_id = request.GET.get("parent", "")
    if parent_id.isdigit():
        parent = parents.filter(pk=int(parent_id)).first()
        if parent is not None:
            initial.update(parent=parent.pk, kind=_CHILD_KIND.get(parent.kind, OrgKind.OUTLET))
    form = OrgForm(request.POST or None, parents=parents, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        org = submit(
            form,
            lambda: services.create_org(
                code=d["code"],
                name=d["name"],
                kind=d["kind"],
                parent=d["parent"],
                address=d["address"],
                sort_order=d["sort_order"],
                actor=request.user,
            ),
        )
        if org is not None:
            messages.success(request, f"已新增机构：{org.name}")
            return redirect("sysadmin:org_list")
    return _form_page(request, form, None)


@requires("org:manage", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def org_edit(request: HttpRequest, org_id: int) -> HttpResponse:
    org = selectors.org_in_scope(request.user, "org:manage", org_id)
    parents = selectors.assignable_orgs(request.user, "org:manage")
    if org.parent_id:
        # A disabled or out-of-scope current parent must not look like "no parent" on the form.
        parents = (parents | Org.objects.filter(pk=org.parent_id)).order_by("path")
    initial = {
        "code": org.code,
        "name": org.name,
        "kind": org.kind,
        "parent": org.parent_id,
        "address": org.address,
        "sort_order": org.sort_order,
    }
    form = OrgForm(request.POST or None, parents=parents, org=org, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        done = submit(
            form,
            lambda: services.update_org(
                org=org,
                code=d["code"],
                name=d["name"],
                kind=d["kind"],
                parent=d["parent"],
                address=d["address"],
                sort_order=d["sort_order"],
                actor=request.user,
            ),
        )
        if done is not None:
            messages.success(request, f"已保存机构：{done.name}")
            return redirect("sysadmin:org_list")
    return _form_page(request, form, org)


@requires("org:manage", methods=("POST",))
@require_POST
def org_disable(request: HttpRequest, org_id: int) -> HttpResponse:
    org = selectors.org_in_scope(request.user, "org:manage", org_id)
    act(request, lambda: services.disable_org(org=org, actor=request.user), f"已停用机构：{org.name}")
    return redirect_back(request, reverse("sysadmin:org_list"))


@requires("org:manage", methods=("POST",))
@require_POST
def org_enable(request: HttpRequest, org_id: int) -> HttpResponse:
    org = selectors.org_in_scope(request.user, "org:manage", org_id)
    act(request, lambda: services.enable_org(org=org, actor=request.user), f"已启用机构：{org.name}")
    return redirect_back(request, reverse("sysadmin:org_list"))
