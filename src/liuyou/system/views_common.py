"""Small pieces the administration views share: running a service so that its refusal becomes a
Chinese message instead of a half-done write, going back where a button was pressed, list
paging and export logging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django_tables2 import RequestConfig, Table

from liuyou.core import audit
from liuyou.core.access import has_perm
from liuyou.system.tables import PER_PAGE

T = TypeVar("T")


def error_text(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(str(m) for m in exc.messages)
    return str(exc) or "无权执行此操作"


def run(call: Callable[[], T]) -> T:
    """Run one service call in a savepoint: if it refuses part-way, nothing of it stays (the
    request transaction itself goes on, so the page can explain why)."""
    with transaction.atomic():
        return call()


def submit(form: forms.Form, call: Callable[[], T]) -> T | None:
    """Run a service for a valid form; a refusal is shown on the form (beside the field it
    names, else above the form) and None is returned."""
    try:
        return run(call)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc)
    except PermissionDenied as exc:
        form.add_error(None, error_text(exc))
    return None


def act(request: HttpRequest, call: Callable[[], Any], success: str) -> bool:
    """A button's service call: a success or error message either way."""
    try:
        run(call)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return False
    messages.success(request, success)
    return True


def redirect_back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Back to the page the button was on (`next`), if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(default)


def paginate(request: HttpRequest, table: Table) -> Table:
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    return table


def record_export(*, action: str, object_type: str, count: int, request: HttpRequest) -> None:
    """Exports take staff data off the system, so each one is logged with its filter."""
    query = request.GET.urlencode()
    audit.record(
        action=action,
        object_type=object_type,
        message=f"导出 {count} 条{'，筛选：' + query if query else ''}",
    )


def perms(request: HttpRequest, *codes: str) -> dict[str, bool]:
    """{'user_manage': True, ...} for templates deciding which buttons to show."""
    return {code.replace(":", "_"): has_perm(request.user, code) for code in codes}
