"""core.pii: SM4-GCM round trip and tamper detection, the HMAC-SM3 index, masks, keyring."""

from __future__ import annotations

import base64

import pytest

from liuyou.core import pii

OLD = bytes.fromhex("00112233445566778899aabbccddeeff")
NEW = bytes.fromhex("ffeeddccbbaa99887766554433221100")
ID_NO = "41052119900101123X"
PHONE = "13812345678"


@pytest.fixture
def old_key(settings):
    settings.LIUYOU_DATA_KEY = OLD
    settings.LIUYOU_PREVIOUS_DATA_KEYS = ()
    return pii.keyring()[0]


def test_round_trip_and_key_id(old_key):
    token = pii.encrypt(ID_NO)
    assert token.startswith(old_key.key_id + ":")
    assert ID_NO not in token
    assert pii.decrypt(token) == ID_NO
    assert pii.decrypt(pii.encrypt("张三 ☎ 0739-1234567")) == "张三 ☎ 0739-1234567"


def test_random_nonce_gives_different_ciphertexts(old_key):
    a, b = pii.encrypt(PHONE), pii.encrypt(PHONE)
    assert a != b
    assert pii.decrypt(a) == pii.decrypt(b) == PHONE


@pytest.mark.parametrize("position", [0, 5, 14, -3])
def test_tampered_ciphertext_is_detected(old_key, position):
    token = pii.encrypt(ID_NO)
    key_id, _, b64 = token.partition(":")
    raw = bytearray(base64.b64decode(b64))
    raw[position] ^= 0x01
    tampered = f"{key_id}:" + base64.b64encode(bytes(raw)).decode()
    with pytest.raises(pii.PIIError, match="篡改"):
        pii.decrypt(tampered)


def test_malformed_tokens_raise_piierror_without_echoing_the_value(old_key):
    for token in (
        "41052119900101123X",
        f"{old_key.key_id}:not-base64!!",
        f"{old_key.key_id}:AAAA",
        "zz:AAAA",
    ):
        with pytest.raises(pii.PIIError) as info:
            pii.decrypt(token)
        assert "41052119900101123X" not in str(info.value)


def test_unknown_key_is_refused(old_key, settings):
    token = pii.encrypt(ID_NO)
    settings.LIUYOU_DATA_KEY = NEW
    with pytest.raises(pii.PIIError, match=old_key.key_id):
        pii.decrypt(token)
    settings.LIUYOU_PREVIOUS_DATA_KEYS = (OLD,)
    assert pii.decrypt(token) == ID_NO


def test_digest_is_stable_normalized_and_key_dependent(old_key, settings):
    d = pii.digest(ID_NO)
    assert len(d) == 64
    assert pii.digest(ID_NO) == d
    assert pii.digest(" 41052119900101123x ") == d  # lower-case x, stray spaces
    assert pii.digest("４１０５２１１９９００１０１１２３Ｘ") == d  # full-width IME input
    assert pii.digest("41052119900101123") != d
    settings.LIUYOU_DATA_KEY = NEW
    assert pii.digest(ID_NO) != d


def test_digests_for_lookup_cover_every_configured_key(old_key, settings):
    old_digest = pii.digest(PHONE)
    settings.LIUYOU_DATA_KEY = NEW
    settings.LIUYOU_PREVIOUS_DATA_KEYS = (OLD,)
    new_digest = pii.digest(PHONE)
    assert pii.digests_for_lookup(PHONE) == [new_digest, old_digest]


@pytest.mark.parametrize(
    ("value", "kind", "masked"),
    [
        ("41052119900101123X", "id", "4105**********123X"),
        ("410521900101123", "id", "4105*******1123"),  # 15-digit legacy ID
        ("E12345678", "id", "E1*****78"),  # passport
        ("1234567", "id", "1******"),
        ("13812345678", "phone", "138****5678"),
        ("+8613812345678", "phone", "+86*******5678"),
        ("07395551234", "phone", "073****1234"),
        ("55512345", "phone", "****2345"),
        ("12345", "phone", "*****"),
        ("", "id", ""),
        ("   ", "phone", ""),
    ],
)
def test_mask_formats(value, kind, masked):
    assert pii.mask(value, kind) == masked


def test_protect_stores_normalized_value(old_key):
    cipher, digest, masked = pii.protect(" 41052119900101123x ", "id")
    assert pii.decrypt(cipher) == ID_NO
    assert digest == pii.digest(ID_NO)
    assert masked == "4105**********123X"
    assert pii.protect("", "id") == ("", "", "")
    assert pii.protect(None, "phone") == ("", "", "")


def test_key_id_of():
    assert pii.key_id_of("0a1b2c3d:AAAA") == "0a1b2c3d"
    assert pii.key_id_of("JBSWY3DPEHPK3PXP") == ""
    assert pii.key_id_of("short:AAAA") == ""


def test_extra_previous_keys_join_the_keyring(old_key, settings):
    token = pii.encrypt(PHONE)
    settings.LIUYOU_DATA_KEY = NEW
    current, ring = pii.keyring((OLD,))
    assert current.key_id != old_key.key_id
    assert set(ring) == {current.key_id, old_key.key_id}
    assert pii.decrypt(token, ring) == PHONE
