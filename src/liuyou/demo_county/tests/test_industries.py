"""The demo bank's 产业 dictionary: the CRM's words as sub-codes of the built-in classes."""

from __future__ import annotations

import pytest

from liuyou.customers.industries import INDUSTRIES
from liuyou.customers.models import Industry
from liuyou.demo_county.industries import county_entries, county_words, ensure_county_industries

BUILT_IN = {code for code, _, _ in INDUSTRIES}


def test_each_word_is_a_sub_code_of_the_nearest_built_in_class():
    entries = {word: (code, parent) for code, word, parent in county_entries(BUILT_IN)}
    assert entries["大棚蔬菜种植"] == ("A0141.1", "A014")
    assert entries["果蔬种植合作社"] == ("A0141.2", "A014")  # a second word of the same class
    assert entries["肉牛养殖"] == ("A0311.1", "A031")
    assert entries["奶牛养殖"] == ("A0311.2", "A031")
    assert entries["外出建筑务工"] == ("E4790.1", "E")
    assert len(entries) == len(county_words())
    codes = [code for code, _, _ in county_entries(BUILT_IN)]
    assert len(codes) == len(set(codes))


@pytest.mark.django_db
def test_ensure_adds_the_words_once_under_their_parents():
    added = ensure_county_industries()
    # 教育 is a built-in class's own name: the CRM word already maps to P.
    built_in_names = {name for _, name, _ in INDUSTRIES}
    assert added == len([w for w, _ in county_words() if w not in built_in_names]) == len(county_words()) - 1
    assert ensure_county_industries() == 0
    row = Industry.objects.select_related("parent").get(name="大棚蔬菜种植")
    assert (row.code, row.parent.code) == ("A0141.1", "A014")
