"""Who manages a customer: the reassignment form on the 360 page and the orphan report
(customers whose primary manager has left or who have none). Thin: parse, call, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django_tables2 import RequestConfig

from liuyou.core import excel
from liuyou.core.access import has_perm, requires
from liuyou.core.rendering import render_page
from liuyou.customers import exports, selectors, services
from liuyou.customers.forms import OrphanFilterForm, ReassignForm
from liuyou.customers.models import ManagerRole
from liuyou.customers.tables import PER_PAGE, OrphanTable, ordering
from liuyou.customers.views import private
from liuyou.system.views_common import submit


@requires("customer:assign", methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def customer_assign(request: HttpRequest, customer_no: str) -> HttpResponse:
    """GET: the form (a fragment for the 360 page's HTMX button, else a page). POST: a plain
    form post; done, back to the 360 page; refused, the form page with the reason."""
    customer = selectors.customer_for_assign(user=request.user, customer_no=customer_no)
    form = ReassignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        done = submit(
            form,
            lambda: services.reassign_manager(
                actor=request.user,
                customer=customer,
                role=d["role"],
                manager=d["manager"],
                effective_date=d["effective_date"],
            ),
        )
        if done is not None:
            label, new = ManagerRole(d["role"]).label, d["manager"]
            messages.success(request, f"已将{label}客户经理调整为 {new.name}（{new.staff_no}）")
            return redirect(reverse("customers:detail", args=[customer.customer_no]) + "#section-managers")
    context = {"customer": customer, "form": form, "watermark": True}
    return private(
        render_page(
            request, "customers/assign.html", context, fragment_template="customers/_assign_form.html"
        )
    )


def _orphans(request: HttpRequest) -> tuple[OrphanFilterForm, Any]:
    form = OrphanFilterForm(request.GET or None, user=request.user)
    org = form.cleaned_data.get("org") if form.is_bound and form.is_valid() else None
    return form, selectors.orphan_list(user=request.user, org=org)


@requires("customer:assign", methods=("GET",))
@require_GET
def orphan_list(request: HttpRequest) -> HttpResponse:
    form, qs = _orphans(request)
    table = OrphanTable(qs, labels=selectors.dict_labels("segment"))
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    params = request.GET.copy()
    params.pop("page", None)
    context: dict[str, Any] = {
        "form": form,
        "table": table,
        "count": table.paginator.count,
        "can_export": has_perm(request.user, "customer:export"),
        "export_query": params.urlencode(),
        "watermark": True,
    }
    return private(
        render_page(
            request, "customers/orphans.html", context, fragment_template="customers/_orphan_results.html"
        )
    )


@requires("customer:assign", methods=("GET",))
@require_GET
def orphan_export(request: HttpRequest) -> HttpResponse:
    # Taking customer rows off the system is customer:export's call, on top of the report's own.
    if not has_perm(request.user, "customer:export"):
        raise PermissionDenied("customer:export")
    _, qs = _orphans(request)
    qs = selectors.scoped_for_export(qs, user=request.user)
    qs = qs.order_by(*ordering(request.GET.get("sort")))
    result = exports.orphan_export(user=request.user, queryset=qs)
    filename = f"脱管客户-{timezone.localdate():%Y%m%d}.xlsx"
    return private(excel.response(filename, result.headers, result.rows, title="脱管客户"))
