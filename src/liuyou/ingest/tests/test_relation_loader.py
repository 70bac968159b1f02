"""The relation extract: parties by number or ID, full-file closing, households."""

from __future__ import annotations

from datetime import date

import pytest

from liuyou.core import pii
from liuyou.customers.models import Customer, Household, Relation, Village

from .helpers import read_rejects, run, write_csv
from .test_core_customer_loader import V1, V2, rid, villages  # noqa: F401

pytestmark = pytest.mark.django_db
REL_HEADER = ["客户号", "关联客户号", "关联证件号码", "关系类型"]
D1, D2, D3 = date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)
OUTSIDER = rid("19700101", "311")  # a relative who is not a customer


def rel_file(tmp_path, rows, day="20250301"):
    return write_csv(tmp_path / f"relation_{day}.csv", REL_HEADER, rows)


@pytest.fixture
def family(villages, make_customer):  # noqa: F811
    v1, v2 = Village.objects.get(code=V1), Village.objects.get(code=V2)
    made = {}
    for no, id_no, village in (
        ("A1", rid("19800101", "111"), v1),
        ("A2", rid("19820202", "122"), v1),
        ("A3", rid("20050303", "131"), v2),
        ("B1", rid("19600101", "151"), v2),
        ("B2", rid("19620101", "162"), v2),
        ("E1", "", None),
    ):
        c = make_customer(no, id_no=id_no, customer_type="individual" if id_no else "enterprise")
        Customer.objects.filter(pk=c.pk).update(village=village)
        made[no] = c
    return made


def rows():
    return [
        ["A1", "A2", "", "配偶"],
        ["A1", "A3", "", "子女"],
        ["A1", "", OUTSIDER, "父母"],
        ["B1", "", rid("19620101", "162"), "配偶"],  # B2's ID: the customer B2
        ["E1", "A1", "", "实际控制人"],
    ]


def relations() -> set[tuple[str, str, str, str, date | None]]:
    return set(
        Relation.objects.values_list(
            "customer__customer_no",
            "relation_type",
            "related_customer__customer_no",
            "related_id_no_masked",
            "closed_at",
        )
    )


def test_load_reload_parties_and_households(tmp_path, family):
    r = run("relation", rel_file(tmp_path, rows()))
    assert (r.status, r.read, r.inserted, r.updated, r.unchanged, r.rejected) == ("completed", 5, 5, 0, 0, 0)
    masked = OUTSIDER[:4] + "*" * 10 + OUTSIDER[-4:]
    assert relations() == {
        ("A1", "spouse", "A2", "", None),
        ("A1", "child", "A3", "", None),
        ("A1", "parent", None, masked, None),
        ("B1", "spouse", "B2", rid("19620101", "162")[:4] + "*" * 10 + rid("19620101", "162")[-4:], None),
        ("E1", "actual_controller", "A1", "", None),
    }
    outsider = Relation.objects.get(related_customer__isnull=True)
    assert pii.reveal(outsider, "related_id_no") == OUTSIDER and outsider.related_id_no_digest == pii.digest(
        OUTSIDER
    )
    assert (outsider.first_seen, outsider.last_seen) == (D1, D1)

    # Households: A1+A2+A3 (village V1 twice), B1+B2; the controller link is not family.
    houses = {h.code: (h.village.code, h.member_count, h.data_date) for h in Household.objects.all()}
    assert houses == {"A1": (V1, 3, D1), "B1": (V2, 2, D1)}
    members = dict(Customer.objects.values_list("customer_no", "household__code"))
    assert members == {"A1": "A1", "A2": "A1", "A3": "A1", "B1": "B1", "B2": "B1", "E1": None}

    again = run("relation", rel_file(tmp_path, rows()))
    assert (again.inserted, again.updated, again.unchanged, again.closed) == (0, 0, 5, 0)
    later = run("relation", rel_file(tmp_path, rows(), day="20250302"))
    assert later.unchanged == 5 and Relation.objects.filter(last_seen=date(2025, 3, 2)).count() == 5


def test_closing_reopening_and_household_rebuild(tmp_path, family):
    run("relation", rel_file(tmp_path, rows()))
    fewer = [rows()[0], rows()[2], rows()[4]]  # A3 and the B household are gone
    r = run("relation", rel_file(tmp_path, fewer, day="20250401"))
    assert (r.unchanged, r.closed) == (3, 2)
    assert Relation.objects.filter(closed_at=D2).count() == 2
    houses = {h.code: h.member_count for h in Household.objects.all()}
    assert houses == {"A1": 2}
    members = dict(Customer.objects.values_list("customer_no", "household__code"))
    assert (members["A3"], members["B1"], members["B2"], members["A2"]) == (None, None, None, "A1")

    back = run("relation", rel_file(tmp_path, rows(), day="20250501"))
    assert (back.inserted, back.updated, back.unchanged, back.closed) == (0, 2, 3, 0)
    assert not Relation.objects.filter(closed_at__isnull=False).exists()
    assert {h.code: h.member_count for h in Household.objects.all()} == {"A1": 3, "B1": 2}
    assert Household.objects.get(code="A1").data_date == D3


def test_a_household_member_who_leaves_splits_it(tmp_path, family):
    # A2 is linked through A1 only: when A1's customer closes, A2 and A3 are no household.
    run("relation", rel_file(tmp_path, rows()))
    Customer.objects.filter(customer_no="A1").update(status="closed", closed_at=D2)
    run("relation", rel_file(tmp_path, rows(), day="20250401"))
    assert {h.code for h in Household.objects.all()} == {"B1"}
    assert Customer.objects.filter(household__isnull=False).count() == 2


def test_rejections(tmp_path, family):
    bad = [
        ["NOPE", "A1", "", "配偶"],
        ["A1", "NOPE", "", "配偶"],
        ["A1", "A1", "", "同户"],
        ["A1", "", rid("19800101", "111"), "同户"],  # A1's own ID
        ["A2", "A1", "", "配偶"],
        ["A2", "", rid("19800101", "111"), "配偶"],  # the same relation again, by ID
    ]
    r = run("relation", rel_file(tmp_path, bad))
    assert (r.read, r.inserted, r.rejected) == (6, 1, 5)
    _, lines = read_rejects(r.reject_file)
    reasons = [(line[0], line[1], line[-1]) for line in lines[1:]]
    assert reasons == [
        ("NOPE", "A1", "客户号：客户号 NOPE 不存在"),
        ("A1", "NOPE", "关联客户号：关联客户号 NOPE 不存在"),
        ("A1", "A1", "关联客户号：客户与关联方是同一客户，不能与自己建立关联关系"),
        ("A1", "", "关联客户号：客户与关联方是同一客户，不能与自己建立关联关系"),
        ("A2", "", "关联客户号：与第 6 行是同一关联关系（同一客户或同一证件号码）"),
    ]


def test_a_rejected_row_spares_its_relations(tmp_path, family):
    run("relation", rel_file(tmp_path, rows()))
    changed = rows()
    wrong = OUTSIDER[:-1] + ("0" if OUTSIDER[-1] != "0" else "1")
    changed[2] = ["A1", "", wrong, "父母"]  # a wrong check character: rejected
    r = run("relation", rel_file(tmp_path, changed, day="20250401"))
    assert (r.rejected, r.closed) == (1, 0)


def test_an_older_file_changes_nothing(tmp_path, family):
    run("relation", rel_file(tmp_path, rows()[:2], day="20250401"))
    r = run("relation", rel_file(tmp_path, rows(), day="20250301"))
    assert (r.status, r.inserted, r.unchanged, r.closed) == ("completed", 0, 5, 0)
    assert Relation.objects.count() == 2 and Household.objects.get().member_count == 3
