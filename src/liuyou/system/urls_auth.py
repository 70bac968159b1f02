from django.urls import path

from liuyou.system import views_auth

urlpatterns = [
    path("login", views_auth.login_view, name="login"),
    path("logout", views_auth.logout_view, name="logout"),
]
