from django.urls import path

from liuyou.customers import views, views_assign, views_marketing

app_name = "customers"

# Fixed paths come before <customer_no>/, which would otherwise swallow them.
urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export.xlsx", views.customer_export, name="export"),
    path("orphans/", views_assign.orphan_list, name="orphans"),
    path("orphans/export.xlsx", views_assign.orphan_export, name="orphan_export"),
    path("<str:customer_no>/", views.customer_detail, name="detail"),
    path("<str:customer_no>/assign", views_assign.customer_assign, name="assign"),
    path("<str:customer_no>/marketing", views_marketing.customer_marketing, name="marketing"),
    path("<str:customer_no>/reveal/<str:field>", views.customer_reveal, name="reveal"),
]
