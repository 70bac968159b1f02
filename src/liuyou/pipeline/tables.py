"""Columns of the job-run list, the same runs as rows of its XLSX export, and the run's
details JSON as readable rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from liuyou.pipeline import steps as steps_mod
from liuyou.pipeline.models import Channel, JobBatch, JobRun, JobStatus

PER_PAGE = 30
CHANNELS = dict(Channel.choices)
STATUS_BADGES: dict[str, str] = {
    JobStatus.RUNNING: "text-bg-primary",
    JobStatus.COMPLETED: "text-bg-success",
    JobStatus.FAILED: "text-bg-danger",
    JobStatus.SKIPPED: "text-bg-secondary",
}
# Labels of the counts steps commonly report; any other key is shown as written.
DETAIL_LABELS = {
    "customers": "客户数",
    "rows": "写入行数",
    "inserted": "新增行数",
    "deleted": "删除行数",
    "updated": "更新行数",
    "pruned": "清理的历史行数",
    "kept_dates": "保留的数据日期数",
    "data_dates": "数据日期数",
    "seconds": "耗时（秒）",
    "tags": "标签数",
    "dimensions": "维度",
    "products": "产品数",
    "pruned_dates": "清理的历史数据日期",
    # the feature table's (features.services.build_features) source dates
    "sources.core_deposit": "存款余额取自数据日期",
    "sources.core_deposit_3m": "3个月前存款取自数据日期",
    "sources.core_deposit_average": "日均存款取自数据日期",
    "sources.credit_loan": "贷款取自数据日期",
    "sources.txn_months": "交易汇总月份",
    # rule tags (tags.services.tag_step): per tag "per_tag.<code>.added|removed|total"
    "added": "新打上标签",
    "removed": "移除标签",
    "total": "现有客户数",
    "errors": "未能计算",
    # the 11 dimensions (mining.services.mine_step): "dimensions.<code>" is its list size
    "refused_excluded": "拒绝营销未入名单",
    # product matching and lead tracking
    "note": "说明",
    "confirmed": "以信贷数据确认放款的线索",
}


def user_label(record: JobRun | JobBatch) -> str:
    user = record.triggered_by
    return f"{user.staff_no} {user.name}" if user is not None else "—"


def seconds_label(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} 秒"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} 分 {rest} 秒"


def step_label(code: str) -> str:
    return steps_mod.label_of(code)


def detail_rows(details: Any, prefix: str = "") -> list[tuple[str, str, str]]:
    """(key path, Chinese label, value) for each leaf of the details JSON; nested objects
    become dotted paths, lists are joined."""
    out: list[tuple[str, str, str]] = []
    if not isinstance(details, dict):
        return [(prefix or "值", DETAIL_LABELS.get(prefix, prefix or "值"), _value(details))]
    for key, value in details.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value:
            out += detail_rows(value, path)
        else:
            label = DETAIL_LABELS.get(path) or DETAIL_LABELS.get(str(key), "")
            out.append((path, label, _value(value)))
    return out


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return "、".join(_value(v) for v in value) or "—"
    if isinstance(value, dict):
        return "—"
    return str(value)


def status_badge(status: str, label: str) -> str:
    return format_html(
        '<span class="badge {}">{}</span>', STATUS_BADGES.get(status, "text-bg-secondary"), label
    )


class JobRunTable(tables.Table):
    id = tables.Column(verbose_name="编号")
    batch = tables.Column(verbose_name="批次", order_by=("batch_id",))
    step = tables.Column(verbose_name="步骤", order_by=("step_order", "step"))
    data_date = tables.DateColumn(verbose_name="数据日期", format="Y-m-d")
    status = tables.Column(verbose_name="状态")
    started_at = tables.DateTimeColumn(verbose_name="开始时间", format="Y-m-d H:i:s")
    duration = tables.Column(verbose_name="耗时", empty_values=())
    rows = tables.Column(verbose_name="写入行数")
    triggered_by = tables.Column(verbose_name="操作人", empty_values=(), order_by=("triggered_by__staff_no",))
    channel = tables.Column(verbose_name="方式")
    message = tables.Column(verbose_name="说明", orderable=False, empty_values=())

    class Meta:
        model = JobRun
        fields = (
            "id",
            "batch",
            "step",
            "data_date",
            "status",
            "started_at",
            "duration",
            "rows",
            "triggered_by",
            "channel",
            "message",
        )
        attrs = {"class": "table table-sm table-hover align-middle text-nowrap ly-job-runs"}
        order_by = ("-started_at",)

    def render_id(self, value: int) -> str:
        return format_html('<a href="{}">#{}</a>', reverse("pipeline:run", args=[value]), value)

    def render_batch(self, record: JobRun) -> str:
        return format_html(
            '<a href="{}">批次#{}</a>', reverse("pipeline:batch", args=[record.batch_id]), record.batch_id
        )

    def render_step(self, value: str) -> str:
        return format_html('{} <span class="text-body-secondary small">{}</span>', step_label(value), value)

    def render_status(self, record: JobRun) -> str:
        # django-tables2 hands a choices field's label as `value`; the badge goes by the code.
        return status_badge(record.status, record.get_status_display())

    def render_duration(self, record: JobRun) -> str:
        return seconds_label(record.duration)

    def render_rows(self, value: int) -> str:
        return f"{value:,}"

    def render_triggered_by(self, record: JobRun) -> str:
        return user_label(record)

    def render_channel(self, value: str) -> str:
        return CHANNELS.get(value, value)

    def render_message(self, record: JobRun) -> str:
        text = record.message or ""
        if not text:
            return "—"
        short = text if len(text) <= 40 else text[:40] + "…"
        return format_html('<span title="{}">{}</span>', text, short)


EXPORT_HEADERS = [
    "编号",
    "批次",
    "步骤",
    "步骤代码",
    "数据日期",
    "状态",
    "开始时间",
    "结束时间",
    "耗时（秒）",
    "写入行数",
    "操作人",
    "方式",
    "说明",
    "明细",
]


def export_rows(runs: Iterable[JobRun]) -> Iterator[list[Any]]:
    for run in runs:
        yield [
            run.pk,
            run.batch_id,
            step_label(run.step),
            run.step,
            run.data_date,
            run.get_status_display(),
            run.started_at,
            run.finished_at,
            None if run.duration is None else round(run.duration, 1),
            run.rows,
            user_label(run),
            CHANNELS.get(run.channel, run.channel),
            run.message,
            "；".join(f"{label or path}：{value}" for path, label, value in detail_rows(run.details)),
        ]
