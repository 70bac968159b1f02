from django.urls import path

from liuyou.products import views

app_name = "products"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("new/", views.create, name="create"),
    path("matches/", views.matches, name="matches"),
    path("matches/export.xlsx", views.matches_export, name="matches_export"),
    path("<str:product_code>/", views.detail, name="detail"),
    path("<str:product_code>/edit/", views.edit, name="edit"),
]
