"""Value clean-up and the date, amount, boolean, phone and required-field rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from liuyou.ingest.cleaning import clean_header, clean_value
from liuyou.ingest.converters import (
    ConversionError,
    to_amount,
    to_boolean,
    to_date,
    to_decimal,
    to_integer,
    to_month,
    to_phone,
    to_ratio,
    to_village_code,
)
from liuyou.ingest.sources import SOURCES
from liuyou.ingest.validate import RowValidator


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("'0001", "0001"),
        ("  '0001 ", "0001"),
        ("\t张三\t", "张三"),
        ("张\t三", "张三"),
        ("ＡＢＣ１２３", "ABC123"),
        ("　１３８１２３４５６７８　", "13812345678"),
        ("４１０５２１ｘ", "410521x"),
        ("城关营业部（新）", "城关营业部（新）"),  # full-width punctuation is not folded
        ("张　三", "张　三"),
        ("", ""),
        (None, ""),
    ],
)
def test_clean_value(raw, clean):
    assert clean_value(raw) == clean


def test_clean_header():
    assert clean_header("\ufeff　工号 ") == "工号"
    assert clean_header("近３个月查询次数") == "近3个月查询次数"


@pytest.mark.parametrize(
    "text",
    [
        "2025-03-01",
        "2025/3/1",
        "2025-3-1",
        "20250301",
        "2025年3月1日",
        "45717",
        "2025-03-01 00:00:00",
        "45717.0",
    ],
)
def test_every_date_form(text):
    assert to_date(text) == date(2025, 3, 1)


@pytest.mark.parametrize(
    "text", ["2025-02-30", "20251301", "2025年13月1日", "March 1", "01/03/2025", "0", "abc"]
)
def test_bad_dates(text):
    with pytest.raises(ConversionError):
        to_date(text)


@pytest.mark.parametrize(("text", "month"), [("2025-03", 3), ("202503", 3), ("2025/3", 3), ("2025年3月", 3)])
def test_months(text, month):
    assert to_month(text) == date(2025, month, 1)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,234.56", Decimal("1234.56")),
        ("1234.5", Decimal("1234.50")),
        ("1,234,567", Decimal("1234567.00")),
        ("-12.30", Decimal("-12.30")),
        ("0", Decimal("0.00")),
    ],
)
def test_amounts(text, value):
    assert to_amount(text) == value


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.234", "两位小数"),
        ("12,34.5", "格式错误"),
        ("1.2E+5", "科学计数法"),
        ("abc", "格式错误"),
        ("¥12", "格式错误"),
        ("99999999999999999", "超出范围"),
    ],
)
def test_bad_amounts(text, reason):
    with pytest.raises(ConversionError, match=reason):
        to_amount(text)


def test_decimal_and_integer():
    assert to_decimal("113.2654321") == Decimal("113.2654321")
    assert to_integer("1,234") == 1234
    with pytest.raises(ConversionError):
        to_integer("1.5")
    with pytest.raises(ConversionError):
        to_integer("1E3")


@pytest.mark.parametrize("text", ["是", "Y", "y", "1", "true", "TRUE", "True"])
def test_true(text):
    assert to_boolean(text) is True


@pytest.mark.parametrize("text", ["否", "N", "n", "0", "false", "FALSE"])
def test_false(text):
    assert to_boolean(text) is False


def test_bad_boolean():
    with pytest.raises(ConversionError, match="是/否"):
        to_boolean("有")


@pytest.mark.parametrize(
    "text", ["13812345678", "19912345678", "0371-12345678", "037112345678", "010-1234567", "0101234567"]
)
def test_good_phones(text):
    assert to_phone(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "12812345678",
        "1381234567",
        "138123456789",
        "371-12345678",
        "0371-123456",
        "+8613812345678",
        "1.38123E+10",
    ],
)
def test_bad_phones(text):
    with pytest.raises(ConversionError):
        to_phone(text)


# --- whole rows -------------------------------------------------------------------------


def validator(source: str) -> RowValidator:
    src = SOURCES[source]
    return RowValidator(src, set(src.headers), today=date(2026, 1, 1))


def test_required_fields_and_several_failures():
    row, problems = validator("staff").validate(
        7,
        {
            "工号": " ",
            "姓名": "张三",
            "机构号": "100",
            "状态": "休假",
            "手机号码": "123",
            "入职日期": "2025-02-30",
        },
    )
    assert row.line_no == 7
    assert problems == [
        ("工号", "必填项为空"),
        ("手机号码", "电话号码格式错误（手机号11位，固话如 0371-12345678）"),
        ("状态", "取值应为 在职、离职"),
        ("入职日期", "日期不存在"),
    ]


def test_customer_needs_an_id_number_or_a_credit_code():
    v = validator("core_customer")
    base = {"客户号": "C1", "客户名称": "张三", "客户类型": "个人"}
    _, problems = v.validate(2, base)
    assert problems == [("证件号码、统一社会信用代码", "至少填写一项")]
    _, problems = v.validate(2, {**base, "证件类型": "护照", "证件号码": "E12345678"})
    assert problems == []


def test_values_are_cleaned_before_checks():
    row, problems = validator("staff").validate(
        2,
        {
            "工号": "'０００１",
            "姓名": " 张三\t",
            "机构号": "１００",
            "状态": "在职",
            "手机号码": "１３８１２３４５６７８",
        },
    )
    assert problems == []
    assert row.values["staff_no"] == "0001" and row.values["org_code"] == "100"
    assert row.values["phone"] == "13812345678" and row.values["status"] == "active"


def test_text_longer_than_the_column_is_refused():
    _, problems = validator("staff").validate(
        2, {"工号": "1" * 33, "姓名": "张三", "机构号": "100", "状态": "在职"}
    )
    assert problems == [("工号", "长度超过 32 个字符")]


def test_every_source_is_declared_with_keys_required():
    assert set(SOURCES) == {
        "org",
        "staff",
        "village",
        "core_customer",
        "core_deposit",
        "credit_loan",
        "credit_line",
        "guarantee",
        "bureau",
        "txn_monthly",
        "crm_customer",
        "relation",
    }
    for source in SOURCES.values():
        for key in source.keys:
            assert source.column(key).required
        assert len(set(source.headers)) == len(source.headers)
    assert not SOURCES["bureau"].full and not SOURCES["txn_monthly"].full
    assert SOURCES["credit_loan"].history and SOURCES["core_deposit"].history
    assert SOURCES["credit_loan"].column("technical_overdue").optional


@pytest.mark.parametrize("text", ["370725101201", "410521100001"])
def test_village_codes(text):
    assert to_village_code(text) == text


@pytest.mark.parametrize("text", ["37072510120", "3707251012011", "37072510120A", "3.70725E+11"])
def test_bad_village_codes(text):
    with pytest.raises(ConversionError, match="村编码应为12位数字"):
        to_village_code(text)


def test_village_code_is_checked_in_customer_rows():
    v = RowValidator(SOURCES["crm_customer"], {"客户号", "村编码"})
    _, problems = v.validate(2, {"客户号": "C1", "村编码": "３７０７２５１０１２０１"})
    assert problems == []  # full-width digits are folded first
    row, problems = v.validate(3, {"客户号": "C1", "村编码": "3707251012"})
    assert problems == [("村编码", "村编码应为12位数字（统计用区划代码）")]


@pytest.mark.parametrize(
    ("text", "value"), [("0.8532", "0.8532"), ("85.32%", "0.8532"), ("85.32％", "0.8532"), ("0", "0")]
)
def test_ratios(text, value):
    assert to_ratio(text) == Decimal(value)


@pytest.mark.parametrize("text", ["85.32%%", "abc", "%"])
def test_bad_ratios(text):
    with pytest.raises(ConversionError, match="比率格式错误"):
        to_ratio(text)
