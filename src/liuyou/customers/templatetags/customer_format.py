"""Number formats of the customer pages: money in yuan with thousands separators and two
decimals, exactly as stored (Decimal, never through float)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

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
