"""Customers of the demo county, made a household (or an enterprise and its controller) at a
time so that spouses, parents and children, controllers and related firms link up."""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from liuyou.demo_county import vocab
from liuyou.demo_county.geo import COUNTY_AREA, SPECIALTY, Village
from liuyou.demo_county.ids import UniqueNumbers

FARMER, BUSINESS, MIGRANT, SALARIED, ENTERPRISE = (
    "farmer",
    "individual_business",
    "migrant_worker",
    "salaried",
    "small_enterprise",
)
SEGMENT_LABELS = {
    FARMER: "农户",
    BUSINESS: "个体工商户",
    MIGRANT: "外出务工人员",
    SALARIED: "上班族",
    ENTERPRISE: "小微企业",
}
# Shares of households by the segment of their first customer; spouses, children and
# controllers added below bring the customer shares to roughly 55/17/13/12/2.5 %.
HOUSEHOLD_SEGMENTS = [FARMER, BUSINESS, MIGRANT, SALARIED, ENTERPRISE]
HOUSEHOLD_WEIGHTS = [0.55, 0.15, 0.135, 0.13, 0.032]

PREFECTURE_AREAS = ["370702", "370703", "370704", "370705", "370724", "370781", "370782", "370784", "370786"]
ELSEWHERE_AREAS = ["410522", "130521", "340121", "220102", "510122", "370102", "320321", "411424", "371321"]
AGE_RANGE = {FARMER: (28, 72), BUSINESS: (24, 62), MIGRANT: (19, 50), SALARIED: (22, 58)}
LIVESTOCK = frozenset({"pig", "cattle", "dairy", "sheep", "fishery"})


@dataclass(slots=True)
class Person:
    no: str
    name: str
    enterprise: bool
    segment: str
    village: Village
    outlet: str
    open_date: date
    manager: str
    assist: str
    early_manager: str
    industry: str  # CRM 产业
    industry_code: str
    purpose: str
    farm_kind: str = ""  # FARM_INDUSTRIES key for farmers
    male: bool = True
    birth: date | None = None
    id_type: str = "居民身份证"
    id_no: str = ""
    credit_code: str = ""
    phone: str = ""
    address: str = ""
    early_address: str = ""
    social_card: bool = False
    payroll: bool = False
    household_size: int = 1
    refused: bool = False
    tags: str = ""
    remark: str = ""
    departed: date | None = None  # closed the relationship between the two snapshots
    # financial traits, decided here so that the flags on the customer row and the flows agree
    rich: bool = False
    merchant: int = 0  # 0 none, 1 small, 2 active (≥ 30,000 a month)
    subsidy: bool = False
    dormant: bool = False


@dataclass
class Household:
    members: list[Person]
    relations: list[tuple[str, str, str, str]] = field(default_factory=list)


class PeopleFactory:
    def __init__(
        self,
        rng: random.Random,
        numbers: UniqueNumbers,
        villages: list[Village],
        window_start: date,
        end: date,
        early: date,
    ) -> None:
        self.rng = rng
        self.numbers = numbers
        self.villages = villages
        self.window_start = window_start
        self.end = end
        self.early = early
        self.seq = 0
        rural = [v.weight * (0.3 if v.community else 1.0) for v in villages]
        urban = [v.weight * (3.0 if v.community else 0.6) for v in villages]
        self._rural_cum = _cumulative(rural)
        self._urban_cum = _cumulative(urban)
        # Customers opened before the window: over the 15 years before it.
        self._history_days = 15 * 365
        self._window_days = (end - window_start).days

    # ---- pieces -------------------------------------------------------------------
    def _next_no(self) -> str:
        self.seq += 1
        return f"10{self.seq:010d}"

    def _village(self, urban: bool) -> Village:
        cum = self._urban_cum if urban else self._rural_cum
        return self.villages[bisect.bisect_right(cum, self.rng.random() * cum[-1])]

    def _area(self) -> str:
        r = self.rng.random()
        if r < 0.85:
            return COUNTY_AREA
        return self.rng.choice(PREFECTURE_AREAS if r < 0.95 else ELSEWHERE_AREAS)

    def _name(self, male: bool) -> str:
        rng = self.rng
        pool = vocab.MALE_GIVEN if male else vocab.FEMALE_GIVEN
        given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.72 else "")
        return rng.choice(vocab.SURNAMES) + given

    def _birth(self, lo: int, hi: int) -> date:
        age_days = self.rng.randint(lo * 365 + 10, hi * 365 + 300)
        return self.end - timedelta(days=age_days)

    def _open_date(self, birth: date | None) -> date:
        rng = self.rng
        if rng.random() < 0.15:
            d = self.window_start + timedelta(days=rng.randrange(self._window_days))
        else:
            d = self.window_start - timedelta(days=rng.randrange(1, self._history_days))
        if birth is not None:
            adult = date(birth.year + 18, birth.month, min(birth.day, 28))
            if d < adult:
                d = adult + timedelta(days=rng.randrange(400))
                d = min(d, self.end)
        return d

    def _address(self, v: Village) -> str:
        rng = self.rng
        if v.community:
            building, unit, room = rng.randint(1, 30), rng.randint(1, 4), rng.randint(101, 602)
            return f"{v.township}{v.name}{building}号楼{unit}单元{room}室"
        return f"{v.township}{v.name}{rng.randint(1, 12)}组{rng.randint(1, 99)}号"

    def _managers(self, v: Village) -> tuple[str, str, str]:
        rng = self.rng
        managers = v.branch.managers
        primary = rng.choice(managers)
        assist = ""
        if rng.random() < 0.4 and len(managers) > 1:
            assist = rng.choice([m for m in managers if m != primary])
        # One customer in twelve changed hands during the last year: assignment history.
        early = rng.choice(managers) if rng.random() < 0.08 else primary
        return primary, assist, early

    def _industry(self, segment: str, v: Village) -> tuple[str, str, str, str]:
        rng = self.rng
        if segment == FARMER:
            spec = SPECIALTY[v.branch.town]
            if rng.random() < 0.65:
                kind = rng.choices(list(spec), weights=list(spec.values()))[0]
            else:
                kind = rng.choice(list(vocab.FARM_INDUSTRIES))
            label, code, purpose = vocab.FARM_INDUSTRIES[kind]
            return label, code, purpose, kind
        table = {BUSINESS: vocab.BUSINESS_INDUSTRIES, MIGRANT: vocab.MIGRANT_INDUSTRIES}.get(
            segment, vocab.SALARIED_INDUSTRIES
        )
        label, code, purpose = rng.choice(table)
        return label, code, purpose, ""

    def person(self, segment: str, *, village: Village | None = None, male: bool | None = None,
               age: tuple[int, int] | None = None) -> Person:  # fmt: skip
        rng = self.rng
        v = village or self._village(segment in (BUSINESS, SALARIED))
        is_male = (rng.random() < 0.56) if male is None else male
        lo, hi = age or AGE_RANGE[segment]
        birth = self._birth(lo, hi)
        label, code, purpose, kind = self._industry(segment, v)
        primary, assist, early_mgr = self._managers(v)
        address = self._address(v)
        p = Person(
            no=self._next_no(),
            name=self._name(is_male),
            enterprise=False,
            segment=segment,
            village=v,
            outlet=rng.choice(v.branch.outlets),
            open_date=self._open_date(birth),
            manager=primary,
            assist=assist,
            early_manager=early_mgr,
            industry=label,
            industry_code=code,
            purpose=purpose,
            farm_kind=kind,
            male=is_male,
            birth=birth,
            id_type="户口簿" if segment == FARMER and rng.random() < 0.01 else "居民身份证",
            id_no=self.numbers.ric(self._area(), birth, is_male),
            phone=self.numbers.mobile(),
            address=address,
            early_address=address if rng.random() < 0.97 else self._address(v),
        )
        self._traits(p)
        return p

    def _traits(self, p: Person) -> None:
        rng = self.rng
        seg = p.segment
        p.social_card = rng.random() < (0.45 if seg == FARMER else 0.22)
        p.payroll = seg == SALARIED and rng.random() < 0.85
        p.subsidy = seg == FARMER and rng.random() < 0.65
        p.rich = rng.random() < {FARMER: 0.03, BUSINESS: 0.09, MIGRANT: 0.03, SALARIED: 0.05}.get(seg, 0.35)
        if seg == BUSINESS:
            r = rng.random()
            p.merchant = 2 if r < 0.11 else 1 if r < 0.45 else 0
        elif seg == ENTERPRISE:
            r = rng.random()
            p.merchant = 2 if r < 0.3 else 1 if r < 0.5 else 0
        p.dormant = rng.random() < 0.04 and not (p.rich or p.merchant or p.payroll)
        p.refused = rng.random() < 0.025
        tags = vocab.TAGS[seg]
        if rng.random() < 0.35:
            p.tags = rng.choice(tags)
            if rng.random() < 0.25:
                other = rng.choice(tags)
                if other != p.tags:
                    p.tags += ";" + other
        if p.refused:
            p.remark = "客户明确表示不接受营销电话"
        elif rng.random() < 0.02:
            p.remark = rng.choice(["常年在外，联系家属", "有意扩大经营规模", "已加企业微信"])

    def enterprise(self, controller: Person) -> Person:
        rng = self.rng
        label, code, purpose, suffix = rng.choice(vocab.ENTERPRISE_INDUSTRIES)
        v = controller.village
        coop = suffix.endswith("合作社")
        name = f"{v.township.removesuffix('镇').removesuffix('街道')}{rng.choice(vocab.FIRM_WORDS)}{suffix}"
        e = Person(
            no=self._next_no(),
            name=name,
            enterprise=True,
            segment=ENTERPRISE,
            village=v,
            outlet=controller.outlet,
            open_date=self._open_date(None),
            manager=controller.manager,
            assist=controller.assist,
            early_manager=controller.early_manager,
            industry=label,
            industry_code=code,
            purpose=purpose,
            id_type="统一社会信用代码",
            credit_code=self.numbers.uscc(prefix="93" if coop else "91", area=COUNTY_AREA),
            phone=self.numbers.mobile() if rng.random() < 0.5 else f"0536-{rng.randint(6000000, 6999999)}",
            address=f"{v.township}{v.name}{rng.randint(1, 200)}号",
        )
        e.early_address = e.address
        self._traits(e)
        return e

    def relative_id(self, lo: int, hi: int, male: bool) -> str:
        """A related person who is not a customer: only the ID number is known."""
        return self.numbers.ric(self._area(), self._birth(lo, hi), male)

    # ---- households ---------------------------------------------------------------
    def household(self) -> Household:
        rng = self.rng
        seg = rng.choices(HOUSEHOLD_SEGMENTS, weights=HOUSEHOLD_WEIGHTS)[0]
        if seg == ENTERPRISE:
            return self._enterprise_group()
        head = self.person(seg, male=rng.random() < 0.75)
        hh = Household([head])
        rel = hh.relations
        v = head.village
        size = rng.choice((2, 3, 3, 4, 4, 5, 6)) if seg != SALARIED else rng.choice((1, 2, 3, 3, 4))
        if size >= 2:
            spouse_male = not head.male
            if rng.random() < 0.4:
                sp_seg = FARMER if seg == MIGRANT and rng.random() < 0.5 else seg
                age = AGE_RANGE[sp_seg] if sp_seg == seg else (25, 55)
                spouse = self.person(sp_seg, village=v, male=spouse_male, age=age)
                hh.members.append(spouse)
                rel += [(head.no, spouse.no, "", "配偶"), (spouse.no, head.no, "", "配偶")]
            else:
                rel.append((head.no, "", self.relative_id(22, 70, spouse_male), "配偶"))
        if size >= 3 and seg == FARMER and rng.random() < 0.22:
            child_seg = rng.choice((MIGRANT, MIGRANT, SALARIED, FARMER))
            child = self.person(child_seg, village=v, age=(19, 32))
            hh.members.append(child)
            rel += [(head.no, child.no, "", "子女"), (child.no, head.no, "", "父母")]
        if seg in (FARMER, MIGRANT) and rng.random() < 0.25:
            rel.append((head.no, "", self.relative_id(70, 88, rng.random() < 0.5), "父母"))
        for m in hh.members[1:]:
            rel.append((head.no, m.no, "", "同户"))
        for m in hh.members:
            m.household_size = size
        return hh

    def _enterprise_group(self) -> Household:
        rng = self.rng
        controller = self.person(BUSINESS, male=rng.random() < 0.8, age=(30, 60))
        firm = self.enterprise(controller)
        hh = Household([firm, controller])
        hh.relations.append((firm.no, controller.no, "", "实际控制人"))
        if rng.random() < 0.2:
            sister = self.enterprise(controller)
            hh.members.append(sister)
            hh.relations += [
                (sister.no, controller.no, "", "实际控制人"),
                (firm.no, sister.no, "", "关联企业"),
                (sister.no, firm.no, "", "关联企业"),
            ]
        controller.household_size = rng.choice((2, 3, 4))
        return hh


def _cumulative(weights: list[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out
