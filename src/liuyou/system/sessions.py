"""Login sessions we can list and end: services (open, touch, end, revoke) and selectors.

A UserSession row mirrors each interactive login; the Django session row holds the state.
Ending a session deletes the Django row (the client is anonymous on its next request) and
stamps the UserSession with the time and the reason, which the login page later turns into
"会话已超时" or "您已被管理员强制下线".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from liuyou.core import audit
from liuyou.core.scope import scoped
from liuyou.system.models import LoginResult, User, UserSession

TOUCH_INTERVAL = timedelta(minutes=1)


class EndReason:
    LOGOUT = "logout"
    TIMEOUT = "timeout"
    REVOKED = "revoked"
    DISABLED = "disabled"
    PASSWORD_CHANGED = "password"
    PASSWORD_RESET = "reset"


# What the login page tells a client whose session ended for each reason, and the login-log
# result recorded when that client comes back.
NOTICES: dict[str, tuple[str, str]] = {
    EndReason.TIMEOUT: ("会话已超时，请重新登录", LoginResult.TIMEOUT),
    EndReason.REVOKED: ("您已被管理员强制下线", LoginResult.REVOKED),
    EndReason.DISABLED: ("账号已停用，会话已结束", LoginResult.REVOKED),
    EndReason.PASSWORD_CHANGED: ("密码已在其他会话中修改，请重新登录", LoginResult.REVOKED),
    EndReason.PASSWORD_RESET: ("密码已被管理员重置，请重新登录", LoginResult.REVOKED),
}

END_REASON_LABELS = {
    EndReason.LOGOUT: "退出",
    EndReason.TIMEOUT: "超时",
    EndReason.REVOKED: "强制下线",
    EndReason.DISABLED: "账号停用",
    EndReason.PASSWORD_CHANGED: "修改密码",
    EndReason.PASSWORD_RESET: "重置密码",
}


# --- services ---------------------------------------------------------------------------


def open_session(*, user: User, session_key: str, ip: str, user_agent: str) -> UserSession:
    return UserSession.objects.create(
        session_key=session_key, user=user, ip=ip or None, user_agent=(user_agent or "")[:300]
    )


def touch(*, user_session_id: int, now: Any = None) -> None:
    """Record activity; callers do this at most once per TOUCH_INTERVAL per session."""
    UserSession.objects.filter(pk=user_session_id, ended_at__isnull=True).update(
        last_seen_at=now or timezone.now()
    )


def rekey(*, user_session_id: int, session_key: str) -> None:
    """Follow the Django session to its new key (Django cycles it when the password changes)."""
    UserSession.objects.filter(pk=user_session_id, ended_at__isnull=True).update(session_key=session_key)


def end_session(*, user_session: UserSession, reason: str) -> bool:
    """Delete the Django session and stamp the row; False when it had already ended.

    The conditional UPDATE makes ending idempotent across concurrent requests, so the
    matching login-log entry is written once."""
    Session.objects.filter(session_key=user_session.session_key).delete()
    ended = UserSession.objects.filter(pk=user_session.pk, ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=reason
    )
    if ended:
        user_session.refresh_from_db(fields=["ended_at", "end_reason"])
    return bool(ended)


def revoke_session(*, user_session: UserSession, actor: Any) -> bool:
    """An administrator ends someone's session (强制下线)."""
    before = {"ended_at": None, "end_reason": ""}
    if not end_session(user_session=user_session, reason=EndReason.REVOKED):
        return False
    audit.record(
        action="session.revoke",
        user=actor,
        object_type="system.usersession",
        object_id=str(user_session.pk),
        object_repr=f"{user_session.user}的会话（{user_session.ip or '-'}）",
        before=before,
        after={"ended_at": user_session.ended_at, "end_reason": user_session.end_reason},
        message=f"强制下线 {user_session.user.staff_no}",
    )
    return True


def end_all_sessions(
    *, user: User, reason: str, actor: Any = None, keep_session_key: str | None = None
) -> int:
    """End every open session of `user` (disabled, left, password reset...). Returns how many.

    Called by the user-administration services whenever an account is disabled or marked
    left, so the person is out at once rather than at the next idle timeout."""
    open_sessions = UserSession.objects.filter(user=user, ended_at__isnull=True)
    if keep_session_key:
        open_sessions = open_sessions.exclude(session_key=keep_session_key)
    keys = list(open_sessions.values_list("session_key", flat=True))
    if not keys:
        return 0
    Session.objects.filter(session_key__in=keys).delete()
    count = open_sessions.update(ended_at=timezone.now(), end_reason=reason)
    audit.record(
        action="session.end_all",
        user=actor,
        obj=user,
        after={"sessions": count, "reason": reason},
        message=f"结束用户全部会话（{END_REASON_LABELS.get(reason, reason)}）",
    )
    return count


def close_stale_sessions() -> int:
    """Close, as timed out, open rows whose Django session expired or was cleared (users who
    never came back), each with its login-log entry. For a scheduled job; returns how many."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    stale = UserSession.objects.filter(ended_at__isnull=True).exclude(session_key__in=live)
    closed = 0
    for row in stale.select_related("user").iterator():
        if end_session(user_session=row, reason=EndReason.TIMEOUT):
            audit.record_login(
                staff_no=row.user.staff_no, user=row.user, result=LoginResult.TIMEOUT, reason="会话空闲超时"
            )
            closed += 1
    return closed


def note_return(*, user_session_id: int) -> tuple[str, str] | None:
    """A client whose session is gone came back. Returns (notice, login-log result) to show
    and record once, or None when there is nothing to say (logged out, unknown row).

    A session still open here ran out of idle time: it is closed as a timeout now."""
    row = UserSession.objects.select_related("user").filter(pk=user_session_id).first()
    if row is None:
        return None
    if row.ended_at is None:
        if Session.objects.filter(session_key=row.session_key, expire_date__gt=timezone.now()).exists():
            return None  # still alive: the cookie belongs to another browser profile
        if not end_session(user_session=row, reason=EndReason.TIMEOUT):
            return None
        audit.record_login(
            staff_no=row.user.staff_no, user=row.user, result=LoginResult.TIMEOUT, reason="会话空闲超时"
        )
        return NOTICES[EndReason.TIMEOUT][0], LoginResult.TIMEOUT
    notice = NOTICES.get(row.end_reason)
    if notice is None:
        return None
    if row.end_reason != EndReason.TIMEOUT:
        audit.record_login(
            staff_no=row.user.staff_no,
            user=row.user,
            result=notice[1],
            reason=f"会话已被结束（{END_REASON_LABELS.get(row.end_reason, row.end_reason)}）",
        )
    return notice


# --- selectors --------------------------------------------------------------------------


def active_sessions(*, viewer: Any) -> QuerySet[UserSession]:
    """Open sessions whose Django session has not expired, of users in the viewer's scope."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    users = scoped(User.objects.all(), viewer, "session:manage").values("pk")
    return (
        UserSession.objects.filter(ended_at__isnull=True, session_key__in=live, user__in=users)
        .select_related("user", "user__org")
        .order_by("-last_seen_at", "-pk")
    )


def get_active_session_or_404(*, viewer: Any, session_id: int) -> UserSession:
    row = active_sessions(viewer=viewer).filter(pk=session_id).first()
    if row is None:
        raise Http404("会话不存在或已结束")
    return row


# --- what the request layer keeps in the Django session and cookies ----------------------

SESSION_ROW_KEY = "liuyou_user_session"  # UserSession pk of this login
SESSION_TOUCHED_KEY = "liuyou_touched_at"  # epoch seconds of the last last_seen_at update
PENDING_KEY = "liuyou_pending_2fa"  # password passed, second factor outstanding
PENDING_TTL_SECONDS = 300
# A signed, non-secret cookie naming the UserSession of the last login in this browser. It
# grants nothing: it only lets the login page tell a returning client why it was signed out.
MARKER_COOKIE = "liuyou_signed_in"
MARKER_SALT = "liuyou.system.sessions.marker"
