"""The four built-in tag groups (区域, 产业, 类型, 项目) and a starting set of tags: rule tags
on the customer feature table, evaluated by the daily pipeline, and two manual project tags.
Each tag starts at version 1 with its TagVersion row. Existing rows are never changed."""

from django.db import migrations

GROUPS = [
    ("region", "区域", 10),
    ("industry", "产业", 20),
    ("type", "类型", 30),
    ("project", "项目", 40),
]


def _rule(*conditions, match="all"):
    return {"match": match, "conditions": [{"column": c, "op": o, "value": v} for c, o, v in conditions]}


# (group, code, name, description, rule or None for a manual tag)
TAGS = [
    ("region", "chengguan", "城关街道", "客户所在行政村属于城关街道", _rule(("township", "=", "城关街道"))),
    ("region", "donghe", "东河镇", "客户所在行政村属于东河镇", _rule(("township", "=", "东河镇"))),
    # An industry tag matches the GB/T 4754 code prefix, or the CRM's own wording where the
    # CRM extract names the industry instead of coding it (the demo county does).
    (
        "industry",
        "vegetable",
        "蔬菜种植",
        "产业代码 A014（蔬菜、食用菌及园艺作物种植），或客户管理系统产业为大棚蔬菜种植等",
        _rule(("industry", "prefix", "A014"), ("industry", "in", ["大棚蔬菜种植", "果蔬种植合作社"]), match="any"),
    ),
    (
        "industry",
        "fruit",
        "水果种植",
        "产业代码 A015（水果种植），或客户管理系统产业为果树种植",
        _rule(("industry", "prefix", "A015"), ("industry", "in", ["果树种植"]), match="any"),
    ),
    (
        "industry",
        "livestock",
        "畜牧养殖",
        "产业代码 A03（畜牧业），或客户管理系统产业为生猪、肉牛、肉羊、奶牛养殖等",
        _rule(
            ("industry", "prefix", "A03"),
            ("industry", "in", ["生猪养殖", "肉牛养殖", "肉羊养殖", "奶牛养殖", "畜牧养殖"]),
            match="any",
        ),
    ),
    (
        "industry",
        "retail_trade",
        "批发零售",
        "产业代码 F（批发和零售业），或客户管理系统产业为果蔬批发、百货零售、农资经营等",
        _rule(
            ("industry", "prefix", "F"),
            ("industry", "in", ["果蔬批发", "日用百货零售", "农产品批发", "农资经营", "农资贸易"]),
            match="any",
        ),
    ),
    ("type", "high_deposit", "存款大户", "近3个月日均存款不低于 5 万元", _rule(("deposit_avg_3m", ">=", "50000"))),
    ("type", "outbound_worker", "外出务工", "近3个月县外交易占比不低于 50%", _rule(("out_of_county_share_3m", ">=", "0.5"))),
    ("type", "payroll", "代发工资", "近3个月每月都有代发工资入账", _rule(("payroll_months_3m", ">=", 3))),
    ("type", "active_merchant", "活跃商户", "近3个月月均收单不低于 3 万元", _rule(("acquiring_avg_3m", ">=", "30000"))),
    ("type", "overdue", "逾期客户", "本行贷款有逾期", _rule(("overdue_loans", ">", 0))),
    (
        "type",
        "no_loan_depositor",
        "有存无贷",
        "存款余额不低于 1 万元且从未在本行贷款",
        _rule(("deposit_balance", ">=", "10000"), ("ever_borrowed", "=", False)),
    ),
    ("project", "yanguichao", "燕归巢意向", "客户经理走访确认有回流贷款意向（手工标记）", None),
    ("project", "whole_village", "整村授信", "纳入整村授信项目的客户（手工标记）", None),
]


def seed(apps, schema_editor):
    TagGroup = apps.get_model("tags", "TagGroup")
    Tag = apps.get_model("tags", "Tag")
    TagVersion = apps.get_model("tags", "TagVersion")
    groups = {}
    for code, name, order in GROUPS:
        group, _ = TagGroup.objects.get_or_create(
            code=code, defaults={"name": name, "kind": "builtin", "sort_order": order}
        )
        groups[code] = group
    for n, (group, code, name, description, rule) in enumerate(TAGS):
        if Tag.objects.filter(code=code).exists():
            continue
        tag = Tag.objects.create(
            group=groups[group],
            code=code,
            name=name,
            description=description,
            kind="rule" if rule else "manual",
            rule=rule,
            is_active=True,
            version=1,
            sort_order=(n + 1) * 10,
        )
        TagVersion.objects.create(
            tag=tag,
            version=1,
            name=name,
            description=description,
            group_name=groups[group].name,
            rule=rule,
            is_active=True,
            note="初始标签",
        )


class Migration(migrations.Migration):
    dependencies = [("tags", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
