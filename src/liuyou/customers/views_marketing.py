"""The marketing panel of the customer 360 page (issue 4): the dimensions the customer meets,
the leads on them and the product suggestions. Fetched by the page once it is shown (HTMX, on
load) so the 360 itself stays as fast as the library's own sections. Each part shows only
with its permission; the customer is looked up through the viewer's scope (404 outside)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from liuyou.core import scope
from liuyou.core.access import has_perm, requires
from liuyou.core.rendering import render_page
from liuyou.customers import selectors
from liuyou.customers.views import private


def _leads(request: HttpRequest, customer: Any) -> list[Any]:
    from liuyou.targets.models import Lead

    qs = Lead.objects.filter(customer=customer).select_related("target_list", "assignee", "member")
    user = request.user
    mine = qs.filter(assignee_id=user.pk) if has_perm(user, "lead:work") else qs.none()
    seen = scope.scoped(qs, user, "target:view") if has_perm(user, "target:view") else qs.none()
    return list((mine | seen).distinct().order_by("-distributed_on", "-pk")[:10])


@requires("customer:view", methods=("GET",))
@require_GET
def customer_marketing(request: HttpRequest, customer_no: str) -> HttpResponse:
    customer = selectors.customer_get(user=request.user, customer_no=customer_no)
    context: dict[str, Any] = {"customer": customer}
    if has_perm(request.user, "mining:view"):
        from liuyou.mining.selectors import customer_dimensions

        context["dimensions"] = customer_dimensions(customer=customer)
        context["show_dimensions"] = True
    if has_perm(request.user, "target:view") or has_perm(request.user, "lead:work"):
        context["leads"] = _leads(request, customer)
        context["show_leads"] = True
    if has_perm(request.user, "product:view"):
        from liuyou.products.selectors import customer_report

        context["product_report"] = customer_report(customer=customer)
        context["show_products"] = True
    return private(render_page(request, "customers/sections/_marketing_panel.html", context))
