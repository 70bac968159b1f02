from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse

from liuyou.core.access import login_only, public

login_view = public(auth_views.LoginView.as_view(template_name="system/login.html"), methods=("GET", "POST"))
logout_view = login_only(auth_views.LogoutView.as_view(), methods=("POST",))


def lockout_response(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("账号已锁定", status=403)
