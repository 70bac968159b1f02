from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from liuyou.core.access import login_only


@login_only
def workbench(request: HttpRequest) -> HttpResponse:
    return render(request, "core/workbench.html", {})


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "core/error.html", {"status": status, "title": title, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "请求无效", "请求内容有误，请检查后重试。")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, "无权访问", "您没有执行此操作的权限。如需开通，请联系安全管理员。")


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "页面不存在", "您访问的页面或记录不存在，或不在您的数据范围内。")


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500, "系统繁忙", "系统处理出错，请稍后重试。如问题持续，请联系系统管理员并提供请求号。")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(request, 403, "页面已过期", "页面已过期或请求来源无法验证，请刷新页面后重试。")
