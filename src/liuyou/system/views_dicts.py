"""数据字典: dictionary types and their items. Pages, exports and forms show an item's label;
the stored value never changes once created."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liuyou.core import excel
from liuyou.core.access import requires
from liuyou.core.rendering import render_page
from liuyou.system import selectors, services
from liuyou.system.filters import DictTypeFilter
from liuyou.system.forms import DictItemForm, DictTypeForm
from liuyou.system.models import DictItem, DictType
from liuyou.system.tables import DictItemTable, DictTypeTable
from liuyou.system.views_common import act, paginate, perms, record_export, redirect_back, submit

ITEM_HEADERS = ["字典标识", "字典名称", "字典值", "字典标签", "排序", "状态"]


def _item_row(item: DictItem) -> list[object]:
    t = item.dict_type
    return [t.code, t.name, item.value, item.label, item.sort_order, "启用" if item.is_active else "停用"]


def _filtered(request: HttpRequest) -> DictTypeFilter:
    return DictTypeFilter(request.GET or None, queryset=selectors.dict_types())


@requires("dict:view")
@require_GET
def dict_list(request: HttpRequest) -> HttpResponse:
    dict_filter = _filtered(request)
    table = paginate(request, DictTypeTable(dict_filter.qs))
    context = {
        "filter": dict_filter,
        "table": table,
        "count": table.paginator.count,
        "can": perms(request, "dict:manage"),
    }
    return render_page(
        request, "system/dicts/list.html", context, fragment_template="system/dicts/_list.html"
    )


@requires("dict:view")
@require_GET
def dict_export(request: HttpRequest) -> HttpResponse:
    """Every item of the filtered dictionaries, one row each."""
    items = selectors.dict_export_items(_filtered(request).qs)
    rows = [_item_row(i) for i in items]
    record_export(action="dict.export", object_type="system.dicttype", count=len(rows), request=request)
    return excel.response("数据字典.xlsx", ITEM_HEADERS, rows, title="数据字典")


@requires("dict:view")
@require_GET
def dict_detail(request: HttpRequest, dict_id: int) -> HttpResponse:
    dict_type = get_object_or_404(DictType, pk=dict_id)
    table = paginate(request, DictItemTable(selectors.dict_items(dict_type)))
    context = {
        "dict_type": dict_type,
        "table": table,
        "count": table.paginator.count,
        "locked": dict_type.code in services.LOCKED_DICTS,
        "can": perms(request, "dict:manage"),
    }
    return render_page(
        request, "system/dicts/detail.html", context, fragment_template="system/dicts/_items.html"
    )


@requires("dict:view")
@require_GET
def dict_items_export(request: HttpRequest, dict_id: int) -> HttpResponse:
    dict_type = get_object_or_404(DictType, pk=dict_id)
    rows = [_item_row(i) for i in selectors.dict_items(dict_type).select_related("dict_type")]
    record_export(action="dict.export", object_type="system.dicttype", count=len(rows), request=request)
    return excel.response(f"数据字典-{dict_type.name}.xlsx", ITEM_HEADERS, rows, title=dict_type.name)


@requires("dict:manage", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def dict_create(request: HttpRequest) -> HttpResponse:
    form = DictTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        dict_type = submit(
            form,
            lambda: services.create_dict_type(
                code=d["code"], name=d["name"], description=d["description"], actor=request.user
            ),
        )
        if dict_type is not None:
            messages.success(request, f"已新增字典：{dict_type.name}")
            return redirect("sysadmin:dict_detail", dict_id=dict_type.pk)
    return render_page(request, "system/dicts/type_form.html", {"form": form, "dict_type": None})


@requires("dict:manage", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def dict_edit(request: HttpRequest, dict_id: int) -> HttpResponse:
    dict_type = get_object_or_404(DictType, pk=dict_id)
    initial = {"code": dict_type.code, "name": dict_type.name, "description": dict_type.description}
    form = DictTypeForm(request.POST or None, dict_type=dict_type, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        done = submit(
            form,
            lambda: services.update_dict_type(
                dict_type=dict_type,
                name=d["name"],
                description=d["description"],
                code=None if dict_type.is_builtin else d["code"],
                actor=request.user,
            ),
        )
        if done is not None:
            messages.success(request, f"已保存字典：{done.name}")
            return redirect("sysadmin:dict_detail", dict_id=done.pk)
    return render_page(request, "system/dicts/type_form.html", {"form": form, "dict_type": dict_type})


@requires("dict:manage", methods=("POST",))
@require_POST
def dict_disable(request: HttpRequest, dict_id: int) -> HttpResponse:
    dict_type = get_object_or_404(DictType, pk=dict_id)
    act(
        request,
        lambda: services.disable_dict_type(dict_type=dict_type, actor=request.user),
        f"已停用字典：{dict_type.name}",
    )
    return redirect_back(request, reverse("sysadmin:dict_list"))


@requires("dict:manage", methods=("POST",))
@require_POST
def dict_enable(request: HttpRequest, dict_id: int) -> HttpResponse:
    dict_type = get_object_or_404(DictType, pk=dict_id)
    act(
        request,
        lambda: services.enable_dict_type(dict_type=dict_type, actor=request.user),
        f"已启用字典：{dict_type.name}",
    )
    return redirect_back(request, reverse("sysadmin:dict_list"))


def _item_page(
    request: HttpRequest, form: DictItemForm, dict_type: DictType, item: DictItem | None
) -> HttpResponse:
    return render_page(
        request, "system/dicts/item_form.html", {"form": form, "dict_type": dict_type, "item": item}
    )


@requires("dict:manage", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def item_create(request: HttpRequest, dict_id: int) -> HttpResponse:
    dict_type = get_object_or_404(DictType, pk=dict_id)
    next_order = (
        dict_type.items.order_by("-sort_order").values_list("sort_order", flat=True).first() or 0
    ) + 1
    form = DictItemForm(
        request.POST or None, dict_type=dict_type, initial={"sort_order": min(next_order, 9999)}
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        item = submit(
            form,
            lambda: services.create_dict_item(
                dict_type=dict_type,
                value=d["value"],
                label=d["label"],
                sort_order=d["sort_order"],
                actor=request.user,
            ),
        )
        if item is not None:
            messages.success(request, f"已新增字典项：{item.label}")
            return redirect("sysadmin:dict_detail", dict_id=dict_type.pk)
    return _item_page(request, form, dict_type, None)


@requires("dict:manage", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(DictItem.objects.select_related("dict_type"), pk=item_id)
    initial = {"value": item.value, "label": item.label, "sort_order": item.sort_order}
    form = DictItemForm(request.POST or None, dict_type=item.dict_type, item=item, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        done = submit(
            form,
            lambda: services.update_dict_item(
                item=item, label=d["label"], sort_order=d["sort_order"], actor=request.user
            ),
        )
        if done is not None:
            messages.success(request, f"已保存字典项：{done.label}")
            return redirect("sysadmin:dict_detail", dict_id=item.dict_type_id)
    return _item_page(request, form, item.dict_type, item)


@requires("dict:manage", methods=("POST",))
@require_POST
def item_disable(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(DictItem.objects.select_related("dict_type"), pk=item_id)
    act(
        request,
        lambda: services.disable_dict_item(item=item, actor=request.user),
        f"已停用字典项：{item.label}",
    )
    return redirect_back(request, reverse("sysadmin:dict_detail", args=[item.dict_type_id]))


@requires("dict:manage", methods=("POST",))
@require_POST
def item_enable(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(DictItem.objects.select_related("dict_type"), pk=item_id)
    act(
        request,
        lambda: services.enable_dict_item(item=item, actor=request.user),
        f"已启用字典项：{item.label}",
    )
    return redirect_back(request, reverse("sysadmin:dict_detail", args=[item.dict_type_id]))
