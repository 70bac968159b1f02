"""The auditor's log pages. Read-only: there is deliberately no route that edits or deletes a
log entry (and the database triggers would refuse it anyway)."""

from django.urls import path

from liuyou.system import views_logs

urlpatterns = [
    path("operations/", views_logs.operation_list, name="log_operations"),
    path("operations/export.xlsx", views_logs.operation_export, name="log_operations_export"),
    path("operations/<int:log_id>/", views_logs.operation_detail, name="log_operation_detail"),
    path("logins/", views_logs.login_list, name="log_logins"),
    path("logins/export.xlsx", views_logs.login_export, name="log_logins_export"),
    path("verify/", views_logs.verify_status, name="log_verify"),
]
