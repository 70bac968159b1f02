"""Filters of the import history, shared by the page and its XLSX export so the export holds
exactly the runs on screen. Values stay in the URL (?source=&status=&date_from=&date_to=)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet

from liuyou.core.filters import DateRangeForm, date_filter, day_start
from liuyou.ingest.models import ImportRun, RunStatus
from liuyou.ingest.sources import SOURCES

BAD_DATE = "日期应为 YYYY-MM-DD"


class RunFilter(django_filters.FilterSet):
    source = django_filters.ChoiceFilter(
        label="数据源",
        choices=[(name, f"{s.label}（{name}）") for name, s in SOURCES.items()],
        empty_label="全部",
    )
    status = django_filters.ChoiceFilter(label="状态", choices=RunStatus.choices, empty_label="全部")
    date_from = date_filter("开始日期", "filter_date_from", invalid=BAD_DATE)
    date_to = date_filter("结束日期", "filter_date_to", invalid=BAD_DATE)

    class Meta:
        model = ImportRun
        fields = ["source", "status", "date_from", "date_to"]
        form = DateRangeForm

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
        return queryset.filter(started_at__gte=day_start(value)) if value else queryset

    def filter_date_to(
        self, queryset: QuerySet[ImportRun], name: str, value: date | None
    ) -> QuerySet[ImportRun]:
        return queryset.filter(started_at__lt=day_start(value + timedelta(days=1))) if value else queryset

    def filtered(self) -> QuerySet[ImportRun]:
        # An invalid filter never widens the list to everything: no rows and the message.
        return self.qs if self.is_valid() else self.queryset.none()
