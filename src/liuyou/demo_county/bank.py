"""The demo bank as the extracts see it: org codes, grids and staff of
`liuyou.system.demo.plan_demo_bank`, so the extracts load onto exactly that bank."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Branch:
    index: int  # 1-based, the order of liuyou.system.demo.BRANCHES
    code: str
    town: str
    grid_villages: list[str]
    outlets: list[str] = field(default_factory=list)
    grids: list[str] = field(default_factory=list)
    managers: list[str] = field(default_factory=list)  # 工号 of account managers


@dataclass
class Staff:
    staff_no: str
    name: str
    org_code: str
    position: str
    phone: str
    left: bool = False


@dataclass
class BankView:
    orgs: list[tuple[str, str, str | None, str]]  # 机构号, 机构名称, 上级机构号, 机构类型
    branches: list[Branch]
    staff: list[Staff]


ORG_KIND_LABELS = {"head_office": "总行", "branch": "支行", "outlet": "网点", "grid": "网格"}


def load_bank(seed: int) -> BankView:
    # Imported here: liuyou.system.demo needs Django's app registry, which the generator
    # itself does not, so importing this package stays cheap.
    from liuyou.system.demo import BRANCHES, SERVICE_ACCOUNT, plan_demo_bank

    org_plans, user_plans = plan_demo_bank(seed)
    branches: dict[str, Branch] = {}
    parent_branch: dict[str, str] = {}
    orgs = []
    for p in org_plans:
        orgs.append((p.code, p.name, p.parent_code, ORG_KIND_LABELS[p.kind]))
        if p.kind == "branch":
            k = p.sort_order
            town, _outlet, villages = BRANCHES[k - 1]
            branches[p.code] = Branch(k, p.code, town, list(villages))
        elif p.kind in ("outlet", "grid") and p.parent_code in branches:
            parent_branch[p.code] = p.parent_code
            target = branches[p.parent_code]
            (target.outlets if p.kind == "outlet" else target.grids).append(p.code)
    staff = []
    for u in user_plans:
        staff.append(Staff(u.staff_no, u.name, u.org_code, u.position, u.phone))
        if u.role == "account_manager":
            branches[parent_branch[u.org_code]].managers.append(u.staff_no)
    staff.append(Staff(SERVICE_ACCOUNT[0], SERVICE_ACCOUNT[1], "000", "it_staff", ""))
    return BankView(orgs=orgs, branches=list(branches.values()), staff=staff)


POSITION_LABELS = {
    "account_manager": "客户经理",
    "service_specialist": "金融服务专员",
    "branch_head": "支行行长",
    "task_force_lead": "专班负责人",
    "risk_officer": "风险经理",
    "post_loan_officer": "贷后管理岗",
    "hq_staff": "总行部室人员",
    "it_staff": "科技人员",
    "auditor": "稽核审计岗",
}
