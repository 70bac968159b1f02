"""Customer tags (客户标签): groups, tags (manual or rule), the tags customers hold now, and
the append-only history of every tag put on or taken off.

A rule tag's condition lives in `Tag.rule` (see rules.py) and is evaluated daily on the
customer feature table (pipeline step 5, services.tag_step); every change of a tag is kept as
a TagVersion and logged with before and after.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from liuyou.customers.models import Customer


class GroupKind(models.TextChoices):
    BUILTIN = "builtin", "内置"
    CUSTOM = "custom", "自定义"


class TagKind(models.TextChoices):
    MANUAL = "manual", "手工标签"
    RULE = "rule", "规则标签"


class TagSource(models.TextChoices):
    MANUAL = "manual", "手工"
    RULE = "rule", "规则"


class HistoryAction(models.TextChoices):
    ADDED = "added", "添加"
    REMOVED = "removed", "移除"


class TagGroup(models.Model):
    """区域 region, 产业 industry, 类型 type, 项目 project (built in), plus the head office's own."""

    code = models.CharField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=40)
    kind = models.CharField("类别", max_length=8, choices=GroupKind.choices, default=GroupKind.CUSTOM)
    sort_order = models.IntegerField("排序", default=100)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = verbose_name_plural = "标签组"

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    group = models.ForeignKey(TagGroup, verbose_name="标签组", on_delete=models.PROTECT, related_name="tags")
    code = models.CharField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=40)
    description = models.CharField("说明", max_length=200, blank=True)
    kind = models.CharField("类型", max_length=8, choices=TagKind.choices, default=TagKind.MANUAL)
    # {"match": "all"|"any", "conditions": [{"column", "op", "value"}]} for a rule tag; else null
    rule = models.JSONField("规则", null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)
    version = models.PositiveIntegerField("版本", default=1)
    sort_order = models.IntegerField("排序", default=100)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        ordering = ["group__sort_order", "sort_order", "id"]
        verbose_name = verbose_name_plural = "标签"

    def __str__(self) -> str:
        return self.name


class TagVersion(models.Model):
    """Every state a tag has had (name, rule, switch): what a tag meant on a day can be read back."""

    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField("版本")
    name = models.CharField("名称", max_length=40)
    description = models.CharField("说明", max_length=200, blank=True)
    group_name = models.CharField("标签组", max_length=40, blank=True)
    rule = models.JSONField("规则", null=True, blank=True)
    is_active = models.BooleanField("启用", default=True)
    note = models.CharField("修改说明", max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="修改人", null=True, blank=True, on_delete=models.PROTECT
    )
    changed_at = models.DateTimeField("修改时间", auto_now_add=True)

    class Meta:
        ordering = ["tag", "-version"]
        verbose_name = verbose_name_plural = "标签版本"
        constraints = [models.UniqueConstraint(fields=["tag", "version"], name="tag_version_unique")]

    def __str__(self) -> str:
        return f"{self.tag_id} v{self.version}"


class CustomerTag(models.Model):
    """A tag a customer holds now: put on by hand (source manual) or by the daily rule
    evaluation (source rule). One row per customer and tag; a manual row is never taken off
    by the rule evaluation."""

    customer = models.ForeignKey(Customer, verbose_name="客户", on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, verbose_name="标签", on_delete=models.PROTECT, related_name="holders")
    source = models.CharField("来源", max_length=8, choices=TagSource.choices)
    since = models.DateTimeField("打标时间")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="打标人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    data_date = models.DateField("数据日期", null=True, blank=True)  # rule tags: the date it first matched

    class Meta:
        verbose_name = verbose_name_plural = "客户标签"
        constraints = [
            models.UniqueConstraint(fields=["customer", "tag"], name="customer_tag_unique"),
        ]
        indexes = [models.Index(fields=["tag", "source", "customer"], name="customer_tag_tag_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.tag_id}"


class TagHistory(models.Model):
    """Append-only: every tag put on or taken off a customer, by whom or by which evaluation."""

    customer = models.ForeignKey(Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="+")
    tag = models.ForeignKey(Tag, verbose_name="标签", on_delete=models.PROTECT, related_name="+")
    action = models.CharField("动作", max_length=8, choices=HistoryAction.choices)
    source = models.CharField("来源", max_length=8, choices=TagSource.choices)
    at = models.DateTimeField("时间")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    data_date = models.DateField("数据日期", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = verbose_name_plural = "标签历史"
        indexes = [
            models.Index(fields=["customer", "at"], name="tag_history_customer_idx"),
            models.Index(fields=["tag", "at"], name="tag_history_tag_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.tag_id} {self.action}"


class TagEvaluation(models.Model):
    """One rule tag's evaluation on one data date: how many matched and what changed."""

    tag = models.ForeignKey(Tag, verbose_name="标签", on_delete=models.CASCADE, related_name="evaluations")
    data_date = models.DateField("数据日期")
    version = models.PositiveIntegerField("规则版本")
    matched = models.PositiveIntegerField("符合规则", default=0)
    added = models.PositiveIntegerField("新增", default=0)
    removed = models.PositiveIntegerField("移除", default=0)
    total = models.PositiveIntegerField("持有客户数", default=0)
    at = models.DateTimeField("计算时间", auto_now=True)

    class Meta:
        ordering = ["-data_date", "tag"]
        verbose_name = verbose_name_plural = "规则标签计算"
        constraints = [
            models.UniqueConstraint(fields=["tag", "data_date"], name="tag_evaluation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.tag_id} {self.data_date}"
