"""TwiML rendering and escaping."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st
from twilio.twiml.messaging_response import MessagingResponse

from survey.sms.twiml import empty_response, message_response, parse_messages


def test_single_message_matches_twilio_library() -> None:
    ours = message_response("Q1/5: How safe do you feel? Reply 1-5")
    peer = MessagingResponse()
    peer.message("Q1/5: How safe do you feel? Reply 1-5")
    assert ours == str(peer.to_xml(xml_declaration=True))


def test_escaping() -> None:
    xml = message_response('Tom & Jerry <b>"hi"</b> > 3')
    assert "&amp;" in xml and "&lt;b&gt;" in xml
    assert parse_messages(xml) == ['Tom & Jerry <b>"hi"</b> > 3']


def test_several_messages_and_empty() -> None:
    xml = message_response(["one", "", "два", "三"])
    assert parse_messages(xml) == ["one", "два", "三"]
    assert parse_messages(empty_response()) == []
    assert message_response([]) == empty_response()
    assert ET.fromstring(empty_response()).tag == "Response"


def test_illegal_xml_characters_dropped() -> None:
    assert parse_messages(message_response("a\x00b\x1bc\ud800d")) == ["abcd"]


def test_body_child_form_parses() -> None:
    xml = "<Response><Message to='+1'><Body>hi &amp; bye</Body></Message></Response>"
    assert parse_messages(xml) == ["hi & bye"]


@given(st.lists(st.text(min_size=1, max_size=200), max_size=4))
def test_round_trip_any_text(messages: list[str]) -> None:
    xml = message_response(messages)
    parsed = parse_messages(xml)
    legal = [
        "".join(c for c in m if not (ord(c) < 0x20 and c not in "\t\n\r")
                and not 0xD800 <= ord(c) <= 0xDFFF and c not in "\ufffe\uffff")
        for m in messages
    ]
    assert parsed == [m for m in legal if m]
