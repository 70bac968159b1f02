"""Login, logout, lockout, refused accounts, forced password change, CSRF and bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from conftest import PASSWORD
from django.test import Client
from django.utils import timezone

from liuyou.system import passwords
from liuyou.system.models import LoginLog, UserSession, UserStatus

UA = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 LiuyouTest"
LOCKED = "账号已锁定，请 15 分钟后再试或联系系统管理员"


def post_login(client: Client, staff_no: str, password: str = PASSWORD, **extra):
    return client.post("/login", {"username": staff_no, "password": password}, HTTP_USER_AGENT=UA, **extra)


def logins(staff_no: str) -> list[tuple[str, str]]:
    return list(LoginLog.objects.filter(staff_no=staff_no).order_by("seq").values_list("result", "reason"))


def is_logged_in(client: Client) -> bool:
    return client.get("/").status_code == 200


# --- the page --------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_page_answers_200_in_chinese(client):
    r = client.get("/login")
    assert r.status_code == 200
    html = r.content.decode()
    assert "用户登录" in html
    assert 'name="username"' in html and 'name="password"' in html
    assert 'maxlength="32"' in html
    assert r["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_successful_login_logs_and_records_a_session(client, make_user):
    user = make_user("6001", "account_manager")
    r = post_login(client, "6001")
    assert r.status_code == 302
    assert r["Location"] == "/"
    assert is_logged_in(client)
    assert logins("6001") == [("success", "密码登录")]
    entry = LoginLog.objects.get(staff_no="6001")
    assert entry.user_id == user.pk
    assert entry.ip == "127.0.0.1"
    assert entry.user_agent == UA
    row = UserSession.objects.get(user=user)
    assert row.session_key == client.session.session_key
    assert row.ip == "127.0.0.1"
    assert row.user_agent == UA
    assert row.ended_at is None


@pytest.mark.django_db
def test_login_follows_a_safe_next_and_ignores_an_offsite_one(client, make_user):
    make_user("6002", "account_manager")
    r = client.post("/login", {"username": "6002", "password": PASSWORD, "next": "/customers/"})
    assert r["Location"] == "/customers/"
    client.post("/logout")
    r = client.post("/login", {"username": "6002", "password": PASSWORD, "next": "https://evil.example/"})
    assert r["Location"] == "/"


@pytest.mark.django_db
def test_wrong_password_and_unknown_user_give_the_same_message(client, make_user):
    make_user("6003", "account_manager")
    wrong = post_login(client, "6003", "Wrong#Pass123")
    unknown = post_login(client, "6099", "Wrong#Pass123")
    for r in (wrong, unknown):
        assert r.status_code == 200
        html = r.content.decode()
        assert "工号或密码错误" in html
        assert "不存在" not in html and "停用" not in html

    # The pages differ only in the echoed 工号 and the CSRF token.
    def strip(html: str, staff_no: str) -> str:
        import re

        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html).replace(staff_no, "X")

    assert strip(wrong.content.decode(), "6003") == strip(unknown.content.decode(), "6099")
    assert not is_logged_in(client)
    assert logins("6003") == [("failure", "密码错误")]
    assert logins("6099") == [("failure", "工号不存在")]
    assert LoginLog.objects.get(staff_no="6099").user_id is None


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["left", "inactive"])
def test_left_or_disabled_users_cannot_log_in(client, make_user, how):
    user = make_user("6004", "account_manager")
    if how == "left":
        user.status = UserStatus.LEFT
    else:
        user.is_active = False
    user.save()
    r = post_login(client, "6004")
    assert r.status_code == 200
    assert "账号已停用" in r.content.decode()
    assert not is_logged_in(client)
    assert UserSession.objects.count() == 0
    assert logins("6004")[-1][0] == "failure"
    assert "停用" in logins("6004")[-1][1]
    # Without the password nobody learns that the account exists but is disabled.
    r = post_login(client, "6004", "Wrong#Pass123")
    assert "工号或密码错误" in r.content.decode()
    assert "账号已停用" not in r.content.decode()


@pytest.mark.django_db
def test_service_accounts_cannot_use_the_login_page(client, make_user):
    user = make_user("6005")
    user.is_service_account = True
    user.save()
    r = post_login(client, "6005")
    assert "工号或密码错误" in r.content.decode()
    assert not is_logged_in(client)


@pytest.mark.django_db
def test_already_logged_in_user_is_sent_on(client, make_user):
    make_user("6006", "account_manager")
    post_login(client, "6006")
    r = client.get("/login")
    assert r.status_code == 302
    assert r["Location"] == "/"


# --- logout ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_logout_ends_the_session_and_is_logged(client, make_user):
    user = make_user("6010", "account_manager")
    post_login(client, "6010")
    key = client.session.session_key
    assert client.get("/logout").status_code == 405
    r = client.post("/logout", HTTP_USER_AGENT=UA)
    assert r.status_code == 302
    assert r["Location"] == "/login"
    assert not is_logged_in(client)
    assert logins("6010") == [("success", "密码登录"), ("logout", "主动退出")]
    row = UserSession.objects.get(user=user)
    assert row.session_key == key
    assert row.end_reason == "logout"
    assert row.ended_at is not None
    # A logged-out client is not told its session timed out.
    assert "会话已超时" not in client.get("/login").content.decode()


# --- lockout ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_lockout_after_five_failures_refuses_the_right_password_then_lifts(client, make_user):
    make_user("6020", "account_manager")
    for _ in range(4):
        r = post_login(client, "6020", "Wrong#Pass123")
        assert r.status_code == 200
        assert "工号或密码错误" in r.content.decode()
    r = post_login(client, "6020", "Wrong#Pass123")  # the 5th failure locks
    assert r.status_code == 429
    assert LOCKED in r.content.decode()
    r = post_login(client, "6020")  # 6th, right password: refused
    assert r.status_code == 429
    assert LOCKED in r.content.decode()
    assert not is_logged_in(client)
    results = [res for res, _ in logins("6020")]
    assert results == ["failure"] * 4 + ["locked", "locked"]
    assert logins("6020")[4][1] == "密码错误，连续 5 次登录失败，账号锁定 15 分钟"
    assert logins("6020")[5][1] == "账号锁定期间尝试登录"

    # 15 minutes on (from the last attempt), the right password works again.
    AccessAttempt.objects.filter(username="6020").update(attempt_time=timezone.now() - timedelta(minutes=16))
    r = post_login(client, "6020")
    assert r.status_code == 302
    assert is_logged_in(client)
    assert logins("6020")[-1] == ("success", "密码登录")
    assert not AccessAttempt.objects.filter(username="6020").exists()  # reset on success


@pytest.mark.django_db
def test_lock_is_per_account(client, make_user):
    make_user("6021", "account_manager")
    make_user("6022", "account_manager")
    for _ in range(5):
        post_login(client, "6021", "Wrong#Pass123")
    assert post_login(client, "6021").status_code == 429
    assert post_login(client, "6022").status_code == 302


@pytest.mark.django_db
def test_lock_still_holds_just_before_fifteen_minutes(client, make_user):
    make_user("6023", "account_manager")
    for _ in range(5):
        post_login(client, "6023", "Wrong#Pass123")
    AccessAttempt.objects.filter(username="6023").update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert post_login(client, "6023").status_code == 429


@pytest.mark.django_db
def test_failures_before_a_success_are_forgotten(client, make_user):
    make_user("6024", "account_manager")
    for _ in range(4):
        post_login(client, "6024", "Wrong#Pass123")
    assert post_login(client, "6024").status_code == 302
    client.post("/logout")
    for _ in range(4):
        assert post_login(client, "6024", "Wrong#Pass123").status_code == 200
    assert post_login(client, "6024").status_code == 302


# --- forced password change ------------------------------------------------------------


@pytest.mark.django_db
def test_first_login_forces_a_password_change(client, make_user):
    user = make_user("6030", "account_manager", must_change=True)
    r = post_login(client, "6030")
    assert r["Location"] == "/password/change"
    r = client.get("/")
    assert r.status_code == 302 and r["Location"] == "/password/change"
    r = client.get("/customers/")
    assert r.status_code == 302 and r["Location"] == "/password/change"
    r = client.get("/", HTTP_HX_REQUEST="true")
    assert r["HX-Redirect"] == "/password/change"
    assert client.get("/api/v1/health").status_code == 200  # API calls are not held
    page = client.get("/password/change")
    assert page.status_code == 200
    assert "首次登录或密码已被管理员重置，请先修改密码。" in page.content.decode()

    r = client.post(
        "/password/change",
        {"old_password": PASSWORD, "new_password1": "Fresh#Pass2026", "new_password2": "Fresh#Pass2026"},
    )
    assert r.status_code == 302 and r["Location"] == "/"
    user.refresh_from_db()
    assert user.must_change_password is False
    assert user.check_password("Fresh#Pass2026")
    assert client.get("/").status_code == 200  # still logged in, now free to go


@pytest.mark.django_db
def test_admin_reset_forces_a_change_at_next_login(client, make_user):
    admin = make_user("6031", "system_admin")
    user = make_user("6032", "account_manager")
    temporary = passwords.reset_password(user=user, actor=admin)
    r = post_login(client, "6032", temporary)
    assert r["Location"] == "/password/change"
    assert client.get("/").status_code == 302


def _user(staff_no: str):
    from liuyou.system.models import User

    return User.objects.get(staff_no=staff_no)


@pytest.mark.django_db
def test_a_password_older_than_90_days_must_be_changed(client, make_user, settings):
    settings.LIUYOU_PASSWORD_MAX_AGE_DAYS = 90
    user = make_user("6033", "account_manager")
    user.password_changed_at = timezone.now() - timedelta(days=91)
    user.save()
    r = post_login(client, "6033")
    assert r["Location"] == "/password/change"
    assert client.get("/").status_code == 302
    assert "密码已超过 90 天未修改" in client.get("/password/change").content.decode()

    fresh = make_user("6034", "account_manager")
    fresh.password_changed_at = timezone.now() - timedelta(days=89)
    fresh.save()
    other = Client()
    post_login(other, "6034")
    assert other.get("/").status_code == 200


@pytest.mark.django_db
def test_password_change_page_errors_beside_fields(client, make_user):
    make_user("6035", "account_manager")
    post_login(client, "6035")
    r = client.post(
        "/password/change", {"old_password": "Not#Mine123", "new_password1": "abc", "new_password2": "abd"}
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "原密码不正确" in html
    assert "密码长度不足，至少需要 8 个字符。" in html
    assert "密码须包含大写字母、小写字母、数字、特殊符号中的至少 3 类。" in html
    r = client.post(
        "/password/change",
        {"old_password": PASSWORD, "new_password1": "Good#Pass2026", "new_password2": "Good#Pass2027"},
    )
    assert "两次输入的新密码不一致" in r.content.decode()
    r = client.post(
        "/password/change", {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    assert "新密码不得与最近 5 次使用过的密码相同。" in r.content.decode()
    r = client.post(
        "/password/change",
        {"old_password": PASSWORD, "new_password1": "Ab#6035xyz", "new_password2": "Ab#6035xyz"},
    )
    assert "密码不得包含本人工号。" in r.content.decode()
    assert _user("6035").check_password(PASSWORD)


@pytest.mark.django_db
def test_password_change_ends_the_users_other_sessions(make_user):
    user = make_user("6036", "account_manager")
    first, second = Client(), Client()
    post_login(first, "6036")
    post_login(second, "6036")
    r = first.post(
        "/password/change",
        {"old_password": PASSWORD, "new_password1": "Other#Pass2026", "new_password2": "Other#Pass2026"},
    )
    assert r.status_code == 302
    assert is_logged_in(first)
    assert not is_logged_in(second)
    open_rows = UserSession.objects.filter(user=user, ended_at__isnull=True)
    assert list(open_rows.values_list("session_key", flat=True)) == [first.session.session_key]
    assert UserSession.objects.get(user=user, ended_at__isnull=False).end_reason == "password"


# --- CSRF and bad input ----------------------------------------------------------------


@pytest.mark.django_db
def test_login_without_csrf_token_is_refused_in_chinese(make_user):
    make_user("6040", "account_manager")
    strict = Client(enforce_csrf_checks=True)
    r = strict.post("/login", {"username": "6040", "password": PASSWORD})
    assert r.status_code == 403
    assert "页面已过期" in r.content.decode()
    assert not LoginLog.objects.filter(staff_no="6040").exists()
    # With the token from the page it works.
    page = strict.get("/login")
    token = page.cookies["liuyou_csrftoken"].value
    r = strict.post("/login", {"username": "6040", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert r.status_code == 302


@pytest.mark.django_db
def test_logout_without_csrf_token_is_refused(make_user):
    make_user("6041", "account_manager")
    strict = Client(enforce_csrf_checks=True)
    token = strict.get("/login").cookies["liuyou_csrftoken"].value
    strict.post("/login", {"username": "6041", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert strict.post("/logout").status_code == 403
    assert strict.get("/").status_code == 200


@pytest.mark.django_db
def test_over_long_fields_give_a_chinese_form_error(client, make_user):
    make_user("6042", "account_manager")
    r = client.post("/login", {"username": "6" * 10240, "password": PASSWORD})
    assert r.status_code == 200
    assert "工号不得超过 32 个字符" in r.content.decode()
    r = client.post("/login", {"username": "6042", "password": "x" * 10240})
    assert r.status_code == 200
    assert "密码不得超过 128 个字符" in r.content.decode()
    r = client.post("/login", {})
    assert r.status_code == 200
    assert "请输入工号" in r.content.decode() and "请输入密码" in r.content.decode()
    assert not AccessAttempt.objects.exists()  # nothing reached authentication
    assert not is_logged_in(client)
    assert [res for res, _ in logins("6042")] == ["failure"]
    assert LoginLog.objects.filter(reason="输入不完整或格式无效").count() == 3


@pytest.mark.django_db
def test_over_long_password_change_fields(client, make_user):
    make_user("6043", "account_manager")
    post_login(client, "6043")
    r = client.post(
        "/password/change",
        {"old_password": "x" * 10240, "new_password1": "y" * 10240, "new_password2": "y" * 10240},
    )
    assert r.status_code == 200
    assert "原密码不得超过 128 个字符" in r.content.decode()
    assert "新密码不得超过 128 个字符" in r.content.decode()


@pytest.mark.django_db
def test_login_rejects_other_methods(client):
    assert client.put("/login").status_code == 405
    assert client.delete("/login").status_code == 405
