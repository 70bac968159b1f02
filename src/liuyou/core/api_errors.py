"""JSON error answers for the API: one body shape, Chinese messages, the request id, never a
traceback.

Every error body is `{"detail": "<中文说明>", "request_id": "<id>", ...}`; validation errors
add `errors` (one entry per field). `install(api)` puts the handlers on a NinjaAPI; the
handlers roll the request's transaction back, so an answered error stores nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from liuyou.core import request_context

logger = logging.getLogger("liuyou.api")

UNAUTHENTICATED = "未认证：请提供有效的接口密钥或登录"
FORBIDDEN = "无权访问：您没有执行此操作的权限"
NOT_FOUND = "记录不存在或无权访问"
METHOD_NOT_ALLOWED = "不支持的请求方法"
BAD_JSON = "请求体不是有效的 JSON"
INVALID = "请求参数校验失败"
THROTTLED = "请求过于频繁，请稍后重试"
SERVER_ERROR = "系统处理出错，请稍后重试；如问题持续，请向系统管理员提供请求号"
CSRF_FAILED = "CSRF 校验失败：请刷新页面后重试，或改用接口密钥"


class PermissionMissing(HttpError):
    """403 naming the permission code the caller lacks."""

    def __init__(self, code: str) -> None:
        super().__init__(403, f"无权访问：需要权限 {code}")
        self.code = code


def request_id() -> str:
    return request_context.current().request_id


def _rollback() -> None:
    if connection.in_atomic_block:
        transaction.set_rollback(True)


def error_response(request: HttpRequest | None, status: int, detail: str, **extra: Any) -> HttpResponse:
    """The one error body; also usable by page-level handlers for paths under /api/."""
    _rollback()
    body = {"detail": detail, **extra, "request_id": request_id()}
    response = JsonResponse(
        body,
        status=status,
        json_dumps_params={"ensure_ascii": False},
        content_type="application/json; charset=utf-8",
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="liuyou"'
    return response


# Chinese messages for the pydantic error types an API caller meets; anything else keeps
# pydantic's own message rather than a vague one.
_PYDANTIC_MESSAGES = {
    "missing": "必填",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "float_parsing": "须为数字",
    "float_type": "须为数字",
    "decimal_parsing": "须为数字",
    "bool_parsing": "须为 true 或 false",
    "bool_type": "须为 true 或 false",
    "string_type": "须为字符串",
    "string_too_short": "长度不能少于 {min_length} 个字符",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "greater_than": "须大于 {gt}",
    "greater_than_equal": "须大于或等于 {ge}",
    "less_than": "须小于 {lt}",
    "less_than_equal": "须小于或等于 {le}",
    "date_parsing": "日期格式须为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式须为 YYYY-MM-DD",
    "datetime_parsing": "时间格式须为 ISO 8601，如 2026-01-31T08:00:00+08:00",
    "datetime_from_date_parsing": "时间格式须为 ISO 8601，如 2026-01-31T08:00:00+08:00",
    "enum": "取值须为：{expected}",
    "literal_error": "取值须为：{expected}",
    "list_type": "须为数组",
    "dict_type": "须为对象",
    "model_type": "须为对象",
    "model_attributes_type": "须为对象",
    "json_invalid": "不是有效的 JSON",
    "extra_forbidden": "不允许的字段",
    "value_error": "取值无效：{error}",
    "uuid_parsing": "须为有效的 UUID",
}


def _message(error: dict[str, Any]) -> str:
    template = _PYDANTIC_MESSAGES.get(str(error.get("type", "")))
    if template is None:
        return str(error.get("msg", "取值无效"))
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError, ValueError):
        return template.split("{")[0].rstrip("：: ") or str(error.get("msg", "取值无效"))


def validation_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        loc = [str(part) for part in e.get("loc", ())]
        out.append(
            {
                "field": ".".join(loc[1:]) if len(loc) > 1 else ".".join(loc),
                "source": loc[0] if loc else "",
                "loc": loc,
                "message": _message(e),
                "type": str(e.get("type", "")),
            }
        )
    return out


def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = validation_errors(exc.errors)
    fields = "、".join(dict.fromkeys(e["field"] or e["source"] for e in errors))
    detail = f"{INVALID}：{fields}" if fields else INVALID
    return error_response(request, 422, detail, errors=errors)


def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    message = str(exc)
    if isinstance(exc, AuthenticationError) or status == 401:
        return error_response(request, 401, UNAUTHENTICATED)
    if isinstance(exc, PermissionMissing):
        return error_response(request, 403, message, permission=exc.code)
    if isinstance(exc, Throttled):
        response = error_response(request, 429, THROTTLED)
        if exc.wait:
            response["Retry-After"] = str(int(exc.wait))
        return response
    if status == 400 and message.startswith("Cannot parse request body"):
        return error_response(request, 400, BAD_JSON)
    if status == 403 and message in ("Forbidden", "CSRF check Failed"):
        message = FORBIDDEN if message == "Forbidden" else CSRF_FAILED
    return error_response(request, status, message)


def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, 404, NOT_FOUND)


def on_permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(request, 403, FORBIDDEN)


def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error %s %s (request %s)", request.method, request.path, request_id(), exc_info=exc)
    return error_response(request, 500, SERVER_ERROR)


def install(api: Any) -> None:
    api.add_exception_handler(Exception, on_unexpected)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(PermissionDenied, on_permission_denied)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(ValidationError, on_validation_error)
