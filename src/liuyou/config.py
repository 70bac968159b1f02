"""Configuration from LIUYOU_* environment variables (and an optional ./.env), validated at start.

Everything the settings module needs is read here once, so a misconfigured deployment fails
before it serves a single request, with a message that names the variable.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

KNOWN = {
    "LIUYOU_ENV": "development 或 production",
    "LIUYOU_DEBUG": "调试开关 true/false（生产模式必须为 false）",
    "LIUYOU_VAR_DIR": "数据目录，默认 ./var",
    "LIUYOU_DATABASE_URL": "数据库地址，sqlite:///path 或 postgresql://user@host:port/db",
    "LIUYOU_SECRET_KEY": "Django 会话签名密钥（生产模式必填）",
    "LIUYOU_DATA_KEY": "个人信息加密主密钥，32 位十六进制（生产模式必填）",
    "LIUYOU_DATA_KEY_PREVIOUS": "轮换前的旧数据密钥，逗号分隔",
    "LIUYOU_ALLOWED_HOSTS": "允许的主机名，逗号分隔",
    "LIUYOU_CSRF_TRUSTED_ORIGINS": "可信来源，逗号分隔，如 https://liuyou.bank.local",
    "LIUYOU_TRUSTED_PROXIES": "可信反向代理 IP 或网段，逗号分隔；仅来自这些地址的 X-Forwarded-For 被采信",
    "LIUYOU_REQUIRE_TOTP": "管理员与审计员是否必须使用动态口令，默认生产模式开启",
    "LIUYOU_SESSION_IDLE_MINUTES": "会话空闲超时分钟数，默认 30",
    "LIUYOU_PASSWORD_MAX_AGE_DAYS": "密码有效期天数，默认 90",
    "LIUYOU_LOCKOUT_ATTEMPTS": "连续登录失败锁定次数，默认 5",
    "LIUYOU_LOCKOUT_MINUTES": "锁定分钟数，默认 15",
    "LIUYOU_AUDIT_RETENTION_DAYS": "日志最短保存天数，默认 180，不得小于 180",
    "LIUYOU_LOG_LEVEL": "日志级别，默认 INFO",
    "LIUYOU_TEST_DATABASE_URL": "测试用数据库地址（仅测试）",
    "LIUYOU_REQUIRE_BROWSER": "测试时浏览器缺失即失败（仅 CI）",
    "LIUYOU_WEB_WORKERS": "liuyou serve 的进程数，默认 2",
    "LIUYOU_WEB_THREADS": "liuyou serve 每进程线程数，默认 4",
    "LIUYOU_IMPORT_MAX_UPLOAD_MB": "导入页面上传文件大小上限（MB），默认 512",
    "LIUYOU_IMPORT_STALE_MINUTES": "导入进度超过多少分钟无更新即视为中断，默认 30",
}

DEV_PLACEHOLDERS = {"", "changeme", "secret", "django-insecure", "default"}


class ConfigError(Exception):
    """A LIUYOU_* variable is missing or invalid; the message names it."""


def _bool(name: str, raw: str | None, default: bool) -> bool:
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on", "是"}:
        return True
    if value in {"0", "false", "no", "off", "否"}:
        return False
    raise ConfigError(f"{name} 取值无效：{raw!r}（应为 true 或 false）")


def _int(name: str, raw: str | None, default: int, minimum: int = 1) -> int:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} 必须是整数，当前为 {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} 不得小于 {minimum}，当前为 {value}")
    return value


def _list(raw: str | None) -> list[str]:
    return [item.strip() for item in (raw or "").split(",") if item.strip()]


def _hex_key(name: str, value: str) -> bytes:
    try:
        key = bytes.fromhex(value.strip())
    except ValueError as exc:
        raise ConfigError(f"{name} 必须是 32 位十六进制字符串") from exc
    if len(key) != 16:
        raise ConfigError(f"{name} 必须是 32 位十六进制字符串（128 位 SM4 密钥），当前 {len(key) * 2} 位")
    return key


def _read_or_create(path: Path, make: str) -> str:
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(make)
    return make


@dataclass(frozen=True)
class Config:
    production: bool
    debug: bool
    var_dir: Path
    database_url: str
    secret_key: str
    data_key: bytes
    previous_data_keys: tuple[bytes, ...]
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    require_totp: bool
    session_idle_minutes: int
    password_max_age_days: int
    lockout_attempts: int
    lockout_minutes: int
    audit_retention_days: int
    log_level: str
    web_workers: int
    web_threads: int
    import_max_upload_mb: int = 512
    import_stale_minutes: int = 30
    warnings: list[str] = field(default_factory=list)


def load(env: dict[str, str] | None = None, cwd: Path | None = None) -> Config:
    """Read and validate the configuration; raise ConfigError naming the bad variable."""
    if env is None:
        from dotenv import dotenv_values

        env = {**{k: v for k, v in dotenv_values(".env").items() if v is not None}, **os.environ}
    cwd = cwd or Path.cwd()
    warnings: list[str] = []
    unknown = sorted(k for k in env if k.startswith("LIUYOU_") and k not in KNOWN)
    if unknown:
        raise ConfigError("未知的配置项：" + ", ".join(unknown) + "（见 docs/operations.md 的配置清单）")

    mode = env.get("LIUYOU_ENV", "development").strip().lower() or "development"
    if mode not in {"development", "production"}:
        raise ConfigError(f"LIUYOU_ENV 取值无效：{mode!r}（应为 development 或 production）")
    production = mode == "production"
    debug = _bool("LIUYOU_DEBUG", env.get("LIUYOU_DEBUG"), False)
    var_dir = Path(env.get("LIUYOU_VAR_DIR") or cwd / "var")
    if not var_dir.is_absolute():
        var_dir = cwd / var_dir

    database_url = (env.get("LIUYOU_DATABASE_URL") or "").strip() or f"sqlite:///{var_dir / 'liuyou.db'}"
    if not database_url.startswith(("sqlite://", "postgres://", "postgresql://")):
        raise ConfigError("LIUYOU_DATABASE_URL 只支持 sqlite:/// 或 postgresql:// 地址")

    secret_key = (env.get("LIUYOU_SECRET_KEY") or "").strip()
    raw_data_key = (env.get("LIUYOU_DATA_KEY") or "").strip()
    if production:
        if debug:
            raise ConfigError("生产模式下不得开启 LIUYOU_DEBUG")
        if (
            secret_key.lower() in DEV_PLACEHOLDERS
            or secret_key.startswith("django-insecure")
            or len(secret_key) < 50
        ):
            raise ConfigError("生产模式必须设置至少 50 个字符的 LIUYOU_SECRET_KEY，且不得使用默认值")
        if not raw_data_key:
            raise ConfigError("生产模式必须设置 LIUYOU_DATA_KEY（个人信息加密主密钥）")
        if not env.get("LIUYOU_ALLOWED_HOSTS"):
            raise ConfigError("生产模式必须设置 LIUYOU_ALLOWED_HOSTS")
    else:
        if not secret_key:
            secret_key = _read_or_create(var_dir / "secret_key", secrets.token_urlsafe(64))
        if not raw_data_key:
            raw_data_key = _read_or_create(var_dir / "data_key", secrets.token_hex(16))
            warnings.append("开发模式：数据密钥保存在 var/data_key，生产环境请改用 LIUYOU_DATA_KEY")
    data_key = _hex_key("LIUYOU_DATA_KEY", raw_data_key)
    previous = tuple(
        _hex_key("LIUYOU_DATA_KEY_PREVIOUS", k) for k in _list(env.get("LIUYOU_DATA_KEY_PREVIOUS"))
    )

    proxies = []
    for item in _list(env.get("LIUYOU_TRUSTED_PROXIES")):
        try:
            proxies.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ConfigError(f"LIUYOU_TRUSTED_PROXIES 中的地址无效：{item!r}") from exc

    retention = _int("LIUYOU_AUDIT_RETENTION_DAYS", env.get("LIUYOU_AUDIT_RETENTION_DAYS"), 180, minimum=180)
    log_level = (env.get("LIUYOU_LOG_LEVEL") or "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"LIUYOU_LOG_LEVEL 取值无效：{log_level!r}")

    return Config(
        production=production,
        debug=debug,
        var_dir=var_dir,
        database_url=database_url,
        secret_key=secret_key,
        data_key=data_key,
        previous_data_keys=previous,
        allowed_hosts=_list(env.get("LIUYOU_ALLOWED_HOSTS")) or ["127.0.0.1", "localhost", "testserver"],
        csrf_trusted_origins=_list(env.get("LIUYOU_CSRF_TRUSTED_ORIGINS")),
        trusted_proxies=tuple(proxies),
        require_totp=_bool("LIUYOU_REQUIRE_TOTP", env.get("LIUYOU_REQUIRE_TOTP"), production),
        session_idle_minutes=_int("LIUYOU_SESSION_IDLE_MINUTES", env.get("LIUYOU_SESSION_IDLE_MINUTES"), 30),
        password_max_age_days=_int(
            "LIUYOU_PASSWORD_MAX_AGE_DAYS", env.get("LIUYOU_PASSWORD_MAX_AGE_DAYS"), 90
        ),
        lockout_attempts=_int("LIUYOU_LOCKOUT_ATTEMPTS", env.get("LIUYOU_LOCKOUT_ATTEMPTS"), 5),
        lockout_minutes=_int("LIUYOU_LOCKOUT_MINUTES", env.get("LIUYOU_LOCKOUT_MINUTES"), 15),
        audit_retention_days=retention,
        log_level=log_level,
        web_workers=_int("LIUYOU_WEB_WORKERS", env.get("LIUYOU_WEB_WORKERS"), 2),
        web_threads=_int("LIUYOU_WEB_THREADS", env.get("LIUYOU_WEB_THREADS"), 4),
        import_max_upload_mb=_int("LIUYOU_IMPORT_MAX_UPLOAD_MB", env.get("LIUYOU_IMPORT_MAX_UPLOAD_MB"), 512),
        import_stale_minutes=_int("LIUYOU_IMPORT_STALE_MINUTES", env.get("LIUYOU_IMPORT_STALE_MINUTES"), 30),
        warnings=warnings,
    )
