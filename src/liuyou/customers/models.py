"""The customer library's core table. The customer-library issue extends it (households,
accounts, loans...); identity numbers and phones are stored as core.pii prescribes."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from liuyou.system.models import Org


class CustomerType(models.TextChoices):
    INDIVIDUAL = "individual", "个人"
    ENTERPRISE = "enterprise", "企业"


class Segment(models.TextChoices):
    FARMER = "farmer", "农户"
    INDIVIDUAL_BUSINESS = "individual_business", "个体工商户"
    MIGRANT_WORKER = "migrant_worker", "外出务工人员"
    SALARIED = "salaried", "上班族"
    SMALL_ENTERPRISE = "small_enterprise", "小微企业"


class Customer(models.Model):
    customer_no = models.CharField("客户号", max_length=32, unique=True)
    name = models.CharField("客户名称", max_length=100, db_index=True)
    customer_type = models.CharField("客户类型", max_length=16, choices=CustomerType.choices)
    id_type = models.CharField("证件类型", max_length=32, blank=True)
    id_no_cipher = models.TextField("证件号码密文", blank=True, editable=False)
    id_no_digest = models.CharField("证件号码索引", max_length=64, blank=True, db_index=True, editable=False)
    id_no_masked = models.CharField("证件号码", max_length=40, blank=True, editable=False)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True, db_index=True)
    phone_cipher = models.TextField("手机号码密文", blank=True, editable=False)
    phone_digest = models.CharField("手机号码索引", max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField("手机号码", max_length=20, blank=True, editable=False)
    segment = models.CharField("客户分类", max_length=24, choices=Segment.choices, blank=True)
    org = models.ForeignKey(Org, verbose_name="开户机构", on_delete=models.PROTECT, related_name="customers")
    grid = models.ForeignKey(
        Org,
        verbose_name="所属网格",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grid_customers",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="主办客户经理",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_customers",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["customer_no"]
        verbose_name = verbose_name_plural = "客户"

    def __str__(self) -> str:
        return f"{self.name}（{self.customer_no}）"
