from django.urls import path

from liuyou.targets import views

app_name = "targets"

urlpatterns = [
    path("", views.list_index, name="index"),
    path("new/", views.builder, name="new"),
    path("preview/", views.preview, name="preview"),
    path("funnel/", views.funnel, name="funnel"),
    path("leads/", views.my_leads, name="leads"),
    path("leads/<int:lead_id>/", views.lead_detail, name="lead"),
    path("leads/<int:lead_id>/move", views.lead_move, name="lead_move"),
    path("leads/<int:lead_id>/assign", views.lead_assign, name="lead_assign"),
    path("<int:list_id>/", views.detail, name="detail"),
    path("<int:list_id>/distribute", views.distribute, name="distribute"),
    path("<int:list_id>/export.xlsx", views.export, name="export"),
]
