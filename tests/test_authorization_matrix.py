"""Authorization matrix: every registered page route × every role (and anonymous).

Walks Django's URL resolver, so a new route is covered without anyone remembering to: a view
without a declared requirement (core.access public/login_only/requires) fails the test, and
so does a route parameter nobody has given a sample for. The expected answer comes from the
permission map (system.catalog.ROLES as migrated into the database):

- anonymous: public routes answer; everything else redirects to /login;
- a role without the route's permission: 403;
- a role with it: anything but 403/405/5xx (a sample outside the role's data scope may be 404).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from liuyou.core.access import LOGIN, PUBLIC
from liuyou.system.catalog import ROLES


@dataclass(frozen=True)
class Route:
    pattern: str
    name: str
    requirement: str
    methods: tuple[str, ...]
    params: tuple[str, ...]


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith("api/"):
                continue  # the JSON API has its own matrix
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def page_routes() -> list[Route]:
    routes = []
    missing = []
    for pattern, p in _walk(get_resolver().url_patterns):
        if pattern.startswith("static/"):
            continue
        cb = p.callback
        requirement = getattr(cb, "liuyou_permission", None)
        if requirement is None:
            missing.append(pattern)
            continue
        routes.append(
            Route(
                pattern,
                p.name or "",
                requirement,
                tuple(cb.liuyou_methods),
                tuple(p.pattern.converters) if hasattr(p.pattern, "converters") else (),
            )
        )
    assert not missing, f"routes without a declared requirement (use core.access decorators): {missing}"
    return routes


def test_every_route_declares_its_requirement():
    routes = page_routes()
    assert len(routes) >= 10
    assert {r.requirement for r in routes} & {PUBLIC, LOGIN}


@pytest.fixture
def samples(bank, role_users, make_user, make_customer):
    """One in-scope object per route parameter. Never the acting user, so POST actions
    (disable, revoke, reset) do not lock the actor out mid-walk."""
    from liuyou.core import audit
    from liuyou.system.models import DictType, OperationLog, Role, UserSession

    subject = make_user("7001", "account_manager", org=bank.o1)
    make_customer(
        "C1",
        org=bank.o1,
        grid=bank.g1,
        manager=role_users["account_manager"],
        id_no="410521199001011234",
        phone="13800138000",
    )
    audit.record(action="test.sample", message="matrix sample")
    session = UserSession.objects.create(session_key="matrixsamplesession", user=subject, ip="127.0.0.1")
    values = {
        "org_id": bank.g2.pk,
        "user_id": subject.pk,
        "role_id": Role.objects.get(code="post_loan_officer").pk,
        "dict_id": DictType.objects.get(code="position").pk,
        "item_id": DictType.objects.get(code="position").items.first().pk,
        "session_id": session.pk,
        "log_id": OperationLog.objects.order_by("seq").first().pk,
        "customer_no": "C1",
        "field": "phone",
        "code": "high_deposit",
    }
    from liuyou.tags.models import Tag, TagGroup  # customer tags (issue 4): seeded by tags 0002

    values["tag_id"] = Tag.objects.get(code="high_deposit").pk
    values["group_id"] = TagGroup.objects.get(code="type").pk
    from liuyou.products.services import ensure_demo_catalogue  # product catalogue (issue 4)

    ensure_demo_catalogue()
    values["product_code"] = "YGC"
    from liuyou.system import apikeys, services

    account = services.create_user(
        staff_no="7002",
        name="矩阵接口账号",
        org=bank.hq,
        password="Svc#2026abcd",
        roles=[],
        is_service_account=True,
        must_change_password=False,
    )
    key, _ = apikeys.create_api_key(
        name="matrix", user=account, scopes=["user:view"], expires_at=None, actor=None
    )
    values["key_id"] = key.pk
    from liuyou.ingest.models import ImportRun

    values["run_id"] = ImportRun.objects.create(
        source="org", file_name="org_20250301.csv", status="completed"
    ).pk
    from datetime import date

    from django.utils import timezone

    from liuyou.pipeline.models import JobBatch, JobRun

    batch = JobBatch.objects.create(data_date=date(2025, 3, 1), status="completed")
    values["batch_id"] = batch.pk
    values["job_id"] = JobRun.objects.create(
        batch=batch, step="features", data_date=batch.data_date, status="completed", started_at=timezone.now()
    ).pk
    from liuyou.customers.models import Customer
    from liuyou.targets.models import Lead, TargetList, TargetMember  # target lists (issue 4)

    target = TargetList.objects.create(
        name="矩阵名单", data_date=date(2025, 3, 1), definition={"dimensions": ["high_deposit"]},
        org=bank.o1, created_by=subject, members_count=1,
    )  # fmt: skip
    member = TargetMember.objects.create(
        target_list=target, customer=Customer.objects.get(customer_no="C1"), reasons="存款大户"
    )
    values["list_id"] = target.pk
    values["lead_id"] = Lead.objects.create(
        member=member, target_list=target, customer=member.customer,
        assignee=role_users["account_manager"], distributed_on=date(2025, 3, 2),
    ).pk  # fmt: skip
    return values


def _url(route: Route, samples: dict) -> str:

    url = "/" + route.pattern
    unknown = []

    def sub(m):
        name = m.group(2)
        if name not in samples:
            unknown.append(name)
            return "x"
        return str(samples[name])

    url = re.sub(r"<(?:(\w+):)?(\w+)>", sub, url)
    assert not unknown, f"{route.pattern}: add a sample for {unknown} in tests/test_authorization_matrix.py"
    return url


ACTORS = [*ROLES, "none", "anonymous"]


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
def test_matrix(actor, client, role_users, samples):
    from liuyou.core.access import permissions_of

    user = None if actor == "anonymous" else role_users[actor]
    perms = permissions_of(user) if user else frozenset()
    failures = []
    for route in sorted(page_routes(), key=lambda r: (r.pattern != "logout", r.pattern)):
        if route.pattern == "logout":
            continue  # logging out the actor would end the walk; covered by the auth tests
        url = _url(route, samples)
        for method in route.methods:
            client.logout()
            if user is not None:
                client.force_login(user)
            response = getattr(client, method.lower())(url)
            status = response.status_code
            if route.requirement == PUBLIC:
                ok = status < 500 and status not in (401, 403, 405)
                expected = "answer"
            elif user is None:
                ok = status == 302 and response["Location"].startswith("/login")
                expected = "redirect to /login"
            elif route.requirement == LOGIN or route.requirement in perms:
                ok = status < 500 and status not in (403, 405)
                expected = "allowed"
            else:
                ok = status == 403
                expected = "403"
            if not ok:
                failures.append(f"{method} {url} as {actor}: {status}, expected {expected}")
    assert not failures, "\n".join(failures)


# --- the JSON API -----------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    requirement: str | None


def api_operations() -> list[Operation]:
    from liuyou.api import api

    ops = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for op in path_view.operations:
                for method in op.methods:
                    ops.append(
                        Operation(
                            "/api/v1" + prefix + path,
                            method,
                            getattr(op.view_func, "liuyou_permission", None),
                        )
                    )
    return ops


def test_every_api_operation_declares_its_requirement():
    ops = api_operations()
    undeclared = [f"{o.method} {o.path}" for o in ops if o.requirement is None and o.path != "/api/v1/health"]
    assert not undeclared, f"use core.api_auth.api_requires / api_login_only on: {undeclared}"
    assert len(ops) >= 5


# ninja validates a body before the permission check: give each such route a valid one, so
# that a role without the permission gets its 403 rather than a 422.
API_BODIES = {
    "/api/v1/customers/C1/reveal": {"field": "phone"},
    "/api/v1/customers/C1/managers": {"role": "primary", "manager": "7001"},
    "/api/v1/mining/dimensions/high_deposit": {"params": {"min_average": "60000"}},
    "/api/v1/products/YGC": {"max_amount": "300000", "note": "矩阵"},
    "/api/v1/tags/bulk": {"tag": "yanguichao", "entries": ["C1"], "kind": "customer_no"},
    "/api/v1/tags/preview": {"rule": {"conditions": [{"column": "age", "op": ">=", "value": 18}]}},
    "/api/v1/targets/lists": {"name": "矩阵", "dimensions": ["high_deposit"]},
    "/api/v1/targets/lists/{list_id}/distribute": {"mode": "manager"},
    "/api/v1/targets/leads/{lead_id}/status": {"to": "contacted"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
def test_api_matrix(actor, client, role_users, samples):

    from liuyou.core.access import permissions_of

    user = None if actor == "anonymous" else role_users[actor]
    perms = permissions_of(user) if user else frozenset()
    api_samples = {**samples, "staff_no": "7001", "org_id": samples["org_id"]}
    failures = []
    for op in api_operations():
        url = re.sub(r"\{(\w+)\}", lambda m: str(api_samples[m.group(1)]), op.path)
        client.logout()
        if user is not None:
            client.force_login(user)
        body = API_BODIES.get(url, API_BODIES.get(op.path))
        if op.method == "GET":
            response = client.get(url)
        else:
            response = client.generic(
                op.method, url, data=json.dumps(body or {}), content_type="application/json"
            )
        status = response.status_code
        is_json = response.get("Content-Type", "").startswith("application/json")
        if op.requirement is None:
            ok, expected = status == 200, "200 (public)"
        elif user is None:
            ok, expected = status == 401 and is_json, "401 JSON"
        elif op.requirement == LOGIN or op.requirement in perms:
            ok, expected = status < 500 and status not in (401, 403, 405) and is_json, "allowed"
        else:
            ok, expected = status == 403 and is_json, "403 JSON"
        if not ok:
            failures.append(f"{op.method} {url} as {actor}: {status}, expected {expected}")
    assert not failures, "\n".join(failures)
