"""Selectors: scoped lists and lookups, exact search through the HMAC index."""

from __future__ import annotations

import pytest
from django.http import Http404

from liuyou.customers import selectors

from .conftest import ID_1, ID_2, PHONE_1, PHONE_2


def found(user, **filters):
    return sorted(selectors.customer_list(user=user, filters=filters).values_list("customer_no", flat=True))


@pytest.mark.django_db
def test_exact_id_and_phone_find_the_customer(book, role_users):
    risk = role_users["risk_officer"]
    assert found(risk, q=ID_1) == ["C1"]
    assert found(risk, q=PHONE_2) == ["C2"]
    assert found(risk, q=ID_2) == ["C2"]
    assert found(risk, q=PHONE_1) == ["C1"]


@pytest.mark.django_db
def test_search_input_is_normalized(book, role_users):
    risk = role_users["risk_officer"]
    assert found(risk, q=" 41052119900101123x ") == ["C1"]
    assert found(risk, q="４１０５２１１９９００１０１１２３Ｘ") == ["C1"]


@pytest.mark.django_db
def test_partial_id_or_phone_finds_nothing(book, role_users):
    risk = role_users["risk_officer"]
    assert found(risk, q=ID_1[:6]) == []
    assert found(risk, q=ID_1[-4:]) == []
    assert found(risk, q=PHONE_1[:7]) == []
    assert found(risk, q="4105**********123X") == []


@pytest.mark.django_db
def test_customer_number_exact_and_name_prefix(book, role_users):
    risk = role_users["risk_officer"]
    assert found(risk, q="C1") == ["C1"]
    assert found(risk, q="C") == []
    assert found(risk, q="张") == ["C1"]
    assert found(risk, q="三") == []
    assert found(risk) == ["C1", "C2"]


@pytest.mark.django_db
def test_search_never_crosses_the_scope(book, role_users):
    assert found(role_users["account_manager"], q=ID_2) == []
    assert found(role_users["account_manager"], q=ID_1) == ["C1"]
    assert found(role_users["branch_head"]) == ["C1"]


@pytest.mark.django_db
def test_filters_segment_org_manager(book, role_users, bank):
    risk = role_users["risk_officer"]
    assert found(risk, segment="salaried") == ["C2"]
    assert found(risk, org=bank.b1.code) == ["C1"]  # branch and below: C1 opened at outlet o1
    assert found(risk, org=bank.b2.code) == ["C2"]
    assert found(risk, org=bank.hq.code) == ["C1", "C2"]
    assert found(risk, manager=book.am.staff_no) == ["C1"]
    assert found(risk, segment="farmer", org=bank.b2.code) == []


@pytest.mark.django_db
def test_filter_choices_follow_the_scope(book, role_users, bank):
    am_filter = selectors.customer_filterset(user=role_users["account_manager"], data={})
    assert {o.code for o in am_filter.filters["org"].queryset} == {bank.o1.code}
    assert [u.staff_no for u in am_filter.filters["manager"].queryset] == [book.am.staff_no]
    # Out-of-scope choices are refused, not silently widened.
    assert found(role_users["account_manager"], org=bank.b2.code) == ["C1"]
    bad = selectors.customer_filterset(user=role_users["account_manager"], data={"org": bank.b2.code})
    assert not bad.is_valid()


@pytest.mark.django_db
def test_customer_get_is_404_outside_scope(book, role_users):
    assert selectors.customer_get(user=role_users["account_manager"], customer_no="C1") == book.mine
    with pytest.raises(Http404):
        selectors.customer_get(user=role_users["account_manager"], customer_no="C2")
    with pytest.raises(Http404):
        selectors.customer_get(user=role_users["account_manager"], customer_no="NOPE")
    for code in ("system_admin", "security_admin", "auditor", "none"):
        with pytest.raises(Http404):
            selectors.customer_get(user=role_users[code], customer_no="C1")


@pytest.mark.django_db
def test_reveal_scope_needs_pii_view(book, role_users):
    assert selectors.customer_for_reveal(user=role_users["branch_head"], customer_no="C1") == book.mine
    with pytest.raises(Http404):  # hq_admin sees every customer but holds no pii:view
        selectors.customer_for_reveal(user=role_users["hq_admin"], customer_no="C1")


# --- the search box's own request, without the filter set ----------------------------------------


def _through_filter_set(user, data):
    filterset = selectors.customer_filterset(user=user, data=data, options=False)
    return sorted(filterset.qs.values_list("customer_no", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "q",
    [
        ID_1,
        " 41052119900101123x ",
        "４１０５２１１９９００１０１１２３Ｘ",
        PHONE_2,
        ID_1[:6],
        "C1",
        "C",
        "张",
        "三",
        "   ",
        "",
        "91410521MA44XXXX0X",
        "张" * 64,
        "张" * 65,  # too long: invalid, so ignored like any invalid filter value
    ],
)
def test_plain_search_finds_what_the_filter_set_finds(book, role_users, q):
    from liuyou.customers.models import Customer

    Customer.objects.filter(customer_no="C2").update(credit_code="91410521MA44XXXX0X")
    # As typed, and as the whole filter form sends it (every other filter empty).
    form = {"segment": "", "org": "", "manager": "", "page": "2", "sort": "-name"}
    for code in ("risk_officer", "account_manager", "branch_head", "auditor"):
        user = role_users[code]
        for data in ({"q": q}, {"q": q, **form}):
            fast = selectors.customer_search(user=user, data=data)
            assert fast is not None
            expected = _through_filter_set(user, data)
            assert sorted(fast.values_list("customer_no", flat=True)) == expected, (code, q)
            assert found(user, **data) == expected


@pytest.mark.django_db
def test_any_other_filter_takes_the_filter_set(book, role_users, bank):
    risk = role_users["risk_officer"]
    assert selectors.customer_search(user=risk, data={"q": "张", "segment": "farmer"}) is None
    assert selectors.customer_search(user=risk, data={"org": bank.b2.code}) is None
    # ...which still refuses an out-of-scope value rather than widening the list.
    assert found(role_users["account_manager"], q="李", org=bank.b2.code) == []
