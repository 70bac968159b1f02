"""The built-in permissions, roles and dictionaries.

Migrations call `sync` so that a migrated empty database is usable without the demo. A later
capability adds its permissions here and ships a migration that calls `sync` again; grants an
admin changed on a built-in role are kept, only missing built-in grants are added.
"""

from __future__ import annotations

from typing import Any

# (code, name, group)
PERMISSIONS: list[tuple[str, str, str]] = [
    ("workbench:view", "查看工作台", "工作台"),
    ("customer:view", "查看客户", "客户"),
    ("customer:export", "导出客户", "客户"),
    ("pii:view", "查看完整证件号与手机号", "客户"),
    ("customer:assign", "调整客户经理、查看脱管客户", "客户"),
    ("import:view", "查看数据导入记录", "数据导入"),
    ("import:run", "上传并导入源系统文件", "数据导入"),
    ("mining:view", "查看多维分析与维度客户名单", "精准营销"),
    ("mining:config", "维护分析维度参数", "精准营销"),
    ("tag:view", "查看客户标签", "精准营销"),
    ("tag:assign", "为数据范围内的客户打手工标签", "精准营销"),
    ("tag:manage", "维护标签组、标签与规则标签", "精准营销"),
    ("product:view", "查看产品目录与产品匹配", "精准营销"),
    ("product:manage", "维护产品目录", "精准营销"),
    ("target:view", "查看目标客户名单与转化漏斗", "精准营销"),
    ("target:manage", "生成、保存与分配目标客户名单", "精准营销"),
    ("lead:work", "跟进分配给本人的营销线索", "精准营销"),
    ("job:view", "查看日终批处理作业记录", "批处理"),
    ("job:run", "运行与重新运行日终批处理", "批处理"),
    ("org:view", "查看机构", "系统管理"),
    ("org:manage", "维护机构", "系统管理"),
    ("user:view", "查看用户", "系统管理"),
    ("user:manage", "维护用户（新增、修改、停用、重置密码）", "系统管理"),
    ("user:grant", "为用户授予角色", "安全管理"),
    ("session:manage", "查看与强制下线会话", "系统管理"),
    ("role:view", "查看角色", "安全管理"),
    ("role:manage", "维护角色权限与数据范围", "安全管理"),
    ("apikey:manage", "管理接口密钥", "安全管理"),
    ("dict:view", "查看字典", "系统管理"),
    ("dict:manage", "维护字典", "系统管理"),
    ("log:view", "查看操作日志与登录日志", "审计"),
    ("log:export", "导出日志", "审计"),
]

CUSTOMER_READ = ["workbench:view", "customer:view"]
MARKETING = [*CUSTOMER_READ, "mining:view", "tag:view", "product:view", "target:view"]
FIELD = [*MARKETING, "tag:assign", "lead:work"]

# code: (name, data scope, permissions, description)
ROLES: dict[str, tuple[str, str, list[str], str]] = {
    "account_manager": ("客户经理", "self", [*FIELD, "pii:view"], "仅本人管户客户"),
    "service_specialist": ("金融服务专员", "org", [*FIELD, "pii:view"], "本网格客户"),
    "branch_head": (
        "支行行长",
        "org_and_below",
        [*FIELD, "target:manage", "customer:export", "customer:assign", "pii:view"],
        "本支行及下辖网点、网格",
    ),
    "task_force_lead": ("专班负责人", "team", [*FIELD, "pii:view"], "专班成员与专班村的客户"),
    "risk_officer": (
        "风险经理(中台)",
        "all",
        [*MARKETING, "customer:export", "pii:view", "job:view"],
        "全行，风险职能",
    ),
    "post_loan_officer": ("贷后管理(后台)", "all", [*CUSTOMER_READ, "pii:view"], "全行贷款，贷后职能"),
    "auditor": (
        "审计管理员",
        "all",
        ["workbench:view", "log:view", "log:export"],
        "三员之一：只读日志，默认不看客户数据",
    ),
    "hq_admin": (
        "总行管理员",
        "all",
        [
            *MARKETING,
            "mining:config",
            "tag:assign",
            "tag:manage",
            "product:manage",
            "target:manage",
            "customer:export",
            "customer:assign",
            "dict:view",
            "dict:manage",
            "import:view",
            "import:run",
            "job:view",
            "job:run",
        ],
        "全行，业务配置",
    ),
    "system_admin": (
        "系统管理员",
        "all",
        [
            "workbench:view",
            "org:view",
            "org:manage",
            "user:view",
            "user:manage",
            "session:manage",
            "dict:view",
            "dict:manage",
        ],
        "三员之一：账号与机构，不看客户数据",
    ),
    "security_admin": (
        "安全管理员",
        "all",
        [
            "workbench:view",
            "role:view",
            "role:manage",
            "user:view",
            "user:grant",
            "apikey:manage",
            "org:view",
        ],
        "三员之一：角色、权限与数据范围，不看客户数据",
    ),
}

# The separated duties (三员) and the admin roles a second factor is required for.
SEPARATED_DUTIES = ("system_admin", "security_admin", "auditor")

DICTS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "org_kind": (
        "机构类型",
        [("head_office", "总行"), ("branch", "支行"), ("outlet", "网点"), ("grid", "网格")],
    ),
    "user_status": ("员工状态", [("active", "在职"), ("left", "离职")]),
    "position": (
        "岗位",
        [
            ("account_manager", "客户经理"),
            ("service_specialist", "金融服务专员"),
            ("branch_head", "支行行长"),
            ("deputy_branch_head", "支行副行长"),
            ("task_force_lead", "专班负责人"),
            ("risk_officer", "风险经理"),
            ("post_loan_officer", "贷后管理岗"),
            ("credit_reviewer", "信贷审查岗"),
            ("teller", "柜员"),
            ("hq_staff", "总行部室人员"),
            ("it_staff", "科技人员"),
            ("auditor", "稽核审计岗"),
        ],
    ),
    "data_scope": (
        "数据范围",
        [
            ("all", "全部数据"),
            ("custom", "自定义机构"),
            ("org", "本机构"),
            ("org_and_below", "本机构及以下"),
            ("team", "本专班"),
            ("self", "仅本人"),
        ],
    ),
    "customer_type": ("客户类型", [("individual", "个人"), ("enterprise", "企业")]),
    "segment": (
        "客户分类",
        [
            ("farmer", "农户"),
            ("individual_business", "个体工商户"),
            ("migrant_worker", "外出务工人员"),
            ("salaried", "上班族"),
            ("small_enterprise", "小微企业"),
        ],
    ),
    "id_type": (
        "证件类型",
        [
            ("resident_id", "居民身份证"),
            ("household_register", "户口簿"),
            ("passport", "护照"),
            ("hk_macao_permit", "港澳居民来往内地通行证"),
            ("taiwan_permit", "台湾居民来往大陆通行证"),
            ("foreign_permanent", "外国人永久居留身份证"),
            ("credit_code", "统一社会信用代码"),
        ],
    ),
    "sex": ("性别", [("M", "男"), ("F", "女")]),
    "risk_class": (
        "五级分类",
        [
            ("normal", "正常"),
            ("special_mention", "关注"),
            ("substandard", "次级"),
            ("doubtful", "可疑"),
            ("loss", "损失"),
        ],
    ),
    "guarantee_type": (
        "担保方式",
        [("credit", "信用"), ("guaranty", "保证"), ("mortgage", "抵押"), ("pledge", "质押")],
    ),
    "log_result": ("操作结果", [("success", "成功"), ("failure", "失败")]),
    # The customer library's coded columns (their codes are the customers models' choices).
    "relation_type": (
        "关系类型",
        [
            ("spouse", "配偶"),
            ("parent", "父母"),
            ("child", "子女"),
            ("same_household", "同户"),
            ("guarantor", "担保"),
            ("actual_controller", "实际控制人"),
            ("related_enterprise", "关联企业"),
        ],
    ),
    "deposit_product": ("存款产品类型", [("demand", "活期"), ("time", "定期")]),
    "account_status": (
        "账户状态",
        [("normal", "正常"), ("frozen", "冻结"), ("dormant", "久悬"), ("closed", "销户")],
    ),
    "loan_status": (
        "借据状态",
        [("normal", "正常"), ("overdue", "逾期"), ("cleared", "结清"), ("written_off", "核销")],
    ),
    "credit_line_status": (
        "授信状态",
        [("active", "有效"), ("frozen", "冻结"), ("expired", "到期"), ("terminated", "终止")],
    ),
    "manager_role": ("管户角色", [("primary", "主办"), ("assisting", "协办")]),
}


def sync(apps: Any) -> None:
    """Create missing permissions, built-in roles and dictionaries (idempotent)."""
    Permission = apps.get_model("system", "Permission")
    Role = apps.get_model("system", "Role")
    DictType = apps.get_model("system", "DictType")
    DictItem = apps.get_model("system", "DictItem")

    new_codes = set()
    for order, (code, name, group) in enumerate(PERMISSIONS):
        _, created = Permission.objects.update_or_create(
            code=code, defaults={"name": name, "group": group, "sort_order": order}
        )
        if created:
            new_codes.add(code)
    perms = {p.code: p for p in Permission.objects.all()}
    for order, (code, (name, scope, grants, description)) in enumerate(ROLES.items()):
        role, created = Role.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "data_scope": scope,
                "description": description,
                "is_builtin": True,
                "sort_order": order,
            },
        )
        if created:
            role.permissions.set([perms[c] for c in grants])
        else:
            # Only permissions introduced by this sync; a grant an admin revoked stays revoked.
            role.permissions.add(*[perms[c] for c in grants if c in new_codes])
    for code, (name, items) in DICTS.items():
        dict_type, _ = DictType.objects.get_or_create(code=code, defaults={"name": name, "is_builtin": True})
        for order, (value, label) in enumerate(items):
            DictItem.objects.get_or_create(
                dict_type=dict_type, value=value, defaults={"label": label, "sort_order": order}
            )
