"""What the SMS conversation engine keeps between messages and hands back per step.

``ConversationState`` is stored as JSON, one row per (our number, phone, wave); a
``Step`` is what one inbound text (or the start) does: the state after it, the texts
to send, the answer to store and the events the caller records. The engine itself is
``survey.sms.conversation``.
"""

from __future__ import annotations

import enum
from typing import Literal

import msgspec

from survey.questionnaire import Answer

__all__ = [
    "STATE_VERSION",
    "ConversationState",
    "Event",
    "ItemAnswer",
    "Status",
    "Step",
    "decode_state",
    "encode_state",
]

Status = Literal["choosing_language", "in_progress", "completed", "opted_out", "closed"]

STATE_VERSION = 1

class ConversationState(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the engine needs between messages; the caller stores it as JSON
    (``encode_state``/``decode_state``), one row per (our number, phone, wave).

    ``item_id`` is the item whose question was last sent and awaits a reply;
    ``invalid`` counts invalid replies to it (or to the menu); ``answers`` holds
    every answer so far, which skip logic needs; ``resume`` is the status to
    return to when an opted-out person opts back in.
    """

    version: int = STATE_VERSION
    status: Status = "choosing_language"
    language: str | None = None
    item_id: str | None = None
    invalid: int = 0
    answers: dict[str, Answer] = {}
    resume: Status | None = None


class Event(enum.StrEnum):
    STARTED = "started"
    LANGUAGE_CHOSEN = "language_chosen"
    ANSWERED = "answered"
    REPROMPTED = "reprompted"
    GAVE_UP = "gave_up"  # recorded as skipped after too many invalid replies
    COMPLETED = "completed"
    OPTED_OUT = "opted_out"  # record the program-wide opt-out now
    OPTED_IN = "opted_in"  # record consent again, source "sms keyword"
    HELP = "help"
    IGNORED = "ignored"
    REVIEW = "review"  # mentions stopping: a person decides; no reply, no answer
    CLOSED = "closed"


class ItemAnswer(msgspec.Struct, frozen=True, kw_only=True):
    item_id: str
    answer: Answer
    raw: str
    """The reply as received, for the audit log."""


class Step(msgspec.Struct, frozen=True, kw_only=True):
    state: ConversationState
    messages: list[str]
    """Texts to send, in order (several TwiML ``<Message>``s, or queued sends)."""
    answer: ItemAnswer | None = None
    events: tuple[Event, ...] = ()
    language: str | None = None
    """The language of ``messages`` when it is not the conversation's: a reply to
    STOP, HELP or a closed wave, worded for the person who sent it."""


def encode_state(state: ConversationState) -> bytes:
    return msgspec.json.encode(state)


def decode_state(data: bytes | str) -> ConversationState:
    return msgspec.json.decode(data, type=ConversationState)
