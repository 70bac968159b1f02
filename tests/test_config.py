"""liuyou.config.load: validation of LIUYOU_* variables, with plain dicts for the environment."""

from __future__ import annotations

import ipaddress
import stat

import pytest

from liuyou.config import KNOWN, ConfigError, load

GOOD_SECRET = "s" * 20 + "-production-secret-key-0123456789abcdef"
GOOD_DATA_KEY = "00112233445566778899aabbccddeeff"


def production(**extra: str) -> dict[str, str]:
    env = {
        "LIUYOU_ENV": "production",
        "LIUYOU_SECRET_KEY": GOOD_SECRET,
        "LIUYOU_DATA_KEY": GOOD_DATA_KEY,
        "LIUYOU_ALLOWED_HOSTS": "liuyou.bank.local",
    }
    env.update(extra)
    return env


def test_development_defaults(tmp_path):
    cfg = load({}, cwd=tmp_path)
    assert cfg.production is False
    assert cfg.debug is False
    assert cfg.var_dir == tmp_path / "var"
    assert cfg.database_url == f"sqlite:///{tmp_path / 'var' / 'liuyou.db'}"
    assert cfg.allowed_hosts == ["127.0.0.1", "localhost", "testserver"]
    assert cfg.trusted_proxies == ()
    assert cfg.require_totp is False
    assert (cfg.session_idle_minutes, cfg.password_max_age_days) == (30, 90)
    assert (cfg.lockout_attempts, cfg.lockout_minutes) == (5, 15)
    assert cfg.audit_retention_days == 180
    assert (cfg.web_workers, cfg.web_threads) == (2, 4)
    assert cfg.log_level == "INFO"


def test_dev_secret_and_data_key_generated_once_and_private(tmp_path):
    first = load({}, cwd=tmp_path)
    secret_file = tmp_path / "var" / "secret_key"
    key_file = tmp_path / "var" / "data_key"
    assert secret_file.read_text(encoding="utf-8") == first.secret_key
    assert len(first.secret_key) >= 50
    assert key_file.read_text(encoding="utf-8") == first.data_key.hex()
    assert len(first.data_key) == 16
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert any("data_key" in w for w in first.warnings)

    second = load({}, cwd=tmp_path)
    assert second.secret_key == first.secret_key
    assert second.data_key == first.data_key


def test_relative_var_dir_is_under_cwd(tmp_path):
    cfg = load({"LIUYOU_VAR_DIR": "data/liuyou"}, cwd=tmp_path)
    assert cfg.var_dir == tmp_path / "data" / "liuyou"
    assert cfg.database_url.endswith("data/liuyou/liuyou.db")


def test_explicit_secret_is_not_written(tmp_path):
    cfg = load({"LIUYOU_SECRET_KEY": "x" * 60, "LIUYOU_DATA_KEY": GOOD_DATA_KEY}, cwd=tmp_path)
    assert cfg.secret_key == "x" * 60
    assert not (tmp_path / "var" / "secret_key").exists()
    assert not (tmp_path / "var" / "data_key").exists()
    assert cfg.warnings == []


def test_production_valid(tmp_path):
    cfg = load(production(), cwd=tmp_path)
    assert cfg.production is True
    assert cfg.require_totp is True
    assert cfg.secret_key == GOOD_SECRET
    assert cfg.data_key == bytes.fromhex(GOOD_DATA_KEY)
    assert cfg.allowed_hosts == ["liuyou.bank.local"]
    assert not (tmp_path / "var").exists()  # production never writes a generated key


@pytest.mark.parametrize(
    ("env", "names"),
    [
        (production(LIUYOU_SECRET_KEY=""), "LIUYOU_SECRET_KEY"),
        (production(LIUYOU_SECRET_KEY="changeme"), "LIUYOU_SECRET_KEY"),
        (production(LIUYOU_SECRET_KEY="django-insecure-" + "a" * 60), "LIUYOU_SECRET_KEY"),
        (production(LIUYOU_SECRET_KEY="short-secret"), "LIUYOU_SECRET_KEY"),
        (production(LIUYOU_DEBUG="true"), "LIUYOU_DEBUG"),
        (production(LIUYOU_DATA_KEY=""), "LIUYOU_DATA_KEY"),
        (production(LIUYOU_ALLOWED_HOSTS=""), "LIUYOU_ALLOWED_HOSTS"),
    ],
)
def test_production_refuses_unsafe_settings(tmp_path, env, names):
    with pytest.raises(ConfigError) as exc:
        load(env, cwd=tmp_path)
    assert names in str(exc.value)
    assert "生产模式" in str(exc.value)


def test_production_can_turn_totp_off_explicitly(tmp_path):
    assert load(production(LIUYOU_REQUIRE_TOTP="false"), cwd=tmp_path).require_totp is False


@pytest.mark.parametrize("value", ["0011", "zz112233445566778899aabbccddeeff", GOOD_DATA_KEY + "00"])
def test_data_key_must_be_128_bit_hex(tmp_path, value):
    with pytest.raises(ConfigError, match="LIUYOU_DATA_KEY.*32 位十六进制"):
        load({"LIUYOU_DATA_KEY": value}, cwd=tmp_path)


def test_previous_data_keys(tmp_path):
    old1, old2 = "ff" * 16, "ee" * 16
    cfg = load(
        {"LIUYOU_DATA_KEY": GOOD_DATA_KEY, "LIUYOU_DATA_KEY_PREVIOUS": f"{old1}, {old2}"}, cwd=tmp_path
    )
    assert cfg.previous_data_keys == (bytes.fromhex(old1), bytes.fromhex(old2))
    with pytest.raises(ConfigError, match="LIUYOU_DATA_KEY_PREVIOUS"):
        load({"LIUYOU_DATA_KEY_PREVIOUS": "not-hex"}, cwd=tmp_path)


def test_trusted_proxies_parsing(tmp_path):
    cfg = load({"LIUYOU_TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16 ,::1,,2001:db8::/32"}, cwd=tmp_path)
    assert cfg.trusted_proxies == (
        ipaddress.ip_network("10.0.0.1/32"),
        ipaddress.ip_network("192.168.0.0/16"),
        ipaddress.ip_network("::1/128"),
        ipaddress.ip_network("2001:db8::/32"),
    )
    # A host address with a prefix is accepted as its network (not strict).
    loose = load({"LIUYOU_TRUSTED_PROXIES": "10.1.2.3/8"}, cwd=tmp_path)
    assert loose.trusted_proxies == (ipaddress.ip_network("10.0.0.0/8"),)


@pytest.mark.parametrize("value", ["proxy.bank.local", "10.0.0.300", "10.0.0.0/33"])
def test_trusted_proxies_invalid(tmp_path, value):
    with pytest.raises(ConfigError, match="LIUYOU_TRUSTED_PROXIES"):
        load({"LIUYOU_TRUSTED_PROXIES": value}, cwd=tmp_path)


def test_retention_minimum_180(tmp_path):
    assert load({"LIUYOU_AUDIT_RETENTION_DAYS": "400"}, cwd=tmp_path).audit_retention_days == 400
    assert load({"LIUYOU_AUDIT_RETENTION_DAYS": "180"}, cwd=tmp_path).audit_retention_days == 180
    with pytest.raises(ConfigError, match="LIUYOU_AUDIT_RETENTION_DAYS 不得小于 180"):
        load({"LIUYOU_AUDIT_RETENTION_DAYS": "179"}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="LIUYOU_AUDIT_RETENTION_DAYS 必须是整数"):
        load({"LIUYOU_AUDIT_RETENTION_DAYS": "半年"}, cwd=tmp_path)


def test_unknown_variable_is_named(tmp_path):
    with pytest.raises(ConfigError, match="未知的配置项：LIUYOU_DATABSE_URL, LIUYOU_FOO"):
        load({"LIUYOU_FOO": "1", "LIUYOU_DATABSE_URL": "sqlite:///x.db", "OTHER": "ignored"}, cwd=tmp_path)


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"LIUYOU_ENV": "staging"}, "LIUYOU_ENV"),
        ({"LIUYOU_DEBUG": "maybe"}, "LIUYOU_DEBUG"),
        ({"LIUYOU_DATABASE_URL": "mysql://root@localhost/liuyou"}, "LIUYOU_DATABASE_URL"),
        ({"LIUYOU_LOG_LEVEL": "VERBOSE"}, "LIUYOU_LOG_LEVEL"),
        ({"LIUYOU_WEB_WORKERS": "0"}, "LIUYOU_WEB_WORKERS"),
        ({"LIUYOU_SESSION_IDLE_MINUTES": "ten"}, "LIUYOU_SESSION_IDLE_MINUTES"),
    ],
)
def test_invalid_values_name_the_variable(tmp_path, env, name):
    with pytest.raises(ConfigError) as exc:
        load(env, cwd=tmp_path)
    assert name in str(exc.value)


def test_booleans_accept_chinese_and_english(tmp_path):
    assert load({"LIUYOU_DEBUG": "是"}, cwd=tmp_path).debug is True
    assert load({"LIUYOU_DEBUG": "off"}, cwd=tmp_path).debug is False
    assert load({"LIUYOU_REQUIRE_TOTP": "yes"}, cwd=tmp_path).require_totp is True


def test_postgresql_url_and_lists(tmp_path):
    cfg = load(
        {
            "LIUYOU_DATABASE_URL": "postgresql://liuyou@db.bank.local:5432/liuyou",
            "LIUYOU_ALLOWED_HOSTS": "a.bank.local, b.bank.local",
            "LIUYOU_CSRF_TRUSTED_ORIGINS": "https://a.bank.local",
            "LIUYOU_LOG_LEVEL": "warning",
        },
        cwd=tmp_path,
    )
    assert cfg.database_url == "postgresql://liuyou@db.bank.local:5432/liuyou"
    assert cfg.allowed_hosts == ["a.bank.local", "b.bank.local"]
    assert cfg.csrf_trusted_origins == ["https://a.bank.local"]
    assert cfg.log_level == "WARNING"


def test_every_known_variable_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "operations.md").read_text(encoding="utf-8")
    missing = [name for name in KNOWN if f"`{name}`" not in doc]
    assert missing == []
