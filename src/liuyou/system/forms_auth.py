"""Forms of the sign-in pages: login, second factor, password change."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
from django.core.exceptions import ValidationError

from liuyou.system.passwords import MAX_LENGTH

STAFF_NO_MAX = 32  # User.staff_no


def _too_long(label: str, limit: int) -> dict[str, str]:
    return {
        "required": f"请输入{label}",
        "max_length": f"{label}不得超过 {limit} 个字符",
    }


class LoginForm(forms.Form):
    username = forms.CharField(
        label="工号",
        max_length=STAFF_NO_MAX,
        strip=True,
        error_messages=_too_long("工号", STAFF_NO_MAX),
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autofocus": True, "class": "form-control"}
        ),
    )
    password = forms.CharField(
        label="密码",
        max_length=MAX_LENGTH,
        strip=False,
        error_messages=_too_long("密码", MAX_LENGTH),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "class": "form-control"}),
    )

    def clean_username(self) -> str:
        value = self.cleaned_data["username"]
        if "\x00" in value:
            raise ValidationError("工号格式无效")
        return value


class TotpForm(forms.Form):
    code = forms.CharField(
        label="动态口令",
        max_length=6,
        min_length=6,
        error_messages={
            "required": "请输入 6 位动态口令",
            "max_length": "动态口令为 6 位数字",
            "min_length": "动态口令为 6 位数字",
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9]{6}",
                "autofocus": True,
                "class": "form-control",
            }
        ),
    )

    def clean_code(self) -> str:
        value = self.cleaned_data["code"].replace(" ", "")
        if not value.isdigit():
            raise ValidationError("动态口令为 6 位数字")
        return value


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label="原密码",
        max_length=MAX_LENGTH,
        strip=False,
        error_messages=_too_long("原密码", MAX_LENGTH),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "class": "form-control"}),
    )
    new_password1 = forms.CharField(
        label="新密码",
        max_length=MAX_LENGTH,
        strip=False,
        error_messages=_too_long("新密码", MAX_LENGTH),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "class": "form-control"}),
    )
    new_password2 = forms.CharField(
        label="确认新密码",
        max_length=MAX_LENGTH,
        strip=False,
        error_messages=_too_long("确认新密码", MAX_LENGTH),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "class": "form-control"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = "密码规则：" + "".join(password_validators_help_texts())

    def clean_old_password(self) -> str:
        value = self.cleaned_data["old_password"]
        # Verify without a setter: a form must not rewrite the stored hash on the side.
        from django.contrib.auth.hashers import check_password

        if not check_password(value, self.user.password):
            raise ValidationError("原密码不正确")
        return value

    def clean_new_password1(self) -> str:
        value = self.cleaned_data["new_password1"]
        validate_password(value, self.user)
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        p1, p2 = cleaned.get("new_password1"), cleaned.get("new_password2")
        if p1 and p2 and p1 != p2:
            self.add_error("new_password2", "两次输入的新密码不一致")
        return cleaned
