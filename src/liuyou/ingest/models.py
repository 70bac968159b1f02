"""Import run history: one row per `liuyou import` or upload, whatever its outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class RunStatus(models.TextChoices):
    RUNNING = "running", "运行中"
    COMPLETED = "completed", "已完成"
    VALIDATED = "validated", "仅校验"
    FAILED = "failed", "失败"
    REFUSED = "refused", "拒绝导入"


class ImportRun(models.Model):
    source = models.CharField("数据源", max_length=32, db_index=True)
    file_name = models.CharField("文件名", max_length=255)
    file_hash = models.CharField("文件SHA-256", max_length=64, blank=True, db_index=True)
    data_date = models.DateField("数据日期", null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # "cli" for the command line, "upload" for the page; the user FK says who for uploads.
    channel = models.CharField("来源", max_length=16, default="cli")
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    duration_ms = models.PositiveIntegerField("耗时（毫秒）", null=True, blank=True)
    status = models.CharField("状态", max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    read = models.PositiveIntegerField("读取行数", default=0)
    inserted = models.PositiveIntegerField("新增", default=0)
    updated = models.PositiveIntegerField("更新", default=0)
    unchanged = models.PositiveIntegerField("未变化", default=0)
    rejected = models.PositiveIntegerField("拒绝", default=0)
    closed = models.PositiveIntegerField("关闭（全量文件中缺失）", default=0)
    reject_file = models.CharField("拒绝文件", max_length=500, blank=True)
    message = models.TextField("说明", blank=True)
    # Where a resumable run got to; this framework applies a file in one transaction, so it
    # records the last stage reached (for the history page and post-mortems).
    checkpoint = models.JSONField("检查点", default=dict, blank=True)
    # The process that runs the load, so a run left `running` by a killed process can be told
    # from a live one (see ingest.guard). An upload's row exists before its process does.
    pid = models.PositiveIntegerField("进程号", null=True, blank=True)
    host = models.CharField("主机", max_length=255, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = verbose_name_plural = "导入记录"
        indexes = [models.Index(fields=["source", "status", "data_date"], name="ingest_run_source_idx")]
        constraints = [
            # The concurrency guard: at most one running import per source, enforced by the
            # database itself (a partial unique index on SQLite and PostgreSQL alike).
            models.UniqueConstraint(
                fields=["source"],
                condition=models.Q(status=RunStatus.RUNNING),
                name="ingest_one_running_per_source",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.file_name}（{self.get_status_display()}）"


def _register_scope() -> None:
    # A run belongs to the org of whoever started it; CLI runs (no user) are seen only by
    # roles whose scope is the whole bank. Kept beside the model so the scope exists as soon
    # as the model does.
    from liuyou.core import scope

    scope.register(
        ImportRun, scope.ScopeSpec(org_path="user__org__path", owner="user_id", org_ids=("user__org_id",))
    )


_register_scope()
