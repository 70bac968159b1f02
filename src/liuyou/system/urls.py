from django.urls import include, path

# Each part of system administration owns its own URL module.
urlpatterns = [
    path("", include("liuyou.system.urls_auth")),
    path("system/", include("liuyou.system.urls_admin")),
    path("system/logs/", include("liuyou.system.urls_logs")),
    path("system/apikeys/", include("liuyou.system.urls_apikeys")),
]
