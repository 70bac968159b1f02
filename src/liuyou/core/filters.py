"""Pieces every list filter with a date range shares: the range check, the date field, and
local midnight as the bound, so a date range is a range on an indexed timestamp column
rather than a per-row date conversion."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import django_filters
from django import forms
from django.utils import timezone

DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"]


def day_start(day: date) -> datetime:
    """Local midnight (the bank's time zone) of `day`, as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))


class DateRangeForm(forms.Form):
    """Checks date_from <= date_to and marks invalid fields for Bootstrap."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "结束日期不能早于开始日期")
        return data

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = (widget.attrs.get("class", "") + " is-invalid").strip()
                widget.attrs["aria-invalid"] = "true"


def date_filter(label: str, method: str, *, invalid: str | None = None) -> django_filters.DateFilter:
    """A date field of a range; `invalid` replaces Django's own message for a bad date."""
    return django_filters.DateFilter(
        label=label,
        method=method,
        input_formats=DATE_FORMATS,
        error_messages={"invalid": invalid} if invalid else {},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
