"""Sign-in pages and the online-sessions page. Paths are relative to the site root."""

from django.urls import path

from liuyou.system import views_auth

urlpatterns = [
    path("login", views_auth.login_view, name="login"),
    path("logout", views_auth.logout_view, name="logout"),
    path("totp/setup", views_auth.totp_setup_view, name="totp_setup"),
    path("totp/verify", views_auth.totp_verify_view, name="totp_verify"),
    path("password/change", views_auth.password_change_view, name="password_change"),
    path("system/sessions/", views_auth.sessions_view, name="sessions"),
    path("system/sessions/<int:session_id>/revoke", views_auth.session_revoke_view, name="session_revoke"),
]
