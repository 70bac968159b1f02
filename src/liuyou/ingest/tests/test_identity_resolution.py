"""One person, one customer: a second 客户号 of the same ID or credit code is an alias,
recorded as a conflict, and every source naming it lands on the one customer."""

from __future__ import annotations

from datetime import date

import pytest

from liuyou.customers.models import Customer, CustomerAlias, IdentityConflict, Relation

from .helpers import run
from .test_core_customer_loader import core_file, credit_code, enterprise, person, rid, villages  # noqa: F401
from .test_crm_customer_loader import crm_file, crm_row
from .test_relation_loader import rel_file

pytestmark = pytest.mark.django_db
ZS = rid("19900101", "133")


def conflicts() -> list[tuple[str, str, str, str, str]]:
    return list(
        IdentityConflict.objects.order_by("pk").values_list(
            "customer_no", "field", "kept", "other", "customer__customer_no"
        )
    )


def test_a_second_number_in_one_file_becomes_an_alias(tmp_path, villages):  # noqa: F811
    rows = [
        person("C001", "张三", ZS, phone="13800000001", sex="男"),
        person("C009", "张叁", ZS, phone="13900000002", sex="男", village="410521100002"),
        enterprise("E1", "合作社", credit_code()),
        enterprise("E2", "合作社", credit_code()),
    ]
    r = run("core_customer", core_file(tmp_path, rows))
    assert (r.read, r.inserted, r.updated, r.unchanged, r.rejected) == (4, 2, 2, 0, 0)
    assert sorted(Customer.objects.values_list("customer_no", flat=True)) == ["C001", "E1"]
    assert dict(CustomerAlias.objects.values_list("alias_no", "customer__customer_no")) == {
        "C009": "C001",
        "E2": "E1",
    }
    zs = Customer.objects.get(customer_no="C001")
    assert (zs.name, zs.phone_masked, zs.village.code) == ("张三", "138****0001", "410521100001")
    assert conflicts() == [
        ("C009", "客户号", "C001", "C009", "C001"),
        ("C009", "客户名称", "张三", "张叁", "C001"),
        ("C009", "手机号码", "138****0001", "139****0002", "C001"),
        ("E2", "客户号", "E1", "E2", "E1"),
    ]
    merged = IdentityConflict.objects.filter(field="客户号").order_by("pk")
    assert list(merged.values_list("reason", flat=True)) == [
        "同一证件号码对应两个客户号，已合并为一个客户",
        "同一统一社会信用代码对应两个客户号，已合并为一个客户",
    ]
    assert set(IdentityConflict.objects.values_list("run_id", flat=True)) == {r.pk}
    # Never a full ID or phone number in a conflict row.
    for kept, other in IdentityConflict.objects.values_list("kept", "other"):
        assert "13900000002" not in other and ZS not in kept + other

    again = run("core_customer", core_file(tmp_path, rows))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)
    assert IdentityConflict.objects.count() == 4 and CustomerAlias.objects.count() == 2

    rows[1] = person("C009", "张叁", ZS, phone="13900000002", sex="男", birth="1990-01-01")
    changed = run("core_customer", core_file(tmp_path, rows, day="20250302"))
    assert (changed.updated, changed.unchanged) == (1, 3)
    assert conflicts()[-1] == ("C009", "出生日期", "", "1990-01-01", "C001")


def test_the_library_customer_keeps_its_number(tmp_path, villages):  # noqa: F811
    run("core_customer", core_file(tmp_path, [person("C100", "张三", ZS)]))
    r = run(
        "core_customer",
        core_file(tmp_path, [person("C100", "张三", ZS), person("C050", "张三", ZS)], day="20250302"),
    )
    assert (r.inserted, r.updated, r.unchanged) == (0, 1, 1)
    assert list(Customer.objects.values_list("customer_no", flat=True)) == ["C100"]
    assert CustomerAlias.objects.get().alias_no == "C050"
    assert conflicts() == [("C050", "客户号", "C100", "C050", "C100")]


def test_an_alias_keeps_its_customer_open(tmp_path, villages):  # noqa: F811
    run("core_customer", core_file(tmp_path, [person("C001", "张三", ZS), person("C009", "张三", ZS)]))
    r = run("core_customer", core_file(tmp_path, [person("C009", "张三", ZS)], day="20250401"))
    assert (r.unchanged, r.closed) == (1, 0)
    assert Customer.objects.get().status == "active"
    # Only the canonical number left: the alias number is simply no longer present.
    r = run("core_customer", core_file(tmp_path, [person("C001", "张三", ZS)], day="20250501"))
    assert (r.unchanged, r.closed) == (1, 0)
    # Neither: the customer closes; the alias coming back reopens it.
    run("core_customer", core_file(tmp_path, [person("X1", "李四", rid("19800101", "151"))], day="20250601"))
    assert Customer.objects.get(customer_no="C001").status == "closed"
    back = run("core_customer", core_file(tmp_path, [person("C009", "张三", ZS)], day="20250701"))
    assert back.updated == 1
    assert Customer.objects.get(customer_no="C001").closed_at is None


def test_a_legal_representative_is_not_merged_with_the_enterprise(tmp_path, villages):  # noqa: F811
    rows = [person("P1", "王五", ZS), enterprise("E1", "王五商行", credit_code(), id_no=ZS)]
    r = run("core_customer", core_file(tmp_path, rows))
    assert r.inserted == 2 and not CustomerAlias.objects.exists()


def test_other_sources_land_on_the_one_customer(tmp_path, villages, make_user):  # noqa: F811
    make_user("M1", org=villages.o1)
    run(
        "core_customer",
        core_file(
            tmp_path,
            [
                person("C001", "张三", ZS),
                person("C009", "张三", ZS),
                person("C002", "李四", rid("19850505", "242")),
            ],
        ),
    )
    crm = run("crm_customer", crm_file(tmp_path, [crm_row("C009", "M1")]))
    assert (crm.updated, crm.rejected) == (1, 0)
    assert Customer.objects.get(customer_no="C001").manager.staff_no == "M1"
    twice = run("crm_customer", crm_file(tmp_path, [crm_row("C001"), crm_row("C009")], day="20250302"))
    assert (twice.unchanged, twice.rejected) == (1, 1)

    rel = run("relation", rel_file(tmp_path, [["C002", "C009", "", "配偶"], ["C002", "", ZS, "同户"]]))
    assert (rel.inserted, rel.rejected) == (2, 0)
    assert set(Relation.objects.values_list("related_customer__customer_no", flat=True)) == {"C001"}
    assert Customer.objects.get(customer_no="C002").household.code == "C001"
    assert Customer.objects.get(customer_no="C001").household.member_count == 2
    assert date(2025, 3, 1) == Relation.objects.first().first_seen


def test_the_run_page_lists_its_conflicts_masked(tmp_path, villages, client, role_users):  # noqa: F811
    rows = [
        person("C001", "张三", ZS, phone="13800000001", sex="男"),
        person("C009", "张叁", ZS, phone="13900000002", sex="男"),
    ]
    r = run("core_customer", core_file(tmp_path, rows))
    client.force_login(role_users["hq_admin"])
    page = client.get(f"/imports/runs/{r.pk}/").content.decode()
    section = page[page.index("ly-run-conflicts") :]
    assert "客户信息冲突" in section and ">3<" in section  # 客户号, 客户名称, 手机号码
    assert "张叁" in section and "139****0002" in section
    assert "13900000002" not in page and ZS not in page
