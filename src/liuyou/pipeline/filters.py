"""Filters of the job-run list, shared by the page, its XLSX export and the API, so the
export holds exactly the runs on screen. Values stay in the URL
(?step=&status=&date_from=&date_to=&batch=); the date range is on the data date."""

from __future__ import annotations

from datetime import date
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet

from liuyou.core.filters import DateRangeForm, date_filter
from liuyou.pipeline import steps as steps_mod
from liuyou.pipeline.models import JobRun, JobStatus

BAD_DATE = "日期应为 YYYY-MM-DD"


class JobRunFilter(django_filters.FilterSet):
    step = django_filters.ChoiceFilter(label="步骤", choices=steps_mod.choices, empty_label="全部")
    status = django_filters.ChoiceFilter(label="状态", choices=JobStatus.choices, empty_label="全部")
    date_from = date_filter("数据日期从", "filter_date_from", invalid=BAD_DATE)
    date_to = date_filter("数据日期至", "filter_date_to", invalid=BAD_DATE)
    batch = django_filters.NumberFilter(
        label="批次号",
        field_name="batch_id",
        min_value=1,
        error_messages={"invalid": "批次号应为正整数", "min_value": "批次号应为正整数"},
    )

    class Meta:
        model = JobRun
        fields = ["step", "status", "date_from", "date_to", "batch"]
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

    def filter_date_from(self, queryset: QuerySet[JobRun], name: str, value: date | None) -> QuerySet[JobRun]:
        return queryset.filter(data_date__gte=value) if value else queryset

    def filter_date_to(self, queryset: QuerySet[JobRun], name: str, value: date | None) -> QuerySet[JobRun]:
        return queryset.filter(data_date__lte=value) if value else queryset

    def filtered(self) -> QuerySet[JobRun]:
        # An invalid filter never widens the list to everything: no rows and the message.
        return self.qs if self.is_valid() else self.queryset.none()
