"""The workbench cards: which card each role sees, and where its number comes from.

A card without a `count` is a capability not built yet; the page shows an honest empty state
for it, never a made-up number. A later capability fills its cards from its AppConfig.ready():

    from liuyou.core import workbench
    workbench.provide("today_visits", count=selectors.visits_today_count, url="/field/visits/",
                      permission="visit:view")

or adds new ones with `workbench.register(Card(...), roles=[...])`. The view never changes.
Every count reads through core.scope (or is gated by a permission for unscoped tables), so a
number never includes a row the user could not open.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any

from django.utils import timezone

from liuyou.core.access import has_perm
from liuyou.core.scope import scoped

EMPTY_TEXT = "暂无数据：该功能将在后续版本上线"

Count = Callable[[Any], int]


@dataclass(frozen=True)
class Card:
    key: str
    title: str
    icon: str = "grid"
    # The permission needed to see the card at all; None: everyone holding one of its roles.
    permission: str | None = None
    count: Count | None = None  # None: the capability is not built yet
    unit: str = ""
    url: str = ""  # the records behind the number
    hint: str = ""  # what the number means, or what will appear here


@dataclass(frozen=True)
class CardValue:
    card: Card
    value: int | None

    @property
    def available(self) -> bool:
        return self.value is not None


@dataclass
class RoleSection:
    code: str
    name: str
    cards: list[CardValue] = field(default_factory=list)


_CARDS: dict[str, Card] = {}
_ROLE_CARDS: dict[str, list[str]] = {}


def register(card: Card, *, roles: Iterable[str]) -> None:
    """Add `card` (or replace the card with the same key) on the workbench of `roles`."""
    _CARDS[card.key] = card
    for role in roles:
        keys = _ROLE_CARDS.setdefault(role, [])
        if card.key not in keys:
            keys.append(card.key)


def provide(key: str, **changes: Any) -> None:
    """Fill in an existing card (typically its `count` and `url`) keeping its place."""
    _CARDS[key] = dataclasses.replace(_CARDS[key], **changes)


@dataclass(frozen=True)
class Panel:
    """A list under the cards (e.g. my open leads with their reasons): a capability's template
    and the context it needs, shown to users holding `permission`."""

    key: str
    title: str
    permission: str
    template: str
    context: Callable[[Any], dict[str, Any]]
    url: str = ""  # the full list


_PANELS: dict[str, Panel] = {}


def register_panel(panel: Panel) -> None:
    _PANELS[panel.key] = panel


def panels_for(user: Any) -> list[tuple[Panel, dict[str, Any]]]:
    return [(p, p.context(user)) for p in _PANELS.values() if has_perm(user, p.permission)]


def cards_of(role_code: str) -> list[Card]:
    return [_CARDS[k] for k in _ROLE_CARDS.get(role_code, [])]


def active_roles(user: Any) -> list[Any]:
    return list(user.roles.filter(is_active=True).order_by("sort_order", "code"))


def sections_for(user: Any, roles: list[Any] | None = None) -> list[RoleSection]:
    """One section per active role of `user`; a card shown under an earlier role is not
    repeated under a later one."""
    seen: set[str] = set()
    sections = []
    for role in roles if roles is not None else active_roles(user):
        section = RoleSection(code=role.code, name=role.name)
        for card in cards_of(role.code):
            if card.key in seen or (card.permission and not has_perm(user, card.permission)):
                continue
            seen.add(card.key)
            section.cards.append(CardValue(card, card.count(user) if card.count else None))
        sections.append(section)
    return sections


# --- counts available now ----------------------------------------------------------------


def _today_start() -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(), time.min))


def count_customers(user: Any) -> int:
    from liuyou.customers.models import Customer

    return scoped(Customer.objects.all(), user, "customer:view").count()


def count_orgs(user: Any) -> int:
    from liuyou.system.models import Org

    return scoped(Org.objects.filter(is_active=True), user, "org:view").count()


def count_staff(user: Any) -> int:
    from liuyou.system.models import User, UserStatus

    qs = User.objects.filter(status=UserStatus.ACTIVE, is_service_account=False)
    return scoped(qs, user, "user:view").count()


def count_users_with_roles(user: Any) -> int:
    from liuyou.system.models import User

    qs = User.objects.filter(roles__is_active=True, is_active=True).distinct()
    return scoped(qs, user, "user:view").count()


def count_dicts(user: Any) -> int:
    from liuyou.system.models import DictType

    return DictType.objects.filter(is_active=True).count() if has_perm(user, "dict:view") else 0


def count_roles(user: Any) -> int:
    from liuyou.system.models import Role

    return Role.objects.filter(is_active=True).count() if has_perm(user, "role:view") else 0


def count_api_keys(user: Any) -> int:
    from django.db.models import Q

    from liuyou.system.models import ApiKey

    if not has_perm(user, "apikey:manage"):
        return 0
    live = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    return ApiKey.objects.filter(live, revoked_at__isnull=True).count()


def count_operations_today(user: Any) -> int:
    from liuyou.system.models import OperationLog

    return (
        OperationLog.objects.filter(created_at__gte=_today_start()).count()
        if has_perm(user, "log:view")
        else 0
    )


def count_logins_today(user: Any) -> int:
    from liuyou.system.models import LoginLog

    return (
        LoginLog.objects.filter(created_at__gte=_today_start()).count() if has_perm(user, "log:view") else 0
    )


def count_login_failures_today(user: Any) -> int:
    from liuyou.system.models import LoginLog, LoginResult

    if not has_perm(user, "log:view"):
        return 0
    failed = (LoginResult.FAILURE, LoginResult.LOCKED)
    return LoginLog.objects.filter(created_at__gte=_today_start(), result__in=failed).count()


# --- the built-in cards (DESIGN.md "Roles and data scope") ----------------------------------


def _customers(key: str, title: str, hint: str) -> Card:
    return Card(
        key, title, "people", "customer:view", count_customers, unit="户", url="/customers/", hint=hint
    )


def _soon(key: str, title: str, icon: str, hint: str) -> Card:
    return Card(key, title, icon, hint=hint)


TODAY_VISITS = _soon("today_visits", "今日走访", "geo-alt", "走访打卡上线后显示今日走访次数")
REMINDERS = _soon("reminders", "跟进提醒", "bell", "按农时与到期日生成的待跟进客户")
LOGS = "/system/logs/"

_BUILTIN: dict[str, list[Card]] = {
    "account_manager": [
        _customers("my_customers", "我的客户", "本人管户的客户"),
        TODAY_VISITS,
        REMINDERS,
        _soon("my_leads", "我的线索", "bullseye", "目标客户名单分派给本人的线索"),
    ],
    "service_specialist": [
        _customers("grid_customers", "网格客户", "本网格的客户"),
        TODAY_VISITS,
        REMINDERS,
    ],
    "branch_head": [
        _customers("branch_customers", "支行客户", "本支行及下辖网点、网格的客户"),
        _soon("manager_ranking", "经理排名", "trophy", "本支行客户经理的月度考核排名"),
        _soon("risk_warnings", "风险预警", "exclamation-triangle", "本支行客户的预警信号"),
        _soon("visit_compliance", "走访达标", "calendar-check", "每人每工作日不少于 3 次走访的达标情况"),
    ],
    "task_force_lead": [
        _customers("team_customers", "专班客户", "专班成员与专班村的客户"),
        TODAY_VISITS,
        _soon("target_lists", "目标名单", "list-check", "分派给专班的目标客户名单"),
    ],
    "risk_officer": [
        _soon("risk_classification", "五级分类", "bar-chart", "正常、关注、次级、可疑、损失的贷款分布"),
        _soon("warning_signals", "预警信号", "exclamation-triangle", "待处理的预警信号"),
        _soon("risk_cases", "风险事件", "shield-exclamation", "审核、监测、分析、整改、优化闭环中的事件"),
        _soon("file_review", "信贷档案审核", "folder-check", "待集中审核的信贷档案"),
    ],
    "post_loan_officer": [
        _soon("post_loan_checks", "贷后检查", "clipboard-check", "到期应做的贷后检查"),
        _soon("maturing_loans", "到期贷款", "hourglass-split", "60 天内到期的贷款"),
        _soon("entrusted_payments", "受托支付", "cash-coin", "待核对的受托支付"),
    ],
    "hq_admin": [
        _customers("bank_customers", "全行客户", "全行客户信息库"),
        _soon("data_import", "数据导入", "cloud-upload", "源系统数据的导入批次与校验结果"),
        _soon("target_customers", "目标客户", "bullseye", "多维分析挖掘出的目标客户名单"),
        _soon("products", "产品", "box-seam", "燕归巢、普惠快贷等产品与匹配规则"),
    ],
    # The three separated duties (三员): accounts, grants, logs; never customer data.
    "system_admin": [
        Card("orgs", "机构", "diagram-3", "org:view", count_orgs, "个", "/system/orgs/",
             "启用中的机构"),
        Card("staff", "用户", "person-badge", "user:view", count_staff, "人", "/system/users/",
             "在职员工账号"),
        Card("dicts", "数据字典", "book", "dict:view", count_dicts, "类", "/system/dicts/",
             "启用中的字典类型"),
    ],
    "security_admin": [
        Card("roles", "角色", "shield-lock", "role:view", count_roles, "个", "/system/roles/",
             "启用中的角色"),
        Card("granted_users", "已授权用户", "person-check", "user:view", count_users_with_roles, "人",
             "/system/users/", "持有至少一个启用角色的可登录用户"),
        Card("api_keys", "接口密钥", "key", "apikey:manage", count_api_keys, "个", "/system/apikeys/",
             "未吊销、未过期的接口密钥"),
    ],
    "auditor": [
        Card("operations_today", "今日操作日志", "journal-text", "log:view", count_operations_today, "条",
             f"{LOGS}operations/", "今日记录的操作"),
        Card("logins_today", "今日登录日志", "box-arrow-in-right", "log:view", count_logins_today, "条",
             f"{LOGS}logins/", "今日的登录、退出与超时记录"),
        Card("login_failures_today", "今日登录失败", "x-octagon", "log:view", count_login_failures_today,
             "次", f"{LOGS}logins/", "今日失败与锁定的登录尝试"),
    ],
}  # fmt: skip

for _role, _cards in _BUILTIN.items():
    for _card in _cards:
        register(_card, roles=[_role])
