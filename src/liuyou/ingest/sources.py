"""What each source extract looks like (shared/extracts.md), declared once.

The reader, the validator, the loaders and the demo generator all read these specs; a
column is never described anywhere else. Headers are the Chinese names the bank sends;
`name` is ours. Value maps turn the bank's words into our stored codes; where a model's
choices already pair the Chinese word with the glossary code, the map is derived from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from django.db.models import TextChoices

from liuyou.customers import models as cm
from liuyou.system.models import UserStatus

ColumnType = Literal[
    "text",
    "date",
    "amount",
    "decimal",
    "integer",
    "boolean",
    "enum",
    "id_type",
    "id_number",
    "credit_code",
    "phone",
    "month",
    "village_code",
    "ratio",
]


@dataclass(frozen=True)
class Column:
    header: str
    name: str
    type: ColumnType = "text"
    required: bool = False
    # Only for "enum"/"id_type": bank word -> stored code. Lookups are exact after clean-up.
    values: dict[str, str] = field(default_factory=dict)
    # Columns the bank may leave out of the file entirely (read when present).
    optional: bool = False
    max_length: int | None = None


@dataclass(frozen=True)
class Source:
    name: str
    label: str
    columns: tuple[Column, ...]
    keys: tuple[str, ...]  # our column names
    full: bool  # 全量: a key missing from the file is closed
    history: bool = False  # keeps one row per key and data date
    # Groups of our column names of which at least one must be filled in every row.
    require_any: tuple[tuple[str, ...], ...] = ()

    def column(self, name: str) -> Column:
        return self._by_name[name]

    @cached_property
    def _by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    @cached_property
    def by_header(self) -> dict[str, Column]:
        return {c.header: c for c in self.columns}

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def key_headers(self) -> list[str]:
        return [self.column(k).header for k in self.keys]


BOOL: ColumnType = "boolean"


def words_to_codes(choices: type[TextChoices]) -> dict[str, str]:
    """The bank writes a model choice's Chinese label; we store its code."""
    return {str(label): value for value, label in choices.choices}


ORG_KIND = {"总行": "head_office", "支行": "branch", "网点": "outlet"}
STAFF_STATUS = words_to_codes(UserStatus)
CUSTOMER_KIND = words_to_codes(cm.CustomerType)
SEX = {"男": "M", "女": "F", "1": "M", "2": "F", "M": "M", "F": "F"}
# 居民身份证 and 户口簿 both carry the resident ID number (GB 11643) and are checked as such.
ID_TYPES = {
    "居民身份证": "resident_id",
    "身份证": "resident_id",
    "户口簿": "household_register",
    "护照": "passport",
    "港澳居民来往内地通行证": "hk_macao_permit",
    "台湾居民来往大陆通行证": "taiwan_permit",
    "外国人永久居留身份证": "foreign_permanent",
}
RESIDENT_ID_TYPES = frozenset({"resident_id", "household_register"})
PRODUCT_KIND = words_to_codes(cm.DepositProduct)
GUARANTEE_KIND = words_to_codes(cm.GuaranteeType)
LOAN_STATUS = words_to_codes(cm.LoanStatus)
SEGMENTS = words_to_codes(cm.Segment)
RELATION_KIND = words_to_codes(cm.RelationType)


def C(header: str, name: str, type: ColumnType = "text", **kw: object) -> Column:  # noqa: N802
    return Column(header, name, type, **kw)  # type: ignore[arg-type]


SOURCES: dict[str, Source] = {}


def _add(source: Source) -> None:
    for key in source.keys:
        assert source.column(key).required, f"{source.name}.{key}: key columns are required"
    SOURCES[source.name] = source


_add(
    Source(
        "org",
        "机构",
        (
            C("机构号", "code", required=True, max_length=32),
            C("机构名称", "name", required=True, max_length=100),
            C("上级机构号", "parent_code", max_length=32),
            C("机构类型", "kind", "enum", required=True, values=ORG_KIND),
            C("地址", "address", max_length=200),
        ),
        keys=("code",),
        full=True,
    )
)
_add(
    Source(
        "staff",
        "员工",
        (
            C("工号", "staff_no", required=True, max_length=32),
            C("姓名", "name", required=True, max_length=50),
            C("机构号", "org_code", required=True, max_length=32),
            C("岗位", "position", max_length=32),
            C("手机号码", "phone", "phone"),
            C("企业微信账号", "wecom_userid", max_length=64),
            C("状态", "status", "enum", required=True, values=STAFF_STATUS),
            C("入职日期", "hired_on", "date"),
        ),
        keys=("staff_no",),
        full=True,
    )
)
_add(
    Source(
        "village",
        "行政村/社区",
        (
            C("村编码", "code", "village_code", required=True),
            C("村名称", "name", required=True, max_length=60),
            C("乡镇", "township", max_length=60),
            C("户数", "households", "integer"),
            C("人口", "population", "integer"),
            C("经度", "longitude", "decimal"),
            C("纬度", "latitude", "decimal"),
            C("所属机构号", "org_code", max_length=32),
        ),
        keys=("code",),
        full=True,
    )
)
_add(
    Source(
        "core_customer",
        "核心系统客户",
        (
            C("客户号", "customer_no", required=True, max_length=32),
            C("客户名称", "name", required=True, max_length=100),
            C("客户类型", "kind", "enum", required=True, values=CUSTOMER_KIND),
            C("证件类型", "id_type", "id_type", values=ID_TYPES),
            C("证件号码", "id_no", "id_number", max_length=64),
            C("统一社会信用代码", "credit_code", "credit_code"),
            C("性别", "sex", "enum", values=SEX),
            C("出生日期", "birth_date", "date"),
            C("手机号码", "phone", "phone"),
            C("联系地址", "address", max_length=200),
            C("村编码", "village_code", "village_code"),
            C("开户机构号", "org_code", max_length=32),
            C("开户日期", "opened_on", "date"),
            C("是否社保卡", "has_social_card", BOOL),
            C("是否代发工资", "has_payroll", BOOL),
        ),
        keys=("customer_no",),
        full=True,
        require_any=(("id_no", "credit_code"),),
    )
)
_add(
    Source(
        "core_deposit",
        "存款账户",
        (
            C("账号", "account_no", required=True, max_length=40),
            C("客户号", "customer_no", required=True, max_length=32),
            C("产品类型", "product_kind", "enum", values=PRODUCT_KIND),
            C("开户日期", "opened_on", "date"),
            C("到期日期", "matures_on", "date"),
            C("余额", "balance", "amount"),
            C("月日均余额", "avg_balance", "amount"),
            C("账户状态", "status", max_length=16),
            C("数据日期", "data_date", "date"),
        ),
        keys=("account_no",),
        full=True,
        history=True,
    )
)
_add(
    Source(
        "credit_loan",
        "信贷借据",
        (
            C("借据号", "loan_no", required=True, max_length=40),
            C("合同号", "contract_no", max_length=40),
            C("客户号", "customer_no", required=True, max_length=32),
            C("产品代码", "product_code", max_length=32),
            C("发放日期", "issued_on", "date"),
            C("到期日期", "matures_on", "date"),
            C("发放金额", "amount", "amount"),
            C("贷款余额", "balance", "amount"),
            C("执行利率", "rate", "decimal"),
            C("担保方式", "guarantee_kind", "enum", values=GUARANTEE_KIND),
            C("还款方式", "repayment", max_length=32),
            C("贷款用途", "purpose", max_length=200),
            C("行业代码", "industry_code", max_length=16),
            C("是否零售", "is_retail", BOOL),
            C("逾期天数", "days_overdue", "integer"),
            C("逾期本金", "overdue_principal", "amount"),
            C("欠息", "interest_arrears", "amount"),
            C("是否重组", "is_restructured", BOOL),
            C("重组日期", "restructured_on", "date"),
            C("是否借新还旧", "is_refinanced", BOOL),
            C("是否信用减值", "is_credit_impaired", BOOL),
            C("预期信用损失", "ecl", "amount"),
            C("债务人破产清算", "debtor_bankrupt", BOOL),
            C("逃废债", "evades_debt", BOOL),
            C("结清日期", "cleared_on", "date"),
            C("借据状态", "status", "enum", values=LOAN_STATUS),
            C("主办客户经理工号", "manager_staff_no", max_length=32),
            C("经办机构号", "org_code", max_length=32),
            C("数据日期", "data_date", "date"),
            C("技术性逾期", "technical_overdue", BOOL, optional=True),
            C("重组后首次还款日", "first_repayment_after_restructure", "date", optional=True),
            C("擅自改变用途", "misused_funds", BOOL, optional=True),
            C("无还本续贷", "renewal_without_repayment", BOOL, optional=True),
        ),
        keys=("loan_no",),
        full=True,
        history=True,
    )
)
_add(
    Source(
        "credit_line",
        "授信",
        (
            C("授信编号", "line_no", required=True, max_length=40),
            C("客户号", "customer_no", required=True, max_length=32),
            C("授信额度", "limit", "amount"),
            C("已用额度", "used", "amount"),
            C("起始日期", "starts_on", "date"),
            C("到期日期", "ends_on", "date"),
            C("状态", "status", max_length=16),
        ),
        keys=("line_no",),
        full=True,
    )
)
_add(
    Source(
        "guarantee",
        "担保关系",
        (
            C("借据号", "loan_no", required=True, max_length=40),
            C("担保人客户号", "guarantor_no", required=True, max_length=32),
            C("担保类型", "kind", max_length=16),
            C("担保金额", "amount", "amount"),
        ),
        keys=("loan_no", "guarantor_no"),
        full=True,
    )
)
_add(
    Source(
        "bureau",
        "征信摘要",
        (
            C("客户号", "customer_no", required=True, max_length=32),
            C("报告日期", "report_date", "date", required=True),
            C("他行贷款机构数", "other_lenders", "integer"),
            C("他行贷款余额", "other_balance", "amount"),
            C("他行不良余额", "other_npl_balance", "amount"),
            C("他行逾期90天以上余额", "other_overdue90_balance", "amount"),
            C("全部贷款余额", "total_balance", "amount"),
            C("近3个月查询次数", "queries_3m", "integer"),
            C("近24个月最大逾期期数", "max_overdue_terms_24m", "integer"),
            C("对外担保余额", "guarantees_given", "amount"),
            C("信用卡使用率", "card_utilisation", "ratio"),
            C("授权日期", "authorised_on", "date"),
            C("授权用途", "authorised_purpose", max_length=100),
            C("授权到期日", "authorisation_ends_on", "date"),
        ),
        keys=("customer_no", "report_date"),
        full=False,
    )
)
_add(
    Source(
        "txn_monthly",
        "交易月汇总",
        (
            C("客户号", "customer_no", required=True, max_length=32),
            C("月份", "month", "month", required=True),
            C("入账金额", "credit_amount", "amount"),
            C("出账金额", "debit_amount", "amount"),
            C("代发工资金额", "payroll_amount", "amount"),
            C("惠农补贴金额", "subsidy_amount", "amount"),
            C("收单交易额", "acquiring_amount", "amount"),
            C("县外交易金额", "out_of_county_amount", "amount"),
            C("交易笔数", "txn_count", "integer"),
        ),
        keys=("customer_no", "month"),
        full=False,
    )
)
_add(
    Source(
        "crm_customer",
        "客户管理系统",
        (
            C("客户号", "customer_no", required=True, max_length=32),
            C("主办客户经理工号", "manager_staff_no", max_length=32),
            C("协办客户经理工号", "assistant_staff_no", max_length=32),
            C("客户分类", "segment", "enum", values=SEGMENTS),
            C("产业", "industry", max_length=64),
            C("村编码", "village_code", "village_code"),
            C("家庭人口", "household_size", "integer"),
            C("标签", "tags", max_length=500),
            C("拒绝营销", "refused_marketing", BOOL),
            C("备注", "note", max_length=500),
        ),
        keys=("customer_no",),
        full=True,
    )
)
_add(
    Source(
        "relation",
        "关联关系",
        (
            C("客户号", "customer_no", required=True, max_length=32),
            C("关联客户号", "related_no", max_length=32),
            C("关联证件号码", "related_id_no", "id_number", max_length=64),
            C("关系类型", "kind", "enum", required=True, values=RELATION_KIND),
        ),
        # 关联客户号 or 关联证件号码 identifies the other party; both are part of the key.
        keys=("customer_no", "kind"),
        full=True,
        require_any=(("related_no", "related_id_no"),),
    )
)


def key_of(source: Source, row: dict[str, object]) -> tuple[object, ...]:
    """The identity of a row within its source (relation adds whichever party column is set)."""
    key = tuple(row.get(k) for k in source.keys)
    if source.name == "relation":
        key += (row.get("related_no") or "", row.get("related_id_no") or "")
    return key
