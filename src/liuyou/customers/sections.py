"""The sections of the customer 360 page. Each later capability (accounts, loans, tags, risk,
visits...) fills its own section; until then the section says honestly that it has no data
and why."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    icon: str
    empty: str
    template: str = ""  # a capability's fragment template; empty: show `empty`


SECTIONS: list[Section] = [
    Section("deposits", "存款账户", "piggy-bank", "暂无存款账户数据：核心系统的账户数据导入后在此显示。"),
    Section("loans", "贷款", "cash-stack", "暂无贷款数据：信贷系统的借据数据导入后在此显示。"),
    Section("credit_lines", "授信", "card-checklist", "暂无授信数据：信贷系统的授信数据导入后在此显示。"),
    Section("bureau", "征信", "file-earmark-text", "暂无征信数据：取得客户授权并导入征信摘要后在此显示。"),
    Section("transactions", "交易", "arrow-left-right", "暂无交易数据：月度交易汇总导入后在此显示。"),
    Section("tags", "标签", "tags", "暂无标签：标签规则上线并完成每日计算后在此显示。"),
    Section("risk", "风险", "shield-exclamation", "暂无风险信息：五级分类与预警信号上线后在此显示。"),
    Section("visits", "走访", "geo-alt", "暂无走访记录：客户经理走访打卡后在此显示。"),
    Section("reminders", "提醒", "bell", "暂无跟进提醒：跟进提醒上线后在此显示。"),
]
