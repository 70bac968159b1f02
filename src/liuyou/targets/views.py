"""Target lists and leads: build (with a live count), save, distribute, follow, export,
funnels. Thin: parse input, call a selector or service, render."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import RequestConfig

from liuyou.core import excel
from liuyou.core.access import has_perm, requires
from liuyou.core.rendering import render_page
from liuyou.customers.views import private
from liuyou.mining import selectors as mining
from liuyou.targets import selectors, services
from liuyou.targets.forms import BuilderForm, DistributeForm, MoveForm
from liuyou.targets.models import LeadStatus, ListStatus
from liuyou.targets.tables import PER_PAGE, LeadTable, ListTable, MemberTable

VIEW, MANAGE, WORK, EXPORT = "target:view", "target:manage", "lead:work", "customer:export"


def _errors_into(form: Any, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@requires(VIEW, methods=("GET",))
@require_GET
def list_index(request: HttpRequest) -> HttpResponse:
    table = ListTable(selectors.lists(user=request.user))
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    context = {"table": table, "count": table.paginator.count, "can_manage": has_perm(request.user, MANAGE)}
    return render_page(request, "targets/index.html", context, fragment_template="targets/_lists.html")


def _builder_form(request: HttpRequest, data: Any) -> tuple[BuilderForm, list[date]]:
    dates = mining.feature_dates()
    return BuilderForm(data, user=request.user, dates=dates), dates


@requires(MANAGE, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def builder(request: HttpRequest) -> HttpResponse:
    form, dates = _builder_form(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                target = services.save_list(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    definition=form.definition(),
                    data_date=date.fromisoformat(form.cleaned_data["data_date"]),
                )
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, f"名单“{target.name}”已保存：{target.members_count} 位客户")
            return redirect("targets:detail", list_id=target.pk)
    context = {"form": form, "dates": dates}
    return render_page(request, "targets/builder.html", context, status=400 if form.errors else 200)


@requires(MANAGE, methods=("GET",))
@require_GET
def preview(request: HttpRequest) -> HttpResponse:
    """The builder's live count: how many customers the conditions select, and a few of them."""
    form, _ = _builder_form(request, request.GET)
    context: dict[str, Any] = {"form": form}
    if form.is_valid():
        definition = form.definition()
        if definition.dimensions or definition.tags_all or definition.tags_any:
            qs = selectors.candidates(
                user=request.user,
                definition=definition,
                data_date=date.fromisoformat(form.cleaned_data["data_date"]),
            )
            context |= {"count": qs.count(), "sample": list(qs.select_related("customer")[:10])}
        else:
            context["hint"] = "请至少选择一个维度或一个标签"
    return private(render_page(request, "targets/_preview.html", context))


@requires(VIEW, methods=("GET",))
@require_GET
def detail(request: HttpRequest, list_id: int) -> HttpResponse:
    target = selectors.list_get(user=request.user, list_id=list_id)
    table = MemberTable(selectors.members(user=request.user, target_list=target))
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    can_distribute = has_perm(request.user, MANAGE) and target.status == ListStatus.SAVED
    context = {
        "target": target,
        "table": table,
        "count": table.paginator.count,
        "statuses": selectors.status_counts(user=request.user, target_list=target),
        "status_labels": dict(LeadStatus.choices),
        "funnel": selectors.funnel(user=request.user, target_list=target, by="dimension"),
        "form": DistributeForm(user=request.user) if can_distribute else None,
        "can_export": has_perm(request.user, EXPORT),
        "watermark": True,
    }
    return private(
        render_page(request, "targets/detail.html", context, fragment_template="targets/_members.html")
    )


@requires(MANAGE, methods=("POST",))
@require_POST
def distribute(request: HttpRequest, list_id: int) -> HttpResponse:
    target = selectors.list_get(user=request.user, list_id=list_id)
    form = DistributeForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            with transaction.atomic():
                result = services.distribute(
                    user=request.user,
                    target_list=target,
                    mode=form.cleaned_data["mode"],
                    team=form.cleaned_data["team"] or (),
                )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            text = f"已分配 {result['leads']} 条线索"
            if result["unassigned"]:
                text += (
                    f"，其中 {result['unassigned']} 条无人可接（无主办客户经理或网格专员），请在名单中改派"
                )
            messages.success(request, text)
    else:
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("targets:detail", list_id=target.pk)


@requires(EXPORT, methods=("GET",))
@require_GET
def export(request: HttpRequest, list_id: int) -> HttpResponse:
    if not has_perm(request.user, VIEW):
        raise PermissionDenied(VIEW)
    target = selectors.list_get(user=request.user, list_id=list_id)
    headers, rows = services.export_rows(user=request.user, target_list=target)
    name = f"目标客户名单-{target.pk}-{timezone.localdate():%Y%m%d}.xlsx"
    return private(excel.response(name, headers, rows, title="目标客户名单"))


@requires(VIEW, methods=("GET",))
@require_GET
def funnel(request: HttpRequest) -> HttpResponse:
    by = request.GET.get("by", "list")
    if by not in ("list", "dimension", "product", "branch", "manager"):
        raise Http404("未知的统计口径")
    target = None
    if request.GET.get("list"):
        try:
            target = selectors.list_get(user=request.user, list_id=int(request.GET["list"]))
        except ValueError:
            raise Http404("名单不存在") from None
    rows = selectors.funnel(user=request.user, target_list=target, by=by)
    context = {"rows": rows, "by": by, "target": target}
    return private(render_page(request, "targets/funnel.html", context))


@requires(WORK, methods=("GET",))
@require_GET
def my_leads(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status and status not in LeadStatus.values:
        status = ""
    table = LeadTable(selectors.my_leads(user=request.user, status=status))
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    context = {
        "table": table,
        "count": table.paginator.count,
        "status": status,
        "statuses": LeadStatus.choices,
        "watermark": True,
    }
    return private(
        render_page(request, "targets/leads.html", context, fragment_template="targets/_leads.html")
    )


def _lead_context(request: HttpRequest, lead: Any, form: MoveForm | None = None) -> dict[str, Any]:
    from liuyou.core import scope
    from liuyou.customers.models import Customer

    can_open_customer = scope.scoped(
        Customer.objects.filter(pk=lead.customer_id), request.user, "customer:view"
    ).exists()
    return {
        "lead": lead,
        "events": selectors.lead_events(lead=lead),
        "form": form or MoveForm(current=lead.status),
        "can_move": has_perm(request.user, WORK) and lead.status in services.NEXT,
        "can_open_customer": can_open_customer,
        "watermark": True,
    }


@requires(WORK, methods=("GET",))
@require_GET
def lead_detail(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, lead_id=lead_id)
    return private(render_page(request, "targets/lead.html", _lead_context(request, lead)))


@requires(WORK, methods=("POST",))
@require_POST
def lead_move(request: HttpRequest, lead_id: int) -> HttpResponse:
    lead = selectors.lead_get(user=request.user, lead_id=lead_id)
    form = MoveForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                services.move_lead(user=request.user, lead=lead, **form.cleaned_data)
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, f"线索已更新为“{lead.get_status_display()}”")
            return redirect("targets:lead", lead_id=lead.pk)
    lead.refresh_from_db()
    return private(render_page(request, "targets/lead.html", _lead_context(request, lead, form), status=400))


@requires(MANAGE, methods=("POST",))
@require_POST
def lead_assign(request: HttpRequest, lead_id: int) -> HttpResponse:
    from liuyou.core import scope
    from liuyou.targets.models import Lead

    lead = scope.get_or_404(Lead.objects.all(), request.user, MANAGE, pk=lead_id)
    assignee = (
        selectors.assignable_staff(user=request.user)
        .filter(staff_no=request.POST.get("assignee", ""))
        .first()
    )
    try:
        with transaction.atomic():
            services.reassign_lead(user=request.user, lead=lead, assignee=assignee)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"线索已改派给 {assignee.name if assignee else ''}")
    return redirect("targets:lead", lead_id=lead.pk)
