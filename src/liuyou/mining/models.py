"""The dimensions' parameters in force (versioned) and each data date's counts."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from liuyou.customers.models import Village
from liuyou.system.models import Org


class Dimension(models.Model):
    """One of the 11 dimensions of mining.definitions, with the parameters in force."""

    code = models.CharField("编码", max_length=32, unique=True)
    params = models.JSONField("参数", default=dict)
    version = models.PositiveIntegerField("版本", default=1)
    is_active = models.BooleanField("启用", default=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "分析维度"

    def __str__(self) -> str:
        return self.code


class DimensionVersion(models.Model):
    """Every parameter set a dimension has had: what a count or a target list of a given
    version meant can always be read back."""

    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField("版本")
    params = models.JSONField("参数")
    is_active = models.BooleanField("启用", default=True)
    note = models.CharField("修改说明", max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="修改人", null=True, blank=True, on_delete=models.PROTECT
    )
    changed_at = models.DateTimeField("修改时间", auto_now_add=True)

    class Meta:
        ordering = ["dimension", "-version"]
        verbose_name = verbose_name_plural = "维度参数版本"
        constraints = [
            models.UniqueConstraint(fields=["dimension", "version"], name="dimension_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.dimension_id} v{self.version}"


def _snapshot_fk(model: type[models.Model] | str, label: str) -> models.ForeignKey:
    return models.ForeignKey(
        model,
        verbose_name=label,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )


class DimensionCount(models.Model):
    """Customers meeting a dimension on a data date, per org, grid, village and manager:
    `customers` enter the marketing list, `refused` met the condition but refused marketing
    and are kept out of it."""

    data_date = models.DateField("数据日期")
    code = models.CharField("维度", max_length=32)
    version = models.PositiveIntegerField("参数版本")
    org = _snapshot_fk(Org, "开户机构")
    grid = _snapshot_fk(Org, "网格")
    village = _snapshot_fk(Village, "行政村")
    manager = _snapshot_fk(settings.AUTH_USER_MODEL, "主办客户经理")
    customers = models.PositiveIntegerField("名单客户数", default=0)
    refused = models.PositiveIntegerField("拒绝营销未入名单", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "维度客户数"
        indexes = [models.Index(fields=["data_date", "code"], name="dimension_count_date_code_idx")]

    def __str__(self) -> str:
        return f"{self.data_date} {self.code} {self.customers}"
