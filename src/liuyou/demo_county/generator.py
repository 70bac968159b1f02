"""`generate`: the demo county's extracts for every source, streamed customer by customer."""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from pathlib import Path

from liuyou.demo_county.bank import POSITION_LABELS, BankView, load_bank
from liuyou.demo_county.dates import last_month_end_before, month_ends
from liuyou.demo_county.flows import FlowFactory
from liuyou.demo_county.geo import COUNTY_AREA, plan_villages
from liuyou.demo_county.ids import UniqueNumbers
from liuyou.demo_county.loans import CreditFactory
from liuyou.demo_county.output import Manifest, Output
from liuyou.demo_county.people import FARMER, MIGRANT, SEGMENT_LABELS, PeopleFactory, Person

# The deliberate bad rows of core_customer, in turn (see docs/demo-county.md).
BAD_KINDS = [
    ("证件号码", "身份证校验位错误"),
    ("证件号码", "证件号码为科学计数法（Excel 丢失了位数）"),
    ("村编码", "村编码不存在"),
    ("手机号码", "手机号码格式错误"),
]
BAD_SHARE = 0.002
DEPARTED_SHARE = 0.005
# Account managers who have left: their customers become orphans (never the first account
# manager, whose login the demo prints).
LEFT_STAFF_BRANCHES = (3, 7)


def generate(
    *,
    out_dir: Path,
    customers: int = 20_000,
    seed: int = 2026,
    months: int = 24,
    end_date: date | None = None,
) -> Manifest:
    """Write the demo county's extracts into `out_dir` and return the manifest (files in
    import order). Same arguments, same bytes."""
    started = time.perf_counter()
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if months < 13:
        raise ValueError("months must be at least 13 (two snapshots a year apart)")
    end = end_date or last_month_end_before(date.today())
    dates = month_ends(end, months)
    end = dates[-1]
    early = dates[-13]
    window_start = dates[0].replace(day=1)

    rng = random.Random(seed)
    bank = load_bank(seed)
    _mark_left(bank)
    villages = plan_villages(rng, bank.branches)
    out = Output(Path(out_dir))

    _write_org(out, bank, end)
    _write_staff(out, bank, end, rng)
    _write_villages(out, villages, end)

    numbers = UniqueNumbers(rng)
    people = PeopleFactory(rng, numbers, villages, window_start, end, early)
    credit = CreditFactory(rng, window_start, end)
    flows = FlowFactory(rng, dates)

    cust_latest = out.open("core_customer", end)
    cust_early = out.open("core_customer", early)
    crm_latest = out.open("crm_customer", end)
    crm_early = out.open("crm_customer", early)
    relation = out.open("relation", end)
    line = out.open("credit_line", end)
    guarantee = out.open("guarantee", end)
    deposit = [out.open("core_deposit", d) for d in dates]
    loan_files = [out.open("credit_loan", d) for d in dates]
    bureau = [out.open("bureau", d) for d in dates]
    txn = [out.open("txn_monthly", d) for d in dates]

    date_strs = [d.isoformat() for d in dates]
    counts = dict.fromkeys(SEGMENT_LABELS.values(), 0)
    profiles: dict[str, int] = {}
    n_bad = max(len(BAD_KINDS), round(customers * BAD_SHARE))
    n_departed = max(2, round(customers * DEPARTED_SHARE))
    bad_every = customers / n_bad
    departed_every = customers / n_departed
    bad_done = departed_done = made = 0

    def emit_customer(p: Person) -> None:
        plan = credit.plan(p)
        profiles[plan.profile] = profiles.get(plan.profile, 0) + 1
        if p.departed is None:
            cust_latest.add(_customer_row(p, p.address))
            crm_latest.add(_crm_row(p, p.manager))
        if p.open_date <= early:
            cust_early.add(_customer_row(p, p.early_address))
            crm_early.add(_crm_row(p, p.early_manager))
        for i, row in flows.deposit_rows(p, flows.accounts(p)):
            sink = deposit[i]
            sink.add(row)
        for i, row in flows.txn_rows(p):
            sink = txn[i]
            sink.add(row)
        for lo in plan.loans:
            for i, d in enumerate(dates):
                if d >= lo.issue:
                    loan_files[i].add(lo.row(d, date_strs[i]))
        if plan.line is not None:
            line.add(plan.line)
        for g in plan.guarantees:
            guarantee.add(g)
        for r in plan.relations:
            relation.add(r)
        for report_date, row in plan.bureau:
            sink = bureau[_month_index(dates, report_date)]
            sink.add(row)
        credit.remember(p)

    while made < customers:
        household = people.household()
        members = household.members[: customers - made]
        kept = {m.no for m in members}
        for p in members:
            emit_customer(p)
            counts[SEGMENT_LABELS[p.segment]] += 1
        for r in household.relations:
            if r[0] in kept and (not r[1] or r[1] in kept):
                relation.add(r)
        made += len(members)
        while departed_done < n_departed and made >= (departed_done + 0.5) * departed_every:
            emit_customer(_departed(people, rng, early, end))
            departed_done += 1
        while bad_done < n_bad and made >= (bad_done + 0.5) * bad_every:
            _bad_customer(people, rng, cust_latest, bad_done)
            bad_done += 1

    _bad_village(out.open("village", end), rng)
    entries = out.close()
    manifest = Manifest(
        seed=seed,
        customers=customers,
        months=months,
        end_date=end.isoformat(),
        out_dir=str(out_dir),
        files=entries,
        stats={
            "segments": counts,
            "credit_profiles": dict(sorted(profiles.items())),
            "departed_customers": n_departed,
            "bad_customer_rows": n_bad,
            "villages": len(villages),
            "left_staff": [s.staff_no for s in bank.staff if s.left],
        },
    )
    (Path(out_dir) / "manifest.json").write_text(manifest.to_json() + "\n", encoding="utf-8")
    manifest.elapsed_seconds = time.perf_counter() - started
    return manifest


def _month_index(dates: list[date], d: date) -> int:
    for i, x in enumerate(dates):
        if d <= x:
            return i
    return len(dates) - 1


def _mark_left(bank: BankView) -> None:
    for b in bank.branches:
        if b.index in LEFT_STAFF_BRANCHES and len(b.managers) > 1:
            gone = b.managers[-1]
            for s in bank.staff:
                if s.staff_no == gone:
                    s.left = True


def _write_org(out: Output, bank: BankView, end: date) -> None:
    sink = out.open("org", end)
    towns = {b.code: b.town for b in bank.branches}
    for k, (code, name, parent, kind) in enumerate(bank.orgs):
        if kind == "网格":
            continue  # grids are managed in the app, not by the core system's org extract
        town = towns.get(code) or towns.get(parent or "", "")
        township = "城关街道" if town == "城关" else f"{town}镇"
        street = "政府街" if k % 2 else "中心大街"
        address = "城关街道人民路1号" if kind == "总行" else f"{township}{street}{k * 6 + 8}号"
        sink.add([code, name, parent or "", kind, address])


def _write_staff(out: Output, bank: BankView, end: date, rng: random.Random) -> None:
    sink = out.open("staff", end)
    for s in bank.staff:
        joined = date(2005, 1, 1) + timedelta(days=rng.randrange(6000))
        sink.add(
            [
                s.staff_no,
                s.name,
                s.org_code,
                POSITION_LABELS.get(s.position, s.position),
                s.phone,
                f"LY{s.staff_no}" if s.phone else "",
                "离职" if s.left else "在职",
                joined.isoformat(),
            ]
        )


def _write_villages(out: Output, villages, end: date) -> None:
    sink = out.open("village", end)
    for v in villages:
        sink.add(
            [
                v.code,
                v.name,
                v.township,
                str(v.households),
                str(v.population),
                f"{v.lon:.6f}",
                f"{v.lat:.6f}",
                v.grid,
            ]
        )


def _bad_village(sink, rng: random.Random) -> None:
    # A hand-edited row: a digit of the code lost in a spreadsheet, households typed as text.
    sink.add(["37072510320", "新建村", "东河镇", "约120户", "380", "118.900000", "36.700000", "02G1"])
    sink.bad_rows.append(
        {"行号": sink.rows + 1, "列名": "村编码；户数", "原因": "村编码不是12位数字；户数不是整数"}
    )


def _customer_row(p: Person, address: str) -> list[str]:
    return [
        p.no,
        p.name,
        "企业" if p.enterprise else "个人",
        p.id_type,
        p.id_no,
        p.credit_code,
        "" if p.enterprise else ("男" if p.male else "女"),
        p.birth.isoformat() if p.birth else "",
        p.phone,
        address,
        p.village.code,
        p.outlet,
        p.open_date.isoformat(),
        "是" if p.social_card else "否",
        "是" if p.payroll else "否",
    ]


def _crm_row(p: Person, manager: str) -> list[str]:
    return [
        p.no,
        manager,
        p.assist if p.assist != manager else "",
        SEGMENT_LABELS[p.segment],
        p.industry,
        p.village.code,
        str(p.household_size),
        p.tags,
        "是" if p.refused else "否",
        p.remark,
    ]


def _departed(people: PeopleFactory, rng: random.Random, early: date, end: date) -> Person:
    """A customer in the older snapshots who closed every account before the latest one."""
    p = people.person(rng.choice((FARMER, MIGRANT)))
    p.open_date = min(p.open_date, early - timedelta(days=30))
    p.departed = early + timedelta(days=rng.randint(10, (end - early).days - 40))
    p.rich = False
    p.merchant = 0
    return p


def _bad_customer(people: PeopleFactory, rng: random.Random, sink, k: int) -> None:
    p = people.person(FARMER)
    row = _customer_row(p, p.address)
    column, reason = BAD_KINDS[k % len(BAD_KINDS)]
    if k % 4 == 0:
        wrong = "0123456789X".replace(p.id_no[17], "")
        row[4] = p.id_no[:17] + wrong[rng.randrange(len(wrong))]
    elif k % 4 == 1:
        row[4] = f"{float(p.id_no[:17] + '0'):.5E}"
    elif k % 4 == 2:
        row[10] = f"{COUNTY_AREA}199{rng.randint(900, 999)}"
    else:
        row[8] = "1" + str(rng.randint(20, 29)) + f"{rng.randrange(10**7):07d}"
    sink.add(row)
    sink.bad_rows.append({"行号": sink.rows + 1, "客户号": p.no, "列名": column, "原因": reason})
