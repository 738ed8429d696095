"""The pure conversation engine: menu, items, re-prompts, skip logic, keywords, resume."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sms_instrument import catalogs, questionnaire

from survey.questionnaire import Answer, TextItem
from survey.sms.conversation import (
    ConversationState,
    Event,
    Setup,
    Step,
    close,
    decode_state,
    encode_state,
    handle,
    reminder,
    start,
)
from survey.sms.segments import count_segments

PROGRAM = "Safe Streets"
CONTACT = "206-555-0100"


def setup(**options: object) -> Setup:
    return Setup.from_catalogs(
        catalogs(), questionnaire(), ("en", "es", "vi"), program=PROGRAM, help_contact=CONTACT,
        **options,
    )


def talk(s: Setup, state: ConversationState, *texts: str) -> list[Step]:
    """Send texts one by one, persisting the state as JSON between them (as the
    caller does), so every step also proves the state survives a gap."""
    steps = []
    for text in texts:
        state = decode_state(encode_state(state))
        step = handle(s, state, text)
        steps.append(step)
        state = step.state
    return steps


def answers(steps: list[Step]) -> dict[str, Answer]:
    return {s.answer.item_id: s.answer.answer for s in steps if s.answer is not None}


def test_menu_first_ascii_one_segment() -> None:
    step = start(setup())
    [menu] = step.messages
    assert menu.isascii() and count_segments(menu).segments == 1
    assert "1 English 2 Espanol 3 Tieng Viet" in menu and "STOP" in menu
    assert step.state.status == "choosing_language" and step.events == (Event.STARTED,)


def test_full_conversation_in_english() -> None:
    s = setup()
    steps = talk(s, start(s).state, "1", "4", "1", "3", "1 3", "More lights on 5th Ave")
    intro, consent, q1 = steps[0].messages
    assert intro == ("5 questions for Safe Streets. Msg&data rates may apply. Reply SKIP to "
                     "skip a question, HELP for help, STOP to opt out.")
    assert consent == "Taking part is voluntary."
    assert q1 == "How safe do you feel after dark?\n1=Very unsafe, 4=Very safe, 0=Don't know"
    assert steps[1].messages == ["Any contact with police this year?\n1=Yes, 2=No"]
    assert steps[2].messages == ["How many times?"]  # shown: contact = yes
    assert steps[3].messages[0].startswith("Where do you get local news?")
    assert "4=None of these, 0=Prefer not to say" in steps[3].messages[0]
    assert steps[-1].messages == ["Thank you from Safe Streets."]
    assert steps[-1].events == (Event.ANSWERED, Event.COMPLETED)
    assert steps[-1].state.status == "completed"
    assert answers(steps) == {
        "safety": Answer(value_num=4.0),
        "contact": Answer(value_codes=["yes"]),
        "contacts_n": Answer(value_num=3.0),
        "sources": Answer(value_codes=["tv", "online"]),
        "comment": Answer(value_text="More lights on 5th Ave"),
    }
    # After completion, replies get no answer (and store nothing).
    [after] = talk(s, steps[-1].state, "thanks!")
    assert after.messages == [] and after.answer is None


def test_full_conversation_in_spanish() -> None:
    s = setup()
    steps = talk(s, start(s).state, "2", "Muy seguro", "sí", "25 veces", "no sé", "skip")
    intro, consent, q1 = steps[0].messages
    assert intro.startswith("5 preguntas para Safe Streets. Pueden aplicarse tarifas.")
    assert consent == "Participar es voluntario."
    assert q1 == "¿Qué tan seguro se siente de noche?\n1=Muy inseguro, 4=Muy seguro, 0=No sé"
    assert steps[1].messages == ["¿Tuvo contacto con la policía este año?\n1=Sí, 2=No"]
    assert steps[2].messages == ["¿Cuántas veces?"]
    assert steps[-1].messages == ["Gracias de parte de Safe Streets."]
    # Stored values are codes, identical to an English conversation's.
    assert answers(steps) == {
        "safety": Answer(value_num=4.0),
        "contact": Answer(value_codes=["yes"]),
        "contacts_n": Answer(value_num=25.0),
        # "No sé" on an item offering only "prefer not to say": recorded as skipped.
        "sources": Answer(missing="skipped"),
        "comment": Answer(missing="skipped"),
    }
    assert steps[-1].state.language == "es"


def test_full_conversation_in_vietnamese_with_reprompt() -> None:
    s = setup()
    steps = talk(s, start(s).state, "3", "không biết", "hai", "2", "٢ ٣", "Cảm ơn")
    assert steps[0].messages[0].startswith("5 câu hỏi cho Safe Streets.")
    assert steps[0].messages[2] == (
        "Bạn cảm thấy an toàn thế nào khi trời tối?\n1=Rất không an toàn, 4=Rất an toàn, "
        "0=Không biết"
    )
    # "hai" is not a reply number: Vietnamese re-prompt with the question again.
    assert steps[2].events == (Event.REPROMPTED,)
    assert steps[2].messages == [
        "Vui lòng trả lời bằng một trong các số.\n"
        "Năm nay bạn có tiếp xúc với cảnh sát không?\n1=Có, 2=Không"
    ]
    assert answers(steps) == {
        "safety": Answer(missing="dont_know"),
        "contact": Answer(value_codes=["no"]),
        # contacts_n hidden by skip logic (contact = no); Arabic-Indic digits accepted.
        "sources": Answer(value_codes=["radio", "online"]),
        "comment": Answer(value_text="Cảm ơn"),
    }
    assert steps[-1].messages == ["Cảm ơn từ Safe Streets."]


def test_invalid_replies_reprompt_then_skip_even_required() -> None:
    s = setup()
    state = talk(s, start(s).state, "1", "4")[-1].state  # now at "contact" (required)
    steps = talk(s, state, "maybe", "SKIP", "purple")
    assert [st.events for st in steps] == [
        (Event.REPROMPTED,), (Event.REPROMPTED,), (Event.GAVE_UP,),
    ]
    assert steps[0].messages[0].startswith("Please reply with one of the numbers shown.\n")
    assert steps[1].messages[0].startswith("Please answer this question.\n")
    assert steps[2].messages[0] == "Let's go on to the next question."
    assert steps[2].answer is not None and steps[2].answer.answer == Answer(missing="skipped")
    assert steps[2].answer.raw == "purple"
    # The gated item stays hidden; the next item is the multi choice.
    assert steps[2].messages[1].startswith("Where do you get local news?")


def test_number_bounds_and_multi_choice_rules() -> None:
    s = setup()
    state = talk(s, start(s).state, "2", "1", "1")[-1].state
    [too_many] = talk(s, state, "99")
    assert too_many.messages[0].startswith("Escriba un numero no mayor que 50.\n")
    state = talk(s, too_many.state, "7")[-1].state
    [mixed] = talk(s, state, "1 4")  # "none of these" is exclusive
    assert mixed.events == (Event.REPROMPTED,)
    assert "None of these" in mixed.messages[0]
    [prefer_not] = talk(s, mixed.state, "0")
    assert prefer_not.answer is not None
    assert prefer_not.answer.answer == Answer(missing="prefer_not")


def test_single_language_or_known_language_skips_menu() -> None:
    s = Setup(questionnaire=questionnaire(), languages=("en",), program=PROGRAM,
              help_contact=CONTACT, send_consent=False)
    step = start(s)
    assert step.state.status == "in_progress" and step.state.language == "en"
    assert len(step.messages) == 2 and step.messages[1].startswith("How safe")
    known = start(setup(), language="vi")
    assert known.state.language == "vi" and known.messages[0].startswith("5 câu hỏi")


def test_unclear_menu_replies_fall_back_to_default_language() -> None:
    s = setup()
    steps = talk(s, start(s).state, "hello", "??", "what")
    assert [st.events for st in steps[:2]] == [(Event.REPROMPTED,), (Event.REPROMPTED,)]
    assert steps[2].events[0] is Event.LANGUAGE_CHOSEN
    assert steps[2].state.language == "en"
    # Names work as well as numbers.
    assert talk(s, start(s).state, "Español")[0].state.language == "es"


def test_stop_mid_survey_then_silence_then_start_resumes() -> None:
    s = setup()
    state = talk(s, start(s).state, "1", "4")[-1].state
    stop, later, more = talk(s, state, "STOP", "2", "hello?")
    # Twilio confirms its own standard words; we add nothing.
    assert stop.messages == [] and stop.events == (Event.OPTED_OUT,)
    assert stop.state.status == "opted_out"
    assert later.messages == [] and more.messages == [] and later.answer is None
    assert later.events == (Event.IGNORED,)
    [again] = talk(s, more.state, "START")
    assert again.events == (Event.OPTED_IN,)
    assert again.messages == ["Any contact with police this year?\n1=Yes, 2=No"]
    assert again.state.answers == {"safety": Answer(value_num=4.0)}


def test_our_own_stop_words_get_one_localized_confirmation() -> None:
    s = setup()
    state = talk(s, start(s).state, "2")[-1].state
    [alto, again] = talk(s, state, "Alto", "ALTO")
    stopped_es = "No recibira mas mensajes de Safe Streets. Responda START para volver."
    assert alto.messages == [stopped_es]
    assert again.messages == [] and again.events == (Event.IGNORED,)
    # Without provider handling, standard words are confirmed by us too.
    [stop] = talk(setup(provider_confirms_keywords=False), state, "stop")
    assert stop.messages == [stopped_es]
    # Advanced Opt-Out's OptOutType is authoritative, and the provider confirms.
    flagged = handle(s, state, "please no more", opt_out_type="STOP")
    assert flagged.events == (Event.OPTED_OUT,) and flagged.messages == []


def test_a_mention_of_stopping_is_set_aside_at_every_point() -> None:
    """At the menu or a choice item, a complaint is neither a language choice nor an
    invalid reply to re-prompt; at the free-text item it may be the answer ("the bus
    stop is dark"), so it is kept, and set aside for a person all the same."""
    s = setup()
    menu = start(s).state
    at_choice = talk(s, menu, "1")[-1].state
    at_text = talk(s, at_choice, "4", "2", "1 3")[-1].state
    assert at_text.item_id == "comment"
    complaints = ("why do you keep texting me, stop", "你们为什么老给我发短信",
                  "tại sao cứ nhắn tin hoài, đừng nhắn nữa đi")
    for state in (menu, at_choice):
        for text in complaints:
            [step] = talk(s, state, text)
            assert step.events == (Event.REVIEW,), (state.status, text)
            assert step.messages == [] and step.answer is None and step.state == state
    for text in (*complaints, "the bus stop near the hall is dark"):
        [step] = talk(s, at_text, text)
        assert step.events == (Event.REVIEW, Event.ANSWERED, Event.COMPLETED), text
        assert step.answer is not None and step.answer.answer.value_text == text
        assert step.state.status == "completed"
    # A clear request at the free-text item is an opt-out, not a comment.
    [step] = talk(s, at_text, "请停止发送")
    assert step.events == (Event.OPTED_OUT,) and step.answer is None
    # An ordinary comment is still an answer.
    [step] = talk(s, at_text, "希望多举办社区活动")
    assert step.answer is not None and step.events == (Event.ANSWERED, Event.COMPLETED)


def test_help_in_menu_and_mid_survey() -> None:
    s = setup()
    [ayuda] = talk(s, start(s).state, "AYUDA")
    assert ayuda.messages == [
        "Encuesta de Safe Streets. Ayuda: 206-555-0100. Responda ALTO para no recibir mas."
    ]
    assert ayuda.state == start(s).state
    state = talk(s, start(s).state, "1")[-1].state
    [helped] = talk(s, state, "help")
    assert helped.messages == [
        "Safe Streets survey. For help: 206-555-0100. Msg&data rates may apply. "
        "Reply STOP to opt out."
    ]
    assert helped.state == state


def test_language_switch_mid_survey_keeps_answers() -> None:
    s = setup()
    state = talk(s, start(s).state, "1", "4")[-1].state
    menu, chosen = talk(s, state, "LANG", "2")
    assert menu.messages[0].startswith("Safe Streets survey. Reply a number")
    assert chosen.state.language == "es"
    assert chosen.messages == ["¿Tuvo contacto con la policía este año?\n1=Sí, 2=No"]
    assert chosen.state.answers == {"safety": Answer(value_num=4.0)}


def test_reminders_and_close() -> None:
    s = setup()
    assert reminder(s, start(s).state) == start(s).messages
    state = talk(s, start(s).state, "2", "4")[-1].state
    assert reminder(s, state) == [
        "Recordatorio de Safe Streets: responda para seguir.\n"
        "¿Tuvo contacto con la policía este año?\n1=Sí, 2=No"
    ]
    closed = close(state)
    [late] = talk(s, closed, "1")
    assert late.messages == ["Esta encuesta ya cerro. Gracias."] and late.answer is None
    assert reminder(s, closed) == []
    opted_out = talk(s, state, "alto")[-1].state
    assert talk(s, close(opted_out), "1")[0].messages == []
    done = talk(s, state, "1", "3", "1", "x")[-1].state
    assert done.status == "completed" and close(done) == done and reminder(s, done) == []


def test_state_json_is_plain() -> None:
    s = setup()
    state = talk(s, start(s).state, "1", "4", "0")[-1].state
    assert encode_state(state) == (
        b'{"version":1,"status":"in_progress","language":"en","item_id":"contact","invalid":1,'
        b'"answers":{"safety":{"value_num":4.0}},"resume":null}'
    )


inbound = st.one_of(
    st.sampled_from(["1", "2", "3", "4", "0", "9", "1 3", "skip", "no sé", "STOP", "start",
                     "help", "ALTO", "LANG", "yes", "Muy seguro", "", "٣", "stop please",
                     "why do you keep texting me, stop", "不要再发短信了", "đừng nhắn tin nữa"]),
    st.text(max_size=30),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(inbound, max_size=14), st.booleans())
def test_any_sequence_keeps_the_rules(texts: list[str], provider: bool) -> None:
    s = setup(provider_confirms_keywords=provider)
    state = start(s).state
    item_ids = {item.id for item in s.questionnaire.items}
    for text in texts:
        step = handle(s, decode_state(encode_state(state)), text)
        assert all(isinstance(m, str) and m for m in step.messages)
        if state.status == "opted_out" and Event.OPTED_IN not in step.events:
            # Never another message after an opt-out, but the answer to HELP.
            assert step.answer is None
            assert step.messages == [] or (
                step.events == (Event.HELP,) and len(step.messages) == 1
                and step.state == state)
        if step.answer is not None:
            assert step.answer.item_id in item_ids
        if Event.REVIEW in step.events and step.answer is None:
            # A mention of stopping changes nothing...
            assert step.messages == [] and step.state == state
        elif Event.REVIEW in step.events:
            # ...unless it is the answer to a free-text question, kept as written.
            assert step.answer is not None
            item = s.questionnaire.item(step.answer.item_id)
            assert isinstance(item, TextItem) and step.answer.raw == text
        assert set(step.state.answers) <= item_ids
        assert step.state.invalid <= s.max_reprompts
        state = step.state


def test_a_reprompt_costs_no_more_messages_than_its_question(resources_base: Any) -> None:
    """A Vietnamese question written up to two messages, sent again after the reason,
    took three (UCS-2: 67 characters a part); the reprompt then carries the numbered
    replies alone, the question having come in the text before. English, with room,
    repeats the whole question."""
    res = resources_base
    q = res.questionnaires["community-trust-sms"]
    s = Setup.from_catalogs(res.catalogs, q, ("en", "vi"), program=PROGRAM,
                            help_contact=CONTACT, allow_fuzzy=True)
    for choice, language in (("1", "en"), ("2", "vi")):
        steps = talk(s, start(s).state, choice)
        question = steps[-1].messages[-1]
        assert count_segments(question).segments <= 2, question
        again = talk(s, steps[-1].state, "purple")[0]
        assert again.events == (Event.REPROMPTED,)
        reprompt = again.messages[0]
        reason, rest = reprompt.split("\n", 1)
        replies = question.split("\n")[-1]
        assert rest.endswith(replies) and reason
        if language == "en":
            assert rest == question
        else:
            assert count_segments(f"{reason}\n{question}").segments == 3  # what it cost
            assert rest == replies and count_segments(reprompt).segments <= 2


def test_unclear_menu_replies_fall_back_to_the_other_chinese_script() -> None:
    """A contact listed in Traditional, on a wave with Simplified only: Simplified,
    as the invitation was texted, not the default."""
    s = Setup.from_catalogs(
        catalogs(), questionnaire(), ("en", "zh_Hans"), program=PROGRAM, help_contact=CONTACT)
    state = start(s).state
    for text in ("hello", "??", "what"):
        step = handle(s, state, text, preferred="zh_Hant")
        state = step.state
    assert step.events[0] is Event.LANGUAGE_CHOSEN
    assert state.language == "zh_Hans"
    state = start(s).state
    for text in ("hello", "??", "what"):
        state = handle(s, state, text, preferred="km").state
    assert state.language == "en"
