"""API key pages (安全管理 → 接口密钥): list with filters and export, create (the plain key is
shown once, in the answer to the POST), revoke. All need apikey:manage; writes go through
system.apikeys, which audits them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods
from django_tables2 import RequestConfig

from liuyou.core import excel
from liuyou.core.access import requires
from liuyou.core.rendering import render_page
from liuyou.core.scope import scoped
from liuyou.system import apikeys
from liuyou.system.apikeys import KeyStatus
from liuyou.system.models import ApiKey, Permission, User, UserStatus

PERM = "apikey:manage"
PER_PAGE = 20
Q_MAX = 64


def _keys() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("user", "created_by")


def _status_q(status: str, now: dt.datetime) -> Q:
    if status == KeyStatus.REVOKED:
        return Q(revoked_at__isnull=False)
    if status == KeyStatus.EXPIRED:
        return Q(revoked_at__isnull=True, expires_at__lte=now)
    if status == KeyStatus.ACTIVE:
        return Q(revoked_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    return Q()


class ApiKeyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="查询",
        method="filter_q",
        max_length=Q_MAX,
        widget=forms.TextInput(
            attrs={"placeholder": "名称、前缀或账号工号", "class": "form-control form-control-sm"}
        ),
    )
    status = django_filters.ChoiceFilter(
        label="状态",
        method="filter_status",
        empty_label="全部",
        choices=list(KeyStatus.LABELS.items()),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    class Meta:
        model = ApiKey
        fields: list[str] = []

    def filter_q(self, qs: QuerySet[ApiKey], name: str, value: str) -> QuerySet[ApiKey]:
        v = value.strip()
        if not v:
            return qs
        if v.startswith(f"{apikeys.KEY_PREFIX}_"):
            v = v.split("_")[1]  # a pasted key or "ly_<prefix>_…": search by its prefix
        return qs.filter(Q(name__icontains=v) | Q(prefix__istartswith=v) | Q(user__staff_no=v))

    def filter_status(self, qs: QuerySet[ApiKey], name: str, value: str) -> QuerySet[ApiKey]:
        return qs.filter(_status_q(value, timezone.now())) if value else qs


def _fmt(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


class ApiKeyTable(tables.Table):
    name = tables.Column(verbose_name="名称")
    prefix = tables.Column(verbose_name="密钥前缀")
    user = tables.Column(verbose_name="系统接口账号", accessor="user__staff_no", order_by=("user__staff_no",))
    scopes = tables.Column(verbose_name="授权范围", orderable=False)
    created_at = tables.Column(verbose_name="创建时间")
    expires_at = tables.Column(verbose_name="到期时间", empty_values=())
    last_used_at = tables.Column(verbose_name="最近使用", empty_values=())
    status = tables.Column(verbose_name="状态", empty_values=(), orderable=False)
    actions = tables.Column(verbose_name="操作", empty_values=(), orderable=False)

    class Meta:
        model = ApiKey
        fields = (
            "name",
            "prefix",
            "user",
            "scopes",
            "created_at",
            "expires_at",
            "last_used_at",
            "status",
            "actions",
        )
        attrs = {"class": "table table-sm table-hover align-middle"}
        order_by = ("-created_at",)

    def render_prefix(self, value: str) -> str:
        return format_html("<code>{}_{}_…</code>", apikeys.KEY_PREFIX, value)

    def render_user(self, record: ApiKey) -> str:
        return f"{record.user.name}（{record.user.staff_no}）"

    def render_scopes(self, value: list[str]) -> str:
        return "、".join(value or []) or "—"

    def render_created_at(self, value: dt.datetime) -> str:
        return _fmt(value)

    def render_expires_at(self, value: dt.datetime | None) -> str:
        return _fmt(value) if value else "永不过期"

    def render_last_used_at(self, value: dt.datetime | None) -> str:
        return _fmt(value) if value else "从未使用"

    def render_status(self, record: ApiKey) -> str:
        status = apikeys.status_of(record)
        css = {KeyStatus.ACTIVE: "text-bg-success", KeyStatus.REVOKED: "text-bg-secondary"}.get(
            status, "text-bg-warning"
        )
        return format_html('<span class="badge {}">{}</span>', css, KeyStatus.LABELS[status])

    def render_actions(self, record: ApiKey) -> str:
        if record.revoked_at is not None:
            return "—"
        url = reverse("apikey-revoke", args=[record.pk])
        return format_html('<a class="btn btn-sm btn-outline-danger" href="{}">吊销</a>', url)


EXPORT_HEADERS = [
    "名称",
    "密钥前缀",
    "系统接口账号工号",
    "系统接口账号姓名",
    "授权范围",
    "创建时间",
    "创建人",
    "到期时间",
    "最近使用",
    "吊销时间",
    "状态",
]


def _export_row(key: ApiKey) -> list[Any]:
    return [
        key.name,
        f"{apikeys.KEY_PREFIX}_{key.prefix}",
        key.user.staff_no,
        key.user.name,
        "、".join(key.scopes or []),
        key.created_at,
        key.created_by.staff_no if key.created_by else "",
        key.expires_at or "永不过期",
        key.last_used_at or "",
        key.revoked_at or "",
        KeyStatus.LABELS[apikeys.status_of(key)],
    ]


def _no_store(response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    return response


def _ordering(sort: str | None) -> list[str]:
    key = (sort or "").strip()
    column = ApiKeyTable.base_columns.get(key.lstrip("-"))
    if not key or column is None or not column.orderable:
        return ["-created_at"]
    fields = [str(f).replace(".", "__") for f in (column.order_by or (column.accessor or key.lstrip("-"),))]
    return [("-" + f.lstrip("-")) if key.startswith("-") else f for f in fields]


@requires(PERM, methods=("GET",))
@require_GET
def apikey_list(request: HttpRequest) -> HttpResponse:
    filterset = ApiKeyFilter(request.GET, queryset=_keys())
    table = ApiKeyTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "filter": filterset,
        "table": table,
        "count": table.paginator.count,
        "export_query": params.urlencode(),
    }
    return _no_store(
        render_page(
            request, "system/apikeys/list.html", context, fragment_template="system/apikeys/_results.html"
        )
    )


@requires(PERM, methods=("GET",))
@require_GET
def apikey_export(request: HttpRequest) -> HttpResponse:
    filterset = ApiKeyFilter(request.GET, queryset=_keys())
    rows = (_export_row(k) for k in filterset.qs.order_by(*_ordering(request.GET.get("sort"))))
    filename = f"接口密钥-{timezone.localdate():%Y%m%d}.xlsx"
    return _no_store(excel.response(filename, EXPORT_HEADERS, rows, title="接口密钥"))


def _service_accounts(actor: Any) -> QuerySet[User]:
    qs = User.objects.filter(is_service_account=True, is_active=True, status=UserStatus.ACTIVE)
    return scoped(qs.select_related("org"), actor, PERM).order_by("staff_no")


class ServiceAccountField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.staff_no}，{obj.org.name}）"


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="名称",
        max_length=64,
        help_text="用途或对接系统，例如“数据仓库同步”",
        error_messages={"required": "请填写名称", "max_length": "名称不能超过 64 个字符"},
    )
    user = ServiceAccountField(
        label="系统接口账号",
        queryset=User.objects.none(),
        empty_label="请选择",
        help_text="密钥以该账号的身份和数据范围访问接口",
        error_messages={"required": "请选择系统接口账号", "invalid_choice": "请选择列表中的系统接口账号"},
    )
    scopes = forms.MultipleChoiceField(
        label="授权范围",
        widget=forms.CheckboxSelectMultiple,
        help_text="密钥的权限是账号权限与授权范围的交集",
        error_messages={"required": "请至少选择一项授权范围", "invalid_choice": "授权范围 %(value)s 不存在"},
    )
    expires_on = forms.DateField(
        label="有效期至",
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
        help_text="到期日 24 时失效；留空表示永不过期（不建议）",
        error_messages={"invalid": "日期格式须为 YYYY-MM-DD"},
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = _service_accounts(actor)  # type: ignore[attr-defined]
        self.fields["scopes"].choices = [  # type: ignore[attr-defined]
            (p.code, f"{p.name}（{p.code}）")
            for p in Permission.objects.order_by("group", "sort_order", "code")
        ]

    def clean_expires_on(self) -> dt.date | None:
        value = self.cleaned_data.get("expires_on")
        if value is not None and value < timezone.localdate():
            raise ValidationError("有效期不能早于今天")
        return value

    def expires_at(self) -> dt.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
        return timezone.make_aware(end)


@requires(PERM, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def apikey_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ApiKeyForm(request.POST, actor=request.user)
        if form.is_valid():
            try:
                key, plain = apikeys.create_api_key(
                    name=form.cleaned_data["name"],
                    user=form.cleaned_data["user"],
                    scopes=form.cleaned_data["scopes"],
                    expires_at=form.expires_at(),
                    actor=request.user,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                # The one and only time the plain key is shown; not stored, not cached.
                return _no_store(
                    render_page(request, "system/apikeys/created.html", {"key": key, "plain_key": plain})
                )
    else:
        form = ApiKeyForm(
            actor=request.user, initial={"expires_on": timezone.localdate() + dt.timedelta(days=365)}
        )
    return _no_store(render_page(request, "system/apikeys/form.html", {"form": form}))


@requires(PERM, methods=("GET", "POST"))
@require_http_methods(["GET", "POST"])
def apikey_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    key = get_object_or_404(_keys(), pk=key_id)
    if request.method == "POST":
        try:
            apikeys.revoke_api_key(key=key, actor=request.user)
        except ValidationError as exc:
            messages.warning(request, "；".join(exc.messages))
        else:
            messages.success(
                request, f"已吊销接口密钥“{key.name}”（{apikeys.KEY_PREFIX}_{key.prefix}），立即生效。"
            )
        return redirect("apikey-list")
    return _no_store(
        render_page(
            request,
            "system/apikeys/revoke.html",
            {"key": key, "status": KeyStatus.LABELS[apikeys.status_of(key)]},
        )
    )
