"""The auditor's log pages: search, sort, paginate, detail with before/after, XLSX exports
(audited, capped), the integrity-check page, read-only routes, and who may open them."""

from __future__ import annotations

import re
from datetime import datetime
from io import BytesIO

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from openpyxl import load_workbook

from liuyou.core import audit, request_context
from liuyou.core.access import LOGIN, PUBLIC, permissions_of
from liuyou.system import tables_logs
from liuyou.system.models import LoginLog, OperationLog
from liuyou.system.tests.test_audit_log import triggers_dropped

OPS = "/system/logs/operations/"
LOGINS = "/system/logs/logins/"
VERIFY = "/system/logs/verify/"
RID = "0123456789abcdef0123456789abcdef"
JAN = {"date_from": "2025-01-01", "date_to": "2025-01-31"}


def local(*args: int) -> datetime:
    return timezone.make_aware(datetime(*args))


_tokens: list = []


def at(
    monkeypatch,
    moment: datetime,
    *,
    ip: str = "10.0.0.1",
    request_id: str = "",
    method: str = "POST",
    path: str = "/system/users/1/edit",
) -> None:
    """Make the next log entries carry this time and request context (undone by `restore`)."""
    monkeypatch.setattr(audit, "_now", lambda: moment)
    ctx = request_context.RequestContext(ip=ip, method=method, path=path, user_agent="Mozilla/5.0 Test")
    if request_id:
        ctx.request_id = request_id
    _tokens.append(request_context.begin(ctx))


def restore(monkeypatch) -> None:
    monkeypatch.undo()
    while _tokens:
        request_context.end(_tokens.pop())


@pytest.fixture
def sample(db, bank, role_users, monkeypatch):
    """Operation and login entries in January 2025 (the fixtures' own entries are dated today)."""
    admin, sec = role_users["system_admin"], role_users["security_admin"]
    e = {}
    at(monkeypatch, local(2025, 1, 10, 9, 0), ip="10.0.0.1", request_id=RID)
    e["update"] = audit.record(
        action="user.update",
        user=admin,
        object_type="system.user",
        object_id="42",
        object_repr="张三（7001）",
        before={"name": "张三", "status": "active", "phone": "13800000000"},
        after={"name": "张三丰", "status": "left", "phone": "13800000000"},
    )
    e["reveal"] = audit.record(
        action="pii.reveal",
        user=admin,
        object_type="customers.customer",
        object_id="7",
        object_repr="客户C1",
        message="查看手机号码",
    )
    at(monkeypatch, local(2025, 1, 15, 23, 30), ip="10.0.0.2")
    e["reset"] = audit.record(
        action="user.password_reset",
        user=admin,
        object_type="system.user",
        object_id="43",
        success=False,
        message="密码不符合规则",
    )
    at(monkeypatch, local(2025, 1, 16, 0, 10), ip="10.0.0.3")
    e["move"] = audit.record(
        action="org.move",
        user=sec,
        object_type="system.org",
        object_id=str(bank.g1.pk),
        before={"parent": bank.b1.pk},
        after={"parent": bank.b2.pk},
    )
    at(monkeypatch, local(2025, 1, 20, 8, 0), ip="10.0.0.4")
    e["login_ok"] = audit.record_login(staff_no="9001", user=admin, result="success")
    e["login_bad"] = audit.record_login(staff_no="9001", result="failure", reason="密码错误")
    at(monkeypatch, local(2025, 1, 21, 8, 0), ip="10.0.0.5")
    e["login_locked"] = audit.record_login(staff_no="9002", result="locked", reason="连续失败 5 次")
    restore(monkeypatch)
    return e


@pytest.fixture
def auditor_client(client, role_users):
    client.force_login(role_users["auditor"])
    return client


def shown(response) -> list[int]:
    return [row.record.seq for row in response.context["table"].paginated_rows]


def seqs(*entries) -> list[int]:
    return sorted((e.seq for e in entries), reverse=True)


# --- operation log search ------------------------------------------------------------------


@pytest.mark.django_db
def test_operation_list_shows_count_and_newest_first(auditor_client, sample):
    response = auditor_client.get(OPS)
    assert response.status_code == 200
    total = OperationLog.objects.count()
    assert response.context["count"] == total
    assert f"共 <strong>{total}</strong> 条" in response.content.decode()
    assert shown(response) == list(range(total, max(0, total - 20), -1))
    html = response.content.decode()
    assert "操作日志" in html and "用户 · 修改" in html and "导出 Excel" in html
    failed = auditor_client.get(OPS, {**JAN, "result": "failure"}).content.decode()
    assert 'badge text-bg-danger">失败' in failed
    # The detail link leaves the boosted results area for a real page load.
    detail = reverse("log_operation_detail", args=[sample["reset"].pk])
    assert f'<a href="{detail}" hx-boost="false">详情</a>' in failed


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({**JAN, "date_to": "2025-01-31"}, ["update", "reveal", "reset", "move"]),
        ({"date_from": "2025-01-15", "date_to": "2025-01-15"}, ["reset"]),  # 23:30 local is still the 15th
        ({"date_from": "2025-01-16", "date_to": "2025-01-16"}, ["move"]),  # 00:10 local is the 16th
        ({"date_to": "2025-01-10"}, ["update", "reveal"]),
        ({**JAN, "staff_no": "9009"}, ["move"]),  # security_admin is the 10th role
        ({**JAN, "org": "000"}, ["update", "reveal", "reset", "move"]),
        ({**JAN, "org": "总行"}, ["update", "reveal", "reset", "move"]),
        ({**JAN, "org": "东河"}, []),
        ({**JAN, "action": "user."}, ["update", "reset"]),
        ({**JAN, "action": "user.update"}, ["update"]),
        ({**JAN, "object_type": "system.user"}, ["update", "reset"]),
        ({**JAN, "object_type": "CUSTOMERS.Customer"}, ["reveal"]),
        ({**JAN, "result": "failure"}, ["reset"]),
        ({"request_id": RID.upper()}, ["update", "reveal"]),
        ({"request_id": "01234567-89ab-cdef-0123-456789abcdef"}, ["update", "reveal"]),
        ({"ip": "10.0.0.3"}, ["move"]),
        ({"ip": "10.0.0"}, []),  # whole addresses only
    ],
)
def test_operation_filters(auditor_client, sample, role_users, params, expected):
    assert role_users["security_admin"].staff_no == "9009"
    response = auditor_client.get(OPS, params)
    assert response.status_code == 200
    assert response.context["filter"].is_valid()
    assert shown(response) == seqs(*(sample[k] for k in expected))
    assert response.context["count"] == len(expected)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_from": "2025-13-45"}, "输入一个有效的日期"),
        ({"staff_no": "9" * 33}, "不能超过 32 个字符（当前 33 个）"),
        ({"date_from": "2025-02-01", "date_to": "2025-01-01"}, "结束日期不能早于开始日期"),
        ({"result": "deleted"}, "选择一个有效的选项"),
        ({"request_id": "x" * 37}, "不能超过 36 个字符（当前 37 个）"),
    ],
)
def test_invalid_filters_show_a_chinese_message_and_no_rows(auditor_client, sample, params, message):
    response = auditor_client.get(OPS, params)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "is-invalid" in html
    assert response.context["count"] == 0
    assert shown(response) == []


@pytest.mark.django_db
def test_sort_by_time_and_paginate(auditor_client, sample, monkeypatch):
    at(monkeypatch, local(2025, 2, 1, 9, 0))
    extra = [audit.record(action="dict.update", message=str(i)) for i in range(25)]
    restore(monkeypatch)
    febr = {"date_from": "2025-02-01", "date_to": "2025-02-28"}
    page1 = auditor_client.get(OPS, febr)
    assert page1.context["count"] == 25
    assert shown(page1) == [e.seq for e in reversed(extra)][:20]
    page2 = auditor_client.get(OPS, {**febr, "page": 2})
    assert shown(page2) == [e.seq for e in reversed(extra)][20:]
    ascending = auditor_client.get(OPS, {**febr, "sort": "created_at"})
    assert shown(ascending) == [e.seq for e in extra][:20]
    assert "sort=-created_at" in ascending.content.decode()  # the header link flips the order
    assert auditor_client.get(OPS, {**febr, "page": "999"}).status_code == 200
    assert shown(auditor_client.get(OPS, {**febr, "page": "abc"})) == shown(page1)


@pytest.mark.django_db
def test_htmx_gets_the_fragment_and_a_boosted_link_the_page(auditor_client, sample):
    fragment = auditor_client.get(OPS, {"action": "user."}, headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in html and 'id="log-page"' in html and "<table" in html
    boosted = auditor_client.get(OPS, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.content.decode()


# --- operation detail ---------------------------------------------------------------------


@pytest.mark.django_db
def test_operation_detail_shows_before_and_after_side_by_side(auditor_client, sample):
    response = auditor_client.get(reverse("log_operation_detail", args=[sample["update"].pk]))
    assert response.status_code == 200
    html = response.content.decode()
    rows = {r["name"]: r for r in response.context["rows"]}
    assert rows["name"] == {
        "name": "name",
        "label": "姓名",
        "before": "张三",
        "after": "张三丰",
        "changed": True,
    }
    assert rows["status"]["before"] == "在职（active）" and rows["status"]["after"] == "离职（left）"
    assert rows["phone"]["changed"] is False
    assert html.count('class="table-warning"') == 2
    for text in (
        "修改前",
        "修改后",
        "张三丰",
        "离职（left）",
        "本条记录的内容与其哈希相符",
        RID,
        "10.0.0.1",
        sample["update"].hash,
        "同一请求另有 1 条",
    ):
        assert text in html, text


@pytest.mark.django_db
def test_operation_detail_of_a_create_and_missing_entries(auditor_client, sample, bank):
    created = OperationLog.objects.filter(action="org.create", object_id=str(bank.g1.pk)).get()
    response = auditor_client.get(reverse("log_operation_detail", args=[created.pk]))
    assert response.status_code == 200
    rows = {r["name"]: r for r in response.context["rows"]}
    assert rows["name"]["before"] == "—" and rows["name"]["after"] == "城关第一网格"
    assert rows["kind"]["after"] == "网格（grid）"
    missing = auditor_client.get("/system/logs/operations/999999/")
    assert missing.status_code == 404
    assert "页面不存在" in missing.content.decode()


@pytest.mark.django_db
def test_operation_detail_flags_a_tampered_entry(auditor_client, sample):
    with triggers_dropped():
        OperationLog.objects.filter(pk=sample["update"].pk).update(after={"name": "别人"})
    html = auditor_client.get(reverse("log_operation_detail", args=[sample["update"].pk])).content.decode()
    assert "可能已被篡改" in html


# --- login log ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({**JAN, "date_to": "2025-01-31"}, ["login_ok", "login_bad", "login_locked"]),
        ({"date_from": "2025-01-21"}, ["login_locked"]),
        ({"staff_no": "9001"}, ["login_ok", "login_bad"]),
        ({"ip": "10.0.0.5"}, ["login_locked"]),
        ({"date_to": "2025-12-31", "result": "failure"}, ["login_bad"]),
        ({"result": "locked"}, ["login_locked"]),
    ],
)
def test_login_filters(auditor_client, sample, params, expected):
    response = auditor_client.get(LOGINS, params)
    assert response.status_code == 200
    assert shown(response) == seqs(*(sample[k] for k in expected))
    assert response.context["count"] == len(expected)


@pytest.mark.django_db
def test_login_list_labels(auditor_client, sample):
    html = auditor_client.get(LOGINS, {"date_from": "2025-01-01", "date_to": "2025-01-31"}).content.decode()
    for text in (
        'badge text-bg-success">登录成功',
        'badge text-bg-danger">登录失败',
        'badge text-bg-warning">账号锁定',
        "密码错误",
        "共 <strong>3</strong> 条",
    ):
        assert text in html, text
    fragment = auditor_client.get(LOGINS, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and "<table" in fragment


# --- exports ----------------------------------------------------------------------------------


def sheet(response) -> list[list]:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    wb = load_workbook(BytesIO(response.content))
    return [list(r) for r in wb.active.iter_rows(values_only=True)]


@pytest.mark.django_db
def test_operation_export_is_exactly_the_filtered_rows_and_audited(auditor_client, sample, role_users):
    params = {"date_from": "2025-01-01", "date_to": "2025-01-31", "action": "user."}
    response = auditor_client.get(reverse("log_operations_export"), params)
    rows = sheet(response)
    assert "attachment" in response["Content-Disposition"]
    assert rows[0] == tables_logs.OPERATION_HEADERS
    body = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert [r["序号"] for r in body] == seqs(sample["update"], sample["reset"])
    update = body[1]
    assert update["操作说明"] == "用户 · 修改"
    assert update["对象类型说明"] == "用户"
    assert update["结果"] == "成功" and body[0]["结果"] == "失败"
    assert update["时间"] == "2025-01-10 09:00:00"
    assert '"name": "张三丰"' in update["修改后"]
    assert update["本条哈希"] == sample["update"].hash

    record = OperationLog.objects.order_by("-seq").first()
    assert record.action == "log.export"
    assert record.staff_no == role_users["auditor"].staff_no
    assert record.result == "success"
    assert record.after["rows"] == 2 and record.after["chain"] == "operation"
    assert record.after["filters"] == {"date_from": "2025-01-01", "date_to": "2025-01-31", "action": "user."}
    assert "导出操作日志 2 条" in record.message and "操作=user." in record.message


@pytest.mark.django_db
def test_export_follows_the_time_sort(auditor_client, sample):
    params = {"date_from": "2025-01-01", "date_to": "2025-01-31", "sort": "created_at"}
    rows = sheet(auditor_client.get(reverse("log_operations_export"), params))
    assert [r[0] for r in rows[1:]] == sorted(e.seq for k, e in sample.items() if not k.startswith("login"))


@pytest.mark.django_db
def test_login_export_has_chinese_labels_and_is_audited(auditor_client, sample):
    rows = sheet(auditor_client.get(reverse("log_logins_export"), {"date_from": "2025-01-01"}))
    assert rows[0] == tables_logs.LOGIN_HEADERS
    assert [r[4] for r in rows[1:]] == ["账号锁定", "登录失败", "登录成功"]
    assert rows[3][2] == "9001" and rows[3][5] == "10.0.0.4"
    record = OperationLog.objects.order_by("-seq").first()
    assert (record.action, record.object_type, record.after["rows"]) == ("log.export", "system.loginlog", 3)
    assert "导出登录日志 3 条" in record.message


@pytest.mark.django_db
def test_export_over_the_cap_is_refused_with_a_chinese_message_and_audited(auditor_client, sample, settings):
    settings.LIUYOU_LOG_EXPORT_MAX_ROWS = 3
    params = {"date_from": "2025-01-01", "date_to": "2025-01-31"}
    response = auditor_client.get(reverse("log_operations_export"), params)
    assert response.status_code == 302
    assert response["Location"].startswith(OPS + "?")
    assert "date_from=2025-01-01" in response["Location"]
    page = auditor_client.get(response["Location"])
    assert "符合条件的操作日志共 4 条，超过单次导出上限 3 条" in page.content.decode()
    record = OperationLog.objects.order_by("-seq").first()
    assert (record.action, record.result, record.after["rows"]) == ("log.export", "failure", 4)
    # within the cap it exports
    assert (
        len(sheet(auditor_client.get(reverse("log_operations_export"), {**params, "action": "user."}))) == 3
    )


@pytest.mark.django_db
def test_export_with_invalid_filters_exports_nothing(auditor_client, sample):
    before = OperationLog.objects.count()
    response = auditor_client.get(reverse("log_logins_export"), {"date_from": "not-a-date"})
    assert response.status_code == 302
    assert "筛选条件有误" in auditor_client.get(response["Location"]).content.decode()
    assert OperationLog.objects.count() == before


@pytest.mark.django_db
def test_export_needs_log_export(client, sample, make_user):
    from liuyou.system.models import Permission, Role

    viewer = Role.objects.create(code="log_viewer", name="日志查看", data_scope="all")
    viewer.permissions.set(Permission.objects.filter(code="log:view"))
    client.force_login(make_user("8101", "log_viewer"))
    assert client.get(OPS).status_code == 200
    assert "导出 Excel" not in client.get(OPS).content.decode()
    assert client.get(reverse("log_operations_export")).status_code == 403
    assert client.get(reverse("log_logins_export")).status_code == 403


# --- integrity status page --------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_page_reports_intact_chains_and_is_audited(auditor_client, sample):
    ops, logins = OperationLog.objects.count(), LoginLog.objects.count()
    response = auditor_client.get(VERIFY)
    assert response.status_code == 200
    html = response.content.decode()
    assert "两条日志链均完整" in html
    counts = re.findall(r'class="ly-verify-checked">(\d+)<', html)
    assert counts == [str(ops), str(logins)]
    record = OperationLog.objects.order_by("-seq").first()
    assert (record.action, record.result) == ("log.verify", "success")
    assert record.after["operation"]["checked"] == ops and record.after["login"]["checked"] == logins
    assert f"操作日志校验 {ops} 条，完整" in record.message
    assert audit.verify("operation").ok


@pytest.mark.django_db
def test_verify_page_shows_each_break(auditor_client, sample):
    with triggers_dropped():
        OperationLog.objects.filter(pk=sample["reveal"].pk).update(staff_no="0000")
        LoginLog.objects.filter(pk=sample["login_locked"].pk).delete()
    response = auditor_client.get(VERIFY)
    html = response.content.decode()
    assert "日志链校验未通过" in html
    assert reverse("log_operation_detail", args=[sample["reveal"].pk]) in html
    assert "内容与哈希不符（记录被篡改）" in html
    assert "末尾记录被删除" in html
    record = OperationLog.objects.order_by("-seq").first()
    assert (record.action, record.result) == ("log.verify", "failure")
    assert record.after["operation"]["broken"] == [[sample["reveal"].seq, "内容与哈希不符（记录被篡改）"]]


# --- read-only routes and who may open them ------------------------------------------------


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _url(pattern: str, sample_id: int) -> str:
    """A concrete URL for a route: the sample id for int parameters, "x" for others."""
    return "/" + re.sub(
        r"<(?:(\w+):)?(\w+)>", lambda m: str(sample_id) if m.group(1) == "int" else "x", pattern
    )


def log_routes():
    return [
        (pattern, p)
        for pattern, p in _walk(get_resolver().url_patterns)
        if pattern.startswith("system/logs/")
    ]


@pytest.mark.django_db
def test_log_routes_are_read_only(auditor_client, sample):
    routes = log_routes()
    assert {p.name for _, p in routes} == {
        "log_operations",
        "log_operations_export",
        "log_operation_detail",
        "log_logins",
        "log_logins_export",
        "log_verify",
    }
    for pattern, p in routes:
        assert tuple(p.callback.liuyou_methods) == ("GET",), pattern
        assert not re.search(r"edit|update|delete|remove|purge", pattern), pattern
    counts = (OperationLog.objects.count(), LoginLog.objects.count())
    entry = OperationLog.objects.get(pk=sample["update"].pk)
    accepted = []
    for pattern, _ in routes:
        url = _url(pattern, entry.pk)
        for method in ("post", "put", "patch", "delete"):
            status = getattr(auditor_client, method)(url).status_code
            if status != 405:
                accepted.append(f"{method.upper()} {url}: {status}")
    assert accepted == []
    assert (OperationLog.objects.count(), LoginLog.objects.count()) == counts
    entry.refresh_from_db()
    assert entry.after == sample["update"].after


LOG_URLS = [OPS, LOGINS, VERIFY, "/system/logs/operations/export.xlsx", "/system/logs/logins/export.xlsx"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["account_manager", "system_admin", "security_admin", "hq_admin", "none"])
def test_log_pages_are_forbidden_to_other_roles(client, sample, role_users, role):
    client.force_login(role_users[role])
    before = OperationLog.objects.count()
    for url in [*LOG_URLS, reverse("log_operation_detail", args=[sample["update"].pk])]:
        assert client.get(url).status_code == 403, url
    assert OperationLog.objects.count() == before  # nothing exported or verified


@pytest.mark.django_db
def test_log_pages_send_anonymous_users_to_login(client, sample):
    for url in LOG_URLS:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login"), url


@pytest.mark.django_db
def test_log_pages_work_for_the_auditor(auditor_client, sample):
    for url in [*LOG_URLS, reverse("log_operation_detail", args=[sample["update"].pk])]:
        assert auditor_client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_the_auditor_holds_only_read_permissions(role_users):
    assert permissions_of(role_users["auditor"]) == {"workbench:view", "log:view", "log:export"}


WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.mark.django_db
def test_the_auditor_cannot_write(auditor_client, role_users, sample):
    """Every write route that exists now, found by walking the URL configuration, answers 403
    to the auditor, and nothing changes."""
    from liuyou.system.models import Org, Role, User

    perms = permissions_of(role_users["auditor"])
    writes = []
    for pattern, p in _walk(get_resolver().url_patterns):
        requirement = getattr(p.callback, "liuyou_permission", None)
        methods = set(getattr(p.callback, "liuyou_methods", ()))
        if pattern.startswith("api/") or requirement in (None, PUBLIC, LOGIN) or requirement in perms:
            continue
        if methods & WRITE_METHODS:
            writes.append((pattern, sorted(methods & WRITE_METHODS)))
    if not writes:
        pytest.skip("no admin write routes are registered yet")
    state = (
        Org.objects.count(),
        User.objects.count(),
        Role.objects.count(),
        sorted(User.objects.values_list("staff_no", "is_active", "status")),
    )
    failures = []
    for pattern, methods in writes:
        url = _url(pattern, 1)
        for method in methods:
            status = getattr(auditor_client, method.lower())(url, {"name": "审计员改的"}).status_code
            if status != 403:
                failures.append(f"{method} {url}: {status}")
    assert failures == []
    assert state == (
        Org.objects.count(),
        User.objects.count(),
        Role.objects.count(),
        sorted(User.objects.values_list("staff_no", "is_active", "status")),
    )


@pytest.mark.django_db
def test_the_auditor_sees_no_customer_pages(auditor_client, make_customer, bank):
    make_customer("C1", org=bank.o1, id_no="410521199001011234", phone="13800138000")
    pages = [
        (pattern, p) for pattern, p in _walk(get_resolver().url_patterns) if pattern.startswith("customers/")
    ]
    if not pages:
        pytest.skip("no customer pages are registered yet")
    for pattern, _ in pages:
        url = re.sub(
            r"<(?:(\w+):)?(\w+)>", lambda m: "C1" if m.group(2) == "customer_no" else "1", "/" + pattern
        )
        response = auditor_client.get(url)
        assert response.status_code in (403, 404), f"{url}: {response.status_code}"
        assert "13800138000" not in response.content.decode()
