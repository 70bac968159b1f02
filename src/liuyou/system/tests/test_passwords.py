"""Password policy: each rule rejects and accepts at its boundary; the change and reset services."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils import timezone

from liuyou.system import passwords
from liuyou.system.models import OperationLog, PasswordHistory, User
from liuyou.system.passwords import CharacterClassValidator, HistoryValidator, NoStaffNumberValidator


def _messages(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return list(exc.value.messages)


# --- character classes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "classes"),
    [
        ("abcdefgh", 1),
        ("abcdEFGH", 2),
        ("abcd1234", 2),
        ("abcdEF12", 3),
        ("abcd12#$", 3),
        ("ABCD12#$", 3),
        ("aB1#aB1#", 4),
        ("密码abcd1234", 3),  # a Chinese character counts as a symbol
        ("abcd 1234", 2),  # a space does not
    ],
)
def test_character_classes_counts(password, classes):
    assert passwords.character_classes(password) == classes


def test_character_class_rule_rejects_two_classes_and_accepts_three():
    v = CharacterClassValidator()
    with pytest.raises(ValidationError) as exc:
        v.validate("abcdefgh12")
    assert _messages(exc) == ["密码须包含大写字母、小写字母、数字、特殊符号中的至少 3 类。"]
    assert v.validate("abcdefg12#") is None
    assert v.validate("Abcdefgh12") is None
    assert "至少 3 类" in v.get_help_text()


# --- staff number ----------------------------------------------------------------------


def test_staff_number_rule():
    user = User(staff_no="A8023")
    v = NoStaffNumberValidator()
    with pytest.raises(ValidationError) as exc:
        v.validate("Xy#a8023zz", user)  # case-insensitive
    assert _messages(exc) == ["密码不得包含本人工号。"]
    assert v.validate("Xy#A802zz3", user) is None  # the digits, but not the 工号 in one piece
    assert v.validate("Xy#A8023zz", None) is None  # no user: nothing to compare with


# --- minimum length (Django's validator, configured to 8) -------------------------------


@pytest.mark.django_db
def test_minimum_length_is_eight_with_a_chinese_message():
    with pytest.raises(ValidationError) as exc:
        validate_password("Ab1#xyz")  # 7
    assert _messages(exc) == ["密码长度不足，至少需要 8 个字符。"]
    assert validate_password("Ab1#xyzw") is None  # 8


# --- history ---------------------------------------------------------------------------

PASSWORDS = [f"Liuyou#{i}Hist" for i in range(1, 8)]


@pytest.mark.django_db
def test_history_of_five_and_the_sixth_last_is_allowed_again(make_user):
    user = make_user("5101", password=PASSWORDS[0])  # p1 (creation records it)
    for p in PASSWORDS[1:6]:  # p2 .. p6; p6 is current
        passwords.change_password(user=user, new_password=p, actor=user)
    assert PasswordHistory.objects.filter(user=user).count() == 5
    v = HistoryValidator()
    for recent in PASSWORDS[1:6]:  # the last five, current included
        with pytest.raises(ValidationError) as exc:
            v.validate(recent, user)
        assert _messages(exc) == ["新密码不得与最近 5 次使用过的密码相同。"]
    assert v.validate(PASSWORDS[0], user) is None  # the 6th-last
    passwords.change_password(user=user, new_password=PASSWORDS[0], actor=user)
    user.refresh_from_db()
    assert user.check_password(PASSWORDS[0])


@pytest.mark.django_db
def test_history_follows_the_setting(make_user, settings):
    settings.LIUYOU_PASSWORD_HISTORY = 2
    user = make_user("5102", password=PASSWORDS[0])
    passwords.change_password(user=user, new_password=PASSWORDS[1], actor=user)
    passwords.change_password(user=user, new_password=PASSWORDS[2], actor=user)
    HistoryValidator().validate(PASSWORDS[0], user)  # 3rd-last: allowed with a history of 2
    with pytest.raises(ValidationError):
        HistoryValidator().validate(PASSWORDS[1], user)


# --- services --------------------------------------------------------------------------


@pytest.mark.django_db
def test_change_password_by_the_user_clears_the_obligation_and_is_audited(make_user):
    user = make_user("5103", must_change=True)
    before = timezone.now()
    passwords.change_password(user=user, new_password="Brand#New2026", actor=user)
    user.refresh_from_db()
    assert user.check_password("Brand#New2026")
    assert user.must_change_password is False
    assert user.password_changed_at >= before
    entry = OperationLog.objects.filter(action="user.password_change").latest("seq")
    assert entry.object_id == str(user.pk)
    assert entry.staff_no == "5103"
    assert "Brand#New2026" not in str(entry.after) + str(entry.before) + entry.message


@pytest.mark.django_db
def test_change_password_rejects_each_rule_and_leaves_the_password(make_user):
    user = make_user("5104")
    old_hash = user.password
    for bad, expected in [
        ("Ab1#", "8"),
        ("abcdefgh12", "至少 3 类"),
        ("Xx#5104yyy", "工号"),
        ("Liuyou#2026ok", "最近 5 次"),  # the current password (conftest PASSWORD)
        ("Ab1#" + "x" * 200, "128"),
    ]:
        with pytest.raises(ValidationError) as exc:
            passwords.change_password(user=user, new_password=bad, actor=user)
        assert any(expected in m for m in exc.value.messages), (bad, exc.value.messages)
    user.refresh_from_db()
    assert user.password == old_hash
    assert not OperationLog.objects.filter(action="user.password_change").exists()


@pytest.mark.django_db
def test_password_set_by_someone_else_must_be_changed(make_user):
    admin = make_user("5105", "system_admin")
    user = make_user("5106")
    passwords.change_password(user=user, new_password="Admin#Set2026", actor=admin)
    user.refresh_from_db()
    assert user.must_change_password is True
    entry = OperationLog.objects.filter(action="user.password_change").latest("seq")
    assert entry.staff_no == "5105"


@pytest.mark.django_db
def test_reset_password_gives_a_compliant_temporary_password(make_user):
    admin = make_user("5107", "system_admin")
    user = make_user("5108")
    temporary = passwords.reset_password(user=user, actor=admin)
    user.refresh_from_db()
    assert user.check_password(temporary)
    assert user.must_change_password is True
    assert len(temporary) == 12
    assert passwords.character_classes(temporary) == 4
    assert "5108" not in temporary
    entry = OperationLog.objects.filter(action="user.password_reset").latest("seq")
    assert entry.staff_no == "5107"
    assert entry.object_id == str(user.pk)
    assert temporary not in str(entry.after) + entry.message
    assert passwords.reset_password(user=user, actor=admin) != temporary


def test_generated_passwords_always_pass_the_rules():
    user = User(staff_no="2345")
    for _ in range(200):
        p = passwords.generate_temporary_password(user)
        assert len(p) == 12
        assert passwords.character_classes(p) == 4
        assert "2345" not in p


@pytest.mark.django_db
def test_expiry_boundary(make_user, settings):
    settings.LIUYOU_PASSWORD_MAX_AGE_DAYS = 90
    user = make_user("5109")
    now = timezone.now()
    user.password_changed_at = now - timedelta(days=90)
    assert passwords.is_expired(user, now) is False
    user.password_changed_at = now - timedelta(days=90, seconds=1)
    assert passwords.is_expired(user, now) is True
    assert "90 天" in passwords.change_reason(user)
    user.password_changed_at = None
    assert passwords.is_expired(user, now) is True
