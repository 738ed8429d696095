"""X-Twilio-Signature, checked against twilio-python's RequestValidator as a peer."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from survey.sms.signature import (
    compute_signature,
    url_variants,
    verify_signature,
    webhook_url,
)

TOKEN = "0123456789abcdef0123456789abcdef"
URL = "https://survey.example.org/sms/inbound"

INBOUND = {
    "ToCountry": "US",
    "ToState": "WA",
    "SmsMessageSid": "SM0123456789abcdef0123456789abcdef",
    "NumMedia": "0",
    "ToCity": "SEATTLE",
    "FromZip": "98101",
    "SmsSid": "SM0123456789abcdef0123456789abcdef",
    "FromState": "WA",
    "SmsStatus": "received",
    "FromCity": "SEATTLE",
    "Body": "Tôi không biết & <3",
    "FromCountry": "US",
    "To": "+12065550100",
    "ToZip": "98101",
    "NumSegments": "1",
    "MessageSid": "SM0123456789abcdef0123456789abcdef",
    "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "From": "+12065550199",
    "ApiVersion": "2010-04-01",
}


def peer_sign(url: str, params: dict[str, str]) -> str:
    return str(RequestValidator(TOKEN).compute_signature(url, params))


def test_twilio_documented_vector() -> None:
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    assert compute_signature(url, params, "12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert verify_signature(url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "12345")


def test_peer_signed_inbound_accepted() -> None:
    signature = peer_sign(URL, INBOUND)
    assert compute_signature(URL, INBOUND, TOKEN) == signature
    assert verify_signature(URL, INBOUND, signature, TOKEN)
    # Our signature satisfies the peer too.
    assert RequestValidator(TOKEN).validate(URL, INBOUND, compute_signature(URL, INBOUND, TOKEN))


@pytest.mark.parametrize("field", sorted(INBOUND))
def test_tampering_any_field_is_rejected(field: str) -> None:
    signature = peer_sign(URL, INBOUND)
    changed = dict(INBOUND, **{field: INBOUND[field] + "x"})
    assert not verify_signature(URL, changed, signature, TOKEN)
    removed = {k: v for k, v in INBOUND.items() if k != field}
    assert not verify_signature(URL, removed, signature, TOKEN)


def test_added_field_is_rejected() -> None:
    signature = peer_sign(URL, INBOUND)
    assert not verify_signature(URL, {**INBOUND, "Extra": ""}, signature, TOKEN)


@pytest.mark.parametrize(
    "other_url",
    [
        "http://survey.example.org/sms/inbound",  # TLS ended at a proxy
        "https://survey.example.org/sms/inbound/",  # trailing slash
        "https://survey.example.org/sms/Inbound",
        "https://other.example.org/sms/inbound",
        "https://survey.example.org/sms/inbound?x=1",
        "https://survey.example.org:8443/sms/inbound",
    ],
)
def test_tampering_url_is_rejected(other_url: str) -> None:
    assert not verify_signature(other_url, INBOUND, peer_sign(URL, INBOUND), TOKEN)


def test_wrong_token_missing_or_empty_signature_rejected() -> None:
    signature = peer_sign(URL, INBOUND)
    assert not verify_signature(URL, INBOUND, signature, TOKEN + "x")
    assert not verify_signature(URL, INBOUND, None, TOKEN)
    assert not verify_signature(URL, INBOUND, "", TOKEN)
    assert not verify_signature(URL, INBOUND, signature, "")
    assert not verify_signature(URL, INBOUND, signature[:-2], TOKEN)
    assert not verify_signature(URL, INBOUND, signature, TOKEN, algorithm="MD5")


def test_default_port_variants_like_the_peer() -> None:
    signed_with_port = peer_sign("https://survey.example.org:443/sms/inbound", INBOUND)
    assert verify_signature(URL, INBOUND, signed_with_port, TOKEN)
    signed_without = peer_sign(URL, INBOUND)
    assert verify_signature("https://survey.example.org:443/sms/inbound", INBOUND,
                            signed_without, TOKEN)
    assert url_variants("http://127.0.0.1:8000/sms") == ("http://127.0.0.1:8000/sms",)
    assert url_variants("http://a.org/x?q=1") == ("http://a.org/x?q=1", "http://a.org:80/x?q=1")


def test_query_string_is_signed_exactly() -> None:
    url = "https://survey.example.org/sms/inbound?wave=7&lang=es"
    signature = peer_sign(url, INBOUND)
    assert verify_signature(url, INBOUND, signature, TOKEN)
    assert not verify_signature(
        "https://survey.example.org/sms/inbound?lang=es&wave=7", INBOUND, signature, TOKEN
    )


def test_repeated_keys_as_pairs_match_peer_multidict() -> None:
    class MultiDict(dict[str, list[str]]):
        def getall(self, name: str) -> list[str]:
            return self[name]

    pairs = [("A", "2"), ("B", "x"), ("A", "1")]
    peer = RequestValidator(TOKEN).compute_signature(URL, MultiDict(A=["2", "1"], B=["x"]))
    assert compute_signature(URL, pairs, TOKEN) == peer
    assert compute_signature(URL, {"A": ["1", "2"], "B": "x"}, TOKEN) == peer


def test_sha256_shared_key_variant() -> None:
    peer = RequestValidator(TOKEN).compute_signature(URL, INBOUND, "HMAC_SHA256")
    assert verify_signature(URL, INBOUND, peer, TOKEN, algorithm="HMAC_SHA256")
    assert not verify_signature(URL, INBOUND, peer, TOKEN)


@pytest.mark.parametrize(
    ("base", "path", "query", "expected"),
    [
        ("https://x.org", "/sms/inbound", "", "https://x.org/sms/inbound"),
        ("https://x.org/", "/sms/inbound", "", "https://x.org/sms/inbound"),
        ("https://x.org/survey", "/sms/inbound", "a=1&b=%20", "https://x.org/survey/sms/inbound?a=1&b=%20"),
        ("http://127.0.0.1:8000", "sms", "", "http://127.0.0.1:8000/sms"),
    ],
)
def test_webhook_url(base: str, path: str, query: str, expected: str) -> None:
    assert webhook_url(base, path, query) == expected


form_text = st.text(
    st.characters(blacklist_categories=("Cs",)), max_size=40
)


@given(
    st.dictionaries(form_text.filter(bool), form_text, max_size=12),
    st.sampled_from([URL, "https://x.org/a?b=c", "http://127.0.0.1:5000/sms/status"]),
)
def test_agrees_with_peer_on_arbitrary_forms(params: dict[str, str], url: str) -> None:
    peer = peer_sign(url, params)
    assert compute_signature(url, params, TOKEN) == peer
    assert verify_signature(url, params, peer, TOKEN)
    if params:
        key = sorted(params)[0]
        assert not verify_signature(url, {**params, key: params[key] + "!"}, peer, TOKEN)
