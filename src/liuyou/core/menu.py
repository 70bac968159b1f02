"""The left menu, built from the user's permissions. Each capability adds its entries here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from liuyou.core.access import permissions_of


@dataclass(frozen=True)
class Item:
    label: str
    url: str
    permission: str | None = None  # None: every logged-in user
    icon: str = ""


@dataclass
class Section:
    label: str
    items: list[Item] = field(default_factory=list)


MENU: list[Section] = [
    Section("工作台", [Item("我的工作台", "/", None, "house")]),
    Section(
        "客户",
        [
            Item("客户信息库", "/customers/", "customer:view", "people"),
            Item("脱管客户", "/customers/orphans/", "customer:assign", "person-exclamation"),
        ],
    ),
    Section(
        "精准营销",
        [
            Item("多维分析", "/mining/", "mining:view", "bar-chart-line"),
            Item("维度参数", "/mining/config/", "mining:config", "sliders"),
            Item("客户标签", "/tags/", "tag:view", "tags"),
            Item("批量打标签", "/tags/bulk/", "tag:assign", "ui-checks"),
            Item("产品目录", "/products/", "product:view", "box-seam"),
            Item("产品匹配客户", "/products/matches/", "product:view", "person-check"),
            Item("目标客户名单", "/targets/", "target:view", "list-check"),
            Item("我的线索", "/targets/leads/", "lead:work", "bullseye"),
        ],
    ),
    Section(
        "数据与批处理",
        [
            Item("上传导入", "/imports/", "import:run", "cloud-upload"),
            Item("导入记录", "/imports/runs/", "import:view", "clock-history"),
            Item("日终批处理", "/jobs/", "job:view", "gear-wide-connected"),
        ],
    ),
    Section(
        "系统管理",
        [
            Item("机构管理", "/system/orgs/", "org:view", "diagram-3"),
            Item("用户管理", "/system/users/", "user:view", "person-badge"),
            Item("在线会话", "/system/sessions/", "session:manage", "display"),
            Item("数据字典", "/system/dicts/", "dict:view", "book"),
        ],
    ),
    Section(
        "安全管理",
        [
            Item("角色权限", "/system/roles/", "role:view", "shield-lock"),
            Item("接口密钥", "/system/apikeys/", "apikey:manage", "key"),
        ],
    ),
    Section(
        "审计",
        [
            Item("操作日志", "/system/logs/operations/", "log:view", "journal-text"),
            Item("登录日志", "/system/logs/logins/", "log:view", "box-arrow-in-right"),
            Item("完整性校验", "/system/logs/verify/", "log:view", "shield-check"),
        ],
    ),
]


def _matches(url: str, path: str) -> bool:
    return path == url or (url != "/" and url.endswith("/") and path.startswith(url))


def menu_for(user: Any, current_path: str = "/") -> list[dict[str, Any]]:
    """The sections and items `user` may open; only the longest matching URL is active."""
    perms = permissions_of(user)
    visible = [
        (section, [i for i in section.items if i.permission is None or i.permission in perms])
        for section in MENU
    ]
    candidates = [i.url for _, items in visible for i in items if _matches(i.url, current_path)]
    active_url = max(candidates, key=len) if candidates else None
    out = []
    for section, items in visible:
        if items:
            out.append(
                {
                    "label": section.label,
                    "items": [
                        {"label": i.label, "url": i.url, "icon": i.icon, "active": i.url == active_url}
                        for i in items
                    ],
                }
            )
    return out


def active_item(menu: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(section, item) of the active entry of a built menu, or (None, None)."""
    for section in menu:
        for item in section["items"]:
            if item["active"]:
                return section, item
    return None, None
