"""One converter per column type: cleaned text in, typed value out, or ConversionError
with the Chinese reason. No database access; regexes compiled once."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from liuyou.ingest.identity import SCIENTIFIC


class ConversionError(ValueError):
    pass


_DATE_SEP = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DATE_CN = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# Excel stores a date as days since 1899-12-30 (its 1900 leap-year bug folded in); five
# digits reach the year 2173, so an 8-digit number is never mistaken for a serial.
_EXCEL_SERIAL = re.compile(r"^(\d{1,5})(?:\.\d+)?$")
_EXCEL_EPOCH = date(1899, 12, 30)
_MONTH = re.compile(r"^(\d{4})(?:[-/.]?(\d{1,2})|年(\d{1,2})月)$")
# Thousands separators only in groups of three; at most two decimals (fen).
_AMOUNT = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$")
_PLAIN_AMOUNT = re.compile(r"^-?\d{1,16}(?:\.\d{1,2})?$")
_CENT = Decimal("0.01")
_DECIMAL = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")
_INTEGER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)$")
_VILLAGE_CODE = re.compile(r"^\d{12}$")
_PHONE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
_TRUE = frozenset({"是", "Y", "YES", "1", "TRUE", "T"})
_FALSE = frozenset({"否", "N", "NO", "0", "FALSE", "F"})
AMOUNT_LIMIT = Decimal("1e16")  # DecimalField(max_digits=18, decimal_places=2)


def _make_date(y: str, m: str, d: str) -> date:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        raise ConversionError("日期不存在") from None


@lru_cache(maxsize=8192)
def to_date(text: str) -> date:
    # Cached: a file repeats few distinct dates (data date, open and maturity dates), and a
    # cache hit skips three regexes. ConversionError is raised, never cached.
    m = _DATE_SEP.match(text) or _DATE_CN.match(text) or _DATE_COMPACT.match(text)
    if m:
        return _make_date(*m.groups())
    m = _EXCEL_SERIAL.match(text)
    if m and int(m.group(1)) > 0:
        return _EXCEL_EPOCH + timedelta(days=int(m.group(1)))
    raise ConversionError("日期格式无法识别（应为 2025-03-01、2025/3/1、20250301 或 2025年3月1日）")


def to_month(text: str) -> date:
    """A month as the first day of that month."""
    m = _MONTH.match(text)
    if not m or not (m.group(2) or m.group(3)):
        raise ConversionError("月份格式无法识别（应为 2025-03）")
    return _make_date(m.group(1), m.group(2) or m.group(3), "1")


def _number(text: str, pattern: re.Pattern[str], what: str) -> Decimal:
    if SCIENTIFIC.match(text):
        raise ConversionError(f"{what}为科学计数法，可能已丢失精度")
    if not pattern.match(text):
        raise ConversionError(f"{what}格式错误")
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        raise ConversionError(f"{what}格式错误") from None


def to_amount(text: str) -> Decimal:
    if _PLAIN_AMOUNT.match(text):
        # The common case, at most 16 integer digits and 2 decimals: in range by its shape.
        return Decimal(text).quantize(_CENT)
    if not _AMOUNT.match(text) and _DECIMAL.match(text):
        raise ConversionError("金额最多两位小数")
    value = _number(text, _AMOUNT, "金额")
    if abs(value) >= AMOUNT_LIMIT:
        raise ConversionError("金额超出范围")
    return value.quantize(_CENT)


def to_decimal(text: str) -> Decimal:
    return _number(text, _DECIMAL, "数值")


def to_ratio(text: str) -> Decimal:
    """A ratio as a fraction: `0.8532`, or a percentage `85.32%` (full-width ％ too)."""
    if text.endswith(("%", "％")):
        return _number(text[:-1].strip(), _DECIMAL, "比率") / 100
    return _number(text, _DECIMAL, "比率")


def to_integer(text: str) -> int:
    if SCIENTIFIC.match(text) or not _INTEGER.match(text):
        raise ConversionError("应为整数")
    return int(text.replace(",", ""))


def to_boolean(text: str) -> bool:
    upper = text.upper()
    if upper in _TRUE:
        return True
    if upper in _FALSE:
        return False
    raise ConversionError("应为 是/否、Y/N、1/0 或 true/false")


def to_phone(text: str) -> str:
    if not _PHONE.match(text):
        raise ConversionError("电话号码格式错误（手机号11位，固话如 0371-12345678）")
    return text


def to_village_code(text: str) -> str:
    """村编码: the 12-digit statistical code of a village or community (统计用区划代码)."""
    if not _VILLAGE_CODE.match(text):
        raise ConversionError("村编码应为12位数字（统计用区划代码）")
    return text


CONVERTERS: dict[str, Callable[[str], Any]] = {
    "village_code": to_village_code,
    "date": to_date,
    "month": to_month,
    "amount": to_amount,
    "decimal": to_decimal,
    "ratio": to_ratio,
    "integer": to_integer,
    "boolean": to_boolean,
    "phone": to_phone,
}
