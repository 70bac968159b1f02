from django.urls import path

from liuyou.ingest import views

app_name = "ingest"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("runs/", views.run_list, name="runs"),
    path("runs/export.xlsx", views.run_export, name="runs_export"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("runs/<int:run_id>/rejects.csv", views.run_rejects, name="rejects"),
]
