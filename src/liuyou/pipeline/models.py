"""Job runs of the daily pipeline: one batch per `liuyou daily` invocation (or page/API
start), one run per step of the batch."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class JobStatus(models.TextChoices):
    RUNNING = "running", "运行中"
    COMPLETED = "completed", "已完成"
    FAILED = "failed", "失败"
    SKIPPED = "skipped", "已跳过"


class Channel(models.TextChoices):
    CLI = "cli", "命令行"
    WEB = "web", "页面"
    API = "api", "接口"
    DEMO = "demo", "演示"


class JobBatch(models.Model):
    """One invocation of the pipeline for one data date: all its steps, or the chosen ones."""

    data_date = models.DateField("数据日期")
    steps = models.JSONField("步骤", default=list, blank=True)  # codes asked for; [] = all
    status = models.CharField(
        "状态", max_length=16, choices=JobStatus.choices, default=JobStatus.RUNNING, db_index=True
    )
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField("方式", max_length=16, choices=Channel.choices, default=Channel.CLI)
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    duration = models.FloatField("耗时（秒）", null=True, blank=True)
    message = models.TextField("说明", blank=True)
    # The process running the batch and its last sign of life (written between steps), so a
    # batch left `running` by a killed process can be told from a live one (pipeline.guard).
    pid = models.PositiveIntegerField("进程号", null=True, blank=True)
    host = models.CharField("主机", max_length=255, blank=True)
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = verbose_name_plural = "批处理批次"
        constraints = [
            # One batch at a time: the steps feed each other, so two batches (even for
            # different data dates) must not interleave. Enforced by the database.
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="running"),
                name="pipeline_one_running_batch",
            )
        ]

    def __str__(self) -> str:
        return f"批次#{self.pk} {self.data_date}（{self.get_status_display()}）"


class JobRun(models.Model):
    """One execution of one step for one data date."""

    batch = models.ForeignKey(JobBatch, verbose_name="批次", on_delete=models.CASCADE, related_name="runs")
    step = models.CharField("步骤", max_length=32, db_index=True)
    step_order = models.PositiveSmallIntegerField("顺序", default=0)
    data_date = models.DateField("数据日期", db_index=True)
    status = models.CharField("状态", max_length=16, choices=JobStatus.choices, default=JobStatus.RUNNING)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    duration = models.FloatField("耗时（秒）", null=True, blank=True)
    rows = models.BigIntegerField("写入行数", default=0)
    details = models.JSONField("明细", default=dict, blank=True, encoder=DjangoJSONEncoder)
    message = models.TextField("说明", blank=True)  # the error of a failed run, why a run was skipped
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField("方式", max_length=16, choices=Channel.choices, default=Channel.CLI)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = verbose_name_plural = "批处理作业"
        indexes = [models.Index(fields=["step", "data_date"], name="pipeline_run_step_date_idx")]
        constraints = [
            # At most one running row per step, whatever process or server runs it.
            models.UniqueConstraint(
                fields=["step"],
                condition=models.Q(status="running"),
                name="pipeline_one_running_per_step",
            )
        ]

    def __str__(self) -> str:
        return f"{self.step} {self.data_date}（{self.get_status_display()}）"


def _register_scope() -> None:
    # A batch belongs to the org of whoever started it; command-line and demo batches (no user)
    # are seen by roles whose scope is the whole bank, which is every role holding job:view.
    from liuyou.core import scope

    spec = scope.ScopeSpec(
        org_path="triggered_by__org__path", owner="triggered_by_id", org_ids=("triggered_by__org_id",)
    )
    scope.register(JobBatch, spec)
    scope.register(JobRun, spec)


_register_scope()
