"""Sessions: idle timeout notice, activity stamps, the online-sessions page, revoke, end-all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import PASSWORD
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from liuyou.system import sessions
from liuyou.system.models import LoginLog, OperationLog, UserSession

UA = "Mozilla/5.0 (Windows NT 10.0) Edg/126.0 LiuyouTest"


def signed_in(staff_no: str, client: Client | None = None) -> Client:
    client = client or Client(HTTP_USER_AGENT=UA)
    r = client.post("/login", {"username": staff_no, "password": PASSWORD})
    assert r.status_code == 302, r.content.decode()[:500]
    return client


def results(staff_no: str) -> list[str]:
    return list(LoginLog.objects.filter(staff_no=staff_no).order_by("seq").values_list("result", flat=True))


# --- idle timeout ----------------------------------------------------------------------


@pytest.mark.django_db
def test_idle_timeout_sends_the_user_to_login_with_a_notice(make_user, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    # Saved when stamped (at most once a minute of activity), not on every request.
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    user = make_user("7101", "account_manager")
    client = signed_in("7101")
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))

    r = client.get("/customers/")
    assert r.status_code == 302
    assert r["Location"].startswith("/login")
    page = client.get(r["Location"])
    assert page.status_code == 200
    assert "会话已超时，请重新登录" in page.content.decode()
    assert results("7101") == ["success", "timeout"]
    row = UserSession.objects.get(user=user)
    assert row.end_reason == "timeout" and row.ended_at is not None

    # Told once: the marker is gone, the log gets no second entry.
    again = client.get("/login")
    assert "会话已超时" not in again.content.decode()
    assert results("7101") == ["success", "timeout"]


@pytest.mark.django_db
def test_htmx_request_after_timeout_is_redirected(make_user):
    make_user("7102", "account_manager")
    client = signed_in("7102")
    Session.objects.filter(session_key=client.session.session_key).delete()
    r = client.get("/", HTTP_HX_REQUEST="true")
    assert r["HX-Redirect"] == "/login"
    assert "会话已超时，请重新登录" in client.get("/login").content.decode()


@pytest.mark.django_db
def test_a_live_session_keeps_working_and_its_activity_is_stamped(make_user):
    user = make_user("7103", "account_manager")
    client = signed_in("7103")
    row = UserSession.objects.get(user=user)
    long_ago = timezone.now() - timedelta(minutes=10)
    UserSession.objects.filter(pk=row.pk).update(last_seen_at=long_ago)

    # Within a minute of the last stamp nothing is written...
    assert client.get("/").status_code == 200
    row.refresh_from_db()
    assert row.last_seen_at == long_ago
    # ...after a minute the next request stamps it.
    s = client.session
    s[sessions.SESSION_TOUCHED_KEY] = s[sessions.SESSION_TOUCHED_KEY] - 61
    s.save()
    assert client.get("/").status_code == 200
    row.refresh_from_db()
    assert row.last_seen_at > long_ago + timedelta(minutes=9)
    # and the stamp restarts the idle clock (the cookie age is the idle limit)
    expiry = Session.objects.get(session_key=client.session.session_key).expire_date
    assert timedelta(minutes=29) < expiry - timezone.now() <= timedelta(minutes=30)


# --- the online-sessions page ----------------------------------------------------------


@pytest.mark.django_db
def test_sessions_page_lists_live_sessions_with_filter_and_export(make_user, role_users, bank):
    make_user("7111", "account_manager", org=bank.b1)
    make_user("7112", "account_manager", org=bank.b2)
    signed_in("7111")
    signed_in("7112")
    make_user("7113", "account_manager")
    gone_client = signed_in("7113")
    Session.objects.filter(session_key=gone_client.session.session_key).delete()  # expired, never came back

    admin = signed_in(role_users["system_admin"].staff_no)
    r = admin.get("/system/sessions/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "7111" in html and "7112" in html
    assert "7113" not in html
    assert "城关支行" in html and "东河支行" in html
    assert "Edge" in html
    assert "当前会话" in html  # the admin's own row has no revoke button
    assert html.count("强制下线</button>") == 2

    r = admin.get("/system/sessions/", {"staff_no": "7111"})
    html = r.content.decode()
    assert "7111" in html and "7112" not in html
    assert '共 <strong class="ly-count">1</strong>' in html

    r = admin.get("/system/sessions/", {"staff_no": "7111"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert "<html" not in r.content.decode() and "7111" in r.content.decode()

    r = admin.get("/system/sessions/", {"staff_no": "7112", "export": "xlsx"})
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    from openpyxl import load_workbook

    ws = load_workbook(BytesIO(r.content)).active
    rows = list(ws.values)
    assert rows[0] == ("工号", "姓名", "所属机构", "IP", "浏览器", "登录时间", "最近活动")
    assert [row[0] for row in rows[1:]] == ["7112"]
    assert OperationLog.objects.filter(action="session.export").exists()

    r = admin.get("/system/sessions/", {"staff_no": "7" * 100})
    assert r.status_code == 200
    assert '共 <strong class="ly-count">0</strong>' in r.content.decode()


@pytest.mark.django_db
def test_sessions_page_needs_session_manage(role_users):
    for code in ("account_manager", "security_admin", "auditor"):
        client = Client()
        client.force_login(role_users[code])
        assert client.get("/system/sessions/").status_code == 403
    assert Client().get("/system/sessions/")["Location"].startswith("/login")


# --- revoke ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_revoked_client_is_logged_out_and_told_why(make_user, role_users):
    victim = make_user("7121", "account_manager")
    target = signed_in("7121")
    row = UserSession.objects.get(user=victim)
    admin_user = role_users["system_admin"]
    admin = signed_in(admin_user.staff_no)

    assert admin.get(f"/system/sessions/{row.pk}/revoke").status_code == 405
    r = admin.post(f"/system/sessions/{row.pk}/revoke", {"back": "/system/sessions/?staff_no=7121"})
    assert r.status_code == 302
    assert r["Location"] == "/system/sessions/?staff_no=7121"
    row.refresh_from_db()
    assert row.end_reason == "revoked" and row.ended_at is not None
    assert not Session.objects.filter(session_key=row.session_key).exists()
    entry = OperationLog.objects.filter(action="session.revoke").latest("seq")
    assert entry.staff_no == admin_user.staff_no
    assert entry.object_id == str(row.pk)
    assert "已强制下线" in admin.get("/system/sessions/").content.decode()

    r = target.get("/", follow=True)
    assert r.redirect_chain[-1][0].startswith("/login")
    assert "您已被管理员强制下线" in r.content.decode()
    assert results("7121") == ["success", "revoked"]

    # Revoking again: the session is no longer listed.
    assert admin.post(f"/system/sessions/{row.pk}/revoke").status_code == 404


@pytest.mark.django_db
def test_admin_cannot_revoke_own_current_session(role_users):
    admin_user = role_users["system_admin"]
    admin = signed_in(admin_user.staff_no)
    own = UserSession.objects.get(user=admin_user)
    r = admin.post(f"/system/sessions/{own.pk}/revoke", follow=True)
    assert "不能强制下线自己的当前会话" in r.content.decode()
    assert admin.get("/").status_code == 200


@pytest.mark.django_db
def test_revoke_outside_scope_is_404(make_user, role_users):
    victim = make_user("7122", "account_manager")
    signed_in("7122")
    row = UserSession.objects.get(user=victim)
    other = Client()
    other.force_login(role_users["account_manager"])
    assert other.post(f"/system/sessions/{row.pk}/revoke").status_code == 403
    admin = signed_in(role_users["system_admin"].staff_no)
    assert admin.post("/system/sessions/999999/revoke").status_code == 404
    row.refresh_from_db()
    assert row.ended_at is None


# --- end all (for disable / left) -------------------------------------------------------


@pytest.mark.django_db
def test_end_all_sessions_logs_every_browser_out(make_user, role_users):
    user = make_user("7131", "account_manager")
    a, b = signed_in("7131"), signed_in("7131")
    bystander = make_user("7132", "account_manager")
    c = signed_in("7132")
    count = sessions.end_all_sessions(
        user=user, reason=sessions.EndReason.DISABLED, actor=role_users["system_admin"]
    )
    assert count == 2
    assert a.get("/").status_code == 302
    assert b.get("/").status_code == 302
    assert c.get("/").status_code == 200
    assert UserSession.objects.filter(user=user, end_reason="disabled").count() == 2
    assert UserSession.objects.get(user=bystander).ended_at is None
    entry = OperationLog.objects.filter(action="session.end_all").latest("seq")
    assert entry.after == {"sessions": 2, "reason": "disabled"}
    assert "账号已停用" in a.get("/login").content.decode()
    assert sessions.end_all_sessions(user=user, reason=sessions.EndReason.DISABLED) == 0


@pytest.mark.django_db
def test_a_user_marked_left_mid_session_is_signed_out(make_user):
    user = make_user("7133", "account_manager")
    client = signed_in("7133")
    user.status = "left"
    user.save()
    r = client.get("/")
    assert r.status_code == 302 and r["Location"] == "/login"
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_password_reset_ends_sessions(make_user, role_users):
    from liuyou.system import passwords

    make_user("7134", "account_manager")
    client = signed_in("7134")
    passwords.reset_password(user=_user("7134"), actor=role_users["system_admin"])
    r = client.get("/", follow=True)
    assert "密码已被管理员重置，请重新登录" in r.content.decode()


def _user(staff_no: str):
    from liuyou.system.models import User

    return User.objects.get(staff_no=staff_no)


@pytest.mark.django_db
def test_close_stale_sessions_closes_only_dead_ones(make_user):
    alive_user = make_user("7141", "account_manager")
    dead_user = make_user("7142", "account_manager")
    alive = signed_in("7141")
    dead = signed_in("7142")
    Session.objects.filter(session_key=dead.session.session_key).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    assert sessions.close_stale_sessions() == 1
    assert UserSession.objects.get(user=dead_user).end_reason == "timeout"
    assert UserSession.objects.get(user=alive_user).ended_at is None
    assert alive.get("/").status_code == 200
    assert results("7142") == ["success", "timeout"]
    # The returning client still hears why, without a second log entry.
    assert "会话已超时，请重新登录" in dead.get("/", follow=True).content.decode()
    assert results("7142") == ["success", "timeout"]
    assert sessions.close_stale_sessions() == 0


@pytest.mark.django_db
def test_a_quiet_poll_neither_saves_nor_stamps_the_session(make_user):
    """An HTMX progress poll (core.access.quiet_poll) writes nothing: the session's expiry
    and the activity stamp stay where the last real request put them."""
    from liuyou.ingest.models import ImportRun

    make_user("7120", "hq_admin")
    client = signed_in("7120")
    run = ImportRun.objects.create(source="org", file_name="org_20250301.csv", status="running")
    session = client.session
    session[sessions.SESSION_TOUCHED_KEY] = 0  # the last stamp is long ago: a request stamps now
    session.save()
    key = session.session_key
    later = timezone.now() + timedelta(minutes=5)
    Session.objects.filter(session_key=key).update(expire_date=later)
    hour_ago = timezone.now() - timedelta(hours=1)
    UserSession.objects.filter(session_key=key).update(last_seen_at=hour_ago)

    r = client.get(f"/imports/runs/{run.pk}/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert Session.objects.get(session_key=key).expire_date == later
    assert UserSession.objects.get(session_key=key).last_seen_at == hour_ago

    # The page itself (not a poll) is activity: stamped, and the expiry moves on.
    assert client.get(f"/imports/runs/{run.pk}/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date > later
    assert UserSession.objects.get(session_key=key).last_seen_at > hour_ago
