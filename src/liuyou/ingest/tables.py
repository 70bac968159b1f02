"""Columns of the import history, and the same runs as rows of its XLSX export."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from liuyou.ingest.models import ImportRun, RunStatus
from liuyou.ingest.sources import SOURCES

PER_PAGE = 30
CHANNELS = {"cli": "命令行", "upload": "页面上传"}
STATUS_BADGES: dict[str, str] = {
    RunStatus.RUNNING: "text-bg-primary",
    RunStatus.COMPLETED: "text-bg-success",
    RunStatus.VALIDATED: "text-bg-info",
    RunStatus.FAILED: "text-bg-danger",
    RunStatus.REFUSED: "text-bg-warning",
}


def source_label(code: str) -> str:
    source = SOURCES.get(code)
    return source.label if source else code


def user_label(run: ImportRun) -> str:
    return f"{run.user.staff_no} {run.user.name}" if run.user_id and run.user else "—"


def duration_label(ms: int | None) -> str:
    if ms is None:
        return "—"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} 秒"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} 分 {rest} 秒"


def has_rejects(run: ImportRun) -> bool:
    return bool(run.reject_file) and Path(run.reject_file).is_file()


class RunTable(tables.Table):
    id = tables.Column(verbose_name="编号")
    started_at = tables.DateTimeColumn(verbose_name="开始时间", format="Y-m-d H:i:s")
    source = tables.Column(verbose_name="数据源")
    file_name = tables.Column(verbose_name="文件名")
    file_hash = tables.Column(verbose_name="SHA-256", orderable=False)
    data_date = tables.DateColumn(verbose_name="数据日期", format="Y-m-d")
    user = tables.Column(verbose_name="操作人", empty_values=(), order_by=("user__staff_no",))
    channel = tables.Column(verbose_name="方式")
    status = tables.Column(verbose_name="状态")
    read = tables.Column(verbose_name="读取")
    inserted = tables.Column(verbose_name="新增")
    updated = tables.Column(verbose_name="更新")
    unchanged = tables.Column(verbose_name="未变化")
    rejected = tables.Column(verbose_name="拒绝")
    closed = tables.Column(verbose_name="关闭")
    duration_ms = tables.Column(verbose_name="耗时", empty_values=())
    reject_file = tables.Column(verbose_name="拒绝文件", orderable=False, empty_values=())

    class Meta:
        model = ImportRun
        fields = (
            "id",
            "started_at",
            "source",
            "file_name",
            "file_hash",
            "data_date",
            "user",
            "channel",
            "status",
            "read",
            "inserted",
            "updated",
            "unchanged",
            "rejected",
            "closed",
            "duration_ms",
            "reject_file",
        )
        attrs = {"class": "table table-sm table-hover align-middle text-nowrap ly-import-runs"}
        order_by = ("-started_at",)

    def render_id(self, value: int) -> str:
        return format_html('<a href="{}">#{}</a>', reverse("ingest:run", args=[value]), value)

    def render_source(self, value: str) -> str:
        return format_html('{} <span class="text-body-secondary small">{}</span>', source_label(value), value)

    def render_file_hash(self, value: str) -> str:
        return format_html('<code title="{}">{}</code>', value, value[:12]) if value else "—"

    def render_user(self, record: ImportRun) -> str:
        return user_label(record)

    def render_channel(self, value: str) -> str:
        return CHANNELS.get(value, value)

    def render_status(self, record: ImportRun) -> str:
        # django-tables2 hands a choices field's label as `value`; the badge goes by the code.
        return format_html(
            '<span class="badge {}">{}</span>',
            STATUS_BADGES.get(record.status, "text-bg-secondary"),
            record.get_status_display(),
        )

    def render_duration_ms(self, value: int | None) -> str:
        return duration_label(value)

    def render_reject_file(self, record: ImportRun) -> str:
        if not has_rejects(record):
            return "—"
        return format_html(
            '<a href="{}" download><i class="bi bi-download" aria-hidden="true"></i> 下载（{} 行）</a>',
            reverse("ingest:rejects", args=[record.pk]),
            record.rejected,
        )


EXPORT_HEADERS = [
    "编号",
    "开始时间",
    "结束时间",
    "数据源",
    "数据源代码",
    "文件名",
    "文件SHA-256",
    "数据日期",
    "操作人",
    "方式",
    "状态",
    "读取",
    "新增",
    "更新",
    "未变化",
    "拒绝",
    "关闭",
    "耗时（秒）",
    "拒绝文件",
    "说明",
]


def export_rows(runs: Iterable[ImportRun]) -> Iterator[list[Any]]:
    for run in runs:
        yield [
            run.pk,
            run.started_at,
            run.finished_at,
            source_label(run.source),
            run.source,
            run.file_name,
            run.file_hash,
            run.data_date,
            user_label(run),
            CHANNELS.get(run.channel, run.channel),
            run.get_status_display(),
            run.read,
            run.inserted,
            run.updated,
            run.unchanged,
            run.rejected,
            run.closed,
            None if run.duration_ms is None else round(run.duration_ms / 1000, 1),
            run.reject_file,
            run.message,
        ]
