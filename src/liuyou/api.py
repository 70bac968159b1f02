"""The JSON API under /api/v1: one NinjaAPI; each domain adds its router in its api.py.

Authentication (API key or session) and the JSON error bodies are set here, on the API
itself, so every router gets them by default; see docs/api.md.
"""

# No `from __future__ import annotations` here or in any module declaring operations: ninja
# reads the annotations to build its parameter models.
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from django.views.decorators.http import require_http_methods
from ninja import NinjaAPI, Swagger
from ninja.renderers import JSONRenderer
from ninja.responses import Response

from liuyou.core import api_errors
from liuyou.core.access import public
from liuyou.core.api_auth import API_AUTH, docs_guard

DESCRIPTION = """六有信贷管理与精准营销平台接口。

**认证**：每个接口（/api/v1/health 除外）都需要凭据，二选一：

- 接口密钥：`Authorization: Bearer ly_xxxxxxxx_...` 或 `X-API-Key: ly_xxxxxxxx_...`。
  密钥由安全管理员在“安全管理 → 接口密钥”中发放，代表一个系统接口账号，权限限于密钥的授权范围。
- 浏览器会话：已登录的页面会话；修改类请求须带 `X-CSRFToken`。

无凭据返回 401，无权限 403，记录不存在或不在数据范围内 404，参数错误 422，请求体不是 JSON 400；
错误体均为 `{"detail": "...", "request_id": "..."}`。列表按页返回，每页 50 条：`?page=2`。
"""


class LiuyouSwagger(Swagger):
    """Swagger UI from the vendored files in ninja's static folder; the settings travel in a
    data- attribute read by a static script, so the page runs under our CSP (no inline code,
    nothing from the internet)."""

    template = "system/api_docs.html"
    default_settings = {
        "layout": "BaseLayout",
        "deepLinking": True,
        "validatorUrl": None,  # the default validator is a public web service
        "persistAuthorization": False,
        "defaultModelsExpandDepth": 0,
    }


def _json_errors(view: Any) -> Any:
    """Non-operation answers under /api/v1 (the API root, the docs, a wrong method) as JSON."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return api_errors.error_response(request, 404, api_errors.NOT_FOUND)
        if response.status_code == 405 and "json" not in response.get("Content-Type", ""):
            allow = response.get("Allow", "")
            response = api_errors.error_response(request, 405, api_errors.METHOD_NOT_ALLOWED)
            if allow:
                response["Allow"] = allow
        return response

    return wrapper


class Utf8JSONRenderer(JSONRenderer):
    """Chinese text as UTF-8, not \\u escapes: readable in curl and logs, and smaller."""

    json_dumps_params = {"ensure_ascii": False}


class LiuyouAPI(NinjaAPI):
    @property
    def public_schema_view(self) -> Any:
        """The view for the top-level /openapi.json (see `openapi_document`)."""
        return openapi_document

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        patterns = super()._get_urls()
        for p in patterns:
            if isinstance(p, URLPattern):
                p.callback = _json_errors(p.callback)
        return patterns


api = LiuyouAPI(
    title="六有 Liuyou API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=API_AUTH,
    docs=LiuyouSwagger(),
    docs_decorator=docs_guard,
    renderer=Utf8JSONRenderer(),
)
api_errors.install(api)


@api.get("/health", auth=None, tags=["系统"], summary="健康检查（无需认证）")
def health(request: HttpRequest) -> dict[str, str]:
    return {"status": "ok"}


@public(methods=("GET",))
@require_http_methods(["GET"])
def openapi_document(request: HttpRequest) -> HttpResponse:
    """The OpenAPI document at /openapi.json, public: it describes operations and schemas,
    holds no data, and lets an integrator build a client before a key is issued. Every
    operation it lists still needs a key or a session."""
    return Response(api.get_openapi_schema(path_params={}))


from liuyou.system.api import router as system_router  # noqa: E402

api.add_router("", system_router)

from liuyou.customers.api import router as customers_router  # noqa: E402

api.add_router("/customers", customers_router)

from liuyou.pipeline.api import router as pipeline_router  # noqa: E402

api.add_router("/jobs", pipeline_router)

from liuyou.mining.api import router as mining_router  # noqa: E402

api.add_router("/mining", mining_router)

from liuyou.targets.api import router as targets_router  # noqa: E402

api.add_router("/targets", targets_router)

from liuyou.products.api import router as products_router  # noqa: E402

api.add_router("/products", products_router)

from liuyou.tags.api import router as tags_router  # noqa: E402

api.add_router("/tags", tags_router)
