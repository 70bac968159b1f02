"""Personal data at rest: SM4-GCM encryption, an HMAC-SM3 exact-match index, masking.

A protected value lives in three columns: `<name>_cipher` (SM4-GCM, tagged with the id of the
key that wrote it), `<name>_digest` (HMAC-SM3, for exact search) and `<name>_masked` (what
pages, exports and the API show). Only `reveal` decrypts, and callers log each reveal.
Keys come from configuration (LIUYOU_DATA_KEY, LIUYOU_DATA_KEY_PREVIOUS), never the database.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.db import models


class PIIError(Exception):
    pass


def _hmac_sm3(key: bytes, data: bytes) -> bytes:
    h = hmac.HMAC(key, hashes.SM3())
    h.update(data)
    return h.finalize()


@dataclass(frozen=True)
class DataKey:
    key_id: str
    enc_key: bytes
    index_key: bytes

    @classmethod
    def from_master(cls, master: bytes) -> DataKey:
        digest = hashes.Hash(hashes.SM3())
        digest.update(master)
        return cls(
            key_id=digest.finalize().hex()[:8],
            enc_key=_hmac_sm3(master, b"liuyou/sm4")[:16],
            index_key=_hmac_sm3(master, b"liuyou/index"),
        )


@lru_cache(maxsize=8)
def _keyring(current: bytes, previous: tuple[bytes, ...]) -> tuple[DataKey, dict[str, DataKey]]:
    cur = DataKey.from_master(current)
    ring = {cur.key_id: cur}
    for master in previous:
        k = DataKey.from_master(master)
        ring.setdefault(k.key_id, k)
    return cur, ring


def keyring() -> tuple[DataKey, dict[str, DataKey]]:
    return _keyring(settings.LIUYOU_DATA_KEY, tuple(settings.LIUYOU_PREVIOUS_DATA_KEYS))


def encrypt(plain: str, key: DataKey | None = None) -> str:
    key = key or keyring()[0]
    nonce = os.urandom(12)
    enc = Cipher(algorithms.SM4(key.enc_key), modes.GCM(nonce)).encryptor()
    body = enc.update(plain.encode("utf-8")) + enc.finalize()
    return f"{key.key_id}:" + base64.b64encode(nonce + body + enc.tag).decode("ascii")


def decrypt(token: str) -> str:
    key_id, _, b64 = token.partition(":")
    key = keyring()[1].get(key_id)
    if key is None:
        raise PIIError(f"密文使用的密钥 {key_id} 不在当前配置中（LIUYOU_DATA_KEY / LIUYOU_DATA_KEY_PREVIOUS）")
    raw = base64.b64decode(b64)
    nonce, body, tag = raw[:12], raw[12:-16], raw[-16:]
    dec = Cipher(algorithms.SM4(key.enc_key), modes.GCM(nonce, tag)).decryptor()
    try:
        return (dec.update(body) + dec.finalize()).decode("utf-8")
    except InvalidTag as exc:
        raise PIIError("密文校验失败，数据可能被篡改") from exc


def digest(plain: str, key: DataKey | None = None) -> str:
    """Exact-match index value; the same input always gives the same digest under one key."""
    key = key or keyring()[0]
    return _hmac_sm3(key.index_key, normalize(plain).encode("utf-8")).hex()


def normalize(value: str) -> str:
    return value.strip().upper()


def mask(value: str, kind: str) -> str:
    v = value.strip()
    if not v:
        return ""
    if kind == "phone":
        return v[:3] + "*" * max(len(v) - 7, 1) + v[-4:] if len(v) >= 8 else "*" * len(v)
    if kind == "id":
        return v[:4] + "*" * max(len(v) - 8, 1) + v[-4:] if len(v) >= 10 else v[:1] + "*" * (len(v) - 1)
    return "*" * len(v)


def protect(value: str | None, kind: str) -> tuple[str, str, str]:
    """(cipher, digest, masked) for one value; empty input gives three empty strings."""
    if value is None or not value.strip():
        return "", "", ""
    v = normalize(value)
    return encrypt(v), digest(v), mask(v, kind)


# --- fields and registry ------------------------------------------------------------------

_REGISTRY: dict[type[models.Model], dict[str, str]] = {}


def register(model: type[models.Model], **fields: str) -> None:
    """Declare `model`'s protected values, e.g. register(Customer, id_no="id", phone="phone")."""
    _REGISTRY[model] = fields


def registered() -> dict[type[models.Model], dict[str, str]]:
    return dict(_REGISTRY)


def reveal(obj: models.Model, name: str) -> str:
    token = getattr(obj, f"{name}_cipher")
    return decrypt(token) if token else ""


def digests_for_lookup(value: str) -> list[str]:
    """Digests of `value` under every configured key, so search works mid-rotation."""
    v = normalize(value)
    return [_hmac_sm3(k.index_key, v.encode("utf-8")).hex() for k in keyring()[1].values()]


def sm3_hex(data: bytes) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()
