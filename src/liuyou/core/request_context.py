"""Per-request facts every layer may need (request id, client IP, start time, user) without
passing the request object into services."""

from __future__ import annotations

import ipaddress
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest


@dataclass
class RequestContext:
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    ip: str = ""
    user_agent: str = ""
    method: str = ""
    path: str = ""
    started: float = field(default_factory=time.monotonic)
    user: Any = None

    def elapsed_ms(self) -> int:
        return int((time.monotonic() - self.started) * 1000)


_current: ContextVar[RequestContext | None] = ContextVar("liuyou_request_context", default=None)


def current() -> RequestContext:
    """The context of the running request, or a fresh one for commands and jobs."""
    ctx = _current.get()
    if ctx is None:
        ctx = RequestContext(ip="", method="CLI")
        _current.set(ctx)
    return ctx


def begin(ctx: RequestContext) -> Any:
    return _current.set(ctx)


def end(token: Any) -> None:
    _current.reset(token)


def client_ip(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
    """REMOTE_ADDR, or the right-most untrusted X-Forwarded-For hop when the request came
    through one of LIUYOU_TRUSTED_PROXIES. Anything else could be forged by the client."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = settings.LIUYOU_TRUSTED_PROXIES

    def trusted(addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return any(ip in net for net in proxies)

    if not proxies or not trusted(remote):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not trusted(hop):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                return remote
            return hop
    return hops[0] if hops else remote
