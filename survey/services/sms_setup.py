"""What the SMS services need to know about a wave, and the conversation setup for it.

``Setup`` (the engine's per-wave settings) translates and caches every text of the
questionnaire on first use, so it is built once per wave and questionnaire version
and kept for the life of the process; the cache key names everything it depends on.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import msgspec

from survey.config import reminder_hours
from survey.db import Conn, fetch_one
from survey.i18n import other_chinese_script
from survey.questionnaire import Questionnaire
from survey.resources import Resources
from survey.services.versions import frozen_questionnaire
from survey.sms.conversation import Setup
from survey.sms.schedule import RateLimit, SendingWindow
from survey.sms.texts import Gettext
from survey.sql import Q

__all__ = [
    "MAX_REPROMPTS",
    "SmsWave",
    "as_launched",
    "draft_setup",
    "gettext_for",
    "load_wave",
    "rate_limit",
    "reminder_schedule",
    "setup_for",
]

#: Invalid replies re-prompted before an item is recorded as skipped.
MAX_REPROMPTS = 2
_MAX_CACHED = 32


class SmsWave(msgspec.Struct, frozen=True, kw_only=True):
    program_id: int
    wave_id: int
    program_name: str
    help_contact: str
    quiet_start: time
    quiet_end: time
    languages: tuple[str, ...]
    default_language: str
    channels: tuple[str, ...]
    sms_mode: str
    state: str
    opens_at: datetime | None
    closes_at: datetime | None
    questionnaire_id: str
    questionnaire_hash: str | None
    allow_unreviewed: bool

    def is_open(self, now: datetime) -> bool:
        """Takes answers now: launched, not closed, inside its dates."""
        if self.state != "open" or self.questionnaire_hash is None:
            return False
        if self.opens_at is not None and now < self.opens_at:
            return False
        return self.closes_at is None or now < self.closes_at

    @property
    def window(self) -> SendingWindow:
        return SendingWindow(self.quiet_start, self.quiet_end)

    def language_for(self, preferred: str | None) -> str:
        """The contact list's language if offered; for Chinese, else the other Chinese
        script if offered (as the web does); else the wave's default."""
        if preferred in self.languages:
            return preferred
        return other_chinese_script(preferred, self.languages) or self.default_language


async def load_wave(conn: Conn, program_id: int, wave_id: int) -> SmsWave:
    row = await fetch_one(conn, Q.sms_wave, program_id, wave_id, what="wave")
    return SmsWave(
        program_id=row["program_id"],
        wave_id=row["wave_id"],
        program_name=row["program_name"],
        # HELP must name a way to reach the program (carrier rule).
        help_contact=row["contact_phone"] or row["contact_email"] or row["program_name"],
        quiet_start=row["quiet_start"],
        quiet_end=row["quiet_end"],
        languages=tuple(row["languages"]),
        default_language=row["default_language"],
        channels=tuple(row["channels"]),
        sms_mode=row["sms_mode"],
        state=row["state"],
        opens_at=row["opens_at"],
        closes_at=row["closes_at"],
        questionnaire_id=row["questionnaire_id"],
        questionnaire_hash=row["questionnaire_hash"],
        allow_unreviewed=row["allow_unreviewed"],
    )


_setups: dict[tuple[object, ...], Setup] = {}


async def setup_for(conn: Conn, res: Resources, wave: SmsWave) -> Setup:
    """The conversation setup of a launched wave (its frozen questionnaire version)."""
    if wave.questionnaire_hash is None:
        raise ValueError("the wave has not been launched")
    key = (
        id(res.catalogs), wave.program_id, wave.wave_id, wave.questionnaire_hash,
        wave.program_name, wave.help_contact, wave.languages, wave.allow_unreviewed,
    )
    found = _setups.get(key)
    if found is None:
        found = _new_setup(res, await frozen_questionnaire(conn, wave.questionnaire_hash), wave)
        if len(_setups) >= _MAX_CACHED:
            _setups.pop(next(iter(_setups)))
        _setups[key] = found
    return found


def _new_setup(res: Resources, questionnaire: Questionnaire, wave: SmsWave) -> Setup:
    return Setup.from_catalogs(
        res.catalogs,
        questionnaire,
        wave.languages,
        program=wave.program_name,
        help_contact=wave.help_contact,
        # A wave launched with unreviewed drafts shows them on the web too.
        allow_fuzzy=wave.allow_unreviewed,
        max_reprompts=MAX_REPROMPTS,
        send_consent=True,
        provider_confirms_keywords=True,
    )


def as_launched(res: Resources, wave: SmsWave) -> SmsWave:
    """A draft wave as launching it will leave it, for what it will send: a language
    short of reviewed translations launches only with the override, and an override
    turns unreviewed drafts on for the whole wave (``waves.launch_wave``, SQL
    ``wave-set-open``). A launched wave is returned as it is."""
    if wave.questionnaire_hash is not None or wave.allow_unreviewed:
        return wave
    questionnaire = res.questionnaires.get(wave.questionnaire_id)
    if questionnaire is None:
        return wave
    needs_override = any(res.launch_problems(questionnaire, code) for code in wave.languages)
    return msgspec.structs.replace(wave, allow_unreviewed=needs_override)


def draft_setup(res: Resources, wave: SmsWave) -> Setup | None:
    """The conversation setup a draft wave will have once launched (``as_launched``,
    with the questionnaire launching freezes), or None for an unknown questionnaire."""
    questionnaire = res.questionnaires.get(wave.questionnaire_id)
    if questionnaire is None:
        return None
    return _new_setup(res, questionnaire, as_launched(res, wave))


def gettext_for(res: Resources, wave: SmsWave, language: str) -> Gettext:
    """gettext of the UI catalog in ``language``, with drafts if the wave allows them."""
    gettext: Gettext = res.catalogs.translator(language, wave.allow_unreviewed).gettext
    return gettext


def reminder_schedule(hours: str) -> tuple[timedelta, ...]:
    """``"24,72"`` -> silence before the first and second reminder."""
    return tuple(timedelta(hours=value) for value in reminder_hours(hours))


def rate_limit(segments_per_second: float) -> RateLimit:
    return RateLimit(segments_per_second=segments_per_second, burst=1)
