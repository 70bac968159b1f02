"""The built-in industries: GB/T 4754-2017 sections, divisions and groups that a vegetable,
fruit and livestock county's customers work in, plus trade and services. Banks add their own
codes in the Industry table; `sync` only creates missing rows and never renames one an admin
changed. Customer.industry (CRM 产业) and Loan.industry_code (行业代码) hold these codes."""

from __future__ import annotations

from typing import Any

# (code, name, parent code)
INDUSTRIES: list[tuple[str, str, str]] = [
    ("A", "农、林、牧、渔业", ""),
    ("A01", "农业", "A"),
    ("A011", "谷物种植", "A01"),
    ("A014", "蔬菜、食用菌及园艺作物种植", "A01"),
    ("A015", "水果种植", "A01"),
    ("A017", "中药材种植", "A01"),
    ("A02", "林业", "A"),
    ("A03", "畜牧业", "A"),
    ("A031", "牲畜饲养", "A03"),
    ("A032", "家禽饲养", "A03"),
    ("A04", "渔业", "A"),
    ("A05", "农、林、牧、渔专业及辅助性活动", "A"),
    ("C", "制造业", ""),
    ("C13", "农副食品加工业", "C"),
    ("C14", "食品制造业", "C"),
    ("E", "建筑业", ""),
    ("F", "批发和零售业", ""),
    ("F51", "批发业", "F"),
    ("F52", "零售业", "F"),
    ("G", "交通运输、仓储和邮政业", ""),
    ("G54", "道路运输业", "G"),
    ("G59", "装卸搬运和仓储业", "G"),
    ("H", "住宿和餐饮业", ""),
    ("H61", "住宿业", "H"),
    ("H62", "餐饮业", "H"),
    ("O", "居民服务、修理和其他服务业", ""),
    ("O80", "居民服务业", "O"),
    ("O81", "机动车、电子产品和日用产品修理业", "O"),
    ("P", "教育", ""),
    ("Q", "卫生和社会工作", ""),
    ("S", "公共管理、社会保障和社会组织", ""),
]


def sync(apps: Any) -> None:
    """Create the missing built-in industries (idempotent; parents before children)."""
    Industry = apps.get_model("customers", "Industry")
    existing = {i.code: i for i in Industry.objects.all()}
    for order, (code, name, parent) in enumerate(INDUSTRIES):
        if code not in existing:
            existing[code] = Industry.objects.create(
                code=code, name=name, parent=existing.get(parent), sort_order=order
            )
