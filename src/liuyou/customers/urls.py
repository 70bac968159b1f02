from django.urls import path

from liuyou.customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("export.xlsx", views.customer_export, name="export"),
    path("<str:customer_no>/", views.customer_detail, name="detail"),
    path("<str:customer_no>/reveal/<str:field>", views.customer_reveal, name="reveal"),
]
