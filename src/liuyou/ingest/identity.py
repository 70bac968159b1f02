"""Identity numbers: the resident ID (GB 11643) and the unified social credit code (GB 32100).

Checksums come from python-stdnum. Its `ric.validate` also looks the area code up in a
table of places and refuses unknown ones; we never reject on the area code (people keep
the code of their first registration, and codes are retired), so we check length, digits,
check character and birth date ourselves and never call it.
"""

from __future__ import annotations

import re
from datetime import date

from stdnum.cn import ric, uscc

# Excel's rendering of a long number: the digits past the 15th are gone.
SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$")
_RIC18 = re.compile(r"^\d{17}[\dX]$")
_RIC15 = re.compile(r"^\d{15}$")
_USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
EARLIEST_BIRTH = date(1900, 1, 1)


class IdError(ValueError):
    """The Chinese reason a number is refused."""


def looks_like_resident_id(value: str) -> bool:
    return bool(_RIC18.match(value.upper()) or _RIC15.match(value))


def upgrade_15(number: str) -> str:
    """A legacy 15-digit ID as 18: century 19 inserted before the birth year, check character added."""
    body = number[:6] + "19" + number[6:]
    return body + ric.calc_check_digit(body + "0")


def _birth_date(number: str, today: date) -> date:
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdError("身份证号码中的出生日期不存在") from None
    if born < EARLIEST_BIRTH or born > today:
        raise IdError("身份证号码中的出生日期不合理")
    return born


def check_resident_id(
    value: str,
    *,
    birth_date: date | None = None,
    sex: str | None = None,
    today: date | None = None,
) -> str:
    """The 18-character ID (uppercase X), or IdError. `sex` is 'M' or 'F' when known."""
    number = value.upper()
    if SCIENTIFIC.match(number):
        raise IdError("证件号码被 Excel 转为科学计数法，已丢失位数")
    if _RIC15.match(number):
        number = upgrade_15(number)
    elif not _RIC18.match(number):
        raise IdError("身份证号码应为18位（末位可为X）或15位数字")
    elif ric.calc_check_digit(number) != number[-1]:
        raise IdError("身份证号码校验位错误")
    born = _birth_date(number, today or date.today())
    if birth_date is not None and birth_date != born:
        raise IdError("出生日期与身份证号码不一致")
    if sex in ("M", "F") and ("M" if int(number[16]) % 2 else "F") != sex:
        raise IdError("性别与身份证号码不一致")
    return number


def org_code_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code."""
    total = sum(_ORG_CHARS.index(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def check_credit_code(value: str) -> str:
    """An 18-character unified social credit code, or IdError."""
    code = value.upper()
    # Format first: a real code may read like a number in E notation (1234E5678...).
    if not _USCC.match(code) and SCIENTIFIC.match(code):
        raise IdError("统一社会信用代码被 Excel 转为科学计数法，已丢失位数")
    if not _USCC.match(code):
        raise IdError("统一社会信用代码应为18位数字或大写字母（不含I、O、S、V、Z）")
    if uscc.calc_check_digit(code) != code[-1]:
        raise IdError("统一社会信用代码校验位错误")
    if org_code_check(code[8:16]) != code[16]:
        raise IdError("统一社会信用代码中的组织机构代码校验位错误")
    return code


def check_other_id(value: str) -> str:
    """Passports and permits are accepted as given, but never a number Excel mangled."""
    if SCIENTIFIC.match(value):
        raise IdError("证件号码被 Excel 转为科学计数法，已丢失位数")
    return value
