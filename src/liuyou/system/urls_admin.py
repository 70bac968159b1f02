"""System administration pages, mounted at /system/: orgs, users, roles, dictionaries."""

from django.urls import path

from liuyou.system import views_dicts, views_orgs, views_roles, views_users

app_name = "sysadmin"

urlpatterns = [
    # 机构管理
    path("orgs/", views_orgs.org_list, name="org_list"),
    path("orgs/export.xlsx", views_orgs.org_export, name="org_export"),
    path("orgs/new", views_orgs.org_create, name="org_create"),
    path("orgs/<int:org_id>/edit", views_orgs.org_edit, name="org_edit"),
    path("orgs/<int:org_id>/disable", views_orgs.org_disable, name="org_disable"),
    path("orgs/<int:org_id>/enable", views_orgs.org_enable, name="org_enable"),
    # 用户管理
    path("users/", views_users.user_list, name="user_list"),
    path("users/export.xlsx", views_users.user_export, name="user_export"),
    path("users/new", views_users.user_create, name="user_create"),
    path("users/<int:user_id>/", views_users.user_detail, name="user_detail"),
    path("users/<int:user_id>/edit", views_users.user_edit, name="user_edit"),
    path("users/<int:user_id>/disable", views_users.user_disable, name="user_disable"),
    path("users/<int:user_id>/enable", views_users.user_enable, name="user_enable"),
    path("users/<int:user_id>/reset-password", views_users.user_reset_password, name="user_reset_password"),
    path("users/<int:user_id>/reset-totp", views_users.user_reset_totp, name="user_reset_totp"),
    path("users/<int:user_id>/roles", views_users.user_roles, name="user_roles"),
    # 角色权限
    path("roles/", views_roles.role_list, name="role_list"),
    path("roles/export.xlsx", views_roles.role_export, name="role_export"),
    path("roles/new", views_roles.role_create, name="role_create"),
    path("roles/<int:role_id>/", views_roles.role_detail, name="role_detail"),
    path("roles/<int:role_id>/edit", views_roles.role_edit, name="role_edit"),
    path("roles/<int:role_id>/disable", views_roles.role_disable, name="role_disable"),
    path("roles/<int:role_id>/enable", views_roles.role_enable, name="role_enable"),
    # 数据字典
    path("dicts/", views_dicts.dict_list, name="dict_list"),
    path("dicts/export.xlsx", views_dicts.dict_export, name="dict_export"),
    path("dicts/new", views_dicts.dict_create, name="dict_create"),
    path("dicts/<int:dict_id>/", views_dicts.dict_detail, name="dict_detail"),
    path("dicts/<int:dict_id>/export.xlsx", views_dicts.dict_items_export, name="dict_items_export"),
    path("dicts/<int:dict_id>/edit", views_dicts.dict_edit, name="dict_edit"),
    path("dicts/<int:dict_id>/disable", views_dicts.dict_disable, name="dict_disable"),
    path("dicts/<int:dict_id>/enable", views_dicts.dict_enable, name="dict_enable"),
    path("dicts/<int:dict_id>/items/new", views_dicts.item_create, name="dict_item_create"),
    path("dicts/items/<int:item_id>/edit", views_dicts.item_edit, name="dict_item_edit"),
    path("dicts/items/<int:item_id>/disable", views_dicts.item_disable, name="dict_item_disable"),
    path("dicts/items/<int:item_id>/enable", views_dicts.item_enable, name="dict_item_enable"),
]
