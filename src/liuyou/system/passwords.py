"""Password policy (等保三级): the validators named in AUTH_PASSWORD_VALIDATORS, and the two
services that set a password: a user's own change and an administrator's reset.

The rules: at least 8 characters (Django's MinimumLengthValidator), 3 of the 4 character
classes, not containing the user's 工号, not one of the last LIUYOU_PASSWORD_HISTORY passwords,
and expiry after LIUYOU_PASSWORD_MAX_AGE_DAYS (enforced by SessionGuardMiddleware).
"""

from __future__ import annotations

import secrets
import string
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from liuyou.core import audit

# Character classes are ASCII; anything else that is not whitespace counts as a symbol, so a
# password with Chinese characters is not rejected for lacking a "symbol".
CLASSES = (
    ("大写字母", frozenset(string.ascii_uppercase)),
    ("小写字母", frozenset(string.ascii_lowercase)),
    ("数字", frozenset(string.digits)),
)
REQUIRED_CLASSES = 3
MAX_LENGTH = 128  # longer input is refused by the forms before any hashing


def character_classes(password: str) -> int:
    found = {name for name, chars in CLASSES for ch in password if ch in chars}
    has_symbol = any(not ch.isspace() and not any(ch in chars for _, chars in CLASSES) for ch in password)
    return len(found) + (1 if has_symbol else 0)


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's rule with a Chinese message (Django's zh-hans catalogue leaves it in English)."""

    def get_error_message(self) -> str:
        return f"密码长度不足，至少需要 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"至少 {self.min_length} 个字符。"


class CharacterClassValidator:
    """3 of 4 classes: upper case, lower case, digits, symbols."""

    def __init__(self, required: int = REQUIRED_CLASSES) -> None:
        self.required = required

    def validate(self, password: str, user: Any = None) -> None:
        if character_classes(password) < self.required:
            raise ValidationError(
                "密码须包含大写字母、小写字母、数字、特殊符号中的至少 %(n)d 类。",
                code="password_character_classes",
                params={"n": self.required},
            )

    def get_help_text(self) -> str:
        return f"须包含大写字母、小写字母、数字、特殊符号中的至少 {self.required} 类。"


class NoStaffNumberValidator:
    """The password must not contain the user's 工号 (case-insensitive)."""

    def validate(self, password: str, user: Any = None) -> None:
        staff_no = (getattr(user, "staff_no", "") or "").strip()
        if staff_no and staff_no.lower() in password.lower():
            raise ValidationError("密码不得包含本人工号。", code="password_contains_staff_no")

    def get_help_text(self) -> str:
        return "不得包含本人工号。"


class HistoryValidator:
    """Not the current password, nor any of the last N (settings.LIUYOU_PASSWORD_HISTORY)."""

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or getattr(user, "pk", None) is None:
            return
        from liuyou.system.models import PasswordHistory

        n = history_size()
        hashes = list(PasswordHistory.objects.filter(user=user).values_list("password", flat=True)[:n])
        if user.password:
            hashes.append(user.password)
        # check_password with no setter: validating must never rewrite a stored hash
        if any(check_password(password, h) for h in hashes if h):
            raise ValidationError(
                "新密码不得与最近 %(n)d 次使用过的密码相同。", code="password_reused", params={"n": n}
            )

    def get_help_text(self) -> str:
        return f"不得与最近 {history_size()} 次使用过的密码相同。"


def history_size() -> int:
    return int(getattr(settings, "LIUYOU_PASSWORD_HISTORY", 5))


def max_age() -> timedelta:
    return timedelta(days=int(getattr(settings, "LIUYOU_PASSWORD_MAX_AGE_DAYS", 90)))


def is_expired(user: Any, now: Any = None) -> bool:
    """True when the password is older than the maximum age (or its age is unknown)."""
    changed = getattr(user, "password_changed_at", None)
    if changed is None:
        return True
    return (now or timezone.now()) - changed > max_age()


def change_reason(user: Any) -> str:
    """Why the user must change the password now, in Chinese; '' when they need not."""
    if getattr(user, "must_change_password", False):
        return "首次登录或密码已被管理员重置，请先修改密码。"
    if is_expired(user):
        return f"密码已超过 {max_age().days} 天未修改，请修改密码后继续使用。"
    return ""


def _store(user: Any, new_password: str, *, must_change: bool) -> None:
    from liuyou.system.models import PasswordHistory

    user.set_password(new_password)
    user.password_changed_at = timezone.now()
    user.must_change_password = must_change
    user.save(update_fields=["password", "password_changed_at", "must_change_password", "updated_at"])
    PasswordHistory.objects.create(user=user, password=user.password)
    # Keep only what the history rule needs: old hashes are still secrets worth not hoarding.
    keep = list(PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[: history_size()])
    PasswordHistory.objects.filter(user=user).exclude(pk__in=keep).delete()


def change_password(*, user: Any, new_password: str, actor: Any) -> None:
    """Validate and set `new_password`. Raises ValidationError (Chinese messages).

    The user changing their own password clears must_change_password; anyone else setting
    it leaves the user obliged to change it at next login."""
    if len(new_password) > MAX_LENGTH:
        raise ValidationError(f"密码不得超过 {MAX_LENGTH} 个字符。", code="password_too_long")
    validate_password(new_password, user)
    own = actor is not None and getattr(actor, "pk", None) == user.pk
    _store(user, new_password, must_change=not own)
    audit.record(
        action="user.password_change",
        user=actor,
        obj=user,
        after={"must_change_password": user.must_change_password},
        message="本人修改密码" if own else "管理员设置密码",
    )


_ALPHABETS = (
    "ABCDEFGHJKLMNPQRSTUVWXYZ",  # no I/O: temporary passwords are read out over the phone
    "abcdefghijkmnopqrstuvwxyz",
    "23456789",
    "#%+-=@^_",
)


def generate_temporary_password(user: Any = None, length: int = 12) -> str:
    """A random password that satisfies every rule for `user`."""
    for _ in range(100):
        chars = [secrets.choice(alphabet) for alphabet in _ALPHABETS]
        pool = "".join(_ALPHABETS)
        chars += [secrets.choice(pool) for _ in range(length - len(chars))]
        secrets.SystemRandom().shuffle(chars)
        candidate = "".join(chars)
        try:
            validate_password(candidate, user)
        except ValidationError:
            continue
        return candidate
    raise RuntimeError("无法生成符合规则的临时密码")  # pragma: no cover - practically unreachable


def reset_password(*, user: Any, actor: Any) -> str:
    """Set a random temporary password the user must change at next login; end the user's
    sessions. Returns the temporary password (shown once to the administrator, never logged)."""
    from liuyou.system import sessions

    temporary = generate_temporary_password(user)
    _store(user, temporary, must_change=True)
    sessions.end_all_sessions(user=user, reason=sessions.EndReason.PASSWORD_RESET, actor=actor)
    audit.record(
        action="user.password_reset",
        user=actor,
        obj=user,
        after={"must_change_password": True},
        message="管理员重置密码，用户下次登录须修改",
    )
    return temporary
