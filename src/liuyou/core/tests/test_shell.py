"""The web shell: menu per permission, workbench cards per role, error pages, security headers,
vendored assets and the no-inline-code rule the Content-Security-Policy depends on."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import Context, RequestContext, Template
from django.test import Client, RequestFactory
from django.urls import path

from liuyou.core import views, workbench
from liuyou.core.access import login_only
from liuyou.core.rendering import render_page

pytestmark = pytest.mark.django_db

CORE = Path(views.__file__).parent
VENDOR = CORE / "static" / "vendor"


# A URLconf for the 500 test only: two routes that fail.
@login_only
def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom), path("api/boom/", _boom)]
handler404 = "liuyou.core.views.page_not_found"
handler500 = "liuyou.core.views.server_error"


class _Page(HTMLParser):
    """Collects what the CSP rule cares about from a rendered page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []
        self.styled: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.style_tags = 0
        self.inline_script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a)
            self._in_script = True
        if tag == "link":
            self.links.append(a)
        if tag == "style":
            self.style_tags += 1
        if "style" in a:
            self.styled.append(tag)
        self.handlers += [(tag, name) for name in a if name.startswith("on")]

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_script_text.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def login(client: Client, user) -> Client:
    client.force_login(user)
    return client


def html_of(response) -> str:
    return response.content.decode()


# --- menu --------------------------------------------------------------------------------


def test_account_manager_menu_has_customers_not_user_admin(client, role_users):
    body = html_of(login(client, role_users["account_manager"]).get("/"))
    assert "客户信息库" in body
    assert 'href="/customers/"' in body
    assert "用户管理" not in body
    assert "/system/users/" not in body
    assert "操作日志" not in body


def test_system_admin_menu_has_user_admin_not_customers(client, role_users):
    body = html_of(login(client, role_users["system_admin"]).get("/"))
    assert "用户管理" in body
    assert "机构管理" in body
    assert "客户信息库" not in body
    assert 'href="/customers/"' not in body
    assert "角色权限" not in body


def test_security_admin_and_auditor_menus(client, role_users):
    body = html_of(login(client, role_users["security_admin"]).get("/"))
    assert "角色权限" in body and "接口密钥" in body
    assert "客户信息库" not in body and "操作日志" not in body
    auditor = html_of(login(Client(), role_users["auditor"]).get("/"))
    assert "操作日志" in auditor and "登录日志" in auditor
    assert "客户信息库" not in auditor and "用户管理" not in auditor


def test_menu_marks_only_the_longest_match_active(role_users):
    from liuyou.core.menu import active_item, menu_for

    menu = menu_for(role_users["auditor"], "/system/logs/operations/?page=2")
    section, item = active_item(menu)
    assert (section["label"], item["label"]) == ("审计", "操作日志")
    assert [i["label"] for s in menu for i in s["items"] if i["active"]] == ["操作日志"]
    home = menu_for(role_users["auditor"], "/")
    assert [i["label"] for s in home for i in s["items"] if i["active"]] == ["我的工作台"]


def test_no_role_user_sees_only_the_workbench_entry(role_users):
    from liuyou.core.menu import menu_for

    assert menu_for(role_users["none"], "/") == [
        {"label": "工作台", "items": [{"label": "我的工作台", "url": "/", "icon": "house", "active": True}]}
    ]


# --- top bar and page frame ---------------------------------------------------------------


def test_top_bar_shows_identity_password_link_and_logout_form(client, role_users, bank):
    user = role_users["account_manager"]
    body = html_of(login(client, user).get("/"))
    assert "六有信贷管理与精准营销平台" in body
    assert user.name in body and user.staff_no in body and bank.o1.name in body
    assert 'href="/password/change"' in body and "修改密码" in body
    assert 'action="/logout"' in body and 'method="post"' in body and "退出" in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert 'id="ly-sidebar"' in body and "offcanvas-lg" in body
    assert 'name="viewport"' in body


def test_logout_button_posts_and_ends_the_session(client, role_users):
    login(client, role_users["account_manager"])
    assert client.post("/logout").status_code == 302
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login")


def test_messages_and_data_date_block(rf, role_users):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.fallback import FallbackStorage

    request = rf.get("/customers/")
    request.user = role_users["account_manager"]
    request.session = {}
    request._messages = FallbackStorage(request)
    request._messages.add(constants.ERROR, "保存失败：请检查标红的字段")
    template = Template(
        '{% extends "core/base.html" %}{% block data_date %}数据日期 2026-03-31{% endblock %}'
        "{% block content %}<p>正文</p>{% endblock %}"
    )
    html = template.render(RequestContext(request, {}))
    assert 'class="alert alert-danger' in html and "保存失败：请检查标红的字段" in html
    assert "数据日期 2026-03-31" in html
    # The breadcrumb and default page title come from the active menu entry.
    assert '<li class="breadcrumb-item">客户</li>' in html
    assert "客户信息库</h1>" in html


def test_data_date_from_context(rf, role_users):
    import datetime

    request = rf.get("/")
    request.user = role_users["hq_admin"]
    html = Template('{% extends "core/base.html" %}').render(
        RequestContext(request, {"data_date": datetime.date(2026, 3, 31)})
    )
    assert "数据日期" in html and "2026-03-31" in html


# --- watermark ----------------------------------------------------------------------------


def test_watermark_only_when_asked_and_built_from_user_and_local_time(rf, role_users):
    import re

    from django.utils import timezone

    user = role_users["account_manager"]
    request = rf.get("/customers/1/")
    request.user = user
    template = Template('{% extends "core/base.html" %}{% block content %}客户{% endblock %}')
    plain = template.render(RequestContext(request, {}))
    assert "ly-watermark" not in plain
    before = timezone.localtime()
    marked = template.render(RequestContext(request, {"watermark": True}))
    after = timezone.localtime()
    texts = set(re.findall(r'<div class="ly-watermark" aria-hidden="true">(.*?)</div>', marked, re.S))
    assert len(texts) == 1
    spans = re.findall(r"<span>([^<]*)</span>", texts.pop())
    assert len(spans) >= 40 and len(set(spans)) == 1
    expected = {f"{user.staff_no} {t:%Y-%m-%d %H:%M}" for t in (before, after)}
    assert spans[0] in expected
    assert 'style="' not in marked


def test_watermark_css_is_fixed_and_click_through():
    css = (CORE / "static" / "liuyou" / "app.css").read_text()
    block = css[css.index(".ly-watermark {") :]
    block = block[: block.index("}")]
    assert "position: fixed" in block and "pointer-events: none" in block and "opacity: .09" in block


# --- workbench ----------------------------------------------------------------------------


def _card(body: str, key: str) -> str:
    start = body.index(f'data-card="{key}"')
    return body[start : body.index("</div>\n      </div>\n    </div>", start)]


def test_account_manager_workbench_counts_own_customers(client, role_users, make_customer, bank):
    am = role_users["account_manager"]
    for i in range(3):
        make_customer(f"C{i:03d}", manager=am)
    make_customer("C900", manager=role_users["branch_head"])  # someone else's customer
    make_customer("C901", org=bank.b2)
    body = html_of(login(client, am).get("/"))
    card = _card(body, "my_customers")
    assert "我的客户" in card
    assert '<a class="stretched-link text-decoration-none" href="/customers/">3</a>' in card
    # Leads are built (issue 4): none handed out yet is a 0 that links to the leads page.
    assert '<a class="stretched-link text-decoration-none" href="/targets/leads/">0</a>' in _card(
        body, "my_leads"
    )
    # Capabilities not built yet say so instead of showing a number.
    for key, title in [("today_visits", "今日走访"), ("reminders", "跟进提醒")]:
        empty = _card(body, key)
        assert title in empty
        assert "暂无数据：该功能将在后续版本上线" in empty
        assert "ly-card-value" not in empty


def test_branch_head_counts_branch_and_below(client, role_users, make_customer, bank):
    make_customer("C001", org=bank.o1)
    make_customer("C002", org=bank.g1)
    make_customer("C003", org=bank.b1)
    make_customer("C004", org=bank.b2)
    body = html_of(login(client, role_users["branch_head"]).get("/"))
    assert 'href="/customers/">3</a>' in _card(body, "branch_customers")
    for key in ("manager_ranking", "risk_warnings"):
        assert "暂无数据" in _card(body, key)


def test_hq_admin_sees_counts_of_customers_imports_lists_and_products(
    client, role_users, make_customer, bank
):
    from liuyou.ingest.models import ImportRun
    from liuyou.products.services import ensure_demo_catalogue

    make_customer("C001", org=bank.o1)
    make_customer("C002", org=bank.b2)
    ImportRun.objects.create(source="org", file_name="org.csv", status="completed")
    ensure_demo_catalogue()
    body = html_of(login(client, role_users["hq_admin"]).get("/"))
    assert 'href="/customers/">2</a>' in _card(body, "bank_customers")
    assert 'href="/imports/runs/">1</a>' in _card(body, "data_import")
    assert 'href="/targets/">0</a>' in _card(body, "target_customers")
    assert 'href="/products/">6</a>' in _card(body, "products")


def test_risk_officer_cards_are_honest_empty_states(client, role_users):
    body = html_of(login(client, role_users["risk_officer"]).get("/"))
    for key, title in [
        ("risk_classification", "五级分类"),
        ("warning_signals", "预警信号"),
        ("risk_cases", "风险事件"),
    ]:
        card = _card(body, key)
        assert title in card and "暂无数据：该功能将在后续版本上线" in card and "ly-card-value" not in card


def test_system_admin_sees_org_and_user_counts_without_customer_cards(client, role_users, make_customer):
    from liuyou.system.models import Org, User

    make_customer("C001")
    body = html_of(login(client, role_users["system_admin"]).get("/"))
    assert f'href="/system/orgs/">{Org.objects.filter(is_active=True).count()}</a>' in _card(body, "orgs")
    staff = User.objects.filter(status="active", is_service_account=False).count()
    assert staff == 11
    assert f'href="/system/users/">{staff}</a>' in _card(body, "staff")
    assert "客户" not in _card(body, "staff")
    assert 'data-card="my_customers"' not in body and 'data-card="bank_customers"' not in body


def test_security_admin_sees_role_counts(client, role_users):
    from liuyou.system.models import Role

    body = html_of(login(client, role_users["security_admin"]).get("/"))
    assert Role.objects.filter(is_active=True).count() == 10
    assert 'href="/system/roles/">10</a>' in _card(body, "roles")
    # Ten role holders; the user without a role is not counted.
    assert 'href="/system/users/">10</a>' in _card(body, "granted_users")
    assert 'href="/system/apikeys/">0</a>' in _card(body, "api_keys")


def test_auditor_sees_todays_log_counts(client, role_users):
    from liuyou.core import audit
    from liuyou.system.models import LoginLog, OperationLog

    audit.record(action="test.action", user=role_users["system_admin"], message="一次操作")
    audit.record(action="test.action", user=role_users["system_admin"], message="又一次操作")
    ops = OperationLog.objects.count()
    logins = LoginLog.objects.count()
    assert ops >= 2
    body = html_of(login(client, role_users["auditor"]).get("/"))
    assert f'href="/system/logs/operations/">{ops}</a>' in _card(body, "operations_today")
    assert f'href="/system/logs/logins/">{logins}</a>' in _card(body, "logins_today")
    assert "今日登录失败" in _card(body, "login_failures_today")


def test_multi_role_user_gets_a_section_per_role(client, make_user, make_customer, bank):
    user = make_user("5001", "account_manager", "risk_officer", org=bank.o1)
    make_customer("C001", manager=user)
    make_customer("C002", org=bank.b2)
    body = html_of(login(client, user).get("/"))
    assert body.index("客户经理</h2>") < body.index("风险经理(中台)</h2>")
    # Scopes are a union over roles: the risk officer role widens "my customers" to all.
    assert 'href="/customers/">2</a>' in _card(body, "my_customers")
    assert "五级分类" in body


def test_user_without_role_gets_friendly_page(client, role_users):
    response = login(client, role_users["none"]).get("/")
    assert response.status_code == 200
    body = html_of(response)
    assert "您尚未被分配角色，请联系安全管理员" in body
    assert "data-card=" not in body


def test_inactive_role_counts_as_no_role(client, make_user, bank):
    from liuyou.system.models import Role

    Role.objects.filter(code="account_manager").update(is_active=False)
    user = make_user("5002", "account_manager", org=bank.o1)
    assert "您尚未被分配角色" in html_of(login(client, user).get("/"))


def test_workbench_htmx_request_returns_only_the_cards(client, role_users):
    login(client, role_users["system_admin"])
    fragment = client.get("/", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    body = html_of(fragment)
    assert body.lstrip().startswith('<div id="ly-workbench-cards">')
    assert "<html" not in body and "ly-sidebar" not in body
    assert "HX-Request" in fragment["Vary"]
    boosted = client.get("/", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in html_of(boosted)


def test_anonymous_workbench_redirects_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/login?next=/"


def test_registry_provide_fills_a_placeholder_in_place(role_users):
    original = workbench._CARDS["today_visits"]
    try:
        workbench.provide("today_visits", count=lambda user: 7, url="/field/visits/")
        sections = workbench.sections_for(role_users["account_manager"])
        keys = [c.card.key for c in sections[0].cards]
        assert keys == ["my_customers", "today_visits", "reminders", "my_leads"]
        visits = sections[0].cards[1]
        assert visits.available and visits.value == 7
    finally:
        workbench._CARDS["today_visits"] = original


def test_card_hidden_when_its_permission_was_revoked(client, role_users):
    from liuyou.system.models import Permission, Role

    role = Role.objects.get(code="account_manager")
    role.permissions.remove(Permission.objects.get(code="customer:view"))
    body = html_of(login(client, role_users["account_manager"]).get("/"))
    assert 'data-card="my_customers"' not in body
    assert 'data-card="today_visits"' in body


# --- render_page ------------------------------------------------------------------------------


def test_render_page_picks_fragment_only_for_plain_htmx(rf, role_users):
    from django_htmx.middleware import HtmxDetails

    def req(**headers):
        request = rf.get("/", headers=headers)
        request.user = role_users["system_admin"]
        request.htmx = HtmxDetails(request)
        return request

    ctx = {"sections": [], "roles": [], "empty_text": ""}
    full = render_page(req(), "core/workbench.html", ctx, "core/_workbench_cards.html")
    frag = render_page(req(HX_Request="true"), "core/workbench.html", ctx, "core/_workbench_cards.html")
    restore = render_page(
        req(HX_Request="true", HX_History_Restore_Request="true"),
        "core/workbench.html",
        ctx,
        "core/_workbench_cards.html",
    )
    no_fragment = render_page(req(HX_Request="true"), "core/workbench.html", ctx, status=201)
    assert "<html" in html_of(full) and "<html" not in html_of(frag)
    assert "<html" in html_of(restore)
    assert "<html" in html_of(no_fragment) and no_fragment.status_code == 201


# --- error pages ------------------------------------------------------------------------------


def test_unknown_route_is_a_chinese_404_for_visitors(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    body = html_of(response)
    assert "页面不存在" in body and "请求号" in body
    assert response["X-Request-ID"] in body
    assert 'id="ly-sidebar"' not in body  # the bare frame
    assert 'href="/login"' in body


def test_unknown_route_for_logged_in_user_keeps_the_shell(client, role_users):
    response = login(client, role_users["account_manager"]).get("/no/such/page")
    assert response.status_code == 404
    body = html_of(response)
    assert "页面不存在" in body and 'id="ly-sidebar"' in body and "客户信息库" in body
    assert response["X-Request-ID"] in body


def test_403_page_in_chinese(client, role_users):
    from django.core.exceptions import PermissionDenied

    request = RequestFactory().get("/system/users/")
    request.user = role_users["account_manager"]
    response = views.permission_denied(request, PermissionDenied("user:view"))
    assert response.status_code == 403
    assert "无权访问" in html_of(response) and "请联系安全管理员" in html_of(response)


def test_400_page_in_chinese():
    response = views.bad_request(RequestFactory().get("/x"))
    assert response.status_code == 400 and "请求无效" in html_of(response)


def test_api_unknown_route_answers_json(client):
    response = client.get("/api/v1/nope")
    assert response.status_code in (401, 404)
    assert response["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["detail"], str)


def test_api_404_handler_answers_json_with_request_id():
    request = RequestFactory().get("/api/v1/customers/999")
    response = views.page_not_found(request)
    assert response.status_code == 404
    assert json.loads(response.content) == {
        "detail": "您访问的页面或记录不存在，或不在您的数据范围内。",
        "request_id": "",
    }


def test_htmx_404_answers_json(client, role_users):
    response = login(client, role_users["account_manager"]).get(
        "/no/such/page", headers={"HX-Request": "true"}
    )
    assert response.status_code == 404
    data = response.json()
    assert data["detail"] == "您访问的页面或记录不存在，或不在您的数据范围内。"
    assert data["request_id"] == response["X-Request-ID"]


def test_csrf_failure_page_in_chinese(role_users):
    client = Client(enforce_csrf_checks=True)
    anonymous = client.post("/login", {"username": "x", "password": "y"})
    assert anonymous.status_code == 403
    body = html_of(anonymous)
    assert "页面已过期" in body and anonymous["X-Request-ID"] in body and 'id="ly-sidebar"' not in body
    client.force_login(role_users["account_manager"])
    logged_in = client.post("/logout")
    assert logged_in.status_code == 403
    assert "页面已过期" in html_of(logged_in) and 'id="ly-sidebar"' in html_of(logged_in)
    htmx = client.post("/logout", headers={"HX-Request": "true"})
    assert htmx.status_code == 403 and htmx.json()["detail"].startswith("页面已过期")


@pytest.mark.urls("liuyou.core.tests.test_shell")
def test_500_page_in_chinese_without_database(role_users, django_assert_num_queries):
    client = Client(raise_request_exception=False)
    client.force_login(role_users["account_manager"])
    response = client.get("/boom/")
    assert response.status_code == 500
    body = html_of(response)
    assert "系统繁忙" in body and response["X-Request-ID"] in body
    api = client.get("/api/boom/")
    assert api.status_code == 500
    assert api.json() == {"detail": views.SERVER_ERROR_MESSAGE, "request_id": api["X-Request-ID"]}
    request = RequestFactory().get("/boom/")
    with django_assert_num_queries(0):
        direct = views.server_error(request)
    assert direct.status_code == 500 and "系统繁忙" in html_of(direct)


# --- security headers and the no-inline rule ------------------------------------------------


def test_security_headers(client, role_users):
    response = login(client, role_users["account_manager"]).get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("role", ["account_manager", "system_admin", "auditor", "none"])
def test_rendered_pages_have_no_inline_code(client, role_users, role):
    body = html_of(login(client, role_users[role]).get("/"))
    page = parse(body)
    assert page.scripts, "the shell loads its scripts"
    assert all(s.get("src") for s in page.scripts)
    assert page.inline_script_text == []
    assert page.styled == []
    assert page.handlers == []
    assert page.style_tags == 0


def test_bare_and_error_pages_have_no_inline_code(client):
    for response in (client.get("/no/such/page"), client.get("/login")):
        page = parse(html_of(response))
        assert all(s.get("src") for s in page.scripts)
        assert page.styled == [] and page.handlers == [] and page.style_tags == 0


def test_every_asset_is_local_static(client, role_users):
    page = parse(html_of(login(client, role_users["account_manager"]).get("/")))
    srcs = [s["src"] for s in page.scripts]
    hrefs = [link["href"] for link in page.links]
    assert srcs == [
        "/static/vendor/htmx.org-2.0.11/htmx.min.js",
        "/static/vendor/bootstrap-5.3.9/js/bootstrap.bundle.min.js",
        "/static/liuyou/app.js",
    ]
    assert hrefs == [
        "/static/liuyou/favicon.svg",
        "/static/vendor/bootstrap-5.3.9/css/bootstrap.min.css",
        "/static/vendor/bootstrap-icons-1.13.2/bootstrap-icons.min.css",
        "/static/liuyou/app.css",
    ]
    for url in srcs + hrefs:
        assert client.get(url).status_code == 200, url


def test_htmx_is_configured_for_the_csp(client, role_users):
    body = html_of(login(client, role_users["account_manager"]).get("/"))
    assert (
        '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false, "allowEval": false, '
        '"allowScriptTags": false, "historyCacheSize": 0}\'>'
    ) in body
    js = (CORE / "static" / "liuyou" / "app.js").read_text()
    assert "htmx:configRequest" in js and "X-CSRFToken" in js and "liuyou_csrftoken" in js


def test_templates_have_no_inline_code():
    for template in (CORE / "templates").rglob("*.html"):
        text = template.read_text()
        page = parse(text)
        assert page.styled == [], template
        assert page.handlers == [], template
        assert page.inline_script_text == [], template
        assert "://" not in text, f"{template} refers to an outside URL"


def test_no_template_in_the_package_has_inline_code_or_outside_assets():
    """The CSP rule holds for every app's templates, not just the shell's."""
    import re

    package = CORE.parent
    outside = re.compile(r"""(src|href)=["']?(https?:)?//""", re.I)
    for template in package.glob("*/templates/**/*.html"):
        text = template.read_text()
        page = parse(text)
        assert page.styled == [], template
        assert page.handlers == [], template
        assert page.inline_script_text == [], template
        assert page.style_tags == 0, template
        assert not outside.search(text), template


# --- static files with DEBUG off ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/static/vendor/bootstrap-5.3.9/css/bootstrap.min.css",
        "/static/vendor/bootstrap-5.3.9/js/bootstrap.bundle.min.js",
        "/static/vendor/bootstrap-icons-1.13.2/bootstrap-icons.min.css",
        "/static/vendor/bootstrap-icons-1.13.2/fonts/bootstrap-icons.woff2",
        "/static/vendor/bootstrap-icons-1.13.2/fonts/bootstrap-icons.woff",
        "/static/vendor/htmx.org-2.0.11/htmx.min.js",
        "/static/vendor/echarts-5.6.0/echarts.min.js",
        "/static/liuyou/app.css",
        "/static/liuyou/app.js",
    ],
)
def test_static_served_by_whitenoise_with_debug_off(client, url):
    from django.conf import settings as live

    assert live.DEBUG is False
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert len(body) > 1000


def test_icon_font_urls_resolve_next_to_the_css():
    css = (VENDOR / "bootstrap-icons-1.13.2" / "bootstrap-icons.min.css").read_text()
    import re

    urls = re.findall(r'url\("([^"?]+)', css)
    assert sorted(urls) == ["fonts/bootstrap-icons.woff", "fonts/bootstrap-icons.woff2"]
    for url in urls:
        assert (VENDOR / "bootstrap-icons-1.13.2" / url).is_file()


def test_every_vendored_package_carries_its_license():
    packages = sorted(p.name for p in VENDOR.iterdir() if p.is_dir())
    assert packages == ["bootstrap-5.3.9", "bootstrap-icons-1.13.2", "echarts-5.6.0", "htmx.org-2.0.11"]
    readme = (VENDOR / "README.md").read_text()
    for name in packages:
        assert (VENDOR / name / "LICENSE").is_file()
        version = name.rsplit("-", 1)[1]
        assert version in readme


def test_error_template_renders_without_context_processors():
    from django.template import loader

    html = loader.get_template("core/500.html").render(
        {"title": "系统繁忙", "message": "m", "request_id": "abc"}, request=None
    )
    assert "请求号" in html and "abc" in html
    assert Template("{% load liuyou_shell %}{{ 1 }}").render(Context()) == "1"
