"""Saving, distributing and following target lists: snapshots with reasons, every member
exactly one lead, the funnel adding up, disbursal confirmed from the credit extract."""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from liuyou.customers.models import Loan
from liuyou.targets import selectors, services
from liuyou.targets.models import Lead, LeadEvent, LeadStatus, TargetMember
from liuyou.targets.selectors import Definition

pytestmark = pytest.mark.django_db


def save(user, book, **definition):
    return services.save_list(
        user=user, name="测试名单", definition=Definition(**definition), data_date=book.D
    )


def customers_of(target) -> set[int]:
    return set(TargetMember.objects.filter(target_list=target).values_list("customer_id", flat=True))


def test_save_snapshots_members_with_reasons_and_never_refused(role_users, book):
    target = save(role_users["hq_admin"], book, dimensions=["high_deposit"])
    expected = {f.customer_id for f in [*book.rich, book.saver, book.orphan, book.far]}
    assert customers_of(target) == expected
    assert target.members_count == 6
    m = TargetMember.objects.get(target_list=target, customer=book.rich[0].customer)
    assert m.dimensions == ["high_deposit", "payroll", "no_loan_conversion"] or set(m.dimensions) >= {
        "high_deposit",
        "payroll",
    }
    assert "存款大户：近3个月日均存款6.00万元" in m.reasons
    assert m.manager_id == book.am.pk
    assert target.dimension_versions["high_deposit"] == 1


def test_all_any_and_exclude(role_users, book):
    admin = role_users["hq_admin"]
    both = save(admin, book, dimensions=["high_deposit", "payroll"], dimension_match="all")
    assert customers_of(both) == {f.customer_id for f in book.rich}
    either = save(admin, book, dimensions=["high_deposit", "payroll"], dimension_match="any")
    assert len(customers_of(either)) == 6
    minus = save(admin, book, dimensions=["high_deposit"], exclude_dimensions=["payroll"])
    assert customers_of(minus) == {book.saver.customer_id, book.orphan.customer_id, book.far.customer_id}


def test_list_is_limited_to_the_savers_scope(role_users, book):
    target = save(role_users["branch_head"], book, dimensions=["high_deposit"])
    assert book.far.customer_id not in customers_of(target)
    assert len(customers_of(target)) == 5


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({}, "请至少选择一个维度或一个标签"),
        ({"dimensions": ["nope"]}, "未知维度"),
        ({"dimensions": ["payroll"], "exclude_dimensions": ["payroll"]}, "不能既选入又排除"),
        ({"dimensions": ["churned"]}, "没有客户"),
    ],
)
def test_bad_definitions_save_nothing(role_users, book, definition, message):
    with pytest.raises(ValidationError) as err:
        save(role_users["hq_admin"], book, **definition)
    assert message in str(err.value)
    assert not TargetMember.objects.exists()


def test_distribute_by_manager_gives_every_member_exactly_one_lead(role_users, book):
    target = save(role_users["hq_admin"], book, dimensions=["high_deposit"])
    result = services.distribute(user=role_users["hq_admin"], target_list=target, mode="manager")
    leads = Lead.objects.filter(target_list=target)
    assert sorted(leads.values_list("member_id", flat=True)) == sorted(
        TargetMember.objects.filter(target_list=target).values_list("pk", flat=True)
    )
    assert result == {"leads": 6, "assigned": 4, "unassigned": 2}  # the orphan and the far one (no manager)
    by = Counter(leads.values_list("assignee_id", flat=True))
    assert by == Counter({book.am.pk: 3, book.am2.pk: 1, None: 2})
    with pytest.raises(ValidationError, match="不能重复分配"):
        services.distribute(user=role_users["hq_admin"], target_list=target, mode="manager")


def test_distribute_evenly_across_a_team(role_users, book, make_user, bank):
    team = [make_user(f"82{i:02d}", "account_manager", org=bank.o1) for i in range(4)]
    target = save(role_users["hq_admin"], book, dimensions=["high_deposit"])
    services.distribute(user=role_users["hq_admin"], target_list=target, mode="team", team=team)
    counts = Counter(Lead.objects.filter(target_list=target).values_list("assignee_id", flat=True))
    assert sum(counts.values()) == 6 and set(counts) == {u.pk for u in team}
    assert max(counts.values()) - min(counts.values()) <= 1


def test_team_outside_the_distributors_scope_is_refused(role_users, book, make_user, bank):
    outsider = make_user("8301", "account_manager", org=bank.b2)
    target = save(role_users["branch_head"], book, dimensions=["high_deposit"])
    with pytest.raises(ValidationError, match="不在您的数据范围内"):
        services.distribute(user=role_users["branch_head"], target_list=target, mode="team", team=[outsider])
    assert not Lead.objects.exists()


def test_distribute_by_grid_goes_to_the_grid_specialist(role_users, book):
    target = save(role_users["hq_admin"], book, dimensions=["high_deposit"])
    services.distribute(user=role_users["hq_admin"], target_list=target, mode="grid")
    leads = Lead.objects.filter(target_list=target)
    g1 = leads.filter(customer__grid=book.rich[0].customer.grid)
    specialists = {book.spec.pk, role_users["service_specialist"].pk}  # both sit on grid g1: round robin
    assert role_users["service_specialist"].org_id == book.spec.org_id
    assert set(g1.values_list("assignee_id", flat=True)) == specialists
    assert leads.count() == 6


def distributed(role_users, book):
    target = save(role_users["hq_admin"], book, dimensions=["high_deposit"])
    services.distribute(user=role_users["hq_admin"], target_list=target, mode="manager")
    return target, Lead.objects.filter(target_list=target, assignee=book.am).order_by("pk")


def test_lead_moves_along_the_funnel_with_history(role_users, book):
    _, leads = distributed(role_users, book)
    lead = leads[0]
    for step in ("contacted", "applied"):
        services.move_lead(user=book.am, lead=lead, to=step, note="电话联系")
    with pytest.raises(ValidationError, match="不能改为“已联系”"):
        services.move_lead(user=book.am, lead=lead, to="contacted")
    with pytest.raises(ValidationError, match="请填写客户拒绝或放弃的原因"):
        services.move_lead(user=book.am, lead=lead, to="declined")
    services.move_lead(user=book.am, lead=lead, to="declined", reason="利率偏高")
    lead.refresh_from_db()
    assert (lead.status, lead.reached, lead.declined_reason) == ("declined", "applied", "利率偏高")
    assert list(LeadEvent.objects.filter(lead=lead).values_list("to_status", flat=True)) == [
        "contacted", "applied", "declined",
    ]  # fmt: skip


def test_disbursed_by_hand_needs_the_customers_loan(role_users, book, bank):
    _, leads = distributed(role_users, book)
    lead = leads[0]
    for step in ("contacted", "applied", "approved"):
        services.move_lead(user=book.am, lead=lead, to=step)
    with pytest.raises(ValidationError, match="借据号"):
        services.move_lead(user=book.am, lead=lead, to="disbursed", loan_no="NOPE")
    loan = Loan.objects.create(
        loan_no="L-NEW", customer=lead.customer, disbursed_on=book.D,
        maturity_date=datetime.date(2027, 6, 30),
        amount=Decimal("50000"), balance=Decimal("50000"), guarantee_type="credit", handling_org=bank.o1,
        status="normal", data_date=book.D, first_seen=book.D, last_seen=book.D,
    )  # fmt: skip
    services.move_lead(user=book.am, lead=lead, to="disbursed", loan_no="L-NEW")
    lead.refresh_from_db()
    assert (lead.status, lead.disbursed_loan_id, lead.disbursed_by_extract) == ("disbursed", loan.pk, False)


def test_disbursal_is_confirmed_from_the_credit_extract(role_users, book, bank):
    _, leads = distributed(role_users, book)
    first, second, third = list(leads)
    services.move_lead(user=book.am, lead=second, to="contacted")
    today = first.distributed_on

    def loan(no, customer, on):
        return Loan.objects.create(
            loan_no=no, customer=customer, disbursed_on=on, maturity_date=datetime.date(2028, 1, 1),
            amount=Decimal("30000"), balance=Decimal("30000"), guarantee_type="credit", handling_org=bank.o1,
            status="normal", data_date=on, first_seen=on, last_seen=on,
        )  # fmt: skip

    new = loan("L-1", first.customer, today)
    loan("L-2", second.customer, today + datetime.timedelta(days=1))
    loan("L-OLD", third.customer, today - datetime.timedelta(days=30))  # before the lead: not ours
    assert services.confirm_disbursals(data_date=today) == 1  # L-2 is after the data date
    first.refresh_from_db()
    assert (first.status, first.disbursed_loan_id, first.disbursed_by_extract) == ("disbursed", new.pk, True)
    assert services.confirm_disbursals(data_date=today + datetime.timedelta(days=1)) == 1
    second.refresh_from_db()
    assert second.status == "disbursed" and second.reached == "disbursed"
    third.refresh_from_db()
    assert third.status == "new"
    assert LeadEvent.objects.filter(lead=first, to_status="disbursed", by=None).count() == 1
    assert services.confirm_disbursals(data_date=today + datetime.timedelta(days=1)) == 0


def test_funnel_counts_add_up(role_users, book):
    target, leads = distributed(role_users, book)
    a, b, c = list(leads)
    services.move_lead(user=book.am, lead=a, to="contacted")
    services.move_lead(user=book.am, lead=b, to="contacted")
    services.move_lead(user=book.am, lead=b, to="applied")
    services.move_lead(user=book.am, lead=c, to="declined", reason="不需要")
    admin = role_users["hq_admin"]
    for by in ("list", "product", "branch", "manager"):
        rows = selectors.funnel(user=admin, target_list=target, by=by)
        assert sum(r.leads for r in rows) == 6, by
        assert sum(r.stages.get("contacted", 0) for r in rows) == 2, by
        assert sum(r.stages.get("applied", 0) for r in rows) == 1, by
        assert sum(r.declined for r in rows) == 1, by
    dims = {r.key: r for r in selectors.funnel(user=admin, target_list=target, by="dimension")}
    assert dims["high_deposit"].leads == 6
    assert dims["payroll"].leads == 3  # the three payroll customers count under both
    manager_rows = {r.key: r for r in selectors.funnel(user=admin, target_list=target, by="manager")}
    assert manager_rows[book.am.pk].stages == {"contacted": 2, "applied": 1}
    statuses = selectors.status_counts(user=admin, target_list=target)
    assert sum(statuses.values()) == 6 and statuses["declined"] == 1


def test_leads_follow_scope(role_users, book):
    from django.http import Http404

    _, leads = distributed(role_users, book)
    other = Lead.objects.exclude(assignee=book.am).exclude(assignee=None).first()
    assert selectors.lead_get(user=book.am, lead_id=leads[0].pk) == leads[0]
    with pytest.raises(Http404):
        selectors.lead_get(user=book.am, lead_id=other.pk)
    assert set(selectors.my_leads(user=book.am)) == set(leads)
    assert leads[0].status == LeadStatus.NEW


def test_members_keep_their_first_ranked_product(role_users, book):
    from liuyou.products.models import Product, ProductMatch
    from liuyou.products.services import ensure_demo_catalogue

    ensure_demo_catalogue()
    farmer, salaried = Product.objects.get(code="NHXE"), Product.objects.get(code="XYD")
    customer = book.rich[0].customer
    ProductMatch.objects.create(
        customer=customer,
        data_date=book.D,
        product=salaried,
        rank=2,
        amount=Decimal("9000"),
        version=1,
        priority=2,
    )
    ProductMatch.objects.create(
        customer=customer,
        data_date=book.D,
        product=farmer,
        rank=1,
        amount=Decimal("58000"),
        version=1,
        priority=1,
    )
    target = save(role_users["hq_admin"], book, dimensions=["payroll"])
    m = TargetMember.objects.get(target_list=target, customer=customer)
    assert (m.product_code, m.product_name, m.suggested_amount) == ("NHXE", farmer.name, Decimal("58000.00"))
    other = TargetMember.objects.get(target_list=target, customer=book.rich[1].customer)
    assert (other.product_code, other.suggested_amount) == ("", None)
