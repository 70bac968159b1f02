from django.urls import include, path

from liuyou.api import api

urlpatterns = [
    path("", include("liuyou.core.urls")),
    path("", include("liuyou.system.urls")),
    path("customers/", include("liuyou.customers.urls")),
    path("imports/", include("liuyou.ingest.urls")),
    path("jobs/", include("liuyou.pipeline.urls")),
    path("mining/", include("liuyou.mining.urls")),
    path("targets/", include("liuyou.targets.urls")),
    path("products/", include("liuyou.products.urls")),
    path("tags/", include("liuyou.tags.urls")),
    path("api/v1/", api.urls),
    path("openapi.json", api.public_schema_view, name="openapi"),
]

handler400 = "liuyou.core.views.bad_request"
handler403 = "liuyou.core.views.permission_denied"
handler404 = "liuyou.core.views.page_not_found"
handler500 = "liuyou.core.views.server_error"
