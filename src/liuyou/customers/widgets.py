"""A select rendered in Python. Django's template-based Select renders each option through
templates (about a quarter of a millisecond per option); the list filters and the reassign
form offer hundreds of staff and villages, and the customer pages must answer within the
search benchmark's 100 ms at p99."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


class FastSelect(forms.Select):
    """A single select with flat choices (no option groups), the same markup as forms.Select."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = set(self.format_value(value))

        def options() -> Any:
            for option_value, label in self.choices:
                v = "" if option_value is None else str(option_value)
                yield v, " selected" if v in chosen else "", label

        body = format_html_join("", '<option value="{}"{}>{}</option>', options())
        return format_html("<select{}>{}</select>", flatatt(final), body)
