"""Tag pages: groups and tags with counts, a tag's customers (exportable), the tag editor with
its rule rows and count preview, bulk tagging with its report, and one customer's tags and
history. Thin: parse input, call a selector or service, render the page or the fragment."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import RequestConfig

from liuyou.core import excel
from liuyou.core.access import has_perm, requires
from liuyou.core.rendering import render_page, wants_fragment
from liuyou.customers.selectors import dict_labels
from liuyou.tags import entries as entries_mod
from liuyou.tags import rules, selectors, services
from liuyou.tags.forms import (
    BulkForm,
    ConditionFormSet,
    CustomerTagForm,
    GroupForm,
    HoldersFilterForm,
    TagForm,
    condition_initial,
    mark_invalid,
    rule_from,
)
from liuyou.tags.models import Tag, TagGroup, TagKind
from liuyou.tags.tables import PER_PAGE, HistoryTable, HoldersTable

VIEW, ASSIGN, MANAGE, EXPORT = "tag:view", "tag:assign", "tag:manage", "customer:export"


def private(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


def _errors_to_form(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


# --- the list of groups and tags ----------------------------------------------------------------


@requires(VIEW, methods=("GET",))
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    context = {
        "groups": selectors.groups_with_tags(user=request.user),
        "can_manage": has_perm(request.user, MANAGE),
        "can_assign": has_perm(request.user, ASSIGN),
        "data_date": selectors.latest_feature_date(),
    }
    return render_page(request, "tags/index.html", context)


# --- groups ---------------------------------------------------------------------------------------


@requires(MANAGE, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def group_new(request: HttpRequest) -> HttpResponse:
    form = GroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                group = services.create_group(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, f"已新建标签组“{group.name}”")
            return redirect("tags:index")
    mark_invalid(form)
    status = 400 if form.errors else 200
    return render_page(request, "tags/group_form.html", {"form": form, "group": None}, status=status)


@requires(MANAGE, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, group_id: int) -> HttpResponse:
    group = TagGroup.objects.filter(pk=group_id).first()
    if group is None:
        raise Http404("没有这个标签组")
    initial = {"name": group.name, "sort_order": group.sort_order}
    form = GroupForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.update_group(user=request.user, group=group, **form.cleaned_data)
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, f"已保存标签组“{group.name}”")
            return redirect("tags:index")
    mark_invalid(form)
    status = 400 if form.errors else 200
    return render_page(request, "tags/group_form.html", {"form": form, "group": group}, status=status)


# --- the tag editor -----------------------------------------------------------------------------


def _rule_rows(request: HttpRequest, tag: Tag | None) -> Any:
    if request.method == "POST":
        formset = ConditionFormSet(request.POST, prefix="c")
        if request.POST.get("action") == "add_row" and formset.is_valid():
            data = [f.cleaned_data for f in formset.forms] + [{}]
            formset = ConditionFormSet(initial=data, prefix="c")
        return formset
    initial = condition_initial(tag.rule if tag else None) or [{}]
    return ConditionFormSet(initial=[*initial, {}] if tag and tag.rule else initial, prefix="c")


def _apply_rule_errors(formset: Any, index: list[int], exc: rules.RuleError) -> list[str]:
    for i, errors in exc.rows.items():
        form = formset.forms[index[i]]
        for name, text in errors.items():
            form.add_error(name, text)
        mark_invalid(form)
    return exc.general


def _tag_page(
    request: HttpRequest, tag: Tag | None, form: TagForm, formset: Any, extra: dict[str, Any], status: int
) -> HttpResponse:
    context = {
        "tag": tag,
        "form": form,
        "formset": formset,
        "versions": selectors.versions(tag=tag) if tag else [],
        "ops_by_kind": rules.OPS_BY_KIND,
        "columns": list(rules.columns().values()),
        **extra,
    }
    return render_page(request, "tags/tag_form.html", context, status=status)


def _tag_editor(request: HttpRequest, tag: Tag | None) -> HttpResponse:
    if tag is None:
        initial: dict[str, Any] = {"is_active": True, "kind": "manual", "match": "all"}
        group_id = request.GET.get("group", "")
        if group_id.isdigit():
            initial["group"] = int(group_id)
    else:
        initial = {
            "group": tag.group_id,
            "name": tag.name,
            "description": tag.description,
            "is_active": tag.is_active,
            "match": (tag.rule or {}).get("match", "all"),
        }
    form = TagForm(request.POST or None, initial=initial, tag=tag)
    formset = _rule_rows(request, tag)
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    extra: dict[str, Any] = {"rule_errors": [], "preview": None}
    if request.method != "POST" or action == "add_row":
        return _tag_page(request, tag, form, formset, extra, 200)
    form_ok, rows_ok = form.is_valid(), formset.is_valid()
    kind = form.kind_value
    rule: dict[str, Any] | None = None
    all_messages: list[str] = [] if rows_ok else ["条件填写有误，请检查标红的行"]
    if kind == TagKind.RULE and rows_ok:
        match = form.cleaned_data.get("match", "all") if form_ok else request.POST.get("match", "all")
        raw, index = rule_from(formset, match)
        try:
            rule = rules.validate(raw)
        except rules.RuleError as exc:
            extra["rule_errors"] = _apply_rule_errors(formset, index, exc)
            all_messages = exc.messages
            rows_ok = False
    if action == "preview":
        if rule is not None:
            extra["preview"] = selectors.preview(user=request.user, rule=rule, tag=tag)
            extra["rule_text"] = rules.describe(rule)
        elif kind != TagKind.RULE:
            extra["rule_errors"] = ["手工标签没有规则，无需预览"]
        if wants_fragment(request):
            if rule is None and kind == TagKind.RULE:
                extra["rule_errors"] = all_messages
            return render_page(request, "tags/_rule_preview.html", extra)
        return _tag_page(request, tag, form, formset, extra, 200)
    if form_ok and (rows_ok or kind != TagKind.RULE):
        data = form.cleaned_data
        try:
            with transaction.atomic():
                if tag is None:
                    saved = services.create_tag(
                        user=request.user,
                        group=data["group"],
                        code=data["code"],
                        name=data["name"],
                        kind=kind,
                        description=data["description"],
                        rule=rule,
                        is_active=data["is_active"],
                        note=data["note"],
                    )
                else:
                    saved = services.update_tag(
                        user=request.user,
                        tag=tag,
                        group=data["group"],
                        name=data["name"],
                        description=data["description"],
                        rule=rule,
                        is_active=data["is_active"],
                        note=data["note"],
                    )
                day = selectors.latest_feature_date()
                evaluated = None
                if saved.kind == TagKind.RULE and saved.is_active and day is not None:
                    evaluated = services.evaluate(tag=saved, data_date=day)
        except rules.RuleError as exc:
            extra["rule_errors"] = exc.messages
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            text = f"已保存标签“{saved.name}”（版本 v{saved.version}）"
            if evaluated is not None:
                text += (
                    f"，已按 {day:%Y-%m-%d} 的客户宽表重新计算：持有 {evaluated.total} 位，"
                    f"新增 {evaluated.added} 位，移除 {evaluated.removed} 位"
                )
            messages.success(request, text)
            return redirect("tags:index")
    mark_invalid(form)
    return _tag_page(request, tag, form, formset, extra, 400)


@requires(MANAGE, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def tag_new(request: HttpRequest) -> HttpResponse:
    return _tag_editor(request, None)


@requires(MANAGE, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def tag_edit(request: HttpRequest, tag_id: int) -> HttpResponse:
    return _tag_editor(request, selectors.tag_get(tag_id=tag_id))


# --- a tag's customers --------------------------------------------------------------------------


def _holders(request: HttpRequest, tag: Tag, permission: str = VIEW) -> tuple[HoldersFilterForm, Any]:
    form = HoldersFilterForm(request.GET or None, user=request.user)
    chosen = form.cleaned_data if form.is_valid() else {}
    mark_invalid(form)
    qs = selectors.holders(
        user=request.user,
        tag=tag,
        org=chosen.get("org"),
        village=chosen.get("village"),
        manager=chosen.get("manager"),
        source=chosen.get("source") or "",
        permission=permission,
    )
    return form, qs


@requires(VIEW, methods=("GET",))
@require_GET
def tag_customers(request: HttpRequest, tag_id: int) -> HttpResponse:
    tag = selectors.tag_get(tag_id=tag_id)
    form, qs = _holders(request, tag)
    table = HoldersTable(qs, segments=dict_labels("segment"))
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "tag": tag,
        "rule_text": rules.describe(tag.rule),
        "form": form,
        "table": table,
        "count": table.paginator.count,
        "can_export": has_perm(request.user, EXPORT),
        "export_query": params.urlencode(),
        "watermark": True,
    }
    return private(
        render_page(request, "tags/customers.html", context, fragment_template="tags/_customers.html")
    )


@requires(EXPORT, methods=("GET",))
@require_GET
def tag_customers_export(request: HttpRequest, tag_id: int) -> HttpResponse:
    # Taking customer rows off the system is customer:export's call; the list is tag:view's.
    if not has_perm(request.user, VIEW):
        raise PermissionDenied(VIEW)
    tag = selectors.tag_get(tag_id=tag_id)
    _, qs = _holders(request, tag)
    from liuyou.core import scope
    from liuyou.tags.models import CustomerTag

    qs = qs.filter(
        pk__in=scope.scoped(CustomerTag.objects.filter(tag=tag), request.user, EXPORT).values("pk")
    )
    segments = dict_labels("segment")
    headers = [
        *("标签组", "标签", "客户号", "客户名称", "客户分类", "开户机构"),
        *("主办客户经理", "来源", "打标时间", "打标人", "规则数据日期"),
    ]
    rows = [
        [
            tag.group.name,
            tag.name,
            ct.customer.customer_no,
            ct.customer.name,
            segments.get(ct.customer.segment, ct.customer.segment),
            ct.customer.org.name,
            ct.customer.manager.name if ct.customer.manager else "",
            ct.get_source_display(),
            ct.since,
            ct.by.name if ct.by else "",
            ct.data_date,
        ]
        for ct in qs.iterator(chunk_size=2000)
    ]
    services.log_export(user=request.user, tag=tag, filters=request.GET.dict(), rows=len(rows))
    name = f"标签客户-{tag.name}-{timezone.localdate():%Y%m%d}.xlsx".replace("/", "_")
    return private(excel.response(name, headers, rows, title=tag.name.replace("/", "_")))


# --- bulk tagging -------------------------------------------------------------------------------


@requires(ASSIGN, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def bulk(request: HttpRequest) -> HttpResponse:
    choices = selectors.tag_choices(user=request.user)
    form = BulkForm(request.POST or None, request.FILES or None, choices=choices)
    report = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        items = entries_mod.split_text(data.get("entries") or "")
        upload = data.get("file")
        try:
            if upload is not None:
                if upload.size > entries_mod.MAX_UPLOAD_BYTES:
                    raise entries_mod.EntriesError("文件过大（最多 5 MB）")
                items += entries_mod.read_upload(upload.name, upload.read())
            if not items:
                raise entries_mod.EntriesError("请粘贴名单或上传名单文件")
            tag = Tag.objects.get(pk=data["tag"])
            with transaction.atomic():
                report = services.bulk_tag(
                    user=request.user,
                    tag=tag,
                    entries=items,
                    kind=data["kind"],
                    action=data["action"],
                    note=data["note"],
                )
        except entries_mod.EntriesError as exc:
            form.add_error("file" if upload is not None and "文件" in str(exc) else "entries", str(exc))
        except Tag.DoesNotExist:
            form.add_error("tag", "没有这个标签")
        except ValidationError as exc:
            _errors_to_form(form, exc)
    mark_invalid(form)
    context = {"form": form, "report": report, "max_entries": entries_mod.MAX_ENTRIES}
    status = 400 if form.errors else 200
    return private(render_page(request, "tags/bulk.html", context, status=status))


# --- one customer -------------------------------------------------------------------------------


def _customer_context(
    request: HttpRequest, customer: Any, *, form: Any = None, show_form: bool = False
) -> dict:
    can = selectors.can_tag(user=request.user, customer=customer)
    if can and form is None and show_form:
        form = CustomerTagForm(choices=selectors.tag_choices(user=request.user))
    return {
        "customer": customer,
        "customer_tags": selectors.customer_tags(customer=customer),
        "can_tag": can,
        "tag_form": form,
    }


@requires(VIEW, methods=("GET",))
@require_GET
def customer_tags(request: HttpRequest, customer_no: str) -> HttpResponse:
    """One customer's tags. HTMX gets the fragment the 360 page includes (with the add form
    when asked for: ?add=1); a plain request the page."""
    customer = selectors.customer_for(user=request.user, customer_no=customer_no)
    show_form = request.GET.get("add") == "1" or not wants_fragment(request)
    context = _customer_context(request, customer, show_form=show_form)
    context["watermark"] = True
    return private(
        render_page(request, "tags/customer.html", context, fragment_template="tags/_customer_tags.html")
    )


def _after_change(
    request: HttpRequest, customer: Any, notice: tuple[int, str] | None = None, form: Any = None
) -> HttpResponse:
    """HTMX: the fragment again, with the notice in it; otherwise back to the customer's tags
    page with the notice as a message (or that page with the form's errors)."""
    if wants_fragment(request):
        context = _customer_context(request, customer, form=form, show_form=form is not None)
        context["notice"] = notice and {"level": messages.DEFAULT_TAGS[notice[0]], "text": notice[1]}
        # HTMX swaps only 2xx answers: a form with its message comes back as 200.
        return private(render_page(request, "tags/_customer_tags.html", context))
    if form is not None and form.errors:
        context = {**_customer_context(request, customer, form=form), "watermark": True}
        return private(render_page(request, "tags/customer.html", context, status=400))
    if notice:
        messages.add_message(request, notice[0], notice[1])
    return redirect(reverse("tags:customer", args=[customer.customer_no]))


@requires(ASSIGN, methods=("POST",))
@require_POST
def customer_tag_add(request: HttpRequest, customer_no: str) -> HttpResponse:
    customer = selectors.customer_for(user=request.user, customer_no=customer_no, permission=ASSIGN)
    form = CustomerTagForm(request.POST, choices=selectors.tag_choices(user=request.user))
    if form.is_valid():
        tag = Tag.objects.get(pk=form.cleaned_data["tag"])
        try:
            with transaction.atomic():
                outcome = services.add_manual(
                    user=request.user, customer=customer, tag=tag, note=form.cleaned_data["note"]
                )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            text = {
                "added": f"已为客户添加标签“{tag.name}”",
                "converted": f"“{tag.name}”已由规则标签转为手工标签，不再随规则自动移除",
                "already": f"客户已有手工标签“{tag.name}”",
            }[outcome]
            return _after_change(request, customer, (messages.SUCCESS, text))
    mark_invalid(form)
    return _after_change(request, customer, form=form)


@requires(ASSIGN, methods=("POST",))
@require_POST
def customer_tag_remove(request: HttpRequest, customer_no: str) -> HttpResponse:
    customer = selectors.customer_for(user=request.user, customer_no=customer_no, permission=ASSIGN)
    raw = request.POST.get("tag", "")
    tag = Tag.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    if tag is None:
        return _after_change(request, customer, (messages.ERROR, "请选择要移除的标签"))
    with transaction.atomic():
        outcome = services.remove_manual(
            user=request.user, customer=customer, tag=tag, note=request.POST.get("note", "")[:200]
        )
    notice = {
        "removed": (messages.SUCCESS, f"已移除标签“{tag.name}”"),
        "rule": (messages.WARNING, f"“{tag.name}”是规则标签，由每日规则计算维护，不能手工移除"),
        "absent": (messages.INFO, f"客户没有标签“{tag.name}”"),
    }[outcome]
    return _after_change(request, customer, notice)


@requires(VIEW, methods=("GET",))
@require_GET
def customer_history(request: HttpRequest, customer_no: str) -> HttpResponse:
    customer = selectors.customer_for(user=request.user, customer_no=customer_no)
    table = HistoryTable(selectors.customer_history(customer=customer))
    RequestConfig(request, paginate={"per_page": 30}).configure(table)
    context = {"customer": customer, "table": table, "count": table.paginator.count, "watermark": True}
    return private(render_page(request, "tags/history.html", context, fragment_template="tags/_history.html"))
