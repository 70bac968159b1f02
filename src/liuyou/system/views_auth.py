"""Sign-in pages: login, second factor, logout, password change, and the online-sessions page.

Every attempt lands in the login log (audit.record_login). Lockout is django-axes: by 工号,
AXES_FAILURE_LIMIT failures lock the account for AXES_COOLOFF_TIME; wrong second-factor codes
count as failures too. A user who owes a second factor is not logged in at all until the
code is right: the session only carries the pending state (sessions.PENDING_KEY).
"""

from __future__ import annotations

import time
from typing import Any

import django_filters
import django_tables2 as tables
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.signals import user_login_failed
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_tables2 import RequestConfig

from liuyou.core import audit, excel, pii, request_context
from liuyou.core.access import login_only, public, requires
from liuyou.core.rendering import render_page
from liuyou.system import passwords, sessions, totp
from liuyou.system.forms_auth import LoginForm, PasswordChangeForm, TotpForm
from liuyou.system.models import LoginResult, User, UserSession, UserStatus

MSG_INVALID = "工号或密码错误"
MSG_DISABLED = "账号已停用"
MSG_LOCKED = "账号已锁定，请 15 分钟后再试或联系系统管理员"
MSG_TOTP_WRONG = "动态口令错误，请重新输入"
LOCKOUT_STATUS = 429


def _lock_minutes() -> int:
    return round(float(settings.AXES_COOLOFF_TIME) * 60)


def _locked_message() -> str:
    return f"账号已锁定，请 {_lock_minutes()} 分钟后再试或联系系统管理员"


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if (
        candidate
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and not candidate.startswith(("/logout", "/login", "/totp/"))
    ):
        return candidate
    return settings.LOGIN_REDIRECT_URL


def _render_login(
    request: HttpRequest, form: LoginForm, *, error: str = "", notice: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "form": form,
        "error": error,
        "notice": notice,
        "lock_limit": settings.AXES_FAILURE_LIMIT,
        "lock_minutes": _lock_minutes(),
        "next": _safe_next(request, request.POST.get("next") or request.GET.get("next")),
    }
    return render(request, "system/login.html", context, status=status)


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the login page with the lockout message, 429.

    Called by AxesMiddleware whenever a request ended locked out; the login log entry was
    written by the view that saw the attempt."""
    username = ""
    if isinstance(credentials, dict):
        username = str(credentials.get("username") or "")[:32]
    form = LoginForm(initial={"username": username})
    response = _render_login(request, form, error=_locked_message(), status=LOCKOUT_STATUS)
    return _forget_marker(response)


# --- the marker cookie: why was a returning client signed out? --------------------------


def _marker_session_id(request: HttpRequest) -> int | None:
    try:
        value = request.get_signed_cookie(sessions.MARKER_COOKIE, default=None, salt=sessions.MARKER_SALT)
    except signing.BadSignature:
        return None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _end_notice(request: HttpRequest) -> str:
    """For an anonymous client that still carries the marker of an earlier login: the notice
    to show (timeout, revoked...), recorded in the login log once."""
    if request.user.is_authenticated or sessions.MARKER_COOKIE not in request.COOKIES:
        return ""
    session_id = _marker_session_id(request)
    if session_id is None:
        return ""
    result = sessions.note_return(user_session_id=session_id)
    return result[0] if result else ""


def _forget_marker(response: HttpResponse) -> HttpResponse:
    response.delete_cookie(sessions.MARKER_COOKIE, samesite="Lax")
    return response


def _set_marker(response: HttpResponse, user_session: UserSession) -> None:
    response.set_signed_cookie(
        sessions.MARKER_COOKIE,
        str(user_session.pk),
        salt=sessions.MARKER_SALT,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


# --- completing a login ------------------------------------------------------------------


def _complete_login(
    request: HttpRequest, user: User, *, backend: str, next_url: str, how: str
) -> HttpResponse:
    request.session.pop(sessions.PENDING_KEY, None)
    login(request, user, backend=backend)  # new session key; axes resets the failure count
    if request.session.session_key is None:
        request.session.save()
    ctx = request_context.current()
    ctx.user = user
    row = sessions.open_session(
        user=user, session_key=request.session.session_key or "", ip=ctx.ip, user_agent=ctx.user_agent
    )
    request.session[sessions.SESSION_ROW_KEY] = row.pk
    request.session[sessions.SESSION_TOUCHED_KEY] = int(time.time())
    audit.record_login(staff_no=user.staff_no, user=user, result=LoginResult.SUCCESS, reason=how)
    target = "/password/change" if passwords.change_reason(user) else next_url
    response = redirect(target)
    _set_marker(response, row)
    return response


def _refuse_locked(
    request: HttpRequest, staff_no: str, user: User | None, *, was_locked: bool, cause: str = ""
) -> HttpResponse:
    """Log the attempt as locked: either made during a lock, or the failure (`cause`) that
    reached the limit."""
    reason = (
        "账号锁定期间尝试登录"
        if was_locked
        else f"{cause}，连续 {settings.AXES_FAILURE_LIMIT} 次登录失败，账号锁定 {_lock_minutes()} 分钟"
    )
    audit.record_login(staff_no=staff_no, user=user, result=LoginResult.LOCKED, reason=reason)
    return lockout_response(request, None, {"username": staff_no})


@public(methods=("GET", "HEAD", "POST"))
@require_http_methods(["GET", "HEAD", "POST"])  # HEAD: load-balancer health probes
@sensitive_post_parameters("password")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    notice = _end_notice(request)
    if request.user.is_authenticated:
        return redirect(_safe_next(request, request.GET.get("next")))
    if request.method != "POST":
        response = _render_login(request, LoginForm(), notice=notice)
        return _forget_marker(response)

    # A new attempt replaces any half-finished one.
    request.session.pop(sessions.PENDING_KEY, None)
    form = LoginForm(request.POST)
    if not form.is_valid():
        raw = request.POST.get("username", "")
        audit.record_login(staff_no=str(raw)[:32], result=LoginResult.FAILURE, reason="输入不完整或格式无效")
        return _forget_marker(_render_login(request, form, notice=notice))

    staff_no: str = form.cleaned_data["username"]
    password: str = form.cleaned_data["password"]
    next_url = _safe_next(request, request.POST.get("next"))
    known = User.objects.filter(staff_no=staff_no).first()
    was_locked = not AxesProxyHandler.is_allowed(request, {"username": staff_no})
    user = authenticate(request, username=staff_no, password=password)

    if getattr(request, "axes_locked_out", False):
        cause = "工号不存在" if known is None else "密码错误"
        return _refuse_locked(request, staff_no, known, was_locked=was_locked, cause=cause)
    if user is None:
        # The backend refuses inactive accounts like wrong passwords. Only someone who knows
        # the password learns that the account is disabled; everyone else sees one message.
        # Every failure costs one more hash, so timing does not single out disabled accounts.
        if known is not None and not known.is_active:
            if check_password(password, known.password):
                audit.record_login(
                    staff_no=staff_no, user=known, result=LoginResult.FAILURE, reason="账号已停用"
                )
                return _forget_marker(_render_login(request, form, error=MSG_DISABLED))
        else:
            make_password(password)
        reason = "工号不存在" if known is None else "密码错误"
        audit.record_login(staff_no=staff_no, user=known, result=LoginResult.FAILURE, reason=reason)
        return _forget_marker(_render_login(request, form, error=MSG_INVALID))
    assert isinstance(user, User)
    if user.status != UserStatus.ACTIVE or not user.is_active:
        audit.record_login(
            staff_no=staff_no, user=user, result=LoginResult.FAILURE, reason="账号已停用（离职）"
        )
        return _forget_marker(_render_login(request, form, error=MSG_DISABLED))
    if user.is_service_account:
        audit.record_login(
            staff_no=staff_no, user=user, result=LoginResult.FAILURE, reason="系统接口账号不能登录页面"
        )
        return _forget_marker(_render_login(request, form, error=MSG_INVALID))

    backend = getattr(user, "backend", "django.contrib.auth.backends.ModelBackend")
    if totp.required_for(user):
        # Not logged in yet: a fresh session key, and only the pending state in it.
        request.session.cycle_key()
        request.session[sessions.PENDING_KEY] = {
            "user": user.pk,
            "backend": backend,
            "at": int(time.time()),
            "next": next_url,
        }
        return redirect("/totp/verify" if totp.is_enrolled(user) else "/totp/setup")
    return _complete_login(request, user, backend=backend, next_url=next_url, how="密码登录")


@public(methods=("POST",))
@require_http_methods(["POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """Ends a full login or a half-finished one (pending second factor) alike."""
    if request.user.is_authenticated:
        user = request.user
        row_id = request.session.get(sessions.SESSION_ROW_KEY)
        audit.record_login(staff_no=user.staff_no, user=user, result=LoginResult.LOGOUT, reason="主动退出")
        row = UserSession.objects.filter(pk=row_id, user=user).first() if row_id else None
        if row is not None:
            sessions.end_session(user_session=row, reason=sessions.EndReason.LOGOUT)
        logout(request)
    else:
        request.session.flush()
    return _forget_marker(redirect(settings.LOGOUT_REDIRECT_URL))


# --- second factor -----------------------------------------------------------------------


def _pending(request: HttpRequest) -> tuple[dict[str, Any], User] | None:
    state = request.session.get(sessions.PENDING_KEY)
    if not isinstance(state, dict):
        return None
    if time.time() - float(state.get("at", 0)) > sessions.PENDING_TTL_SECONDS:
        request.session.pop(sessions.PENDING_KEY, None)
        return None
    user_id = state.get("user")
    user = (
        User.objects.filter(pk=user_id, is_active=True, status=UserStatus.ACTIVE).first() if user_id else None
    )
    if user is None:
        request.session.pop(sessions.PENDING_KEY, None)
        return None
    return state, user


def _expired_pending() -> HttpResponse:
    return redirect("/login")


def _totp_failed(
    request: HttpRequest, user: User, form: TotpForm, template: str, context: dict[str, Any]
) -> HttpResponse:
    """A wrong code is a failed login: logged, and counted by axes towards the lockout."""
    user_login_failed.send(sender=__name__, credentials={"username": user.staff_no}, request=request)
    if getattr(request, "axes_locked_out", False):
        request.session.pop(sessions.PENDING_KEY, None)
        return _refuse_locked(request, user.staff_no, user, was_locked=False, cause="动态口令错误")
    audit.record_login(staff_no=user.staff_no, user=user, result=LoginResult.FAILURE, reason="动态口令错误")
    form.add_error("code", MSG_TOTP_WRONG)
    return render(request, template, {**context, "form": form})


def _locked_now(request: HttpRequest, user: User) -> HttpResponse | None:
    if AxesProxyHandler.is_allowed(request, {"username": user.staff_no}):
        return None
    request.session.pop(sessions.PENDING_KEY, None)
    return _refuse_locked(request, user.staff_no, user, was_locked=True)


@public(methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
@never_cache
def totp_setup_view(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        return _expired_pending()
    state, user = pending
    if totp.is_enrolled(user):
        return redirect("/totp/verify")
    if "secret" not in state:
        # The candidate secret waits in the (server-side) session, encrypted like the final one.
        state["secret"] = pii.encrypt(totp.new_secret())
        request.session[sessions.PENDING_KEY] = state
    secret = pii.decrypt(state["secret"])
    context = {
        "secret": secret,
        "secret_groups": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "qr": totp.qr_data_uri(totp.provisioning_uri(secret, user)),
        "account": user,
        "issuer": totp.ISSUER,
    }
    if request.method != "POST":
        return render(request, "system/totp_setup.html", {**context, "form": TotpForm()})
    if (locked := _locked_now(request, user)) is not None:
        return locked
    form = TotpForm(request.POST)
    if not form.is_valid() or not totp.verify_code(secret, form.cleaned_data["code"]):
        return _totp_failed(request, user, form, "system/totp_setup.html", context)
    totp.enroll(user=user, secret=secret, code=form.cleaned_data["code"], actor=user)
    return _complete_login(
        request,
        user,
        backend=state["backend"],
        next_url=state.get("next") or "/",
        how="密码 + 动态口令（首次绑定）",
    )


@public(methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
@never_cache
def totp_verify_view(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        return _expired_pending()
    state, user = pending
    if not totp.is_enrolled(user):
        return redirect("/totp/setup")
    context = {"account": user}
    if request.method != "POST":
        return render(request, "system/totp_verify.html", {**context, "form": TotpForm()})
    if (locked := _locked_now(request, user)) is not None:
        return locked
    form = TotpForm(request.POST)
    if not form.is_valid() or not totp.verify_user_code(user, form.cleaned_data["code"]):
        return _totp_failed(request, user, form, "system/totp_verify.html", context)
    return _complete_login(
        request, user, backend=state["backend"], next_url=state.get("next") or "/", how="密码 + 动态口令"
    )


# --- password change ---------------------------------------------------------------------


@login_only(methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
def password_change_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    reason = passwords.change_reason(user)
    form = PasswordChangeForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            passwords.change_password(user=user, new_password=form.cleaned_data["new_password1"], actor=user)
        except ValidationError as exc:
            form.add_error("new_password1", exc)
        else:
            old_key = request.session.session_key
            sessions.end_all_sessions(
                user=user, reason=sessions.EndReason.PASSWORD_CHANGED, actor=user, keep_session_key=old_key
            )
            update_session_auth_hash(request, user)  # keeps this session, under a new key
            row_id = request.session.get(sessions.SESSION_ROW_KEY)
            if row_id and request.session.session_key:
                sessions.rekey(user_session_id=row_id, session_key=request.session.session_key)
            messages.success(request, "密码已修改。")
            return redirect("/")
    return render(request, "system/password_change.html", {"form": form, "reason": reason})


# --- online sessions (在线会话) ----------------------------------------------------------


class SessionFilter(django_filters.FilterSet):
    staff_no = django_filters.CharFilter(
        field_name="user__staff_no", lookup_expr="icontains", label="工号", max_length=32
    )
    name = django_filters.CharFilter(
        field_name="user__name", lookup_expr="icontains", label="姓名", max_length=50
    )
    ip = django_filters.CharFilter(field_name="ip", lookup_expr="startswith", label="IP", max_length=45)

    class Meta:
        model = UserSession
        fields: list[str] = []


def _browser(ua: str) -> str:
    """A short, readable browser name; the full user agent stays in the title attribute."""
    for marker, label in (
        ("wxwork", "企业微信"),
        ("MicroMessenger", "微信"),
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ):
        if marker in ua:
            return label
    return ua[:30] if ua else "-"


class SessionTable(tables.Table):
    staff_no = tables.Column(verbose_name="工号", accessor="user__staff_no", order_by=("user__staff_no",))
    name = tables.Column(verbose_name="姓名", accessor="user__name", order_by=("user__name",))
    org = tables.Column(verbose_name="所属机构", accessor="user__org__name", order_by=("user__org__path",))
    ip = tables.Column(verbose_name="IP")
    user_agent = tables.Column(verbose_name="浏览器", default="-")
    created_at = tables.DateTimeColumn(verbose_name="登录时间", format="Y-m-d H:i:s")
    last_seen_at = tables.DateTimeColumn(verbose_name="最近活动", format="Y-m-d H:i:s")
    actions = tables.TemplateColumn(
        verbose_name="操作", template_name="system/_session_actions.html", orderable=False
    )

    class Meta:
        model = UserSession
        fields = ("staff_no", "name", "org", "ip", "user_agent", "created_at", "last_seen_at", "actions")
        order_by = ("-last_seen_at",)
        attrs = {"class": "table table-sm table-hover align-middle"}
        empty_text = "当前没有在线会话"

    def render_user_agent(self, value: str) -> str:
        return format_html('<span title="{}">{}</span>', value, _browser(value))


EXPORT_HEADERS = ["工号", "姓名", "所属机构", "IP", "浏览器", "登录时间", "最近活动"]


@requires("session:manage", methods=("GET",))
@require_http_methods(["GET"])
def sessions_view(request: HttpRequest) -> HttpResponse:
    qs = sessions.active_sessions(viewer=request.user)
    filterset = SessionFilter(request.GET, queryset=qs)
    rows = filterset.qs if filterset.is_valid() else qs.none()  # a bad filter shows nothing, not all
    if request.GET.get("export") == "xlsx":
        data = [
            [
                s.user.staff_no,
                s.user.name,
                s.user.org.name,
                s.ip or "",
                s.user_agent,
                s.created_at,
                s.last_seen_at,
            ]
            for s in rows
        ]
        audit.record(action="session.export", message=f"导出在线会话 {len(data)} 条")
        return excel.response(
            f"在线会话_{timezone.localdate():%Y%m%d}.xlsx", EXPORT_HEADERS, data, title="在线会话"
        )
    table = SessionTable(rows)
    RequestConfig(request, paginate={"per_page": 20}).configure(table)
    export_query = request.GET.copy()
    export_query.pop("page", None)
    export_query["export"] = "xlsx"
    context = {
        "filter": filterset,
        "table": table,
        "count": rows.count(),
        "current_session_id": request.session.get(sessions.SESSION_ROW_KEY),
        "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
        "export_url": "?" + export_query.urlencode(),
    }
    return render_page(
        request, "system/sessions.html", context, fragment_template="system/_sessions_table.html"
    )


@requires("session:manage", methods=("POST",))
@require_http_methods(["POST"])
def session_revoke_view(request: HttpRequest, session_id: int) -> HttpResponse:
    row = sessions.get_active_session_or_404(viewer=request.user, session_id=session_id)
    if row.pk == request.session.get(sessions.SESSION_ROW_KEY):
        messages.error(request, "不能强制下线自己的当前会话，请使用“退出”。")
    elif sessions.revoke_session(user_session=row, actor=request.user):
        messages.success(request, f"已强制下线 {row.user.name}（{row.user.staff_no}）的会话。")
    back = request.POST.get("back", "")
    target = back if back.startswith("/system/sessions/") else "/system/sessions/"
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)
