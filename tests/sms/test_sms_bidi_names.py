"""A program's name in an Arabic text keeps its own direction.

Inserted bare into a right-to-left sentence, "Washington CLEP (demo)" shows as
"(Washington CLEP (demo": its closing parenthesis takes the sentence's direction.
Right-to-left messages carry it between FIRST STRONG ISOLATE and POP DIRECTIONAL
ISOLATE; left-to-right ones do not (the marks are UCS-2: they would turn a GSM-7
English text into UCS-2 and cost segments for nothing).
"""

from __future__ import annotations

from typing import Any

from survey.services.sms_texts import MSG_LINK_INVITATION, link_text, placeholder_token
from survey.sms.conversation import Setup, start
from survey.sms.segments import count_segments
from survey.sms.texts import MSG_HELP

NAME = "Washington CLEP (demo)"
ISOLATED = f"\u2068{NAME}\u2069"


def _setup(resources: Any) -> Setup:
    return Setup.from_catalogs(
        resources.catalogs, resources.questionnaires["community-trust-sms"], ("en", "ar"),
        program=NAME, help_contact="206-555-0100", allow_fuzzy=True,
    )


def test_conversation_isolates_the_name_in_arabic_only(resources: Any) -> None:
    setup = _setup(resources)
    arabic = start(setup, language="ar").messages
    assert ISOLATED in arabic[0] and "لصالح" in arabic[0], arabic[0]
    assert ISOLATED in setup.say("ar", MSG_HELP)
    english = start(setup, language="en").messages
    assert f"for {NAME}." in english[0] and "\u2068" not in "".join(english)
    assert "\u2068" not in setup.say("en", MSG_HELP)


def test_link_texts_isolate_the_name_in_arabic_and_are_counted_with_it(
    resources: Any,
) -> None:
    def body(language: str) -> str:
        gettext = resources.catalogs.translator(language, True).gettext
        return link_text(gettext, MSG_LINK_INVITATION, language=language, program=NAME,
                         base_url="https://survey.example.org", token=placeholder_token(7))

    arabic, english = body("ar"), body("en")
    assert ISOLATED in arabic
    assert NAME in english and "\u2068" not in english
    # English stays GSM-7; the Arabic count includes the two marks (one UTF-16 unit
    # each), and the enqueue-time estimate counts this very text.
    assert count_segments(english).encoding == "GSM-7"
    assert count_segments(arabic).units == count_segments(arabic.replace(ISOLATED, NAME)).units + 2
