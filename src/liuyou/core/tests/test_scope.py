import pytest
from django.http import Http404

from liuyou.core import scope
from liuyou.customers.models import Customer


@pytest.fixture
def book(bank, role_users, make_customer):
    am = role_users["account_manager"]
    return {
        "mine": make_customer("C1", org=bank.o1, manager=am),
        "grid": make_customer("C2", org=bank.o1, grid=bank.g1),
        "b1": make_customer("C3", org=bank.b1),
        "b2": make_customer("C4", org=bank.b2, grid=bank.g2),
    }


def visible(user):
    return set(
        scope.scoped(Customer.objects.all(), user, "customer:view").values_list("customer_no", flat=True)
    )


@pytest.mark.django_db
def test_each_default_scope_sees_exactly_its_customers(book, role_users):
    assert visible(role_users["account_manager"]) == {"C1"}
    assert visible(role_users["service_specialist"]) == {"C2"}
    assert visible(role_users["branch_head"]) == {"C1", "C2", "C3"}
    assert visible(role_users["risk_officer"]) == {"C1", "C2", "C3", "C4"}
    assert visible(role_users["task_force_lead"]) == set()  # no team yet: only own customers


@pytest.mark.django_db
def test_separated_duties_and_roleless_users_see_no_customer(book, role_users):
    for code in ("system_admin", "security_admin", "auditor", "none"):
        assert visible(role_users[code]) == set(), code


@pytest.mark.django_db
def test_union_over_roles(book, make_user, bank):
    from liuyou.system.models import Role

    user = make_user("8001", "account_manager", org=bank.o1)
    Customer.objects.filter(customer_no="C4").update(manager=user)
    assert visible(user) == {"C4"}
    user.roles.add(Role.objects.get(code="service_specialist"))
    user.org = bank.g1
    user.save()
    from liuyou.core.access import forget

    forget(user)
    assert visible(user) == {"C2", "C4"}


@pytest.mark.django_db
def test_out_of_scope_lookup_is_404(book, role_users):
    am = role_users["account_manager"]
    assert scope.get_or_404(Customer.objects.all(), am, "customer:view", customer_no="C1").customer_no == "C1"
    with pytest.raises(Http404):
        scope.get_or_404(Customer.objects.all(), am, "customer:view", customer_no="C3")
    with pytest.raises(Http404):
        scope.get_or_404(Customer.objects.all(), am, "customer:view", customer_no="NOPE")


@pytest.mark.django_db
def test_custom_scope_covers_chosen_subtrees(book, make_user, bank):
    from liuyou.system.models import Role

    role = Role.objects.create(code="custom_viewer", name="自定义", data_scope="custom")
    role.permissions.set(Role.objects.get(code="risk_officer").permissions.all())
    role.custom_orgs.set([bank.b2])
    user = make_user("8002", "custom_viewer")
    assert visible(user) == {"C4"}
