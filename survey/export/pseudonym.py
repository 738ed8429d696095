"""The response id an export gives a caller who may not see identifying data.

A database id is a sequence: in a file that withholds a small site, the missing ids
are that site's responses, so the gaps give back the count the file withholds (and,
ids following time, when those residents answered). Evaluators get instead
``r-`` and 16 hex digits of HMAC-SHA256 over ``program_id:response_id``, keyed with a
key derived from ``SURVEY_SECRET_KEY``: the same response has the same pseudonym in
the CSV, .sav and .dta files and in every later export, so files can be joined, yet
nobody without the key can tell an id from it, count what is missing, or order
responses by it. 64 bits leave no collision to expect in a program's lifetime.
Changing ``SURVEY_SECRET_KEY`` changes every pseudonym.

PostgreSQL makes the pseudonyms as it makes the CSV lines (``Q.export_csv_lines``),
with only its built-in ``sha256``: the HMAC's padded inner and outer keys are made
here and passed in, so SQL computes ``sha256(outer || sha256(inner || message))``.
``response_pseudonym`` is the same function in Python, for tests and tools.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "r-"
DIGITS = 16
WIDTH = len(PREFIX) + DIGITS
_BLOCK = 64  # SHA-256's block size, which HMAC pads its key to
_PURPOSE = b"survey export response pseudonym v1"


def export_key(secret: str) -> bytes:
    """A key for this purpose only, so it says nothing of the sessions' key."""
    return hmac.new(secret.encode("utf-8"), _PURPOSE, hashlib.sha256).digest()


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """(outer, inner) padded keys of HMAC-SHA256, for the SQL that computes it."""
    padded = key.ljust(_BLOCK, b"\0")
    return bytes(b ^ 0x5C for b in padded), bytes(b ^ 0x36 for b in padded)


def response_pseudonym(key: bytes, program_id: int, response_id: int) -> str:
    digest = hmac.new(key, f"{program_id}:{response_id}".encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:DIGITS]
