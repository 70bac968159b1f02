"""Identity numbers that pass the checks a bank's systems apply: resident IDs (GB 11643),
unified social credit codes (GB 32100 with the embedded GB 11714 organisation code) and
mobile numbers. Checks live here too so the tests and the generator agree on one rule."""

from __future__ import annotations

import random
import re
from datetime import date

_RIC_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))
_RIC_CHECK = "10X98765432"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Mobile prefixes of the three carriers, as they appear on a rural customer list.
_MOBILE = (
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
    "166 173 175 176 177 180 181 182 183 185 186 187 188 189 191 198 199"
)
MOBILE_PREFIXES = _MOBILE.split()

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
FIXED_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def ric_check_char(body17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) of the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(body17, _RIC_WEIGHTS, strict=True))
    return _RIC_CHECK[total % 11]


def make_ric(area: str, birth: date, seq: int, male: bool) -> str:
    """An 18-character resident ID; the sequence's last digit is odd for men, even for women."""
    seq = seq - seq % 2 + (1 if male else 0)
    body = f"{area}{birth:%Y%m%d}{seq:03d}"
    return body + ric_check_char(body)


def ric_is_valid(number: str) -> bool:
    """Check character and a real birth date; the area code is never checked (people keep
    the code of their first registration)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    if number[17].upper() != ric_check_char(number[:17]):
        return False
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return True


def org_code_check_char(body8: str) -> str:
    """The GB 11714 organisation-code check character of 8 code characters."""
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def uscc_check_char(body17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def make_uscc(rng: random.Random, *, prefix: str, area: str) -> str:
    """A credit code: registration authority and kind (`91` company, `92` individual business,
    `93` farmers' cooperative), area, organisation code with its own check, overall check."""
    org = f"{rng.randrange(10**8):08d}"
    body = f"{prefix}{area}{org}{org_code_check_char(org)}"
    return body + uscc_check_char(body)


def uscc_is_valid(code: str) -> bool:
    if len(code) != 18 or not code[:8].isdigit() or any(c not in USCC_ALPHABET for c in code[8:]):
        return False
    org = code[8:16]
    if not org.isalnum() or org_code_check_char(org) != code[16]:
        return False
    return uscc_check_char(code[:17]) == code[17]


def phone_is_valid(number: str) -> bool:
    return bool(MOBILE_RE.match(number) or FIXED_RE.match(number))


class UniqueNumbers:
    """Hands out resident IDs, mobile numbers and credit codes never given before in this run.

    Stored as ints: at a million customers a set of ints costs tens of MB, a set of str more.
    """

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._ids: set[int] = set()
        self._phones: set[int] = set()
        self._codes: set[str] = set()

    def uscc(self, *, prefix: str, area: str) -> str:
        """A credit code no other enterprise of this run has: two would be one customer (the
        import merges them), which a demo county must not plant by accident."""
        while True:
            code = make_uscc(self.rng, prefix=prefix, area=area)
            if code not in self._codes:
                self._codes.add(code)
                return code

    def ric(self, area: str, birth: date, male: bool) -> str:
        while True:
            number = make_ric(area, birth, self.rng.randrange(1, 1000), male)
            key = int(number[:17])
            if key not in self._ids:
                self._ids.add(key)
                return number

    def mobile(self) -> str:
        rng = self.rng
        while True:
            number = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
            key = int(number)
            if key not in self._phones:
                self._phones.add(key)
                return number
