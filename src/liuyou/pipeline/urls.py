from django.urls import path

from liuyou.pipeline import views

app_name = "pipeline"

urlpatterns = [
    path("", views.job_list, name="jobs"),
    path("export.xlsx", views.job_export, name="export"),
    path("run/", views.start, name="start"),
    path("batches/<int:batch_id>/", views.batch_detail, name="batch"),
    path("runs/<int:job_id>/", views.run_detail, name="run"),
]
