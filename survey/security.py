"""Secrets at rest: token and API-key hashing, password hashing.

Tokens and API keys have at least 128 random bits, so a fast SHA-256 is a safe
lookup hash for them; human passwords get argon2.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Crockford-style alphabet without look-alikes (0/O, 1/I/L) for codes printed on paper.
_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def new_token(nbytes: int = 16) -> str:
    """A URL-safe random token; 16 bytes is 128 bits."""
    return secrets.token_urlsafe(nbytes)


def new_code(length: int = 8) -> str:
    """A short code for open links: about 5 bits per character, easy to type."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(length))


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        # Spend comparable time so a missing account is not distinguishable by timing.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


API_KEY_PREFIX = "sk"


def new_api_key() -> tuple[str, str]:
    """Return (full key, display prefix). The full key is shown once, then only hashed."""
    prefix = secrets.token_hex(4)
    return f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(24)}", prefix


def sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_signature(secret: str, message: str, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, message), signature)
