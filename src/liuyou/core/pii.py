"""Personal data at rest: SM4-GCM encryption, an HMAC-SM3 exact-match index, masking.

A protected value lives in three columns: `<name>_cipher` (SM4-GCM, tagged with the id of the
key that wrote it), `<name>_digest` (HMAC-SM3, for exact search) and `<name>_masked` (what
pages, exports and the API show). Only `reveal` decrypts, and callers log each reveal.
Keys come from configuration (LIUYOU_DATA_KEY, LIUYOU_DATA_KEY_PREVIOUS), never the database.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import unicodedata
from collections.abc import Iterable
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


def keyring(extra_previous: Iterable[bytes] = ()) -> tuple[DataKey, dict[str, DataKey]]:
    """(current key, key id -> key for every configured key). `extra_previous` adds old keys
    given on the command line (rotate-data-key --previous-key) to the configured ones."""
    previous = tuple(settings.LIUYOU_PREVIOUS_DATA_KEYS) + tuple(extra_previous)
    return _keyring(bytes(settings.LIUYOU_DATA_KEY), previous)


_KEY_ID = re.compile(r"^[0-9a-f]{8}$")


def key_id_of(token: str) -> str:
    """The id of the key that wrote `token`, or "" when it is not one of our ciphertexts."""
    key_id, sep, _ = token.partition(":")
    return key_id if sep and _KEY_ID.match(key_id) else ""


def encrypt(plain: str, key: DataKey | None = None) -> str:
    key = key or keyring()[0]
    nonce = os.urandom(12)
    enc = Cipher(algorithms.SM4(key.enc_key), modes.GCM(nonce)).encryptor()
    body = enc.update(plain.encode("utf-8")) + enc.finalize()
    return f"{key.key_id}:" + base64.b64encode(nonce + body + enc.tag).decode("ascii")


def decrypt(token: str, ring: dict[str, DataKey] | None = None) -> str:
    key_id = key_id_of(token)
    if not key_id:
        # Never echo the token: a plain value stored by mistake would end up in a log.
        raise PIIError("密文格式无效（不是本系统加密的数据）")
    key = (ring if ring is not None else keyring()[1]).get(key_id)
    if key is None:
        raise PIIError(
            f"密文使用的密钥 {key_id} 不在当前配置中（LIUYOU_DATA_KEY / LIUYOU_DATA_KEY_PREVIOUS）"
        )
    try:
        raw = base64.b64decode(token[len(key_id) + 1 :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PIIError("密文格式无效，数据可能被篡改") from exc
    if len(raw) < 12 + 16:
        raise PIIError("密文长度无效，数据可能被篡改")
    nonce, body, tag = raw[:12], raw[12:-16], raw[-16:]
    dec = Cipher(algorithms.SM4(key.enc_key), modes.GCM(nonce, tag)).decryptor()
    try:
        return (dec.update(body) + dec.finalize()).decode("utf-8")
    except (InvalidTag, UnicodeDecodeError) as exc:
        raise PIIError("密文校验失败，数据可能被篡改") from exc


def digest(plain: str, key: DataKey | None = None) -> str:
    """Exact-match index value; the same input always gives the same digest under one key."""
    key = key or keyring()[0]
    return _hmac_sm3(key.index_key, normalize(plain).encode("utf-8")).hex()


_SPACE = re.compile(r"\s+")


def normalize(value: str) -> str:
    """The canonical form stored and indexed: full-width characters folded (an IME types
    "１２３Ｘ"), all whitespace removed, letters upper-cased (the ID check character x/X)."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", value)).upper()


def _keep(v: str, head: int, tail: int) -> str:
    return v[:head] + "*" * (len(v) - head - tail) + (v[-tail:] if tail else "")


def mask(value: str, kind: str) -> str:
    """What pages, exports and the API show: an 18-digit ID keeps the first 4 and last 4
    (4105**********123X), an 11-digit mobile the first 3 and last 4 (138****5678). Shorter
    values keep less, so a short passport or landline number is never mostly visible."""
    v = value.strip()
    if not v:
        return ""
    n = len(v)
    if kind == "phone":
        if n >= 11:
            return _keep(v, 3, 4)
        return _keep(v, 0, 4) if n >= 8 else "*" * n
    if kind == "id":
        if n >= 15:
            return _keep(v, 4, 4)
        return _keep(v, 2, 2) if n >= 8 else _keep(v, 1, 0)
    return "*" * n


def protect(value: str | None, kind: str) -> tuple[str, str, str]:
    """(cipher, digest, masked) for one value; empty input gives three empty strings."""
    if value is None or not value.strip():
        return "", "", ""
    v = normalize(value)
    return encrypt(v), digest(v), mask(v, kind)


# --- fields and registry ------------------------------------------------------------------

_REGISTRY: dict[type[models.Model], dict[str, str]] = {}
_SECRETS: dict[type[models.Model], tuple[str, ...]] = {}


def register(model: type[models.Model], **fields: str) -> None:
    """Declare `model`'s protected values, e.g. register(Customer, id_no="id", phone="phone")."""
    _REGISTRY[model] = fields


def registered() -> dict[type[models.Model], dict[str, str]]:
    return dict(_REGISTRY)


def register_secret(model: type[models.Model], *fields: str) -> None:
    """Declare single-column values encrypted with `encrypt` (no index, no mask), e.g. a
    TOTP seed, so that key rotation re-encrypts them too."""
    _SECRETS[model] = tuple(dict.fromkeys((*_SECRETS.get(model, ()), *fields)))


def registered_secrets() -> dict[type[models.Model], tuple[str, ...]]:
    return dict(_SECRETS)


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
