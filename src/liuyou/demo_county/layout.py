"""The headers of every source, exactly as shared/extracts.md gives them, and the
encoding each source system exports in."""

from __future__ import annotations

HEADERS: dict[str, list[str]] = {
    "org": ["机构号", "机构名称", "上级机构号", "机构类型", "地址"],
    "staff": ["工号", "姓名", "机构号", "岗位", "手机号码", "企业微信账号", "状态", "入职日期"],
    "village": ["村编码", "村名称", "乡镇", "户数", "人口", "经度", "纬度", "所属机构号"],
    "core_customer": [
        "客户号", "客户名称", "客户类型", "证件类型", "证件号码", "统一社会信用代码", "性别",
        "出生日期", "手机号码", "联系地址", "村编码", "开户机构号", "开户日期", "是否社保卡", "是否代发工资",
    ],
    "core_deposit": [
        "账号", "客户号", "产品类型", "开户日期", "到期日期", "余额", "月日均余额", "账户状态", "数据日期",
    ],
    "credit_loan": [
        "借据号", "合同号", "客户号", "产品代码", "发放日期", "到期日期", "发放金额", "贷款余额", "执行利率",
        "担保方式", "还款方式", "贷款用途", "行业代码", "是否零售", "逾期天数", "逾期本金", "欠息",
        "是否重组", "重组日期", "是否借新还旧", "是否信用减值", "预期信用损失", "债务人破产清算", "逃废债",
        "结清日期",
        "借据状态", "主办客户经理工号", "经办机构号", "数据日期",
        # optional columns of extracts.md, read when present
        "技术性逾期", "重组后首次还款日", "擅自改变用途", "无还本续贷",
    ],
    "credit_line": ["授信编号", "客户号", "授信额度", "已用额度", "起始日期", "到期日期", "状态"],
    "guarantee": ["借据号", "担保人客户号", "担保类型", "担保金额"],
    "bureau": [
        "客户号", "报告日期", "他行贷款机构数", "他行贷款余额", "他行不良余额", "他行逾期90天以上余额",
        "全部贷款余额", "近3个月查询次数", "近24个月最大逾期期数", "对外担保余额", "信用卡使用率",
        "授权日期", "授权用途", "授权到期日",
    ],
    "txn_monthly": [
        "客户号", "月份", "入账金额", "出账金额", "代发工资金额", "惠农补贴金额", "收单交易额",
        "县外交易金额", "交易笔数",
    ],
    "crm_customer": [
        "客户号", "主办客户经理工号", "协办客户经理工号", "客户分类", "产业", "村编码", "家庭人口", "标签",
        "拒绝营销", "备注",
    ],
    "relation": ["客户号", "关联客户号", "关联证件号码", "关系类型"],
}  # fmt: skip

# Core banking exports GBK, as many core systems do; the others write UTF-8 with a BOM.
GBK_SOURCES = frozenset({"core_customer", "core_deposit"})

# The order the files must be imported in: references before the rows that use them.
IMPORT_ORDER = [
    "org", "staff", "village", "core_customer", "crm_customer", "relation", "core_deposit",
    "credit_line", "credit_loan", "guarantee", "bureau", "txn_monthly",
]  # fmt: skip

FULL_SOURCES = frozenset(
    {"org", "staff", "village", "core_customer", "core_deposit", "credit_loan", "credit_line", "guarantee",
     "crm_customer", "relation"}
)  # fmt: skip


def encoding_of(source: str) -> str:
    return "gbk" if source in GBK_SOURCES else "utf-8-sig"
