"""Target lists (目标客户名单), their snapshot of customers with reasons and matched product,
and the leads handed to managers, followed contacted → applied → approved → disbursed or
declined with a reason."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from liuyou.customers.models import Customer, Loan, money
from liuyou.system.models import Org


class ListStatus(models.TextChoices):
    SAVED = "saved", "已保存"
    DISTRIBUTED = "distributed", "已分配"


class DistributionMode(models.TextChoices):
    MANAGER = "manager", "按当前主办客户经理"
    GRID = "grid", "按网格（网格金融服务专员）"
    TEAM = "team", "在所选人员中平均分配"


class TargetList(models.Model):
    name = models.CharField("名单名称", max_length=100)
    description = models.CharField("说明", max_length=500, blank=True)
    data_date = models.DateField("数据日期")
    # {"dimensions": [...], "dimension_match": "all"|"any", "exclude_dimensions": [...],
    #  "tags_all": [...], "tags_any": [...], "tags_none": [...], "org": "<org code>"|""}
    definition = models.JSONField("条件")
    dimension_versions = models.JSONField("维度参数版本", default=dict)
    # The list belongs to its creator's org: who sees it follows the org tree.
    org = models.ForeignKey(Org, verbose_name="所属机构", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=12, choices=ListStatus.choices, default=ListStatus.SAVED)
    members_count = models.PositiveIntegerField("客户数", default=0)
    distribution_mode = models.CharField(
        "分配方式", max_length=12, choices=DistributionMode.choices, blank=True
    )
    distributed_at = models.DateTimeField("分配时间", null=True, blank=True)
    distributed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="分配人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = verbose_name_plural = "目标客户名单"

    def __str__(self) -> str:
        return self.name


class TargetMember(models.Model):
    """One customer of a saved list, as it stood when the list was saved."""

    target_list = models.ForeignKey(TargetList, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="+")
    dimensions = models.JSONField("符合的维度", default=list)
    reasons = models.TextField("入选理由")
    product_code = models.CharField("匹配产品", max_length=32, blank=True)
    product_name = models.CharField("匹配产品名称", max_length=100, blank=True)
    suggested_amount = money("建议额度", null=True, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="入选时主办客户经理",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["target_list", "pk"]
        verbose_name = verbose_name_plural = "名单客户"
        constraints = [
            models.UniqueConstraint(fields=["target_list", "customer"], name="target_member_unique_customer")
        ]

    def __str__(self) -> str:
        return f"{self.target_list_id}/{self.customer_id}"


class LeadStatus(models.TextChoices):
    NEW = "new", "待联系"
    CONTACTED = "contacted", "已联系"
    APPLIED = "applied", "已申请"
    APPROVED = "approved", "已审批"
    DISBURSED = "disbursed", "已放款"
    DECLINED = "declined", "已拒绝"


# The funnel's stages in order; `declined` leaves the funnel at the stage it had reached.
FUNNEL = (LeadStatus.CONTACTED, LeadStatus.APPLIED, LeadStatus.APPROVED, LeadStatus.DISBURSED)
OPEN = (LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.APPLIED, LeadStatus.APPROVED)


class Lead(models.Model):
    """A list member handed to one member of staff. Every member of a distributed list has
    exactly one lead; `assignee` is empty when nobody could be found for it."""

    member = models.OneToOneField(TargetMember, on_delete=models.CASCADE, related_name="lead")
    target_list = models.ForeignKey(TargetList, on_delete=models.CASCADE, related_name="leads")
    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="leads"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="跟进人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
    )
    status = models.CharField("状态", max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW)
    # The furthest funnel stage reached, kept when a lead is declined afterwards.
    reached = models.CharField("已达阶段", max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW)
    declined_reason = models.CharField("拒绝原因", max_length=200, blank=True)
    disbursed_loan = models.ForeignKey(
        Loan, verbose_name="放款借据", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    disbursed_by_extract = models.BooleanField("由信贷数据确认放款", default=False)
    distributed_on = models.DateField("分配日期")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["target_list", "pk"]
        verbose_name = verbose_name_plural = "营销线索"
        indexes = [
            models.Index(fields=["assignee", "status"], name="lead_assignee_status_idx"),
            models.Index(fields=["customer", "status"], name="lead_customer_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(declined_reason=""), name="lead_declined_has_reason"
            )
        ]

    def __str__(self) -> str:
        return f"{self.target_list_id}/{self.customer_id} {self.status}"


class LeadEvent(models.Model):
    """Every status change of a lead, who made it and why (append-only)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField("原状态", max_length=12, choices=LeadStatus.choices)
    to_status = models.CharField("新状态", max_length=12, choices=LeadStatus.choices)
    note = models.CharField("说明", max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        ordering = ["lead", "at", "pk"]
        verbose_name = verbose_name_plural = "线索跟进记录"

    def __str__(self) -> str:
        return f"{self.lead_id} {self.from_status}→{self.to_status}"
