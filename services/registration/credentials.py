"""Secrets: argon2id for passwords, sha256 for random tokens, and the platform's identifiers."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

CAPTCHA_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: the answer must be readable


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


class Passwords:
    """argon2id with configurable cost (R-REG-02)."""

    def __init__(self, time_cost: int, memory_cost: int, parallelism: int) -> None:
        self._ph = _hasher(time_cost, memory_cost, parallelism)

    def hash(self, password: str) -> str:
        return self._ph.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        try:
            return self._ph.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def matches(stored_hash: str | None, presented: str) -> bool:
    """Constant-time comparison of a stored sha256 with a presented secret."""
    if not stored_hash:
        return False
    return hmac.compare_digest(stored_hash, sha256_hex(presented))


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def new_appid() -> str:
    return "wx" + secrets.token_hex(8)


def new_app_secret() -> str:
    return secrets.token_hex(16)


def new_original_id() -> str:
    return "gh_" + secrets.token_hex(6)


def new_access_token() -> str:
    # Real tokens are long opaque strings (clients reserve 512 chars); 128 URL-safe characters here.
    return secrets.token_urlsafe(96)


def new_sms_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def new_captcha_answer() -> str:
    return "".join(secrets.choice(CAPTCHA_ALPHABET) for _ in range(4))


def new_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "Pw" + "".join(secrets.choice(alphabet) for _ in range(14))
