from django.urls import path

from liuyou.tags import views

app_name = "tags"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.tag_new, name="tag_new"),
    path("bulk/", views.bulk, name="bulk"),
    path("groups/new/", views.group_new, name="group_new"),
    path("groups/<int:group_id>/edit/", views.group_edit, name="group_edit"),
    path("<int:tag_id>/", views.tag_customers, name="customers"),
    path("<int:tag_id>/export.xlsx", views.tag_customers_export, name="customers_export"),
    path("<int:tag_id>/edit/", views.tag_edit, name="tag_edit"),
    path("customers/<str:customer_no>/", views.customer_tags, name="customer"),
    path("customers/<str:customer_no>/add", views.customer_tag_add, name="customer_add"),
    path("customers/<str:customer_no>/remove", views.customer_tag_remove, name="customer_remove"),
    path("customers/<str:customer_no>/history", views.customer_history, name="customer_history"),
]
