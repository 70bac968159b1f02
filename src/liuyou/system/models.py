"""Organisation, people, roles, permissions, dictionaries, API keys and the two audit logs."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models import Q


class OrgKind(models.TextChoices):
    HEAD_OFFICE = "head_office", "总行"
    BRANCH = "branch", "支行"
    OUTLET = "outlet", "网点"
    GRID = "grid", "网格"


class Org(models.Model):
    """A node of the org tree. `path` is the materialized path of primary keys, '/1/5/23/'."""

    code = models.CharField("机构号", max_length=32, unique=True)
    name = models.CharField("机构名称", max_length=100)
    kind = models.CharField("机构类型", max_length=16, choices=OrgKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # COLLATE "C" on PostgreSQL (migration 0006): subtrees are selected as ranges of paths.
    path = models.CharField("路径", max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField("层级", default=0, editable=False)
    address = models.CharField("地址", max_length=200, blank=True)
    sort_order = models.IntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        ordering = ["path"]
        verbose_name = verbose_name_plural = "机构"

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @staticmethod
    def subtree_q(path: str, field: str = "path") -> Q:
        """Everything at or below `path` as one indexed range test on the path column.

        '/1/5/' covers ['/1/5/', '/1/50'), because '0' is the character after '/'.
        A range, unlike LIKE, uses the b-tree index on SQLite and PostgreSQL alike.
        """
        upper = path[:-1] + chr(ord(path[-1]) + 1)
        return Q(**{f"{field}__gte": path, f"{field}__lt": upper})


class Permission(models.Model):
    code = models.CharField("权限标识", max_length=64, unique=True)
    name = models.CharField("权限名称", max_length=64)
    group = models.CharField("分组", max_length=32)
    sort_order = models.IntegerField("排序", default=0)

    class Meta:
        ordering = ["group", "sort_order", "code"]
        verbose_name = verbose_name_plural = "权限"

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class DataScope(models.TextChoices):
    ALL = "all", "全部数据"
    CUSTOM = "custom", "自定义机构"
    ORG = "org", "本机构"
    ORG_AND_BELOW = "org_and_below", "本机构及以下"
    TEAM = "team", "本专班"
    SELF = "self", "仅本人"


class Role(models.Model):
    code = models.CharField("角色标识", max_length=32, unique=True)
    name = models.CharField("角色名称", max_length=32)
    data_scope = models.CharField(
        "数据范围", max_length=16, choices=DataScope.choices, default=DataScope.SELF
    )
    custom_orgs = models.ManyToManyField(Org, verbose_name="自定义机构", blank=True, related_name="+")
    permissions = models.ManyToManyField(Permission, verbose_name="权限", blank=True, related_name="roles")
    description = models.CharField("说明", max_length=200, blank=True)
    is_builtin = models.BooleanField("内置", default=False)
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.IntegerField("排序", default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = verbose_name_plural = "角色"

    def __str__(self) -> str:
        return self.name


class UserStatus(models.TextChoices):
    ACTIVE = "active", "在职"
    LEFT = "left", "离职"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(staff_no=username)

    def create_user(self, staff_no: str, password: str | None = None, **fields: object) -> User:
        user = self.model(staff_no=staff_no, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    staff_no = models.CharField("工号", max_length=32, unique=True)
    name = models.CharField("姓名", max_length=50)
    org = models.ForeignKey(Org, verbose_name="所属机构", on_delete=models.PROTECT, related_name="users")
    position = models.CharField("岗位", max_length=32, blank=True)
    phone = models.CharField("手机号码", max_length=20, blank=True)
    wecom_userid = models.CharField("企业微信账号", max_length=64, blank=True)
    status = models.CharField("状态", max_length=8, choices=UserStatus.choices, default=UserStatus.ACTIVE)
    is_active = models.BooleanField("可登录", default=True)
    is_service_account = models.BooleanField("系统接口账号", default=False)
    roles = models.ManyToManyField(Role, verbose_name="角色", blank=True, related_name="users")
    must_change_password = models.BooleanField("下次登录须改密", default=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    totp_secret = models.CharField("动态口令密钥", max_length=200, blank=True, editable=False)
    totp_confirmed_at = models.DateTimeField("动态口令绑定时间", null=True, blank=True, editable=False)
    totp_last_step = models.BigIntegerField("最近使用的口令时间片", null=True, blank=True, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    USERNAME_FIELD = "staff_no"
    REQUIRED_FIELDS = ["name"]
    objects = UserManager()

    class Meta:
        ordering = ["staff_no"]
        verbose_name = verbose_name_plural = "用户"

    def __str__(self) -> str:
        return f"{self.name}（{self.staff_no}）"

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name


class PasswordHistory(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"密码历史 {self.user_id} {self.created_at:%Y-%m-%d}"


class UserSession(models.Model):
    """A login session we can list and revoke; the Django session row holds the state."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    ip = models.GenericIPAddressField("IP", null=True, blank=True)
    user_agent = models.CharField("浏览器", max_length=300, blank=True)
    created_at = models.DateTimeField("登录时间", auto_now_add=True)
    last_seen_at = models.DateTimeField("最近活动", auto_now_add=True)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    end_reason = models.CharField("结束原因", max_length=16, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"会话 {self.user_id} {self.ip}"


class DictType(models.Model):
    code = models.CharField("字典标识", max_length=64, unique=True)
    name = models.CharField("字典名称", max_length=64)
    description = models.CharField("说明", max_length=200, blank=True)
    is_builtin = models.BooleanField("内置", default=False)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "字典类型"

    def __str__(self) -> str:
        return self.name


class DictItem(models.Model):
    dict_type = models.ForeignKey(DictType, on_delete=models.PROTECT, related_name="items")
    value = models.CharField("字典值", max_length=64)
    label = models.CharField("字典标签", max_length=64)
    sort_order = models.IntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["dict_type", "sort_order", "value"]
        constraints = [models.UniqueConstraint(fields=["dict_type", "value"], name="dictitem_unique_value")]
        verbose_name = verbose_name_plural = "字典项"

    def __str__(self) -> str:
        return self.label


class ApiKey(models.Model):
    """A system-integration key. Only a hash is stored; the key acts as its service account,
    limited to the scopes (permission codes) granted here."""

    name = models.CharField("名称", max_length=64)
    prefix = models.CharField("前缀", max_length=12, unique=True)
    key_hash = models.CharField("密钥摘要", max_length=64)
    user = models.ForeignKey(User, verbose_name="代表账号", on_delete=models.PROTECT, related_name="api_keys")
    scopes = models.JSONField("授权范围", default=list)
    created_by = models.ForeignKey(
        User, verbose_name="创建人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    expires_at = models.DateTimeField("到期时间", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = verbose_name_plural = "接口密钥"

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"


class AuditChain(models.Model):
    """Head of one hash chain; locked while appending so entries form a single line."""

    name = models.CharField(max_length=16, primary_key=True)
    seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.name}#{self.seq}"


class LogResult(models.TextChoices):
    SUCCESS = "success", "成功"
    FAILURE = "failure", "失败"


class OperationLog(models.Model):
    """Append-only; database triggers refuse UPDATE and DELETE. No foreign keys, so no
    cascade can ever touch an entry."""

    seq = models.BigIntegerField("序号", unique=True)
    created_at = models.DateTimeField("时间", db_index=True)
    user_id = models.BigIntegerField("用户ID", null=True)
    staff_no = models.CharField("工号", max_length=32, blank=True, db_index=True)
    user_name = models.CharField("姓名", max_length=50, blank=True)
    org_code = models.CharField("机构号", max_length=32, blank=True)
    org_name = models.CharField("机构", max_length=100, blank=True)
    action = models.CharField("操作", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象ID", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    before = models.JSONField("修改前", null=True)
    after = models.JSONField("修改后", null=True)
    request_id = models.CharField("请求号", max_length=36, blank=True)
    method = models.CharField("方法", max_length=8, blank=True)
    path = models.CharField("地址", max_length=300, blank=True)
    ip = models.CharField("IP", max_length=45, blank=True)
    duration_ms = models.IntegerField("耗时(毫秒)", null=True)
    result = models.CharField("结果", max_length=8, choices=LogResult.choices)
    message = models.CharField("说明", max_length=500, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        verbose_name = verbose_name_plural = "操作日志"

    def __str__(self) -> str:
        return f"#{self.seq} {self.staff_no} {self.action}"


class LoginResult(models.TextChoices):
    SUCCESS = "success", "登录成功"
    FAILURE = "failure", "登录失败"
    LOCKED = "locked", "账号锁定"
    LOGOUT = "logout", "退出"
    TIMEOUT = "timeout", "超时"
    REVOKED = "revoked", "被强制下线"


class LoginLog(models.Model):
    seq = models.BigIntegerField("序号", unique=True)
    created_at = models.DateTimeField("时间", db_index=True)
    user_id = models.BigIntegerField("用户ID", null=True)
    staff_no = models.CharField("工号", max_length=32, blank=True, db_index=True)
    ip = models.CharField("IP", max_length=45, blank=True)
    user_agent = models.CharField("浏览器", max_length=300, blank=True)
    result = models.CharField("结果", max_length=8, choices=LoginResult.choices)
    reason = models.CharField("说明", max_length=200, blank=True)
    request_id = models.CharField("请求号", max_length=36, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        verbose_name = verbose_name_plural = "登录日志"

    def __str__(self) -> str:
        return f"#{self.seq} {self.staff_no} {self.result}"
