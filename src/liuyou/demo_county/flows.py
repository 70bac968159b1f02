"""Deposit accounts with month-end balances, and monthly transaction summaries, with the
seasons of a vegetable, fruit and livestock county: money goes out at spring planting
(March-April) and comes in at the autumn harvest (September-October)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date

from liuyou.demo_county.dates import add_months
from liuyou.demo_county.people import BUSINESS, ENTERPRISE, FARMER, MIGRANT, SALARIED, Person

# Index 0 = January.
SEASON_IN = {
    "crop": (0.8, 0.6, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 2.2, 2.6, 1.4, 1.0),
    "livestock": (1.4, 1.2, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.1, 1.2, 1.0, 1.3),
    BUSINESS: (1.4, 1.3, 0.9, 1.0, 1.0, 0.9, 0.9, 0.9, 1.1, 1.1, 1.0, 1.2),
    MIGRANT: (2.2, 1.5, 0.6, 0.7, 0.8, 0.8, 0.8, 0.8, 0.9, 0.9, 1.0, 1.6),
    SALARIED: (1.1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.3),
    ENTERPRISE: (1.0, 0.8, 0.9, 1.0, 1.0, 0.9, 0.9, 1.0, 1.5, 1.6, 1.2, 1.1),
}
SEASON_OUT = {
    "crop": (0.8, 0.7, 2.2, 2.4, 1.3, 0.9, 0.8, 0.8, 1.0, 1.0, 0.8, 1.1),
    "livestock": (1.1, 1.0, 1.6, 1.5, 1.0, 0.9, 0.9, 0.9, 1.0, 1.0, 0.9, 1.2),
    BUSINESS: (1.3, 1.2, 1.0, 1.0, 1.0, 0.9, 0.9, 0.9, 1.1, 1.1, 1.0, 1.3),
    MIGRANT: (1.6, 1.8, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 0.9, 1.0, 1.4),
    SALARIED: (1.2, 1.3, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1),
    ENTERPRISE: (1.0, 0.9, 1.3, 1.3, 1.0, 0.9, 0.9, 1.0, 1.2, 1.2, 1.0, 1.0),
}
# Deposits: farmers hold most after the harvest and least after spring planting.
SEASON_BALANCE = {
    "crop": (1.25, 1.15, 0.85, 0.7, 0.75, 0.85, 0.9, 0.95, 1.05, 1.25, 1.35, 1.3),
    "livestock": (1.2, 1.05, 0.9, 0.85, 0.9, 0.95, 0.95, 0.95, 1.0, 1.05, 1.05, 1.15),
    BUSINESS: (1.2, 1.1, 0.9, 0.95, 1.0, 0.95, 0.95, 0.95, 1.0, 1.0, 1.0, 1.1),
    MIGRANT: (1.45, 1.2, 0.8, 0.8, 0.85, 0.85, 0.9, 0.9, 0.95, 0.95, 1.0, 1.3),
    SALARIED: (1.05, 0.95, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05),
    ENTERPRISE: (1.0, 0.9, 0.9, 0.95, 1.0, 1.0, 1.0, 1.0, 1.1, 1.15, 1.05, 1.0),
}
BALANCE_MEDIAN = {FARMER: 9_000, BUSINESS: 16_000, MIGRANT: 11_000, SALARIED: 18_000, ENTERPRISE: 120_000}
INCOME = {FARMER: 3_500, BUSINESS: 12_000, MIGRANT: 5_000, SALARIED: 2_000, ENTERPRISE: 180_000}
_LIVESTOCK = frozenset({"pig", "cattle", "dairy", "sheep", "fishery"})


def season_key(p: Person) -> str:
    if p.segment == FARMER:
        return "livestock" if p.farm_kind in _LIVESTOCK else "crop"
    return p.segment


@dataclass(slots=True)
class Account:
    no: str
    fixed: bool
    opened: date
    term_months: int
    level: float  # average balance before the seasons
    closed: date | None = None


class FlowFactory:
    def __init__(self, rng: random.Random, dates: list[date]) -> None:
        self.rng = rng
        self.dates = dates
        self.date_strs = [d.isoformat() for d in dates]
        self.months = [f"{d:%Y-%m}" for d in dates]
        self.account_seq = 0
        self.end = dates[-1]

    def accounts(self, p: Person) -> list[Account]:
        rng = self.rng
        seg = p.segment
        if p.rich:
            level = rng.uniform(75_000, 800_000) * (4 if p.enterprise else 1)
            level = max(level, 75_000)
        elif p.dormant:
            level = rng.uniform(5, 400)
        else:
            level = BALANCE_MEDIAN[seg] * math.exp(rng.gauss(0, 0.9))
            # Large depositors are chosen, not drawn: everyone else stays below the mark.
            level = min(level, 42_000 if not p.enterprise else 45_000)
        out = []
        self.account_seq += 1
        out.append(Account(f"6{p.outlet}{self.account_seq:012d}", False, p.open_date, 0, level))
        if not p.dormant and rng.random() < (0.7 if p.rich else 0.28):
            self.account_seq += 1
            share = rng.uniform(0.4, 0.7)
            out[0].level = level * (1 - share)
            opened = p.open_date
            span = (self.end - opened).days
            if span > 60:
                opened = date.fromordinal(opened.toordinal() + rng.randrange(span - 30))
            term = rng.choice((12, 24, 36, 60))
            out.append(Account(f"6{p.outlet}{self.account_seq:012d}", True, opened, term, level * share))
        if p.departed is not None:
            for a in out:
                a.closed = p.departed
        return out

    def deposit_rows(self, p: Person, accounts: list[Account]):
        """(index of data date, row) for each account and data date it exists on."""
        rnd = self.rng.random
        season = SEASON_BALANCE[season_key(p)]
        growth = 1 + self.rng.uniform(-0.02, 0.08) / 12
        n = len(self.dates)
        dates = self.dates
        date_strs = self.date_strs
        for a in accounts:
            maturity = add_months(a.opened, a.term_months) if a.fixed else None
            opened = a.opened.isoformat()
            kind = "定期" if a.fixed else "活期"
            for i, d in enumerate(dates):
                if d < a.opened:
                    continue
                if a.closed is not None and d > a.closed and (i == 0 or dates[i - 1] >= a.closed):
                    break
                status = "正常"
                if a.fixed:
                    while maturity is not None and maturity <= d:
                        maturity = add_months(maturity, a.term_months)
                    avg = bal = a.level
                else:
                    avg = a.level * season[d.month - 1] * growth ** (i - n + 1) * (0.9 + 0.2 * rnd())
                    bal = avg * (0.8 + 0.4 * rnd())
                if a.closed is not None and d >= a.closed:
                    status, bal = "销户", 0.0
                yield (
                    i,
                    [
                        a.no,
                        p.no,
                        kind,
                        opened,
                        maturity.isoformat() if maturity else "",
                        f"{bal:.2f}",
                        f"{avg:.2f}",
                        status,
                        date_strs[i],
                    ],
                )

    def txn_rows(self, p: Person):
        """(index of month, row) of the monthly transaction summary."""
        rng = self.rng
        key = season_key(p)
        s_in, s_out = SEASON_IN[key], SEASON_OUT[key]
        income = INCOME[p.segment] * math.exp(rng.gauss(0, 0.5)) * (3 if p.rich else 1)
        salary = round(rng.uniform(3_000, 9_000), -1) if p.payroll else 0.0
        subsidy = round(rng.uniform(300, 3_000), 2) if p.subsidy else 0.0
        if p.merchant == 2:
            acquiring = rng.uniform(40_000, 150_000) * (2 if p.enterprise else 1)
        elif p.merchant == 1:
            acquiring = rng.uniform(3_000, 22_000)
        else:
            acquiring = 0.0
        outbound = (
            rng.uniform(0.7, 0.95)
            if p.segment == MIGRANT
            else (rng.uniform(0.0, 0.12) if rng.random() < 0.7 else 0.0)
        )
        rnd = rng.random
        dormant = p.dormant
        per_count = 800 if not p.enterprise else 8_000
        opened, departed = p.open_date, p.departed
        for i, d in enumerate(self.dates):
            if d < opened or (departed is not None and d > departed):
                continue
            if dormant and rnd() < 0.7:
                continue
            m = d.month - 1
            inflow = income * s_in[m] * (0.7 + 0.6 * rnd())
            outflow = income * s_out[m] * (0.7 + 0.5 * rnd())
            pay = salary * (2 if m == 11 else 1)
            sub = subsidy if m in (4, 9) else 0.0
            acq = acquiring * max(s_in[m], 0.9) * (0.9 + 0.2 * rnd()) if acquiring else 0.0
            inflow += pay + sub + acq
            outflow += (pay + acq) * (0.6 + 0.35 * rnd())
            if dormant:
                inflow, outflow = inflow * 0.02, outflow * 0.02
            count = int((inflow + outflow) / per_count) + 1 + int(rnd() * 12)
            yield (
                i,
                [
                    p.no,
                    self.months[i],
                    f"{inflow:.2f}",
                    f"{outflow:.2f}",
                    f"{pay:.2f}",
                    f"{sub:.2f}",
                    f"{acq:.2f}",
                    f"{(inflow + outflow) * outbound:.2f}",
                    str(count),
                ],
            )
