"""The check characters agree with python-stdnum on any input, and the validators reject
what the import must reject."""

from __future__ import annotations

import random
from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from liuyou.demo_county.ids import (
    USCC_ALPHABET,
    UniqueNumbers,
    make_ric,
    make_uscc,
    org_code_check_char,
    phone_is_valid,
    ric_check_char,
    ric_is_valid,
    uscc_check_char,
    uscc_is_valid,
)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_resident_id_check_character_matches_stdnum(body):
    assert ric_check_char(body) == ric.calc_check_digit(body + "0")


@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17))
def test_credit_code_check_character_matches_stdnum(body):
    assert uscc_check_char(body) == uscc.calc_check_digit(body)


@given(st.dates(min_value=date(1930, 1, 1), max_value=date(2008, 12, 31)), st.booleans(), st.integers(0, 999))
def test_made_resident_ids_are_valid_with_birth_date_and_sex(birth, male, seq):
    n = make_ric("370725", birth, seq, male)
    assert ric_is_valid(n) and ric.calc_check_digit(n) == n[-1]
    assert ric.get_birth_date(n) == birth
    assert (int(n[16]) % 2 == 1) is male


def test_resident_id_rules():
    good = make_ric("110101", date(1980, 5, 5), 12, True)
    assert ric.is_valid(good)  # a code stdnum knows for that year: the full stdnum check passes too
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    assert not ric_is_valid(wrong)
    assert not ric_is_valid("3.70725E+17")
    assert not ric_is_valid(
        good[:6] + "19800231" + good[14:17] + ric_check_char(good[:6] + "19800231" + good[14:17])
    )
    # the area code never rejects
    assert ric_is_valid(make_ric("999999", date(1980, 5, 5), 12, True))


def test_organisation_code_check_of_a_published_example():
    assert org_code_check_char("D2143569") == "X"


def test_made_credit_codes_pass_both_checks():
    rng = random.Random(1)
    for _ in range(500):
        code = make_uscc(rng, prefix="91", area="370725")
        assert uscc.is_valid(code) and uscc_is_valid(code)
    # published examples (python-stdnum's doctest, Wikipedia's): the embedded check holds
    assert uscc_is_valid("91110000600037341L") and uscc_is_valid("91350100M000100Y43")
    broken = code[:16] + ("0" if code[16] != "0" else "1")
    broken = broken + uscc_check_char(broken)
    assert uscc.is_valid(broken) and not uscc_is_valid(broken)  # only the embedded check catches it


def test_phone_rules_and_uniqueness():
    numbers = UniqueNumbers(random.Random(3))
    phones = [numbers.mobile() for _ in range(5000)]
    assert len(set(phones)) == 5000 and all(phone_is_valid(p) for p in phones)
    assert phone_is_valid("0536-6123456") and phone_is_valid("05366123456")
    for bad in ("1234567890", "12012345678", "138001380000", "1380013800a", ""):
        assert not phone_is_valid(bad)


def test_credit_codes_are_unique_within_a_run(monkeypatch):
    """Two enterprises with one credit code would be merged into one customer by the import:
    a collision of the random organisation code is drawn again."""
    from liuyou.demo_county import ids

    draws = iter(["00000001", "00000001", "00000002"])
    monkeypatch.setattr(ids, "make_uscc", lambda rng, *, prefix, area: prefix + area + next(draws))
    numbers = UniqueNumbers(random.Random(5))
    assert [numbers.uscc(prefix="91", area="370725") for _ in range(2)] == [
        "9137072500000001",
        "9137072500000002",
    ]
