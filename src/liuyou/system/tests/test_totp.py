"""Second factor: setup with a server-rendered QR code, verification, wrong codes, reset."""

from __future__ import annotations

import base64
import time
from datetime import datetime

import pyotp
import pytest
from axes.models import AccessAttempt
from conftest import PASSWORD
from django.test import Client

from liuyou.core import pii
from liuyou.system import sessions, totp
from liuyou.system.models import LoginLog, OperationLog, User, UserSession


@pytest.fixture
def require_totp(settings):
    settings.LIUYOU_REQUIRE_TOTP = True
    settings.LIUYOU_TOTP_ROLES = ("system_admin", "security_admin", "hq_admin", "auditor")


def post_login(client: Client, staff_no: str):
    return client.post("/login", {"username": staff_no, "password": PASSWORD})


def pending_secret(client: Client) -> str:
    return pii.decrypt(client.session[sessions.PENDING_KEY]["secret"])


def wrong_code(secret: str) -> str:
    t = pyotp.TOTP(secret)
    now = time.time()
    accepted = {t.at(now + step * 30) for step in (-1, 0, 1)}
    return next(c for c in (f"{n:06d}" for n in range(1000000)) if c not in accepted)


def results(staff_no: str) -> list[tuple[str, str]]:
    return list(LoginLog.objects.filter(staff_no=staff_no).order_by("seq").values_list("result", "reason"))


@pytest.mark.django_db
@pytest.mark.usefixtures("require_totp")
def test_first_login_binds_the_authenticator(make_user):
    user = make_user("8001", "system_admin")
    client = Client()
    r = post_login(client, "8001")
    assert r.status_code == 302 and r["Location"] == "/totp/setup"
    assert UserSession.objects.count() == 0  # not logged in yet

    # Pending: nothing but the second-factor pages.
    r = client.get("/")
    assert r.status_code == 302 and r["Location"] == "/totp/verify"
    assert client.get("/system/sessions/")["Location"] == "/totp/verify"
    assert client.get("/password/change")["Location"] == "/totp/verify"
    assert client.get("/", HTTP_HX_REQUEST="true")["HX-Redirect"] == "/totp/verify"
    assert client.get("/totp/verify")["Location"] == "/totp/setup"

    page = client.get("/totp/setup")
    assert page.status_code == 200
    html = page.content.decode()
    secret = pending_secret(client)
    assert 'src="data:image/svg+xml;base64,' in html
    qr_b64 = html.split('src="data:image/svg+xml;base64,')[1].split('"')[0]
    assert base64.b64decode(qr_b64).startswith(b"<svg")
    assert secret[:4] in html  # shown for manual entry
    assert client.get("/totp/setup").content.decode().count(secret[:4]) >= 1
    assert pending_secret(client) == secret  # stable across reloads

    r = client.post("/totp/setup", {"code": wrong_code(secret)})
    assert r.status_code == 200
    assert "动态口令错误，请重新输入" in r.content.decode()
    assert client.get("/")["Location"] == "/totp/verify"
    assert results("8001") == [("failure", "动态口令错误")]
    assert AccessAttempt.objects.get(username="8001").failures_since_start == 1

    r = client.post("/totp/setup", {"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 302 and r["Location"] == "/"
    assert client.get("/").status_code == 200
    user.refresh_from_db()
    assert user.totp_confirmed_at is not None
    assert secret not in user.totp_secret
    assert pii.decrypt(user.totp_secret) == secret
    assert results("8001")[-1] == ("success", "密码 + 动态口令（首次绑定）")
    assert OperationLog.objects.filter(action="user.totp_enroll", object_id=str(user.pk)).count() == 1
    assert not AccessAttempt.objects.filter(username="8001").exists()
    assert UserSession.objects.filter(user=user, ended_at__isnull=True).count() == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("require_totp")
def test_later_logins_ask_for_the_code(make_user):
    user = make_user("8002", "auditor")
    secret = totp.new_secret()
    totp.enroll(user=user, secret=secret)
    client = Client()
    r = post_login(client, "8002")
    assert r["Location"] == "/totp/verify"
    assert client.get("/totp/setup")["Location"] == "/totp/verify"
    page = client.get("/totp/verify")
    assert page.status_code == 200 and "动态口令" in page.content.decode()
    assert "data:image" not in page.content.decode()  # the secret is never shown again

    for bad in (wrong_code(secret), "12345", "abcdef", "1" * 5000):
        r = client.post("/totp/verify", {"code": bad})
        assert r.status_code == 200
        assert client.get("/")["Location"] == "/totp/verify"
    r = client.post("/totp/verify", {"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 302
    assert client.get("/").status_code == 200
    assert [res for res, _ in results("8002")] == ["failure"] * 4 + ["success"]
    assert results("8002")[-1][1] == "密码 + 动态口令"


@pytest.mark.django_db
@pytest.mark.usefixtures("require_totp")
def test_the_previous_step_is_still_accepted(make_user):
    user = make_user("8003", "hq_admin")
    secret = totp.new_secret()
    totp.enroll(user=user, secret=secret)
    client = Client()
    post_login(client, "8003")
    r = client.post("/totp/verify", {"code": pyotp.TOTP(secret).at(time.time() - 30)})
    assert r.status_code == 302 and client.get("/").status_code == 200


@pytest.mark.django_db
@pytest.mark.usefixtures("require_totp")
def test_a_used_code_cannot_be_replayed(make_user):
    user = make_user("8006", "security_admin")
    secret = totp.new_secret()
    totp.enroll(user=user, secret=secret)
    code = pyotp.TOTP(secret).now()
    first = Client()
    post_login(first, "8006")
    assert first.post("/totp/verify", {"code": code}).status_code == 302
    assert first.get("/").status_code == 200

    thief = Client()
    post_login(thief, "8006")
    r = thief.post("/totp/verify", {"code": code})
    assert r.status_code == 200  # refused: the page again, not a redirect into the app
    assert thief.get("/")["Location"] == "/totp/verify"
    assert [res for res, _ in results("8006")] == ["success", "failure"]


@pytest.mark.django_db
@pytest.mark.usefixtures("require_totp")
def test_the_enrolment_code_is_consumed(make_user):
    user = make_user("8007", "auditor")
    secret = totp.new_secret()
    code = pyotp.TOTP(secret).now()
    totp.enroll(user=user, secret=secret, code=code)
    user.refresh_from_db()
    assert user.totp_last_step == pyotp.TOTP(secret).timecode(datetime.now())
    assert totp.verify_user_code(user, code) is False


@pytest.mark.django_db
@pytest.mark.usefixtures("require_totp")
def test_wrong_codes_lock_the_account(make_user):
    user = make_user("8004", "security_admin")
    secret = totp.new_secret()
    totp.enroll(user=user, secret=secret)
    client = Client()
    post_login(client, "8004")
    for _ in range(4):
        assert client.post("/totp/verify", {"code": wrong_code(secret)}).status_code == 200
    r = client.post("/totp/verify", {"code": wrong_code(secret)})
    assert r.status_code == 429
    assert "账号已锁定，请 15 分钟后再试或联系系统管理员" in r.content.decode()
    # The pending state is gone and the right password plus code no longer help.
    assert client.get("/totp/verify")["Location"] == "/login"
    assert post_login(client, "8004").status_code == 429
    assert [res for res, _ in results("8004")] == ["failure"] * 4 + ["locked", "locked"]
    assert results("8004")[4][1] == "动态口令错误，连续 5 次登录失败，账号锁定 15 分钟"


@pytest.mark.django_db
@pytest.mark.usefixtures("require_totp")
def test_roles_without_the_requirement_log_in_with_the_password(make_user):
    make_user("8005", "account_manager")
    client = Client()
    r = post_login(client, "8005")
    assert r["Location"] == "/"
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_not_required_outside_production_unless_bound(make_user, settings):
    settings.LIUYOU_REQUIRE_TOTP = False
    make_user("8006", "system_admin")
    client = Client()
    assert post_login(client, "8006")["Location"] == "/"
    bound = make_user("8007", "account_manager")
    totp.enroll(user=bound, secret=totp.new_secret())
    assert post_login(Client(), "8007")["Location"] == "/totp/verify"


@pytest.mark.django_db
@pytest.mark.usefixtures("require_totp")
def test_pending_state_expires_and_can_be_abandoned(make_user):
    user = make_user("8008", "system_admin")
    totp.enroll(user=user, secret=totp.new_secret())
    client = Client()
    post_login(client, "8008")
    s = client.session
    s[sessions.PENDING_KEY] = {**s[sessions.PENDING_KEY], "at": int(time.time()) - 301}
    s.save()
    assert client.get("/totp/verify")["Location"] == "/login"
    assert client.get("/")["Location"].startswith("/login")

    post_login(client, "8008")
    r = client.post("/logout")
    assert r.status_code == 302 and r["Location"] == "/login"
    assert sessions.PENDING_KEY not in client.session
    assert client.get("/totp/verify")["Location"] == "/login"


@pytest.mark.django_db
@pytest.mark.usefixtures("require_totp")
def test_totp_pages_without_a_pending_login_go_to_login(client):
    assert client.get("/totp/setup")["Location"] == "/login"
    assert client.post("/totp/verify", {"code": "123456"})["Location"] == "/login"
    assert not LoginLog.objects.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("require_totp")
def test_admin_reset_makes_the_user_bind_again(make_user):
    user = make_user("8009", "system_admin")
    admin = make_user("8010", "system_admin")
    totp.enroll(user=user, secret=totp.new_secret())
    totp.reset_totp(user=user, actor=admin)
    user.refresh_from_db()
    assert user.totp_secret == "" and user.totp_confirmed_at is None
    entry = OperationLog.objects.filter(action="user.totp_reset").latest("seq")
    assert entry.staff_no == "8010" and entry.object_id == str(user.pk)
    assert post_login(Client(), "8009")["Location"] == "/totp/setup"


def test_verify_code_rejects_malformed_input():
    secret = pyotp.random_base32()
    assert totp.verify_code(secret, pyotp.TOTP(secret).now()) is True
    assert totp.verify_code(secret, "") is False
    assert totp.verify_code(secret, "12345a") is False
    assert totp.verify_code(secret, "1234567") is False
    assert totp.verify_user_code(User(totp_secret="garbage", totp_confirmed_at=None), "123456") is False


def test_the_seed_is_covered_by_key_rotation():
    assert "totp_secret" in pii.registered_secrets()[User]
