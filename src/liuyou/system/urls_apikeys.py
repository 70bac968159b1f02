from django.urls import path

from liuyou.system import views_apikeys as views

urlpatterns = [
    path("", views.apikey_list, name="apikey-list"),
    path("export/", views.apikey_export, name="apikey-export"),
    path("new/", views.apikey_create, name="apikey-create"),
    path("<int:key_id>/revoke/", views.apikey_revoke, name="apikey-revoke"),
]
