"""One view, two answers: the full page for a normal request, a fragment for HTMX.

    def customer_list(request):
        ...
        return render_page(request, "customers/list.html", {"table": table},
                           fragment_template="customers/_list_table.html")

The full page template usually `{% include %}`s the fragment template, so both render the same
markup. A boosted link (hx-boost) and a history restore (the browser's back button with htmx's
page cache off) need the whole page, so they get it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def wants_fragment(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request  # type: ignore[union-attr]


def render_page(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any] | None = None,
    fragment_template: str | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    """The fragment template for an HTMX request when one is given, else the full page."""
    chosen = fragment_template if fragment_template and wants_fragment(request) else template
    response = render(request, chosen, dict(context or {}), status=status)
    if fragment_template:
        # The same URL answers with two bodies; caches must keep them apart.
        patch_vary_headers(response, ("HX-Request",))
    return response
