"""The customer information library: every table the source extracts feed (shared/extracts.md).

Rows are written only by the import (liuyou.ingest): the source system is the master of every
column here. Full sources keep their rows for ever: a key missing from a later full file is
closed (`closed_at`, the data date of that file), never deleted. Histories (deposit balances,
loan snapshots, bureau summaries, monthly transactions) keep one row per key and data date;
the parent rows also carry the latest values so pages read them without touching history.
docs/data-model.md maps every column to its extract header.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from liuyou.system.models import Org


def money(label: str, **kwargs: Any) -> models.DecimalField:
    """Money is Decimal yuan: 18 digits with 2 decimals, exact on both databases."""
    return models.DecimalField(label, max_digits=18, decimal_places=2, **kwargs)


# --- choices ----------------------------------------------------------------------------------


class CustomerType(models.TextChoices):
    INDIVIDUAL = "individual", "个人"
    ENTERPRISE = "enterprise", "企业"


class Segment(models.TextChoices):
    FARMER = "farmer", "农户"
    INDIVIDUAL_BUSINESS = "individual_business", "个体工商户"
    MIGRANT_WORKER = "migrant_worker", "外出务工人员"
    SALARIED = "salaried", "上班族"
    SMALL_ENTERPRISE = "small_enterprise", "小微企业"


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class RecordStatus(models.TextChoices):
    ACTIVE = "active", "正常"
    CLOSED = "closed", "已关闭"


class RelationType(models.TextChoices):
    SPOUSE = "spouse", "配偶"
    PARENT = "parent", "父母"
    CHILD = "child", "子女"
    SAME_HOUSEHOLD = "same_household", "同户"
    GUARANTOR = "guarantor", "担保"
    ACTUAL_CONTROLLER = "actual_controller", "实际控制人"
    RELATED_ENTERPRISE = "related_enterprise", "关联企业"


# The relation types that make one household (户) out of customers.
FAMILY_RELATIONS = (
    RelationType.SPOUSE,
    RelationType.PARENT,
    RelationType.CHILD,
    RelationType.SAME_HOUSEHOLD,
)


class ManagerRole(models.TextChoices):
    PRIMARY = "primary", "主办"
    ASSISTING = "assisting", "协办"


class AssignmentSource(models.TextChoices):
    CRM_IMPORT = "crm_import", "客户管理系统导入"
    REASSIGNMENT = "reassignment", "调整客户经理"
    HANDOVER = "handover", "移交"


class DepositProduct(models.TextChoices):
    DEMAND = "demand", "活期"
    TIME = "time", "定期"


class AccountStatus(models.TextChoices):
    NORMAL = "normal", "正常"
    FROZEN = "frozen", "冻结"
    DORMANT = "dormant", "久悬"
    CLOSED = "closed", "销户"


class GuaranteeType(models.TextChoices):
    CREDIT = "credit", "信用"
    GUARANTY = "guaranty", "保证"
    MORTGAGE = "mortgage", "抵押"
    PLEDGE = "pledge", "质押"


class LoanStatus(models.TextChoices):
    NORMAL = "normal", "正常"
    OVERDUE = "overdue", "逾期"
    CLEARED = "cleared", "结清"
    WRITTEN_OFF = "written_off", "核销"


class CreditLineStatus(models.TextChoices):
    ACTIVE = "active", "有效"
    FROZEN = "frozen", "冻结"
    EXPIRED = "expired", "到期"
    TERMINATED = "terminated", "终止"


class BureauPurpose(models.TextChoices):
    """授权用途: what the customer allowed the bank to query the credit bureau for."""

    LOAN_REVIEW = "loan_review", "贷款审批"
    POST_LOAN = "post_loan", "贷后管理"
    GUARANTEE_REVIEW = "guarantee_review", "担保资格审查"
    CREDIT_CARD = "credit_card", "信用卡审批"
    CUSTOMER_MANAGEMENT = "customer_management", "客户管理与营销"


# --- shared columns ---------------------------------------------------------------------------


class SourceRecord(models.Model):
    """Bookkeeping of a row fed by a full source: the data dates of the first and latest files
    that held its key, and the data date of the first full file that no longer did. A key
    that comes back reopens the row (closed_at cleared). `closed_at` is a data date."""

    first_seen = models.DateField("首次出现数据日期")
    last_seen = models.DateField("最近出现数据日期")
    closed_at = models.DateField("关闭数据日期", null=True, blank=True)

    class Meta:
        abstract = True


# --- reference: industries and villages -------------------------------------------------------


class Industry(models.Model):
    """Industry classification (GB/T 4754 codes, county-specific sub-codes allowed), the
    dictionary behind Customer.industry (CRM 产业) and Loan.industry_code (行业代码). Those
    columns hold the code as given, not a foreign key: an unknown code is kept and reported,
    never a reason to reject a customer or a loan."""

    code = models.CharField("行业代码", max_length=16)
    name = models.CharField("行业名称", max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级行业",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    sort_order = models.IntegerField("排序", default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = verbose_name_plural = "行业"
        constraints = [models.UniqueConstraint(fields=["code"], name="industry_unique_code")]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class Village(SourceRecord):
    """行政村/社区 (source village, full, key 村编码), attached to the grid or outlet serving it."""

    code = models.CharField("村编码", max_length=12)
    name = models.CharField("村名称", max_length=60)
    township = models.CharField("乡镇", max_length=60, blank=True)
    households = models.PositiveIntegerField("户数", null=True, blank=True)
    population = models.PositiveIntegerField("人口", null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField("纬度", max_digits=8, decimal_places=6, null=True, blank=True)
    grid = models.ForeignKey(Org, verbose_name="所属机构", on_delete=models.PROTECT, related_name="villages")
    is_active = models.BooleanField("有效", default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "行政村/社区"
        constraints = [
            models.UniqueConstraint(fields=["code"], name="village_unique_code"),
            models.CheckConstraint(
                condition=Q(is_active=True, closed_at__isnull=True)
                | Q(is_active=False, closed_at__isnull=False),
                name="village_closed_iff_inactive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.township}{self.name}（{self.code}）"


# --- customers --------------------------------------------------------------------------------


class Household(models.Model):
    """户: customers linked by family relations (配偶/父母/子女/同户), rebuilt from the relation
    source. `code` is the smallest customer number among the members, so a rebuild from the
    same relations gives the same households."""

    code = models.CharField("户编号", max_length=32)
    village = models.ForeignKey(
        Village,
        verbose_name="行政村",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="household_units",
    )
    member_count = models.PositiveSmallIntegerField("客户成员数", default=0)
    data_date = models.DateField("数据日期")

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "户"
        constraints = [models.UniqueConstraint(fields=["code"], name="household_unique_code")]

    def __str__(self) -> str:
        return self.code


class Customer(models.Model):
    """One customer, individual or enterprise: core_customer (full, key 客户号) is the master;
    crm_customer adds segment, managers, industry, tags and the refused-marketing flag.
    `org` is 开户机构号. ID and phone numbers are stored as core.pii prescribes."""

    customer_no = models.CharField("客户号", max_length=32)
    # COLLATE "C" on PostgreSQL (system migration 0006): name prefixes are searched as ranges.
    name = models.CharField("客户名称", max_length=100, db_index=True)
    customer_type = models.CharField("客户类型", max_length=16, choices=CustomerType.choices)
    id_type = models.CharField("证件类型", max_length=32, blank=True)
    id_no_cipher = models.TextField("证件号码密文", blank=True, editable=False)
    id_no_digest = models.CharField("证件号码索引", max_length=64, blank=True, editable=False)
    id_no_masked = models.CharField("证件号码", max_length=40, blank=True, editable=False)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    phone_cipher = models.TextField("手机号码密文", blank=True, editable=False)
    phone_digest = models.CharField("手机号码索引", max_length=64, blank=True, editable=False)
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
    # core_customer
    sex = models.CharField("性别", max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    address = models.CharField("联系地址", max_length=200, blank=True)
    village = models.ForeignKey(
        Village,
        verbose_name="行政村",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
    )
    open_date = models.DateField("开户日期", null=True, blank=True)
    has_social_security_card = models.BooleanField("是否社保卡", null=True, blank=True)
    is_payroll = models.BooleanField("是否代发工资", null=True, blank=True)
    # crm_customer
    assisting_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="协办客户经理",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assisted_customers",
    )
    industry = models.CharField("产业", max_length=16, blank=True)
    family_size = models.PositiveSmallIntegerField("家庭人口", null=True, blank=True)
    crm_tags = models.TextField("客户管理系统标签", blank=True)
    refused_marketing = models.BooleanField("拒绝营销", default=False)
    refused_marketing_at = models.DateField("拒绝营销数据日期", null=True, blank=True)
    remark = models.CharField("备注", max_length=500, blank=True)
    crm_data_date = models.DateField("客户管理系统数据日期", null=True, blank=True)
    # The data date of the first full CRM file that no longer held the customer; the CRM
    # columns keep their last values (the core system, not the CRM, says whether they exist).
    crm_closed_at = models.DateField("客户管理系统关闭数据日期", null=True, blank=True)
    # derived from the relation source
    household = models.ForeignKey(
        Household, verbose_name="户", null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    # lifecycle (core_customer is full): first/last data date holding the key, closing date
    status = models.CharField("状态", max_length=8, choices=RecordStatus.choices, default=RecordStatus.ACTIVE)
    first_seen = models.DateField("首次出现数据日期", null=True, blank=True)
    last_seen = models.DateField("最近出现数据日期", null=True, blank=True)
    closed_at = models.DateField("关闭数据日期", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["customer_no"]
        verbose_name = verbose_name_plural = "客户"
        # Keys and exact-match columns are plain b-trees: declared here rather than with
        # unique=/db_index=, which on PostgreSQL add a second varchar_pattern_ops index for LIKE
        # that exact lookups never use. `name` keeps db_index: its prefix search may use LIKE.
        indexes = [
            models.Index(fields=["id_no_digest"], name="customer_id_no_digest_idx"),
            models.Index(fields=["phone_digest"], name="customer_phone_digest_idx"),
            models.Index(fields=["credit_code"], name="customer_credit_code_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["customer_no"], name="customer_unique_no"),
            models.CheckConstraint(
                condition=Q(status="active", closed_at__isnull=True)
                | Q(status="closed", closed_at__isnull=False),
                name="customer_closed_iff_closed_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.customer_no}）"

    @staticmethod
    def name_prefix_q(prefix: str, field: str = "name") -> Q:
        """Names starting with `prefix` as a range on the name column, which the b-tree index
        serves on SQLite and PostgreSQL alike (LIKE and UPPER(...) LIKE do not always)."""
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + "\U0010ffff"})


class CustomerAlias(models.Model):
    """A second customer number of a customer: the core system holds two 客户号 for one ID
    number or credit code. The first number the library saw stays the customer; the other
    is an alias, and every extract that names it (deposits, loans, CRM...) lands on the same
    customer. Recorded with an IdentityConflict, never merged silently."""

    alias_no = models.CharField("别名客户号", max_length=32)
    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="aliases"
    )
    source = models.CharField("来源", max_length=32)
    data_date = models.DateField("数据日期")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        ordering = ["alias_no"]
        verbose_name = verbose_name_plural = "客户号别名"
        constraints = [models.UniqueConstraint(fields=["alias_no"], name="customer_alias_unique_no")]

    def __str__(self) -> str:
        return f"{self.alias_no} → {self.customer_id}"


class IdentityConflict(models.Model):
    """A fact two extracts (or two rows) state differently about one customer. The value
    kept is the master's (core system for identity and profile, CRM for segment and
    managers); the other is recorded here for the data owners to correct at the source."""

    run = models.ForeignKey(
        "ingest.ImportRun",
        verbose_name="导入批次",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conflicts",
    )
    source = models.CharField("数据源", max_length=32)
    line_no = models.PositiveIntegerField("行号", null=True, blank=True)
    customer_no = models.CharField("客户号", max_length=32)
    customer = models.ForeignKey(
        Customer,
        verbose_name="客户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="identity_conflicts",
    )
    field = models.CharField("字段", max_length=40)
    kept = models.CharField("保留值", max_length=200, blank=True)
    other = models.CharField("冲突值", max_length=200, blank=True)
    reason = models.CharField("说明", max_length=200)
    data_date = models.DateField("数据日期")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "客户信息冲突"
        indexes = [models.Index(fields=["customer_no"], name="identity_conflict_no_idx")]

    def __str__(self) -> str:
        return f"{self.customer_no} {self.field}"


class Relation(SourceRecord):
    """关联关系 (source relation, full). The other party is a customer (`related_customer`) or,
    when not a customer, a person known only by ID number (a protected value: cipher, digest,
    mask). Key: customer + relation type + related customer, or + related ID when there is no
    related customer (two partial unique indexes)."""

    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="relations"
    )
    relation_type = models.CharField("关系类型", max_length=24, choices=RelationType.choices)
    related_customer = models.ForeignKey(
        Customer,
        verbose_name="关联客户",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="related_by",
    )
    related_id_no_cipher = models.TextField("关联证件号码密文", blank=True, editable=False)
    related_id_no_digest = models.CharField("关联证件号码索引", max_length=64, blank=True, editable=False)
    related_id_no_masked = models.CharField("关联证件号码", max_length=40, blank=True, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "关联关系"
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "relation_type", "related_customer"],
                condition=Q(related_customer__isnull=False),
                name="relation_unique_customer",
            ),
            models.UniqueConstraint(
                fields=["customer", "relation_type", "related_id_no_digest"],
                condition=Q(related_customer__isnull=True),
                name="relation_unique_id_no",
            ),
            models.CheckConstraint(
                condition=Q(related_customer__isnull=False) | ~Q(related_id_no_digest=""),
                name="relation_has_other_party",
            ),
        ]

    def __str__(self) -> str:
        other = self.related_customer_id or self.related_id_no_masked
        return f"{self.customer_id} {self.get_relation_type_display()} {other}"


class ManagerAssignment(models.Model):
    """Who was primary or assisting manager of a customer, and when. The open row (no end
    date) of each role mirrors Customer.manager / Customer.assisting_manager."""

    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="manager_assignments"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="客户经理",
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    role = models.CharField("角色", max_length=10, choices=ManagerRole.choices)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期", null=True, blank=True)
    source = models.CharField("来源", max_length=16, choices=AssignmentSource.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # audit detail, never a lookup
    )
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        ordering = ["customer", "role", "-start_date"]
        verbose_name = verbose_name_plural = "客户经理分配记录"
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "role"],
                condition=Q(end_date__isnull=True),
                name="assignment_one_open_per_role",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="assignment_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        period = f"{self.start_date}~{self.end_date or ''}"
        return f"{self.customer_id} {self.get_role_display()} {self.manager_id} {period}"


# --- deposits ---------------------------------------------------------------------------------


class DepositAccount(SourceRecord):
    """存款账户 (source core_deposit, full, key 账号), with the latest balance for fast reads."""

    account_no = models.CharField("账号", max_length=40)
    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="deposit_accounts"
    )
    product_type = models.CharField("产品类型", max_length=8, choices=DepositProduct.choices)
    open_date = models.DateField("开户日期", null=True, blank=True)
    maturity_date = models.DateField("到期日期", null=True, blank=True)
    status = models.CharField(
        "账户状态", max_length=8, choices=AccountStatus.choices, default=AccountStatus.NORMAL
    )
    balance = money("余额", default=Decimal("0"))
    monthly_avg_balance = money("月日均余额", default=Decimal("0"))
    data_date = models.DateField("数据日期")

    class Meta:
        ordering = ["account_no"]
        verbose_name = verbose_name_plural = "存款账户"
        constraints = [models.UniqueConstraint(fields=["account_no"], name="deposit_account_unique_no")]

    def __str__(self) -> str:
        return self.account_no


class DepositBalance(models.Model):
    """One account's balance on one data date (history of core_deposit)."""

    account = models.ForeignKey(
        DepositAccount, verbose_name="账户", on_delete=models.CASCADE, related_name="balances", db_index=False
    )
    data_date = models.DateField("数据日期")
    balance = money("余额")
    monthly_avg_balance = money("月日均余额")

    class Meta:
        verbose_name = verbose_name_plural = "存款余额历史"
        constraints = [
            models.UniqueConstraint(fields=["account", "data_date"], name="deposit_balance_unique_date"),
        ]
        indexes = [models.Index(fields=["data_date"], name="deposit_balance_date_idx")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.data_date}"


# --- loans ------------------------------------------------------------------------------------


class LoanFigures(models.Model):
    """The columns of credit_loan that change from one data date to the next. A Loan holds
    the values of its latest data date; a LoanSnapshot those of one data date. The optional
    source columns are nullable: empty means the source did not say."""

    balance = money("贷款余额")
    overdue_days = models.PositiveIntegerField("逾期天数", default=0)
    overdue_principal = money("逾期本金", default=Decimal("0"))
    overdue_interest = money("欠息", default=Decimal("0"))
    is_restructured = models.BooleanField("是否重组", default=False)
    restructured_on = models.DateField("重组日期", null=True, blank=True)
    is_refinanced = models.BooleanField("是否借新还旧", default=False)
    is_credit_impaired = models.BooleanField("是否信用减值", default=False)
    expected_credit_loss = money("预期信用损失", null=True, blank=True)
    bankruptcy = models.BooleanField("债务人破产清算", default=False)
    debt_evasion = models.BooleanField("逃废债", default=False)
    status = models.CharField("借据状态", max_length=12, choices=LoanStatus.choices)
    technical_overdue = models.BooleanField("技术性逾期", null=True, blank=True)
    first_repayment_after_restructure = models.DateField("重组后首次还款日", null=True, blank=True)
    unauthorized_use = models.BooleanField("擅自改变用途", null=True, blank=True)
    renewal_without_repayment = models.BooleanField("无还本续贷", null=True, blank=True)
    data_date = models.DateField("数据日期")

    class Meta:
        abstract = True


# The LoanFigures columns, in order: what the import copies between Loan and LoanSnapshot.
LOAN_FIGURES = tuple(f.name for f in LoanFigures._meta.fields)


class Loan(SourceRecord, LoanFigures):
    """信贷借据 (source credit_loan, full, key 借据号), with the latest figures for fast reads."""

    loan_no = models.CharField("借据号", max_length=40)
    contract_no = models.CharField("合同号", max_length=40, blank=True)
    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="loans"
    )
    product_code = models.CharField("产品代码", max_length=32, blank=True)
    disbursed_on = models.DateField("发放日期")
    maturity_date = models.DateField("到期日期")
    amount = money("发放金额")
    rate = models.DecimalField("执行利率(%)", max_digits=7, decimal_places=4, null=True, blank=True)
    guarantee_type = models.CharField("担保方式", max_length=10, choices=GuaranteeType.choices)
    repayment_method = models.CharField("还款方式", max_length=32, blank=True)
    purpose = models.CharField("贷款用途", max_length=200, blank=True)
    industry_code = models.CharField("行业代码", max_length=16, blank=True)
    is_retail = models.BooleanField("是否零售", default=False)
    handling_org = models.ForeignKey(
        Org, verbose_name="经办机构", on_delete=models.PROTECT, related_name="loans"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="主办客户经理",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_loans",
    )
    cleared_on = models.DateField("结清日期", null=True, blank=True)

    class Meta:
        ordering = ["loan_no"]
        verbose_name = verbose_name_plural = "贷款借据"
        constraints = [models.UniqueConstraint(fields=["loan_no"], name="loan_unique_no")]

    def __str__(self) -> str:
        return self.loan_no


class LoanSnapshot(LoanFigures):
    """One loan's figures on one data date (history of credit_loan)."""

    loan = models.ForeignKey(
        Loan, verbose_name="借据", on_delete=models.CASCADE, related_name="snapshots", db_index=False
    )

    class Meta:
        verbose_name = verbose_name_plural = "贷款月度历史"
        constraints = [
            models.UniqueConstraint(fields=["loan", "data_date"], name="loan_snapshot_unique_date")
        ]
        indexes = [models.Index(fields=["data_date"], name="loan_snapshot_date_idx")]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.data_date}"


class CreditLine(SourceRecord):
    """授信 (source credit_line, full, key 授信编号)."""

    line_no = models.CharField("授信编号", max_length=40)
    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="credit_lines"
    )
    credit_limit = money("授信额度")
    used_amount = money("已用额度", default=Decimal("0"))
    start_date = models.DateField("起始日期")
    end_date = models.DateField("到期日期")
    status = models.CharField("状态", max_length=12, choices=CreditLineStatus.choices)

    class Meta:
        ordering = ["line_no"]
        verbose_name = verbose_name_plural = "授信"
        constraints = [models.UniqueConstraint(fields=["line_no"], name="credit_line_unique_no")]

    def __str__(self) -> str:
        return self.line_no


class Guarantee(SourceRecord):
    """担保关系 (source guarantee, full, key 借据号 + 担保人客户号)."""

    loan = models.ForeignKey(
        Loan, verbose_name="借据", on_delete=models.PROTECT, related_name="guarantees", db_index=False
    )
    guarantor = models.ForeignKey(
        Customer, verbose_name="担保人", on_delete=models.PROTECT, related_name="guarantees_given"
    )
    guarantee_type = models.CharField("担保类型", max_length=10, choices=GuaranteeType.choices)
    amount = money("担保金额")

    class Meta:
        verbose_name = verbose_name_plural = "担保关系"
        constraints = [
            models.UniqueConstraint(fields=["loan", "guarantor"], name="guarantee_unique_loan_guarantor")
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}/{self.guarantor_id}"


# --- credit bureau and transactions -----------------------------------------------------------


class BureauSummary(models.Model):
    """征信摘要 (source bureau, incremental, key 客户号 + 报告日期) with the customer's
    authorisation. The figures may be used only for the authorised purpose and until the
    authorisation expires (《征信业管理条例》): every read goes through `usable_q`."""

    customer = models.ForeignKey(
        Customer,
        verbose_name="客户",
        on_delete=models.PROTECT,
        related_name="bureau_summaries",
        db_index=False,
    )
    report_date = models.DateField("报告日期")
    other_bank_institutions = models.PositiveSmallIntegerField("他行贷款机构数", default=0)
    other_bank_balance = money("他行贷款余额", default=Decimal("0"))
    other_bank_npl_balance = money("他行不良余额", default=Decimal("0"))
    other_bank_overdue90_balance = money("他行逾期90天以上余额", default=Decimal("0"))
    total_loan_balance = money("全部贷款余额", default=Decimal("0"))
    queries_3m = models.PositiveSmallIntegerField("近3个月查询次数", default=0)
    max_overdue_periods_24m = models.PositiveSmallIntegerField("近24个月最大逾期期数", default=0)
    external_guarantee_balance = money("对外担保余额", default=Decimal("0"))
    card_utilization = models.DecimalField(
        "信用卡使用率",
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="比率，0.8532 即 85.32%",
    )
    authorized_on = models.DateField("授权日期")
    authorized_purpose = models.CharField("授权用途", max_length=24, choices=BureauPurpose.choices)
    authorization_expires_on = models.DateField("授权到期日")
    data_date = models.DateField("数据日期")

    class Meta:
        ordering = ["customer", "-report_date"]
        verbose_name = verbose_name_plural = "征信摘要"
        constraints = [
            models.UniqueConstraint(fields=["customer", "report_date"], name="bureau_unique_customer_report"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.report_date}"

    @staticmethod
    def usable_q(data_date: datetime.date, purpose: str, prefix: str = "") -> Q:
        """The summaries that may be used on `data_date` for `purpose`: the authorisation names
        that purpose, was given on or before that date and has not expired, and the report
        itself exists by then. `prefix` reaches the summary through a relation, e.g.
        "bureau_summaries__". Anything outside this is not to be shown or counted."""
        return Q(
            **{
                f"{prefix}authorized_purpose": purpose,
                f"{prefix}authorized_on__lte": data_date,
                f"{prefix}authorization_expires_on__gte": data_date,
                f"{prefix}report_date__lte": data_date,
            }
        )


class TxnMonthly(models.Model):
    """交易月汇总 (source txn_monthly, incremental, key 客户号 + 月份). `month` is the first
    day of the month: the source's 'YYYY-MM' 2025-03 is stored as 2025-03-01, so month ranges
    are plain date comparisons on both databases."""

    customer = models.ForeignKey(
        Customer, verbose_name="客户", on_delete=models.PROTECT, related_name="monthly_txns", db_index=False
    )
    month = models.DateField("月份")
    credits = money("入账金额", default=Decimal("0"))
    debits = money("出账金额", default=Decimal("0"))
    payroll_amount = money("代发工资金额", default=Decimal("0"))
    subsidy_amount = money("惠农补贴金额", default=Decimal("0"))
    acquiring_amount = money("收单交易额", default=Decimal("0"))
    out_of_county_amount = money("县外交易金额", default=Decimal("0"))
    txn_count = models.PositiveIntegerField("交易笔数", default=0)

    class Meta:
        ordering = ["customer", "month"]
        verbose_name = verbose_name_plural = "交易月汇总"
        constraints = [models.UniqueConstraint(fields=["customer", "month"], name="txn_monthly_unique_month")]
        indexes = [models.Index(fields=["month"], name="txn_monthly_month_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m}"

    @staticmethod
    def month_of(value: datetime.date) -> datetime.date:
        """The stored key of the month containing `value`."""
        return value.replace(day=1)
