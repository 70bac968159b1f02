"""Shared test fixtures: a small bank (head office, two branches with outlets and grids) and
one user per built-in role, placed where that role works."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

PASSWORD = "Liuyou#2026ok"


@pytest.fixture(autouse=True)
def _var_dir(settings, tmp_path):
    """Imports write progress files and uploads under VAR_DIR: each test gets its own."""
    settings.VAR_DIR = tmp_path / "var"


@pytest.fixture
def bank(db):
    from liuyou.system import services

    hq = services.create_org(code="000", name="测试农商银行总行", kind="head_office", parent=None)
    b1 = services.create_org(code="100", name="城关支行", kind="branch", parent=hq)
    o1 = services.create_org(code="101", name="城关支行营业部", kind="outlet", parent=b1)
    g1 = services.create_org(code="1G1", name="城关第一网格", kind="grid", parent=b1)
    b2 = services.create_org(code="200", name="东河支行", kind="branch", parent=hq)
    g2 = services.create_org(code="2G1", name="东河第一网格", kind="grid", parent=b2)
    return SimpleNamespace(hq=hq, b1=b1, o1=o1, g1=g1, b2=b2, g2=g2)


@pytest.fixture
def make_user(bank):
    from liuyou.system import services
    from liuyou.system.models import Role

    def make(staff_no: str, *role_codes: str, org=None, password: str = PASSWORD, must_change: bool = False):
        roles = list(Role.objects.filter(code__in=role_codes))
        assert len(roles) == len(role_codes), f"unknown role in {role_codes}"
        return services.create_user(
            staff_no=staff_no,
            name=f"用户{staff_no}",
            org=org or bank.hq,
            password=password,
            roles=roles,
            must_change_password=must_change,
        )

    return make


ROLE_ORG = {"account_manager": "o1", "service_specialist": "g1", "branch_head": "b1", "task_force_lead": "b1"}


@pytest.fixture
def role_users(bank, make_user):
    """role code -> a user holding only that role; plus 'none' -> a user with no role."""
    from liuyou.system.catalog import ROLES

    users = {}
    for i, code in enumerate(ROLES):
        users[code] = make_user(f"9{i:03d}", code, org=getattr(bank, ROLE_ORG.get(code, "hq")))
    users["none"] = make_user("9999", org=bank.b1)
    return users


@pytest.fixture
def make_customer(bank):
    from liuyou.core import pii
    from liuyou.customers.models import Customer

    def make(
        customer_no: str,
        *,
        name: str = "张三",
        org=None,
        grid=None,
        manager=None,
        id_no: str = "",
        phone: str = "",
        customer_type: str = "individual",
        segment: str = "farmer",
    ):
        id_c, id_d, id_m = pii.protect(id_no, "id")
        ph_c, ph_d, ph_m = pii.protect(phone, "phone")
        return Customer.objects.create(
            customer_no=customer_no,
            name=name,
            customer_type=customer_type,
            id_type="resident_id" if id_no else "",
            id_no_cipher=id_c,
            id_no_digest=id_d,
            id_no_masked=id_m,
            phone_cipher=ph_c,
            phone_digest=ph_d,
            phone_masked=ph_m,
            segment=segment,
            org=org or bank.o1,
            grid=grid,
            manager=manager,
        )

    return make


from django.contrib.auth.hashers import Argon2PasswordHasher  # noqa: E402


class FastArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 still, with test-sized costs: hundreds of users are created across the suite."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["conftest.FastArgon2PasswordHasher", *settings.PASSWORD_HASHERS]
