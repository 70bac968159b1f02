"""Template helpers for the page shell: the watermark overlay and message styling."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.messages import constants
from django.utils import timezone

register = template.Library()

# Enough tiles to cover a large desktop screen; the overlay clips whatever does not fit.
WATERMARK_TILES = 80

_ALERT_CLASSES = {
    constants.DEBUG: "secondary",
    constants.INFO: "info",
    constants.SUCCESS: "success",
    constants.WARNING: "warning",
    constants.ERROR: "danger",
}


def watermark_text(user: Any, now: Any = None) -> str:
    """'<工号> <YYYY-MM-DD HH:MM>' in local time: who looked, and when."""
    moment = timezone.localtime(now or timezone.now())
    staff_no = getattr(user, "staff_no", "") if getattr(user, "is_authenticated", False) else ""
    return f"{staff_no} {moment:%Y-%m-%d %H:%M}".strip()


@register.inclusion_tag("core/_watermark.html", takes_context=True)
def watermark_overlay(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return {"text": watermark_text(user), "tiles": range(WATERMARK_TILES)}


@register.filter
def alert_class(message: Any) -> str:
    """Bootstrap alert colour for a django.contrib.messages message."""
    return _ALERT_CLASSES.get(getattr(message, "level", constants.INFO), "info")
