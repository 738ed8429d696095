"""CSRF tokens for the survey forms: a random nonce plus an HMAC binding it to a secret
the attacker cannot read, and to the form's purpose.

Personal links bind to the link token itself (anyone who knows it can already answer,
so a forged post gains nothing). Open links are public, so they bind to the client's
resume cookie, which a cross-site page can neither read nor (with SameSite=Lax) send
along with a POST. Tokens do not expire: WCAG asks for no time limits, and a resident
may leave a page open for hours.

Timed tokens (``issue_timed``) are for links rather than forms: one that must count only
for a moment (an open link's "continue where you left off") carries its issue time, so a
copy in the browser's history stops working.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

FIELD = "csrf"


def _mac(secret: str, binding: str, purpose: str, nonce: str) -> str:
    message = "\x00".join(("survey-csrf", purpose, binding, nonce)).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def issue(secret: str, binding: str, purpose: str) -> str:
    """A fresh token for one form; each rendering gets its own nonce."""
    nonce = secrets.token_urlsafe(12)
    return f"{nonce}.{_mac(secret, binding, purpose, nonce)}"


def valid(secret: str, binding: str, purpose: str, token: str | None) -> bool:
    if not token or not binding or len(token) > 100:
        return False
    nonce, _, mac = token.partition(".")
    # compare_digest raises TypeError on non-ASCII text: a forged token is a 403, not a 500.
    if not nonce or not mac or not mac.isascii():
        return False
    return hmac.compare_digest(mac, _mac(secret, binding, purpose, nonce))


def _timed(purpose: str) -> str:
    # Kept apart from form purposes: a form token is never a timed one, nor the reverse.
    return f"timed:{purpose}"


def issue_timed(secret: str, binding: str, purpose: str, now: float | None = None) -> str:
    """A token that is valid for ``max_age`` seconds after ``now`` (see ``valid_timed``)."""
    stamp = str(int(time.time() if now is None else now))
    return f"{stamp}.{_mac(secret, binding, _timed(purpose), stamp)}"


def valid_timed(
    secret: str, binding: str, purpose: str, token: str | None, max_age: float
) -> bool:
    if not valid(secret, binding, _timed(purpose), token):
        return False
    assert token is not None
    stamp = token.partition(".")[0]
    if not (stamp.isascii() and stamp.isdigit()):
        return False
    age = time.time() - int(stamp)
    return -60 <= age <= max_age  # a minute's grace for a clock stepped back
