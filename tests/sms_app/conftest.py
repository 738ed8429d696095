"""Fixtures for SMS through the running app: settings with provider secrets, a
program with an SMS wave and contacts, a resident's phone that posts webhooks
signed by twilio's own ``RequestValidator`` (the independent peer), a fake Twilio
for outbound texts, and a frozen clock whose sleep moves time forward."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
from twilio.request_validator import RequestValidator

from survey.access import SYSTEM
from survey.config import Settings, load_settings
from survey.db import Conn
from survey.resources import Resources
from survey.schemas import LaunchIn, ProgramIn, SiteIn, WaveIn, WaveSiteIn
from survey.services import programs, waves
from survey.services.sms_worker import Worker, WorkerConfig
from survey.sms.fakeprovider import FakeTwilio
from survey.sms.sender import TwilioSender
from survey.sms.twilio_forms import inbound_form, status_form
from survey.sms.twiml import parse_messages

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "sms-app-test-token-0123456789abcdef"
OUR_NUMBER = "+12065550100"
BASE = "http://testserver.local"
PROGRAM_NAME = "Safe Streets"
HELP_PHONE = "+13605550100"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return load_settings(
        {},
        database_url=database_url,
        secret_key="test-secret-key",
        public_base_url=BASE,
        pool_min_size=1,
        pool_max_size=4,
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=AUTH_TOKEN,
        sms_from_number=OUR_NUMBER,
        sms_reminder_hours="24,72",
    )


@pytest.fixture
async def admin(conn: Conn) -> dict[str, str]:
    """Headers of an administrator's API key (cheaper than the shared ``actors``)."""
    from survey.schemas import KeyIn, UserIn
    from survey.services import users

    user = await users.create_user(conn, SYSTEM, UserIn(email="sms-admin@example.org",
                                                        name="admin", role="admin"))
    key = await users.create_key(conn, SYSTEM, user.id, KeyIn(name="test"))
    return {"Authorization": f"Bearer {key.key}"}


class World(msgspec.Struct, kw_only=True):
    program_id: int
    wave_id: int
    sites: dict[str, int]
    contacts: dict[str, int]
    """phone -> contact id"""


async def make_world(
    conn: Conn,
    res: Resources,
    *,
    mode: str = "conversation",
    languages: Sequence[str] = ("en", "es", "vi"),
    questionnaire: str = "pulse",
    sites: Sequence[tuple[str, str]] = (("King", "America/Los_Angeles"),),
    contacts: Sequence[tuple[str, str, str]] = (),
    quiet: tuple[str, str] = ("09:00", "20:00"),
    slug: str = "safe-streets",
) -> World:
    """A launched SMS wave; contacts are (phone, site name, preferred language)."""
    program = await programs.create_program(
        conn, SYSTEM,
        ProgramIn(slug=slug, name=PROGRAM_NAME, contact_phone=HELP_PHONE,
                  quiet_start=quiet[0], quiet_end=quiet[1]),
    )
    site_ids = {}
    for name, tz in sites:
        site = await programs.create_site(conn, SYSTEM, program.id, SiteIn(name=name, timezone=tz))
        site_ids[name] = site.id
    wave = await waves.create_wave(
        conn, SYSTEM, res, program.id,
        WaveIn(
            name="Wave", phase="pre", questionnaire_id=questionnaire, languages=list(languages),
            channels=["sms", "web"], sms_mode=mode, allow_unreviewed=True,  # type: ignore[arg-type]
            sites=[WaveSiteIn(site_id=i) for i in site_ids.values()],
        ),
    )
    await waves.launch_wave(
        conn, SYSTEM, res, program.id, wave.id,
        LaunchIn(override_languages=list(languages), reason="test: drafts"),
    )
    contact_ids = {}
    for phone, site, language in contacts:
        contact_ids[phone] = await conn.fetchval(
            "INSERT INTO contacts (program_id, phone_e164, preferred_language, site_id)"
            " VALUES ($1, $2, $3, $4) RETURNING id",
            program.id, phone, language, site_ids[site],
        )
    return World(program_id=program.id, wave_id=wave.id, sites=site_ids, contacts=contact_ids)


def sign(path: str, form: dict[str, str]) -> dict[str, str]:
    """Headers Twilio would send, signed by twilio-python itself."""
    return {"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(BASE + path, form)}


class Phone:
    """A resident's phone texting our number through the app's webhook."""

    def __init__(self, client: Any, number: str) -> None:
        self.client = client
        self.number = number
        self.last_sid = ""

    async def text(self, body: str, *, sid: str | None = None, **extra: str) -> list[str]:
        form = inbound_form(
            account_sid=ACCOUNT_SID, from_=self.number, to=OUR_NUMBER, body=body,
            message_sid=sid, extra=extra or None,
        )
        r = await self.client.post("/sms/inbound", data=form, headers=sign("/sms/inbound", form))
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/xml")
        self.last_sid = form["MessageSid"]
        return parse_messages(r.text)


async def post_status(
    client: Any, program_id: int, message_id: int, status: str, *, sid: str,
    error_code: int | None = None,
) -> int:
    path = f"/sms/status?p={program_id}&m={message_id}"
    form = status_form(account_sid=ACCOUNT_SID, message_sid=sid, status=status,
                       from_=OUR_NUMBER, to="+12065550199", error_code=error_code)
    r = await client.post(path, data=form, headers=sign(path, form))
    return int(r.status_code)


async def days_pass(conn: Conn, wave_id: int, days: int = 3) -> None:
    """Move a wave's texts and conversations back in time, as if ``days`` had passed
    (a reminder asked for by hand waits a day after the last text either way)."""
    shift = dt.timedelta(days=days)
    for sql in (
        "UPDATE sms_messages SET sent_at = sent_at - $2::interval,"
        " created_at = created_at - $2::interval WHERE wave_id = $1",
        "UPDATE sms_conversations SET last_inbound_at = last_inbound_at - $2::interval,"
        " last_outbound_at = last_outbound_at - $2::interval WHERE wave_id = $1",
        "UPDATE responses SET updated_at = updated_at - $2::interval WHERE wave_id = $1",
    ):
        await conn.execute(sql, wave_id, shift)


def noon_pacific(days_ahead: int = 1) -> dt.datetime:
    """12:00 in Los Angeles on a day after today (texts queued now are due then)."""
    day = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days_ahead)
    local = dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo("America/Los_Angeles"))
    return local.astimezone(dt.UTC)


def next_noon_pacific() -> dt.datetime:
    """The next 12:00 in Los Angeles: within the sending hours, and less than a day
    away, so no conversation reminder scheduled from now (24 h) is due by then."""
    now = dt.datetime.now(dt.UTC)
    return next(noon for days in (0, 1, 2) if (noon := noon_pacific(days)) > now)


class FrozenClock:
    """A clock that stands still until told, or until something sleeps."""

    def __init__(self, start: dt.datetime) -> None:
        self.at = start
        self.slept: list[float] = []

    def __call__(self) -> dt.datetime:
        return self.at

    def set(self, at: dt.datetime) -> None:
        self.at = at

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.at += dt.timedelta(seconds=seconds)


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    # No status callbacks: the app under test is not on a real port; tests that
    # need callbacks post them signed themselves.
    with FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, phone_number=OUR_NUMBER,
                    statuses=()) as provider:
        yield provider


def twilio_sender(fake: FakeTwilio, token: str = AUTH_TOKEN) -> TwilioSender:
    return TwilioSender(account_sid=ACCOUNT_SID, auth_token=token, from_number=OUR_NUMBER,
                        api_base=fake.api_base)


def make_worker(
    conn: Conn, sender: Any, res: Resources, clock: FrozenClock, **config: Any
) -> Worker:
    cfg = WorkerConfig.from_settings(res.settings)
    if config:
        cfg = msgspec.structs.replace(cfg, **config)
    return Worker(conn, sender, res, cfg, clock=clock, sleep=clock.sleep)
