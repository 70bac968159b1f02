"""Roles and permissions as a request sees them: read once per request in one query, default
deny, and a change to a user's roles takes effect on that user's very next request."""

from __future__ import annotations

import pytest

from liuyou.core import access, scope
from liuyou.customers.models import Customer
from liuyou.system.models import Permission, Role, User

pytestmark = pytest.mark.django_db


def fresh(user):
    # What the authentication middleware does on every request: load the user anew.
    return User.objects.get(pk=user.pk)


def test_roles_and_permissions_in_one_query(role_users, django_assert_num_queries):
    user = fresh(role_users["branch_head"])
    with django_assert_num_queries(1):
        perms = access.permissions_of(user)
        roles = access.active_roles(user)
        assert access.has_perm(user, "customer:view") and not access.has_perm(user, "role:edit")
        assert scope.scope_q(user, "system:nothing", Customer) is None
    assert [r.code for r in roles] == ["branch_head"]
    expected = set(Role.objects.get(code="branch_head").permissions.values_list("code", flat=True))
    assert perms == expected and roles[0].permissions == expected


def test_union_over_roles_and_roles_without_permissions(make_user, make_customer, bank):
    empty = Role.objects.create(code="empty_role", name="空角色", data_scope="all")
    user = make_user("8101", "account_manager", "auditor", org=bank.o1)
    user.roles.add(empty)
    make_customer("C1", org=bank.o1, manager=user)
    make_customer("C2", org=bank.o1)
    user = fresh(user)
    assert {r.code for r in access.active_roles(user)} == {"account_manager", "auditor", "empty_role"}
    both = Permission.objects.filter(roles__code__in=["account_manager", "auditor"])
    assert access.permissions_of(user) == set(both.values_list("code", flat=True))
    # A role granting nothing widens nothing, even with the "all" data scope.
    visible = scope.scoped(Customer.objects.all(), user, "customer:view")
    assert list(visible.values_list("customer_no", flat=True)) == ["C1"]


def test_roleless_and_inactive_users_hold_nothing(role_users):
    assert access.permissions_of(fresh(role_users["none"])) == frozenset()
    user = fresh(role_users["risk_officer"])
    user.is_active = False
    assert access.active_roles(user) == [] and access.permissions_of(user) == frozenset()


@pytest.fixture
def viewer(client, role_users):
    client.force_login(role_users["risk_officer"])
    assert client.get("/customers/").status_code == 200
    return role_users["risk_officer"]


def test_role_removed_is_denied_on_the_next_request(client, viewer):
    viewer.roles.remove(Role.objects.get(code="risk_officer"))
    assert client.get("/customers/").status_code == 403


def test_role_disabled_is_denied_on_the_next_request(client, viewer):
    Role.objects.filter(code="risk_officer").update(is_active=False)
    assert client.get("/customers/").status_code == 403


def test_permission_taken_from_the_role_is_denied_on_the_next_request(client, viewer):
    Role.objects.get(code="risk_officer").permissions.remove(Permission.objects.get(code="customer:view"))
    assert client.get("/customers/").status_code == 403
    assert client.get("/customers/", HTTP_HX_REQUEST="true").status_code == 403
