"""The CRM extract: CRM columns, industry codes, village fill, managers and their history."""

from __future__ import annotations

from datetime import date

import pytest

from liuyou.customers.models import Customer, IdentityConflict, ManagerAssignment
from liuyou.ingest.models import ImportRun
from liuyou.system.models import UserStatus

from .helpers import read_rejects, run, write_csv
from .test_core_customer_loader import V1, V2, villages  # noqa: F401

pytestmark = pytest.mark.django_db
CRM_HEADER = [
    "客户号",
    "主办客户经理工号",
    "协办客户经理工号",
    "客户分类",
    "产业",
    "村编码",
    "家庭人口",
    "标签",
    "拒绝营销",
    "备注",
]
D1, D2, D3 = date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3)


def crm_row(no: str, manager: str = "M1", assistant: str = "", **kw: str) -> list[str]:
    row = {
        "segment": "农户",
        "industry": "谷物种植",
        "village": "",
        "size": "4",
        "tags": "种粮大户;党员",
        "refused": "否",
        "note": "",
    } | kw
    return [no, manager, assistant, *row.values()]


def crm_file(tmp_path, rows, day="20250301"):
    return write_csv(tmp_path / f"crm_customer_{day}.csv", CRM_HEADER, rows)


@pytest.fixture
def people(villages, make_user, make_customer):  # noqa: F811
    m1, m2, m3 = (make_user(no, org=villages.o1) for no in ("M1", "M2", "M3"))
    c1, c2 = make_customer("C1"), make_customer("C2")
    Customer.objects.filter(pk=c2.pk).update(
        village_id=Customer.village.field.related_model.objects.get(code=V1).pk
    )
    return {"m1": m1, "m2": m2, "m3": m3, "c1": c1, "c2": c2}


def open_rows(customer: Customer) -> list[tuple[str, str, str, date]]:
    return list(
        ManagerAssignment.objects.filter(customer=customer, end_date__isnull=True)
        .order_by("role")
        .values_list("role", "manager__staff_no", "source", "start_date")
    )


def test_crm_columns_industry_village_and_managers(tmp_path, people):
    rows = [
        crm_row("C1", "M1", "M2", village=V1, refused="是", note="备注一", industry="A015"),
        crm_row("C2", "", "", village=V2, industry="自定义产业", segment="小微企业", size=""),
    ]
    r = run("crm_customer", crm_file(tmp_path, rows))
    assert (r.read, r.inserted, r.updated, r.unchanged, r.rejected) == (2, 0, 2, 0, 0)
    c1 = Customer.objects.get(customer_no="C1")
    assert (c1.segment, c1.industry, c1.family_size, c1.crm_tags, c1.remark) == (
        "farmer",
        "A015",
        4,
        "种粮大户;党员",
        "备注一",
    )
    assert (c1.refused_marketing, c1.refused_marketing_at, c1.crm_data_date) == (True, D1, D1)
    # No village from core: the CRM's fills it, and the grid follows.
    assert (c1.village.code, c1.grid_id) == (V1, people["m1"].org.parent.children.get(code="1G1").pk)
    assert (c1.manager_id, c1.assisting_manager_id) == (people["m1"].pk, people["m2"].pk)
    assert open_rows(c1) == [("assisting", "M2", "crm_import", D1), ("primary", "M1", "crm_import", D1)]
    c2 = Customer.objects.get(customer_no="C2")
    assert (c2.segment, c2.industry, c2.family_size, c2.manager_id) == (
        "small_enterprise",
        "自定义产业",
        None,
        None,
    )
    # Core's village is kept; the CRM's different one is a conflict.
    assert c2.village.code == V1
    conflict = IdentityConflict.objects.get(customer_no="C2")
    assert (conflict.field, conflict.kept, conflict.other, conflict.source, conflict.run_id) == (
        "村编码",
        V1,
        V2,
        "crm_customer",
        r.pk,
    )
    assert ImportRun.objects.get(pk=r.pk).closed == 0

    again = run("crm_customer", crm_file(tmp_path, rows))
    assert (again.updated, again.unchanged) == (0, 2)
    assert IdentityConflict.objects.count() == 1 and ManagerAssignment.objects.count() == 2

    later = run("crm_customer", crm_file(tmp_path, rows, day="20250302"))
    assert (later.updated, later.unchanged) == (0, 2)
    c1.refresh_from_db()
    assert (c1.refused_marketing_at, c1.crm_data_date) == (D1, D2)

    rows[0] = crm_row("C1", "M1", "M2", village=V1, refused="否", industry="A015", note="备注一")
    cleared = run("crm_customer", crm_file(tmp_path, rows, day="20250303"))
    c1.refresh_from_db()
    assert cleared.updated == 1 and (c1.refused_marketing, c1.refused_marketing_at) == (False, None)


def test_rejections(tmp_path, people):
    rows = [
        crm_row("NOPE"),
        crm_row("C1", "X9", village="410521999999"),
        crm_row("C2", "M1", "X8", industry="一个非常非常非常非常非常长的不认识的产业名称"),
    ]
    r = run("crm_customer", crm_file(tmp_path, rows))
    assert (r.read, r.rejected, r.updated + r.unchanged) == (3, 3, 0)
    _, lines = read_rejects(r.reject_file)
    reasons = {line[0]: line[-1] for line in lines[1:]}
    assert reasons["NOPE"] == "客户号：客户号 NOPE 在核心系统客户中不存在"
    assert reasons["C1"] == "主办客户经理工号：主办客户经理工号 X9 不存在；村编码：村编码 410521999999 不存在"
    assert "协办客户经理工号：协办客户经理工号 X8 不存在" in reasons["C2"]
    assert "产业：产业 一个非常非常非常非常非常长的不认识的产业名称 不是已知的产业名称或代码" in reasons["C2"]
    assert ManagerAssignment.objects.count() == 0


def test_a_manager_who_left_is_accepted(tmp_path, people):
    people["m1"].status = UserStatus.LEFT
    people["m1"].save()
    r = run("crm_customer", crm_file(tmp_path, [crm_row("C1", "M1")]))
    assert (r.updated, r.rejected) == (1, 0)
    assert Customer.objects.get(customer_no="C1").manager_id == people["m1"].pk


def test_an_in_app_reassignment_survives_the_same_crm_statement(tmp_path, people):
    run("crm_customer", crm_file(tmp_path, [crm_row("C1", "M1")]))
    c1 = people["c1"]
    # What customers.services.reassign_manager writes.
    ManagerAssignment.objects.filter(customer=c1, end_date__isnull=True).update(end_date=D2)
    ManagerAssignment.objects.create(
        customer=c1, manager=people["m2"], role="primary", start_date=D2, source="reassignment"
    )
    Customer.objects.filter(pk=c1.pk).update(manager=people["m2"])

    same = run("crm_customer", crm_file(tmp_path, [crm_row("C1", "M1")], day="20250302"))
    assert (same.updated, same.unchanged) == (0, 1)
    assert Customer.objects.get(pk=c1.pk).manager_id == people["m2"].pk
    assert open_rows(c1) == [("primary", "M2", "reassignment", D2)]

    new = run("crm_customer", crm_file(tmp_path, [crm_row("C1", "M3")], day="20250303"))
    assert new.updated == 1
    assert Customer.objects.get(pk=c1.pk).manager_id == people["m3"].pk
    assert open_rows(c1) == [("primary", "M3", "crm_import", D3)]
    history = list(
        ManagerAssignment.objects.filter(customer=c1)
        .order_by("start_date", "pk")
        .values_list("manager__staff_no", "source", "start_date", "end_date")
    )
    assert history == [
        ("M1", "crm_import", D1, D2),
        ("M2", "reassignment", D2, D3),
        ("M3", "crm_import", D3, None),
    ]


def test_an_empty_manager_removes_the_crm_manager(tmp_path, people):
    run("crm_customer", crm_file(tmp_path, [crm_row("C1", "M1", "M2")]))
    r = run("crm_customer", crm_file(tmp_path, [crm_row("C1", "", "M2")], day="20250302"))
    assert r.updated == 1
    c1 = Customer.objects.get(customer_no="C1")
    assert (c1.manager_id, c1.assisting_manager_id) == (None, people["m2"].pk)
    assert open_rows(c1) == [("assisting", "M2", "crm_import", D1)]
    assert ManagerAssignment.objects.get(role="primary").end_date == D2


def test_full_file_sets_and_clears_crm_closed_at_only(tmp_path, people):
    run("crm_customer", crm_file(tmp_path, [crm_row("C1"), crm_row("C2")]))
    r = run("crm_customer", crm_file(tmp_path, [crm_row("C1")], day="20250302"))
    assert (r.unchanged, r.closed) == (1, 1)
    c2 = Customer.objects.get(customer_no="C2")
    assert (c2.crm_closed_at, c2.status, c2.closed_at, c2.segment, c2.manager_id) == (
        D2,
        "active",
        None,
        "farmer",
        people["m1"].pk,
    )
    # A row rejected for a bad value does not close its customer.
    bad = run("crm_customer", crm_file(tmp_path, [crm_row("C1"), crm_row("C2", "X9")], day="20250303"))
    assert (bad.rejected, bad.closed) == (1, 0)
    back = run("crm_customer", crm_file(tmp_path, [crm_row("C1"), crm_row("C2")], day="20250304"))
    assert (back.updated, back.unchanged, back.closed) == (1, 1, 0)
    assert Customer.objects.get(customer_no="C2").crm_closed_at is None


def test_an_older_file_changes_nothing(tmp_path, people):
    run("crm_customer", crm_file(tmp_path, [crm_row("C1", "M1")], day="20250302"))
    r = run("crm_customer", crm_file(tmp_path, [crm_row("C1", "M3", segment="上班族"), crm_row("NOPE")]))
    assert (r.status, r.updated, r.unchanged, r.rejected, r.closed) == ("completed", 0, 1, 1, 0)
    c1 = Customer.objects.get(customer_no="C1")
    assert (c1.segment, c1.manager_id, c1.crm_data_date) == ("farmer", people["m1"].pk, D2)
