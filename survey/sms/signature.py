"""``X-Twilio-Signature``: computing and verifying webhook signatures.

Twilio signs each webhook with HMAC-SHA1, keyed by the account auth token, over
the full URL it requested followed by every POST parameter as ``name + value``,
sorted by name (values of a repeated name sorted too), with no separators; the
digest is base64-encoded. The URL must be the *public* one Twilio called, so the
caller builds it from the configured public base URL, never from the Host header
or scheme the app sees behind a TLS-terminating proxy (``webhook_url``).

Behaviour matches twilio-python's ``RequestValidator`` (the tests use it as an
independent peer): a URL is also tried with its default port added or removed,
because Twilio's own signing is inconsistent about ports, and duplicate
identical values of a repeated parameter count once. The SharedKey
HMAC-SHA256 variant (``X-Twilio-Webhooks-Signature-Settings``) is supported by
passing ``algorithm``. JSON-body webhooks (``bodySHA256``) are not used for SMS
and are not handled.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "SIGNATURE_HEADER",
    "Params",
    "compute_signature",
    "url_variants",
    "verify_signature",
    "webhook_url",
]

SIGNATURE_HEADER = "X-Twilio-Signature"

# A form as a mapping (one or several values per name) or as (name, value) pairs,
# which is what a multidict's ``multi_items()`` gives.
Params = Mapping[str, str] | Mapping[str, Sequence[str]] | Iterable[tuple[str, str]]

_HASHES = {"HMAC_SHA1": hashlib.sha1, "HMAC_SHA256": hashlib.sha256}


def _grouped(params: Params | None) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = {}
    if params is None:
        return grouped
    pairs: Iterable[tuple[str, object]]
    if isinstance(params, Mapping):
        multi_items = getattr(params, "multi_items", None)
        pairs = multi_items() if callable(multi_items) else params.items()
    else:
        pairs = params
    for name, value in pairs:
        values = grouped.setdefault(name, set())
        if isinstance(value, str):
            values.add(value)
        elif isinstance(value, Sequence):
            values.update(str(v) for v in value)
        else:
            values.add(str(value))
    return grouped


def _payload(url: str, params: Params | None) -> bytes:
    parts = [url]
    for name, values in sorted(_grouped(params).items()):
        parts.extend(name + value for value in sorted(values))
    return "".join(parts).encode("utf-8")


def compute_signature(
    url: str, params: Params | None, auth_token: str, *, algorithm: str = "HMAC_SHA1"
) -> str:
    """The signature Twilio would send for a POST of ``params`` to ``url``."""
    digest = _HASHES[algorithm.upper()]
    mac = hmac.new(auth_token.encode("utf-8"), _payload(url, params), digest)
    return base64.b64encode(mac.digest()).decode("ascii")


def url_variants(url: str) -> tuple[str, ...]:
    """``url`` as given, then (for a default or absent port) without the port and
    with the scheme's default port, as Twilio's validator tries them.

    A non-default port is never dropped: ``http://127.0.0.1:8000/sms`` must be
    signed with its port. Host case and everything else are kept as given.
    """
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return (url,)
    default = 443 if parts.scheme == "https" else 80
    if port not in (None, default):
        return (url,)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host = hostport[: hostport.rfind(":")] if port is not None else hostport
    variants = [url]
    for netloc in (f"{userinfo}{at}{host}", f"{userinfo}{at}{host}:{default}"):
        variant = urlunsplit(parts._replace(netloc=netloc))
        if variant not in variants:
            variants.append(variant)
    return tuple(variants)


def verify_signature(
    url: str,
    params: Params | None,
    signature: str | None,
    auth_token: str,
    *,
    algorithm: str = "HMAC_SHA1",
) -> bool:
    """True if ``signature`` is valid for this URL and form; constant-time compare.

    A missing or empty signature, an empty auth token or an unknown algorithm is
    always invalid (never "valid because there was nothing to check").
    """
    if not signature or not auth_token or algorithm.upper() not in _HASHES:
        return False
    given = signature.strip().encode("utf-8")
    ok = False
    for candidate in url_variants(url):
        expected = compute_signature(candidate, params, auth_token, algorithm=algorithm)
        # Evaluate every variant so timing does not reveal which one matched.
        ok |= hmac.compare_digest(expected.encode("ascii"), given)
    return ok


def webhook_url(public_base_url: str, path: str, query: str = "", overrides: str = "") -> str:
    """The URL Twilio called: configured public base + request path + query.

    ``public_base_url`` may carry a path prefix (``https://x.org/survey``) and a
    trailing slash; ``path`` is the route path as the app sees it. The query
    string is kept exactly as received (raw, not re-encoded), since it is signed.
    """
    base = public_base_url.rstrip("/")
    if path and not path.startswith("/"):
        path = "/" + path
    # Twilio's connection overrides ride in the fragment, which it signs but never
    # sends: the server cannot see them, so they come from the settings.
    return f"{base}{path}" + (f"?{query}" if query else "") + (
        f"#{overrides}" if overrides else ""
    )
