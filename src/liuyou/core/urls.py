from django.urls import path

from liuyou.core import views

urlpatterns = [
    path("", views.workbench, name="workbench"),
]
