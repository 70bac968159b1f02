from django.urls import path

from liuyou.mining import views

app_name = "mining"

urlpatterns = [
    path("", views.analysis, name="analysis"),
    path("config/", views.config, name="config"),
    path("config/<str:code>/", views.config_edit, name="config_edit"),
    path("<str:code>/", views.members, name="members"),
    path("<str:code>/export.xlsx", views.members_export, name="members_export"),
]
