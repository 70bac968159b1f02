"""Resident IDs (GB 11643) and unified social credit codes (GB 32100), checked against
python-stdnum; the area code never rejects."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from liuyou.ingest import identity
from liuyou.ingest.sources import SOURCES
from liuyou.ingest.validate import RowValidator

TODAY = date(2026, 1, 1)
areas = st.integers(0, 999_999).map(lambda n: f"{n:06d}")
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
serials = st.integers(0, 999).map(lambda n: f"{n:03d}")


def make_id(area: str, born: date, serial: str) -> str:
    body = f"{area}{born:%Y%m%d}{serial}"
    return body + ric.calc_check_digit(body + "0")


@given(areas, births, serials)
def test_any_valid_id_with_any_area_code_is_accepted(area, born, serial):
    number = make_id(area, born, serial)
    assert identity.check_resident_id(number, today=TODAY) == number
    assert identity.check_resident_id(number.lower(), today=TODAY) == number  # x or X
    # stdnum agrees on everything but the place of birth, which we never check.
    assert ric.calc_check_digit(number) == number[-1]
    assert ric.get_birth_date(number) == born


@given(areas, births, serials, st.sampled_from("0123456789X"))
def test_a_wrong_check_character_is_rejected(area, born, serial, check):
    number = make_id(area, born, serial)
    if check == number[-1]:
        return
    with pytest.raises(identity.IdError, match="校验位"):
        identity.check_resident_id(number[:-1] + check, today=TODAY)


@given(areas, st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)), serials)
def test_15_digit_ids_become_18(area, born, serial):
    old = f"{area}{born:%y%m%d}{serial}"
    new = identity.check_resident_id(old, today=TODAY)
    assert new == make_id(area, born, serial)
    assert ric.calc_check_digit(new) == new[-1]


@given(areas, births, serials)
def test_birth_date_and_sex_must_agree(area, born, serial):
    number = make_id(area, born, serial)
    sex = "M" if int(serial[-1]) % 2 else "F"
    assert identity.check_resident_id(number, birth_date=born, sex=sex, today=TODAY) == number
    with pytest.raises(identity.IdError, match="性别"):
        identity.check_resident_id(number, sex="F" if sex == "M" else "M", today=TODAY)
    other = born + timedelta(days=1)
    with pytest.raises(identity.IdError, match="出生日期"):
        identity.check_resident_id(number, birth_date=other, today=TODAY)


def test_impossible_birth_dates_are_rejected():
    body = "41052119990230123"
    with pytest.raises(identity.IdError, match="出生日期不存在"):
        identity.check_resident_id(body + ric.calc_check_digit(body + "0"), today=TODAY)
    future = "410521" + "20270101" + "123"
    with pytest.raises(identity.IdError, match="不合理"):
        identity.check_resident_id(future + ric.calc_check_digit(future + "0"), today=TODAY)


def test_unknown_area_code_stdnum_would_reject_is_accepted():
    number = make_id("999999", date(1980, 5, 17), "123")
    assert not ric.is_valid(number)  # stdnum refuses the unknown place
    assert identity.check_resident_id(number, today=TODAY) == number


@pytest.mark.parametrize("text", ["4.10521E+17", "4.10521e17", "410521E5"])
def test_scientific_notation_is_rejected(text):
    with pytest.raises(identity.IdError, match="科学计数法"):
        identity.check_resident_id(text, today=TODAY)
    with pytest.raises(identity.IdError, match="科学计数法"):
        identity.check_other_id(text)
    with pytest.raises(identity.IdError, match="科学计数法"):
        identity.check_credit_code(text)


# --- credit codes -----------------------------------------------------------------------

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_BODY = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8)


def make_uscc(head: str, area: str, body: str) -> str:
    code = head + area + body + identity.org_code_check(body)
    return code + uscc.calc_check_digit(code + "0")


uscc_codes = st.builds(
    make_uscc,
    st.text(alphabet=USCC_CHARS, min_size=2, max_size=2),
    areas,
    ORG_BODY,
).filter(lambda c: c[16] in USCC_CHARS)


@given(uscc_codes)
def test_valid_credit_codes_are_accepted_and_stdnum_agrees(code):
    assert identity.check_credit_code(code) == code
    assert identity.check_credit_code(code.lower()) == code
    assert uscc.calc_check_digit(code) == code[-1]
    # stdnum wants digits in the first two places; GB 32100 also allows letters there
    # (N2 for rural collective economic organisations, Y1 for others), which we accept.
    if code[:2].isdigit():
        assert uscc.is_valid(code)


@given(uscc_codes, st.sampled_from(USCC_CHARS))
def test_wrong_credit_code_check_character_is_rejected(code, check):
    if check == code[-1]:
        return
    with pytest.raises(identity.IdError, match="校验位"):
        identity.check_credit_code(code[:-1] + check)


def test_known_credit_codes():
    assert identity.check_credit_code("91110000600037341L") == "91110000600037341L"
    rural = make_uscc("N2", "410521", "MA0A1B2C")
    assert identity.check_credit_code(rural) == rural
    with pytest.raises(identity.IdError, match="组织机构代码"):
        # a correct overall check character over a wrong embedded organisation-code check
        bad = "911100006000373" + "40"
        identity.check_credit_code(bad + uscc.calc_check_digit(bad + "0"))
    with pytest.raises(identity.IdError, match="18位"):
        identity.check_credit_code("9111000060003734")
    with pytest.raises(identity.IdError, match="18位"):
        identity.check_credit_code("91110000600037341I")


# --- in a customer row --------------------------------------------------------------------

V = RowValidator(SOURCES["core_customer"], set(SOURCES["core_customer"].headers), today=TODAY)
BASE = {"客户号": "C1", "客户名称": "张三", "客户类型": "个人"}


@pytest.mark.parametrize("id_type", ["居民身份证", "身份证", "户口簿"])
def test_resident_id_types_are_checked(id_type):
    good = make_id("410521", date(1985, 6, 1), "131")
    row, problems = V.validate(2, {**BASE, "证件类型": id_type, "证件号码": good.lower(), "性别": "男"})
    assert problems == [] and row.values["id_no"] == good
    _, problems = V.validate(
        2, {**BASE, "证件类型": id_type, "证件号码": good[:-1] + "0" if good[-1] != "0" else good[:-1] + "1"}
    )
    assert problems == [("证件号码", "身份证号码校验位错误")]
    _, problems = V.validate(
        2, {**BASE, "证件类型": id_type, "证件号码": good, "性别": "女", "出生日期": "1985-06-02"}
    )
    assert problems == [("证件号码", "出生日期与身份证号码不一致")] or problems == [
        ("证件号码", "性别与身份证号码不一致")
    ]


def test_other_id_types_are_accepted_as_given():
    for id_type, number in [
        ("护照", "E12345678"),
        ("港澳居民来往内地通行证", "H1234567801"),
        ("外国人永久居留身份证", "USA123456789012"),
    ]:
        row, problems = V.validate(2, {**BASE, "证件类型": id_type, "证件号码": number})
        assert problems == [] and row.values["id_no"] == number


def test_15_digit_id_in_a_row_is_stored_as_18():
    row, problems = V.validate(2, {**BASE, "证件类型": "身份证", "证件号码": "410521850601131"})
    assert problems == [] and row.values["id_no"] == make_id("410521", date(1985, 6, 1), "131")


def test_scientific_id_in_a_row_is_rejected():
    _, problems = V.validate(2, {**BASE, "证件类型": "身份证", "证件号码": "4.10521E+17"})
    assert problems == [("证件号码", "证件号码被 Excel 转为科学计数法，已丢失位数")]


def test_enterprise_with_credit_code():
    row, problems = V.validate(
        2,
        {"客户号": "E1", "客户名称": "某公司", "客户类型": "企业", "统一社会信用代码": "91110000600037341l"},
    )
    assert problems == [] and row.values["credit_code"] == "91110000600037341L"
    _, problems = V.validate(
        2,
        {"客户号": "E1", "客户名称": "某公司", "客户类型": "企业", "统一社会信用代码": "91110000600037341X"},
    )
    assert problems == [("统一社会信用代码", "统一社会信用代码校验位错误")]
