"""Number formats of the customer pages: money in yuan with thousands separators and two
decimals, exactly as stored (Decimal, never through float)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@register.filter
def yuan(value: object) -> str:
    if value is None or value == "":
        return "—"
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{amount:,.2f}"


@register.filter
def percent(value: object) -> str:
    """A ratio (0.8532) as a percentage (85.32%)."""
    if value is None or value == "":
        return "—"
    try:
        ratio = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{ratio * 100:.2f}%"


@register.simple_tag
def party(c360: object, person: object) -> str:
    """Another customer the 360 names (a relative, a borrower, a guarantor): a link with the
    name when the viewer may open that customer, otherwise the surname only and no link —
    a name is personal data, and the link would answer 404 anyway."""
    pk = getattr(person, "pk", None)
    name = str(getattr(person, "name", "") or "")
    if pk is not None and pk in getattr(c360, "visible", ()):
        url = reverse("customers:detail", args=[person.customer_no])  # type: ignore[attr-defined]
        return format_html(
            '<a href="{}">{}</a> <span class="text-body-secondary">{}</span>',
            url,
            name,
            person.customer_no,  # type: ignore[attr-defined]
        )
    hidden = name[:1] + "*" * max(len(name) - 1, 1) if name else "—"
    return format_html('{} <span class="text-body-secondary small">（非本人管辖客户）</span>', hidden)
