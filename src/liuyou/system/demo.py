"""The demo bank: a county rural commercial bank with a head office, 12 branches, their outlets
and grids, and staff in every built-in role.

The bank is planned first from a seeded RNG (same seed, same bank) and then applied: only
orgs and users whose code / 工号 are not in the database yet are created, so building twice
adds nothing. Writes go through the audited services; the one slow step, hashing the shared
demo password, is done once and set on all new demo users in one statement.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password

from liuyou.core import audit
from liuyou.system import services
from liuyou.system.models import Org, PasswordHistory, Role, User

DEMO_PASSWORD = "Liuyou@2026"
DEFAULT_SEED = 2026
DEFAULT_CUSTOMERS = 20_000
HEAD_OFFICE_CODE = "000"
HEAD_OFFICE_NAME = "县农商银行总行"


class DemoError(Exception):
    """The database is not ready for the demo (e.g. not migrated)."""


# A vegetable-and-livestock county: (town, extra outlet, villages and communities that become grids).
BRANCHES: list[tuple[str, str, list[str]]] = [
    ("城关", "人民路分理处", ["东关社区", "西关社区", "南街社区", "北关村"]),
    ("东河", "东河集镇分理处", ["东河村", "前屯村", "河湾村", "蔬菜大棚园区"]),
    ("西岭", "西岭集分理处", ["西岭村", "杏花峪村", "上庄村", "肉羊养殖小区"]),
    ("南湖", "湖滨分理处", ["南湖村", "渔港村", "苇塘村", "莲花村"]),
    ("北山", "北山集分理处", ["北山村", "牧场村", "石门村", "羊圈沟村"]),
    ("柳林", "柳林集分理处", ["柳林村", "后柳村", "菜园村", "张家庄村"]),
    ("石桥", "冷链物流园分理处", ["石桥村", "王庄村", "李庄村", "冷链物流园社区"]),
    ("马坊", "牧业园分理处", ["马坊村", "前马坊村", "后马坊村", "肉牛养殖园区"]),
    ("杏园", "果蔬市场分理处", ["杏园村", "桃园村", "刘家洼村", "果蔬合作社片区"]),
    ("牛家庄", "乳业园分理处", ["牛家庄村", "孙庄村", "赵屯村", "奶牛养殖小区"]),
    ("菜园", "蔬菜批发市场分理处", ["菜园村", "韭菜湾村", "黄瓜岭村", "批发市场社区"]),
    ("白杨", "白杨镇分理处", ["白杨村", "周庄村", "新村社区", "生猪养殖园区"]),
]

# (role code, position) for the head-office staff, in 工号 order.
HEAD_OFFICE_STAFF: list[tuple[str, str]] = [
    ("system_admin", "it_staff"),
    ("security_admin", "it_staff"),
    ("auditor", "auditor"),
    ("hq_admin", "hq_staff"),
    ("risk_officer", "risk_officer"),
    ("risk_officer", "risk_officer"),
    ("post_loan_officer", "post_loan_officer"),
    ("post_loan_officer", "post_loan_officer"),
]

# (工号, 名称, role) of the demo's system-integration account: API keys only, no page login.
SERVICE_ACCOUNT = ("000900", "数据接口账号", "risk_officer")

# Weighted toward the most common surnames, as a real staff list is.
SURNAMES = (
    "王王王李李李张张张刘刘陈陈杨杨赵赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
    "苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国志文斌峰辉鹏飞海燕雪梅琳晨宇浩然欣怡子涵"
    "佳琪梓轩博文思远晓东春生秋菊冬梅振华德胜永强凤霞金凤立新卫东学军淑珍海波小龙"
)


@dataclass(frozen=True)
class OrgPlan:
    code: str
    name: str
    kind: str
    parent_code: str | None
    sort_order: int


@dataclass(frozen=True)
class UserPlan:
    staff_no: str
    name: str
    org_code: str
    role: str
    position: str
    phone: str


@dataclass(frozen=True)
class Login:
    staff_no: str
    name: str
    role: str
    role_name: str
    org_name: str


@dataclass
class DemoResult:
    seed: int
    password: str
    orgs_created: int
    users_created: int
    orgs_total: int
    users_total: int
    logins: list[Login]
    customers_requested: int = 0
    users_by_role: dict[str, int] = field(default_factory=dict)


def _name_generator(rng: random.Random):
    used: set[str] = set()

    def make() -> str:
        while True:
            given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
            name = rng.choice(SURNAMES) + given
            if name not in used:
                used.add(name)
                return name

    return make


def plan_demo_bank(seed: int = DEFAULT_SEED) -> tuple[list[OrgPlan], list[UserPlan]]:
    """The whole bank as plain data, parents before children. Pure: touches no database."""
    rng = random.Random(seed)
    name_of = _name_generator(rng)

    def phone() -> str:
        return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"

    orgs = [OrgPlan(HEAD_OFFICE_CODE, HEAD_OFFICE_NAME, "head_office", None, 0)]
    users = [
        UserPlan(f"{HEAD_OFFICE_CODE}{i:03d}", name_of(), HEAD_OFFICE_CODE, role, position, phone())
        for i, (role, position) in enumerate(HEAD_OFFICE_STAFF, start=1)
    ]
    task_force_branches = set(rng.sample(range(1, len(BRANCHES) + 1), 4))
    for k, (town, extra_outlet, villages) in enumerate(BRANCHES, start=1):
        branch = f"{k:02d}0"
        orgs.append(OrgPlan(branch, f"{town}支行", "branch", HEAD_OFFICE_CODE, k))
        outlets = [OrgPlan(f"{k:02d}1", f"{town}支行营业部", "outlet", branch, 1)]
        if rng.random() < 0.6:
            outlets.append(OrgPlan(f"{k:02d}2", f"{town}支行{extra_outlet}", "outlet", branch, 2))
        grids = [
            OrgPlan(f"{k:02d}G{j}", f"{village}网格", "grid", branch, 10 + j)
            for j, village in enumerate(villages[: rng.randint(2, 4)], start=1)
        ]
        orgs += outlets + grids

        seq = iter(range(1, 1000))
        users.append(
            UserPlan(f"{branch}{next(seq):03d}", name_of(), branch, "branch_head", "branch_head", phone())
        )
        if k in task_force_branches:
            users.append(
                UserPlan(
                    f"{branch}{next(seq):03d}",
                    name_of(),
                    branch,
                    "task_force_lead",
                    "task_force_lead",
                    phone(),
                )
            )
        for i in range(rng.randint(5, 8)):
            outlet = outlets[i % len(outlets)]
            users.append(
                UserPlan(
                    f"{branch}{next(seq):03d}",
                    name_of(),
                    outlet.code,
                    "account_manager",
                    "account_manager",
                    phone(),
                )
            )
        for grid in grids:
            users.append(
                UserPlan(
                    f"{branch}{next(seq):03d}",
                    name_of(),
                    grid.code,
                    "service_specialist",
                    "service_specialist",
                    phone(),
                )
            )
    return orgs, users


def build_demo_bank(
    *, seed: int = DEFAULT_SEED, customers: int = 0, password: str = DEMO_PASSWORD
) -> DemoResult:
    """Create whatever of the demo bank is missing. The caller owns the transaction.

    `customers` is accepted for the customer library to come; no customer data is made yet.
    Demo users do not have to change the shared password at first login: demo use only.
    """
    org_plans, user_plans = plan_demo_bank(seed)
    roles = {r.code: r for r in Role.objects.all()}
    missing = sorted({u.role for u in user_plans} - roles.keys())
    if missing:
        raise DemoError("数据库缺少内置角色 " + "、".join(missing) + "，请先运行 liuyou migrate")

    orgs = {o.code: o for o in Org.objects.filter(code__in=[p.code for p in org_plans])}
    orgs_created = 0
    for p in org_plans:
        if p.code in orgs:
            continue
        parent = orgs[p.parent_code] if p.parent_code else None
        orgs[p.code] = services.create_org(
            code=p.code, name=p.name, kind=p.kind, parent=parent, sort_order=p.sort_order
        )
        orgs_created += 1

    existing = set(
        User.objects.filter(staff_no__in=[u.staff_no for u in user_plans]).values_list("staff_no", flat=True)
    )
    new_ids = []
    for u in user_plans:
        if u.staff_no in existing:
            continue
        user = services.create_user(
            staff_no=u.staff_no,
            name=u.name,
            org=orgs[u.org_code],
            password=None,
            roles=[roles[u.role]],
            position=u.position,
            phone=u.phone,
            must_change_password=False,
        )
        new_ids.append(user.pk)
    if new_ids:
        # One Argon2 hash for the one shared demo password, instead of a second of hashing per user.
        shared = make_password(password)
        User.objects.filter(pk__in=new_ids).update(password=shared)
        PasswordHistory.objects.filter(user_id__in=new_ids).update(password=shared)
    if not User.objects.filter(staff_no=SERVICE_ACCOUNT[0]).exists():
        # A system-integration account, so `liuyou apikey create --user 000900` works on the demo.
        services.create_user(
            staff_no=SERVICE_ACCOUNT[0],
            name=SERVICE_ACCOUNT[1],
            org=orgs[HEAD_OFFICE_CODE],
            password=None,
            roles=[roles[SERVICE_ACCOUNT[2]]],
            must_change_password=False,
            is_service_account=True,
        )
    if new_ids or orgs_created:
        audit.record(
            action="demo.build",
            object_type="system.demo",
            object_repr="演示银行",
            after={"seed": seed, "orgs_created": orgs_created, "users_created": len(new_ids)},
            message="演示数据：演示账号共用演示密码，且首次登录无须改密，仅限演示环境",
        )

    org_names = {code: o.name for code, o in orgs.items()}
    logins = [
        Login(u.staff_no, u.name, u.role, roles[u.role].name, org_names[u.org_code]) for u in user_plans
    ]
    return DemoResult(
        seed=seed,
        password=password,
        orgs_created=orgs_created,
        users_created=len(new_ids),
        orgs_total=len(org_plans),
        users_total=len(user_plans),
        logins=logins,
        customers_requested=customers,
        users_by_role=dict(Counter(u.role for u in user_plans)),
    )


def representative_logins(logins: list[Login]) -> list[Login]:
    """Every head-office login, then the first user of each branch-side role."""
    out = [login for login in logins if login.staff_no.startswith(HEAD_OFFICE_CODE)]
    seen = {login.role for login in out}
    for login in logins:
        if login.role not in seen:
            out.append(login)
            seen.add(login.role)
    return out
