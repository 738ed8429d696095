"""TwiML replies to an inbound SMS webhook.

``<Response><Message>text</Message></Response>`` makes Twilio send ``text`` back
to the person; several ``<Message>`` elements send several texts; an empty
``<Response/>`` sends nothing (used after an opt-out confirmation, for
duplicates, and when the reply goes out later through the queue instead).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

__all__ = ["CONTENT_TYPE", "empty_response", "escape_text", "message_response", "parse_messages"]

CONTENT_TYPE = "application/xml"

_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'

# Characters XML 1.0 cannot carry at all, even escaped: C0 controls other than
# tab/LF/CR, lone surrogates, U+FFFE/U+FFFF. A phone never needs them; dropping
# them keeps one stray byte from making the whole reply unparseable to Twilio.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def escape_text(text: str) -> str:
    """Escape for XML character data (and attribute values)."""
    text = _ILLEGAL_XML.sub("", text)
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        # A raw CR would be normalised to LF by the XML parser on Twilio's side.
        .replace("\r", "&#13;")
    )


def message_response(messages: str | Iterable[str]) -> str:
    """TwiML sending each non-empty message as its own SMS, in order."""
    if isinstance(messages, str):
        messages = [messages]
    escaped = (escape_text(m) for m in messages)
    body = "".join(f"<Message>{m}</Message>" for m in escaped if m)
    if not body:
        return empty_response()
    return f"{_DECLARATION}<Response>{body}</Response>"


def empty_response() -> str:
    """TwiML that sends nothing."""
    return f"{_DECLARATION}<Response/>"


def parse_messages(twiml: str) -> list[str]:
    """The texts of the ``<Message>`` elements of a TwiML document.

    Used by the fake provider (which, like Twilio, sends them on) and by tests.
    Accepts both ``<Message>text</Message>`` and ``<Message><Body>text</Body>``.
    """
    root = ET.fromstring(twiml)
    out: list[str] = []
    for message in root.iter("Message"):
        body = message.find("Body")
        out.append("".join((body if body is not None else message).itertext()))
    return out
