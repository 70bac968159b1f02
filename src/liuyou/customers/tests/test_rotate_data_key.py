"""`liuyou rotate-data-key`: every protected value moves to the new key in one transaction."""

from __future__ import annotations

import importlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from liuyou.core import pii
from liuyou.customers import selectors
from liuyou.customers.models import Customer
from liuyou.system.models import OperationLog, User

OLD = bytes.fromhex("00112233445566778899aabbccddeeff")
NEW = bytes.fromhex("ffeeddccbbaa99887766554433221100")
TOTP_SEED = "JBSWY3DPEHPK3PXP"
command_module = importlib.import_module("liuyou.core.management.commands.rotate-data-key")


def key_id(master: bytes) -> str:
    return pii.DataKey.from_master(master).key_id


@pytest.fixture
def old_book(settings, bank, role_users, make_customer):
    """Six customers and one TOTP seed written under OLD; then NEW becomes the current key."""
    settings.LIUYOU_DATA_KEY = OLD
    settings.LIUYOU_PREVIOUS_DATA_KEYS = ()
    values = {}
    for i in range(6):
        no, id_no, phone = f"R{i}", f"4105211990010{i:04d}X", f"1380000{i:04d}"
        make_customer(no, name=f"轮换{i}", org=bank.o1, id_no=id_no, phone=phone if i != 3 else "")
        values[no] = (id_no, phone if i != 3 else "")
    admin = role_users["system_admin"]
    User.objects.filter(pk=admin.pk).update(totp_secret=pii.encrypt(TOTP_SEED))
    settings.LIUYOU_DATA_KEY = NEW
    return values


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate-data-key", *args, stdout=out)
    return out.getvalue()


def cipher_key_ids() -> set[str]:
    ids = set()
    for c in Customer.objects.all():
        ids |= {pii.key_id_of(t) for t in (c.id_no_cipher, c.phone_cipher) if t}
    ids |= {
        pii.key_id_of(t) for t in User.objects.exclude(totp_secret="").values_list("totp_secret", flat=True)
    }
    return ids


def search(user, text: str) -> list[str]:
    return sorted(
        selectors.customer_list(user=user, filters={"q": text}).values_list("customer_no", flat=True)
    )


@pytest.mark.django_db
def test_rotation_moves_everything_to_the_new_key(old_book, settings, role_users):
    risk = role_users["risk_officer"]
    settings.LIUYOU_PREVIOUS_DATA_KEYS = (OLD,)
    assert cipher_key_ids() == {key_id(OLD)}
    assert search(risk, old_book["R1"][0]) == ["R1"]  # mid-rotation search: digests under both keys

    output = rotate()
    assert "需重新加密 6 个" in output and "需重新加密 5 个" in output  # six IDs, five phones
    assert cipher_key_ids() == {key_id(NEW)}
    for c in Customer.objects.all():
        id_no, phone = old_book[c.customer_no]
        assert pii.decrypt(c.id_no_cipher) == id_no
        assert c.id_no_digest == pii.digest(id_no, pii.keyring()[0])
        assert c.phone_cipher == "" if not phone else pii.decrypt(c.phone_cipher) == phone
        assert c.id_no_masked == pii.mask(id_no, "id")
    assert pii.decrypt(User.objects.get(pk=role_users["system_admin"].pk).totp_secret) == TOTP_SEED

    log = OperationLog.objects.get(action="pii.rotate_key")
    assert key_id(OLD) in log.message and key_id(NEW) in log.message
    assert "重新加密 12 个值" in log.message  # 6 IDs + 5 phones + 1 TOTP seed
    assert OLD.hex() not in log.message and NEW.hex() not in log.message

    # The old key removed: everything still decrypts and search still works.
    settings.LIUYOU_PREVIOUS_DATA_KEYS = ()
    assert search(risk, old_book["R4"][1]) == ["R4"]
    assert search(risk, old_book["R2"][0].lower()) == ["R2"]
    assert pii.decrypt(Customer.objects.get(customer_no="R5").phone_cipher) == old_book["R5"][1]

    assert "需重新加密 0 个" in rotate()  # idempotent: a second run changes nothing
    assert cipher_key_ids() == {key_id(NEW)}


@pytest.mark.django_db
def test_previous_key_on_the_command_line(old_book, settings):
    assert settings.LIUYOU_PREVIOUS_DATA_KEYS == ()
    rotate("--previous-key", OLD.hex(), "--batch-size", "4")
    assert cipher_key_ids() == {key_id(NEW)}


@pytest.mark.django_db
def test_unknown_key_is_refused_and_nothing_changes(old_book):
    before = list(Customer.objects.order_by("pk").values_list("id_no_cipher", "phone_cipher", "id_no_digest"))
    with pytest.raises(CommandError, match=key_id(OLD)) as info:
        rotate()
    assert "未做任何修改" in str(info.value)
    after = list(Customer.objects.order_by("pk").values_list("id_no_cipher", "phone_cipher", "id_no_digest"))
    assert after == before
    assert not OperationLog.objects.filter(action="pii.rotate_key").exists()


@pytest.mark.django_db
def test_bad_previous_key_is_refused(old_book):
    with pytest.raises(CommandError, match="32 位十六进制"):
        rotate("--previous-key", "abc")


@pytest.mark.django_db
def test_dry_run_writes_nothing(old_book, settings):
    settings.LIUYOU_PREVIOUS_DATA_KEYS = (OLD,)
    output = rotate("--dry-run")
    assert "试运行：需重新加密 12 个值" in output
    assert cipher_key_ids() == {key_id(OLD)}
    assert not OperationLog.objects.filter(action="pii.rotate_key").exists()


@pytest.mark.django_db
def test_failure_mid_rotation_leaves_everything_under_the_old_key(old_book, settings, monkeypatch):
    settings.LIUYOU_PREVIOUS_DATA_KEYS = (OLD,)
    before = list(Customer.objects.order_by("pk").values_list("id_no_cipher", "phone_cipher", "id_no_digest"))
    real_write = command_module._write_batch
    calls = []

    def write_then_fail(model, rows, fields):
        calls.append(len(rows))
        if len(calls) > 1:
            raise RuntimeError("disk full")
        real_write(model, rows, fields)

    monkeypatch.setattr(command_module, "_write_batch", write_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        rotate("--batch-size", "2")
    assert calls == [2, 2]  # the first batch was written, the second failed
    after = list(Customer.objects.order_by("pk").values_list("id_no_cipher", "phone_cipher", "id_no_digest"))
    assert after == before
    assert cipher_key_ids() == {key_id(OLD)}
    assert not OperationLog.objects.filter(action="pii.rotate_key").exists()


@pytest.mark.django_db
def test_tampered_value_aborts_the_whole_rotation(old_book, settings):
    settings.LIUYOU_PREVIOUS_DATA_KEYS = (OLD,)
    victim = Customer.objects.get(customer_no="R4")
    token = victim.phone_cipher
    Customer.objects.filter(pk=victim.pk).update(
        phone_cipher=token[:-6] + ("AAAA==" if token[-6:] != "AAAA==" else "BBBB==")
    )
    with pytest.raises(CommandError, match="无法解密"):
        rotate("--batch-size", "2")
    assert cipher_key_ids() == {key_id(OLD)}
