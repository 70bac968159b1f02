"""The customer feature table (客户宽表): one row per customer per data date with the derived
indicators that tags, the 11 dimensions, products, reminders and dashboards read. None of
those recomputes an indicator on its own. Every column is defined in `columns.COLUMNS` and
docs/features.md; the rows are written set-based by `services.build_features`."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from liuyou.customers.models import Customer, CustomerType, Segment, Village, money
from liuyou.system.models import Org


def ratio(label: str) -> models.DecimalField:
    """A share such as 0.8532 (85.32%); empty when its denominator is zero."""
    return models.DecimalField(label, max_digits=9, decimal_places=4, null=True, blank=True)


def snapshot_fk(model: type[models.Model] | str, label: str, related: str) -> models.ForeignKey:
    # The customer's org, grid, village and manager as of the build: no database constraint,
    # so a row keeps the value it was computed with whatever later happens to the org tree.
    return models.ForeignKey(
        model,
        verbose_name=label,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name=related,
    )


class CustomerFeature(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.CASCADE, related_name="features", db_index=False
    )
    data_date = models.DateField("数据日期")
    # who and where, as of the build
    org = snapshot_fk(Org, "开户机构", "+")
    grid = snapshot_fk(Org, "所属网格", "+")
    village = snapshot_fk(Village, "行政村", "+")
    manager = snapshot_fk(settings.AUTH_USER_MODEL, "主办客户经理", "+")
    customer_type = models.CharField("客户类型", max_length=16, choices=CustomerType.choices)
    segment = models.CharField("客户分类", max_length=24, choices=Segment.choices, blank=True)
    industry = models.CharField("产业", max_length=16, blank=True)
    refused_marketing = models.BooleanField("拒绝营销", default=False)
    age = models.PositiveSmallIntegerField("年龄", null=True, blank=True)
    has_social_security_card = models.BooleanField("社保卡", null=True, blank=True)
    payroll_flag = models.BooleanField("核心系统代发工资标志", null=True, blank=True)
    # deposits
    deposit_accounts = models.PositiveIntegerField("存款账户数", default=0)
    deposit_balance = money("存款余额", default=Decimal("0"))
    deposit_avg_3m = money("近3个月日均存款", default=Decimal("0"))
    deposit_change_3m = money("存款较3个月前变动", default=Decimal("0"))
    # loans here
    loan_count = models.PositiveIntegerField("在贷笔数", default=0)
    loan_balance = money("贷款余额", default=Decimal("0"))
    overdue_loans = models.PositiveIntegerField("逾期笔数", default=0)
    max_overdue_days = models.PositiveIntegerField("最长逾期天数", default=0)
    overdue_amount = money("逾期本息", default=Decimal("0"))
    restructured_loans = models.PositiveIntegerField("重组笔数", default=0)
    ever_borrowed = models.BooleanField("曾在本行贷款", default=False)
    last_cleared_on = models.DateField("最近结清日期", null=True, blank=True)
    days_since_cleared = models.IntegerField("距最近结清天数", null=True, blank=True)
    nearest_maturity = models.DateField("最近到期日", null=True, blank=True)
    days_to_maturity = models.IntegerField("距最近到期天数", null=True, blank=True)
    # credit lines
    credit_limit = money("有效授信额度", default=Decimal("0"))
    credit_used = money("已用额度", default=Decimal("0"))
    utilization = ratio("授信使用率")
    unused_line_since = models.DateField("授信未用起始日", null=True, blank=True)
    unused_line_days = models.IntegerField("授信未用天数", null=True, blank=True)
    # credit bureau, only within an authorisation for customer management and marketing
    bureau_usable = models.BooleanField("征信可用于营销", default=False)
    bureau_report_date = models.DateField("征信报告日期", null=True, blank=True)
    other_bank_institutions = models.PositiveSmallIntegerField("他行贷款机构数", null=True, blank=True)
    other_bank_balance = money("他行贷款余额", null=True, blank=True)
    other_bank_npl_balance = money("他行不良余额", null=True, blank=True)
    bureau_max_overdue_24m = models.PositiveSmallIntegerField("近24个月最大逾期期数", null=True, blank=True)
    # monthly transactions
    txn_months_3m = models.PositiveSmallIntegerField("近3个月有交易汇总的月数", default=0)
    credits_3m = money("近3个月入账", default=Decimal("0"))
    debits_3m = money("近3个月出账", default=Decimal("0"))
    payroll_months_3m = models.PositiveSmallIntegerField("近3个月代发工资月数", default=0)
    payroll_amount_3m = money("近3个月代发工资", default=Decimal("0"))
    subsidy_amount_12m = money("近12个月惠农补贴", default=Decimal("0"))
    acquiring_avg_3m = money("近3个月月均收单", default=Decimal("0"))
    out_of_county_share_3m = ratio("近3个月县外交易占比")

    class Meta:
        verbose_name = verbose_name_plural = "客户宽表"
        constraints = [
            models.UniqueConstraint(fields=["customer", "data_date"], name="feature_unique_customer_date"),
        ]
        indexes = [models.Index(fields=["data_date", "org"], name="feature_date_org_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.data_date}"


class FeatureBuild(models.Model):
    """What one build of one data date found: the source data dates it read, row count and
    time. The page and the dimensions show which files an indicator came from."""

    data_date = models.DateField("数据日期", unique=True)
    rows = models.PositiveIntegerField("行数", default=0)
    seconds = models.FloatField("耗时（秒）", default=0)
    sources = models.JSONField("使用的源数据日期", default=dict)
    built_at = models.DateTimeField("生成时间", auto_now=True)

    class Meta:
        ordering = ["-data_date"]
        verbose_name = verbose_name_plural = "宽表生成记录"

    def __str__(self) -> str:
        return f"{self.data_date} {self.rows}"
