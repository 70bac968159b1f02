"""The product catalogue (versioned, audited) and each data date's matches (pipeline step 7)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from liuyou.customers.models import Customer, money


class RiskClass(models.TextChoices):
    """五级分类 (glossary); a product's worst acceptable class once the risk module lands."""

    NORMAL = "normal", "正常"
    SPECIAL_MENTION = "special_mention", "关注"
    SUBSTANDARD = "substandard", "次级"
    DOUBTFUL = "doubtful", "可疑"
    LOSS = "loss", "损失"


class AmountKind(models.TextChoices):
    FIXED = "fixed", "固定额度"
    DEPOSIT_MULTIPLE = "deposit_multiple", "近3个月日均存款倍数"
    PAYROLL_MULTIPLE = "payroll_multiple", "月均代发工资倍数"
    ACQUIRING_MULTIPLE = "acquiring_multiple", "月均收单倍数"
    SUBSIDY_MULTIPLE = "subsidy_multiple", "惠农补贴倍数"
    LAST_LOAN = "last_loan", "上笔贷款金额倍数"


class Product(models.Model):
    """One loan product: who it is for, its ranges, its risk tolerance, its eligibility
    conditions on the feature table and how a suggested amount is computed. The rules are read
    by liuyou.products.rules; every change is a new version (ProductVersion) and an audit entry."""

    code = models.CharField("产品编码", max_length=20, unique=True)
    name = models.CharField("产品名称", max_length=40, unique=True)
    description = models.TextField("产品说明", blank=True)
    target_segments = models.JSONField("目标客群", default=list, blank=True)  # empty: all
    min_amount = money("最低额度（元）", default=Decimal("10000"))
    max_amount = money("最高额度（元）", default=Decimal("300000"))
    min_term_months = models.PositiveSmallIntegerField("最短期限（月）", default=12)
    max_term_months = models.PositiveSmallIntegerField("最长期限（月）", default=36)
    min_rate = models.DecimalField("最低年利率（%）", max_digits=5, decimal_places=2, default=Decimal("4.00"))
    max_rate = models.DecimalField("最高年利率（%）", max_digits=5, decimal_places=2, default=Decimal("6.00"))
    guarantee_types = models.JSONField("担保方式", default=list)
    collateral_text = models.CharField("担保与抵质押要求", max_length=200, blank=True)
    # risk tolerance, read from the feature table until the risk capability lands
    max_current_overdue_days = models.PositiveIntegerField(
        "当前逾期天数上限", null=True, blank=True, default=0, help_text="空表示不限；0 表示不得有逾期"
    )
    allow_restructured = models.BooleanField("接受重组贷款客户", default=False)
    max_bureau_overdue_periods = models.PositiveSmallIntegerField(
        "征信近24个月最大逾期期数上限", null=True, blank=True, help_text="空表示不限；仅在征信授权有效时判断"
    )
    allow_other_bank_npl = models.BooleanField("接受他行不良客户", default=False)
    # stored now, evaluated once scores and the five-category classification exist
    min_score_band = models.CharField("最低评分档", max_length=8, blank=True)
    max_risk_class = models.CharField("最高五级分类", max_length=16, choices=RiskClass.choices, blank=True)
    conditions = models.JSONField("准入条件", default=list, blank=True)
    amount_kind = models.CharField("额度规则", max_length=24, choices=AmountKind.choices, default="fixed")
    amount_k = models.DecimalField("额度系数 k", max_digits=16, decimal_places=4, default=Decimal("1"))
    sort_order = models.PositiveIntegerField("优先级（小者优先）", default=100)
    is_active = models.BooleanField("启用", default=True)
    version = models.PositiveIntegerField("版本", default=1)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = verbose_name_plural = "信贷产品"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProductVersion(models.Model):
    """Every state a product has had (a full snapshot), so what a match of a given version
    meant can always be read back."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField("版本")
    snapshot = models.JSONField("产品内容")
    note = models.CharField("修改说明", max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="修改人", null=True, blank=True, on_delete=models.PROTECT
    )
    changed_at = models.DateTimeField("修改时间", auto_now_add=True)

    class Meta:
        ordering = ["product", "-version"]
        verbose_name = verbose_name_plural = "产品版本"
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="product_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} v{self.version}"


class ProductMatch(models.Model):
    """A product a customer fits on a data date, as step 7 computed it: the suggested amount,
    the customer's rank of it (1 = best) and the product version and priority it was ranked
    with. Explanations are drawn from the feature row when shown, never stored."""

    customer = models.ForeignKey(
        Customer,
        verbose_name="客户",
        on_delete=models.CASCADE,
        related_name="product_matches",
        db_index=False,
    )
    data_date = models.DateField("数据日期")
    product = models.ForeignKey(
        Product, verbose_name="产品", on_delete=models.CASCADE, related_name="matches"
    )
    rank = models.PositiveSmallIntegerField("推荐顺位", default=0)
    amount = money("建议额度（元）")
    version = models.PositiveIntegerField("产品版本")
    priority = models.PositiveIntegerField("产品优先级")

    class Meta:
        verbose_name = verbose_name_plural = "产品匹配结果"
        constraints = [
            models.UniqueConstraint(
                fields=["data_date", "customer", "product"], name="product_match_unique_date_customer"
            ),
        ]
        indexes = [models.Index(fields=["data_date", "product"], name="product_match_date_product_idx")]

    def __str__(self) -> str:
        return f"{self.data_date} {self.customer_id} {self.product_id} #{self.rank}"
