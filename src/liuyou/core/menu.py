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
    Section("客户", [Item("客户信息库", "/customers/", "customer:view", "people")]),
    Section("系统管理", [
        Item("机构管理", "/system/orgs/", "org:view", "diagram-3"),
        Item("用户管理", "/system/users/", "user:view", "person-badge"),
        Item("在线会话", "/system/sessions/", "session:manage", "display"),
        Item("数据字典", "/system/dicts/", "dict:view", "book"),
    ]),
    Section("安全管理", [
        Item("角色权限", "/system/roles/", "role:view", "shield-lock"),
        Item("接口密钥", "/system/apikeys/", "apikey:manage", "key"),
    ]),
    Section("审计", [
        Item("操作日志", "/system/logs/operations/", "log:view", "journal-text"),
        Item("登录日志", "/system/logs/logins/", "log:view", "box-arrow-in-right"),
    ]),
]


def menu_for(user: Any, current_path: str = "/") -> list[dict[str, Any]]:
    perms = permissions_of(user)
    out = []
    for section in MENU:
        items = [
            {"label": i.label, "url": i.url, "icon": i.icon,
             "active": current_path == i.url or (i.url != "/" and current_path.startswith(i.url))}
            for i in section.items
            if i.permission is None or i.permission in perms
        ]
        if items:
            out.append({"label": section.label, "items": items})
    return out
