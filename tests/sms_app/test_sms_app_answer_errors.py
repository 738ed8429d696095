"""An answer the questionnaire refuses, over SMS: the re-prompt names the reason in the
conversation's language with its numbers filled in, as the web form does."""

from __future__ import annotations

import re
from typing import Any

import pytest

from survey.db import Conn
from survey.i18n import Catalogs, compose_sms_question
from survey.questionnaire import Answer
from survey.questionnaire.answers import MSG_NUMBER_MAX, MSG_NUMBER_MIN, MSG_TEXT_TOO_LONG
from survey.sms.conversation import ConversationState, Setup, handle
from survey.sms.fakeprovider import FakeTwilio

from .conftest import FrozenClock, Phone, make_worker, make_world, noon_pacific, twilio_sender

ALICE = "+12065550121"
BASHIR = "+12065550122"
ARABIC = re.compile("[\u0600-\u06ff]")


def _reason(catalogs: Catalogs, language: str, msgid: str, **params: object) -> str:
    """The catalog's sentence, filled in: what the web form shows for the same error."""
    text = catalogs.translator(language, True).gettext(msgid)
    if language != "en":
        assert text != msgid, f"{language} catalog lacks {msgid!r}"
    return text % params


@pytest.mark.parametrize(("phone_number", "menu_choice", "language", "long_answer"), [
    (ALICE, "٢", "ar", "ت" * 1500),  # Arabic-Indic two: Arabic from the menu
    (BASHIR, "1", "en", "x" * 1200),
])
async def test_too_long_free_text_is_explained_in_the_conversation_language(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    phone_number: str, menu_choice: str, language: str, long_answer: str,
) -> None:
    w = await make_world(conn, resources, languages=("en", "ar"),
                         contacts=[(phone_number, "King", language)])
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()

    phone = Phone(client, phone_number)
    await phone.text(menu_choice)
    await phone.text("5")
    question = await phone.text("3")  # the free-text item (max_length 1000) comes next
    assert len(question) == 1

    reprompt = await phone.text(long_answer)

    reason = _reason(resources.catalogs, language, MSG_TEXT_TOO_LONG, max=1000)
    assert reprompt == [f"{reason}\n{question[0]}"]
    assert "1000" in reprompt[0] and "%(" not in reprompt[0]
    assert bool(ARABIC.search(reason)) == (language == "ar")
    # A short answer is still taken afterwards.
    thanks = await phone.text("ok")
    assert len(thanks) == 1 and thanks[0] != reprompt[0]


@pytest.mark.parametrize("language", ["ar", "en"])
@pytest.mark.parametrize(("reply", "msgid", "bound"), [
    ("0", MSG_NUMBER_MIN, {"min": "1"}),
    ("500", MSG_NUMBER_MAX, {"max": "200"}),
])
def test_a_number_out_of_range_is_explained_with_its_bound(
    resources: Any, language: str, reply: str, msgid: str, bound: dict[str, str]
) -> None:
    """The number item is deep in community-trust, so the engine is driven directly,
    with the real catalogs, from the state just before it."""
    q = resources.questionnaires["community-trust"]
    setup = Setup.from_catalogs(resources.catalogs, q, ("en", "ar"), program="Safe Streets",
                                help_contact="+13605550100", allow_fuzzy=True)
    state = ConversationState(
        status="in_progress", language=language, item_id="participate_count",
        answers={"aware_program": Answer(value_codes=["yes"]),
                 "participate_kinds": Answer(value_codes=["meeting"])},
    )
    step = handle(setup, state, reply)

    localized = setup.localized(language)
    question = compose_sms_question(localized, localized.item("participate_count"))
    reason = _reason(resources.catalogs, language, msgid, **bound)
    assert step.messages == [f"{reason}\n{question}"]
    assert "%(" not in step.messages[0]
