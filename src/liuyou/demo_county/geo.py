"""The county's townships and villages: one township per branch, 17-20 villages and
communities each, 12-digit statistical codes, coordinates, and the grid each belongs to."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from liuyou.demo_county.bank import Branch

COUNTY_AREA = "370725"  # the county's area code (a Weifang, Shandong county)
COUNTY_CENTER = (118.83, 36.70)  # lon, lat

# What each township is known for: weights over FARM_INDUSTRIES keys.
SPECIALTY = {
    "城关": {"vegetable": 3, "fruit": 1, "grain": 1},
    "东河": {"vegetable": 6, "grain": 2, "pig": 1},
    "西岭": {"sheep": 4, "fruit": 3, "grain": 1},
    "南湖": {"fishery": 4, "vegetable": 2, "grain": 2},
    "北山": {"cattle": 3, "sheep": 3, "fruit": 2},
    "柳林": {"vegetable": 5, "fruit": 1, "pig": 1},
    "石桥": {"vegetable": 3, "pig": 2, "grain": 2},
    "马坊": {"cattle": 6, "grain": 2},
    "杏园": {"fruit": 6, "vegetable": 2},
    "牛家庄": {"dairy": 6, "cattle": 1, "grain": 1},
    "菜园": {"vegetable": 7, "grain": 1},
    "白杨": {"pig": 6, "grain": 2, "vegetable": 1},
}

_DIRECTIONS = "东西南北前后上下大小"
_SUFFIXES = "庄村 家庄村 屯村 营村 集村 洼村 岭村 沟村 河村 店村 楼村 寨村"
_VILLAGE_SUFFIX = _SUFFIXES.split()
_SURNAME_POOL = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁宋谢韩唐冯于董程曹袁邓许傅沈彭吕苏卢蒋蔡贾丁魏薛"


@dataclass
class Village:
    code: str
    name: str
    township: str
    households: int
    population: int
    lon: float
    lat: float
    grid: str
    branch: Branch
    community: bool
    weight: float


def _township_name(town: str) -> str:
    return "城关街道" if town == "城关" else f"{town}镇"


def plan_villages(rng: random.Random, branches: list[Branch]) -> list[Village]:
    villages: list[Village] = []
    cx, cy = COUNTY_CENTER
    for b in branches:
        township = _township_name(b.town)
        if b.town == "城关":
            tx, ty = cx, cy
        else:
            angle = (b.index - 2) / (len(branches) - 1) * 6.283
            radius = rng.uniform(0.09, 0.2)
            tx, ty = cx + radius * math.cos(angle), cy + radius * 0.8 * math.sin(angle)
        names: list[str] = list(b.grid_villages)
        used = set(names)
        target = rng.randint(17, 20)
        while len(names) < target:
            if rng.random() < 0.5:
                name = rng.choice(_SURNAME_POOL) + rng.choice(_VILLAGE_SUFFIX)
            else:
                name = rng.choice(_DIRECTIONS) + rng.choice(_SURNAME_POOL) + rng.choice(_VILLAGE_SUFFIX)
            if name not in used:
                used.add(name)
                names.append(name)
        town_code = f"{COUNTY_AREA}{100 + b.index:03d}"
        n_comm = n_vill = 0
        for j, name in enumerate(names):
            community = not name.endswith("村")
            if community:
                n_comm += 1
                code = f"{town_code}{n_comm:03d}"
            else:
                n_vill += 1
                code = f"{town_code}{200 + n_vill:03d}"
            # The grid's namesake village belongs to it; the others are spread over the grids.
            grid = b.grids[j] if j < len(b.grids) else b.grids[j % len(b.grids)]
            households = rng.randint(900, 3000) if community else rng.randint(120, 900)
            villages.append(
                Village(
                    code=code,
                    name=name,
                    township=township,
                    households=households,
                    population=int(households * rng.uniform(2.6, 3.6)),
                    lon=round(tx + rng.uniform(-0.045, 0.045), 6),
                    lat=round(ty + rng.uniform(-0.035, 0.035), 6),
                    grid=grid,
                    branch=b,
                    community=community,
                    weight=households * (1.6 if b.town == "城关" else 1.0),
                )
            )
    return villages
