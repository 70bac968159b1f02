"""Filters of the import history, shared by the page and its XLSX export so the export holds
exactly the runs on screen. Values stay in the URL (?source=&status=&date_from=&date_to=)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from liuyou.ingest.models import ImportRun, RunStatus
from liuyou.ingest.sources import SOURCES

DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"]


def _day_start(day: date) -> datetime:
    # Local midnight in the bank's time zone: a range on started_at, not a per-row conversion.
    return timezone.make_aware(datetime.combine(day, time.min))


class RunFilterForm(forms.Form):
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


def _date(label: str, method: str) -> django_filters.DateFilter:
    return django_filters.DateFilter(
        label=label,
        method=method,
        input_formats=DATE_FORMATS,
        error_messages={"invalid": "日期应为 YYYY-MM-DD"},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class RunFilter(django_filters.FilterSet):
    source = django_filters.ChoiceFilter(
        label="数据源",
        choices=[(name, f"{s.label}（{name}）") for name, s in SOURCES.items()],
        empty_label="全部",
    )
    status = django_filters.ChoiceFilter(label="状态", choices=RunStatus.choices, empty_label="全部")
    date_from = _date("开始日期", "filter_date_from")
    date_to = _date("结束日期", "filter_date_to")

    class Meta:
        model = ImportRun
        fields = ["source", "status", "date_from", "date_to"]
        form = RunFilterForm

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            field.error_messages["invalid_choice"] = "无效的选项：%(value)s"
            css = (
                "form-select form-select-sm"
                if isinstance(field.widget, forms.Select)
                else "form-control form-control-sm"
            )
            field.widget.attrs.setdefault("class", css)

    def filter_date_from(
        self, queryset: QuerySet[ImportRun], name: str, value: date | None
    ) -> QuerySet[ImportRun]:
        return queryset.filter(started_at__gte=_day_start(value)) if value else queryset

    def filter_date_to(
        self, queryset: QuerySet[ImportRun], name: str, value: date | None
    ) -> QuerySet[ImportRun]:
        return queryset.filter(started_at__lt=_day_start(value + timedelta(days=1))) if value else queryset

    def filtered(self) -> QuerySet[ImportRun]:
        # An invalid filter never widens the list to everything: no rows and the message.
        return self.qs if self.is_valid() else self.queryset.none()
