"""The sections of the customer 360 page. The library's own sections have a fragment template
that shows the data (selectors_360) or, when the customer has none, says so; sections later
capabilities fill (tags, risk, visits, reminders) say honestly that they have no data yet
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
    wide: bool = False  # a full-width card (tables with history, the chart)


def _t(name: str) -> str:
    return f"customers/sections/{name}.html"


SECTIONS: list[Section] = [
    Section(
        "relations",
        "户与关联关系",
        "people",
        "暂无户与关联关系数据：关联关系数据导入后在此显示。",
        _t("relations"),
    ),
    Section(
        "managers",
        "客户经理",
        "person-badge",
        "暂无客户经理分配记录。",
        _t("managers"),
    ),
    Section(
        "deposits",
        "存款账户",
        "piggy-bank",
        "暂无存款账户数据：核心系统的账户数据导入后在此显示。",
        _t("deposits"),
        wide=True,
    ),
    Section(
        "loans",
        "贷款",
        "cash-stack",
        "暂无贷款数据：信贷系统的借据数据导入后在此显示。",
        _t("loans"),
        wide=True,
    ),
    Section(
        "credit_lines",
        "授信",
        "card-checklist",
        "暂无授信数据：信贷系统的授信数据导入后在此显示。",
        _t("credit_lines"),
    ),
    Section(
        "guarantees",
        "担保",
        "shield-check",
        "暂无担保关系：该客户既未为他人担保，其贷款也无担保人。",
        _t("guarantees"),
    ),
    Section(
        "bureau",
        "征信",
        "file-earmark-text",
        "暂无征信数据：取得客户授权并导入征信摘要后在此显示。",
        _t("bureau"),
    ),
    Section(
        "transactions",
        "交易",
        "arrow-left-right",
        "暂无交易数据：月度交易汇总导入后在此显示。",
        _t("transactions"),
    ),
    Section("tags", "标签", "tags", "暂无标签。", _t("tags")),
    Section(
        "marketing",
        "精准营销：符合的维度、线索与产品建议",
        "bullseye",
        "暂无精准营销信息。",
        _t("marketing"),
        wide=True,
    ),
    Section("risk", "风险", "shield-exclamation", "暂无风险信息：五级分类与预警信号上线后在此显示。"),
    Section("visits", "走访", "geo-alt", "暂无走访记录：客户经理走访打卡后在此显示。"),
    Section("reminders", "提醒", "bell", "暂无跟进提醒：跟进提醒上线后在此显示。"),
]
