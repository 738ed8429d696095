"""Twilio retries a webhook's 5xx (a database outage answers 503) only when its URL
carries connection overrides in the fragment (``#rc=5&rp=5xx,ct,rt``). Twilio signs
the URL with the fragment but never sends it, so the service learns it from
``SURVEY_TWILIO_WEBHOOK_OVERRIDES``: signatures are checked with and without it, and
the worker puts it on each text's status callback so delivery reports are retried too.
Signed by twilio-python's own ``RequestValidator``."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from twilio.request_validator import RequestValidator

from survey.config import ConfigError, Settings, load_settings
from survey.db import Conn
from survey.sms.fakeprovider import FakeTwilio
from survey.sms.twilio_forms import inbound_form, status_form

from .conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    BASE,
    OUR_NUMBER,
    FrozenClock,
    make_worker,
    make_world,
    next_noon_pacific,
    twilio_sender,
)
from .test_sms_app_worker import _queue

OVERRIDES = "rc=5&rp=5xx,ct,rt"
PHONE = "+12535550777"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(settings, twilio_webhook_overrides=OVERRIDES)


def _signed(url: str, form: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(url, form)}


def _text(body: str) -> dict[str, str]:
    return inbound_form(account_sid=ACCOUNT_SID, from_=PHONE, to=OUR_NUMBER, body=body)


async def test_inbound_signed_with_the_fragment_is_taken(
    conn: Conn, client: Any, resources: Any
) -> None:
    await make_world(conn, resources, contacts=[(PHONE, "King", "en")])
    form = _text("HELP")
    r = await client.post("/sms/inbound", data=form,
                          headers=_signed(f"{BASE}/sms/inbound#{OVERRIDES}", form))
    assert r.status_code == 200, r.text
    assert "Safe Streets" in r.text  # the HELP reply names the program
    # A number whose webhook has no fragment yet is still Twilio's.
    form = _text("HELP")
    r = await client.post("/sms/inbound", data=form,
                          headers=_signed(f"{BASE}/sms/inbound", form))
    assert r.status_code == 200, r.text
    # Any other fragment is not what Twilio signed for us.
    form = _text("HELP")
    r = await client.post("/sms/inbound", data=form,
                          headers=_signed(f"{BASE}/sms/inbound#rc=1", form))
    assert r.status_code == 403
    stored = await conn.fetchval(
        "SELECT count(*) FROM sms_inbound_receipts WHERE message_sid = $1", form["MessageSid"])
    assert stored == 0


async def test_status_callbacks_carry_the_overrides(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"],
                         contacts=[(PHONE, "King", "en")])
    clock = FrozenClock(next_noon_pacific())
    assert await _queue(conn, resources, w, clock()) == 1
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, clock).run_once()
    (message,) = fake.messages
    message_id = await conn.fetchval("SELECT id FROM sms_messages WHERE wave_id = $1", w.wave_id)
    assert message.status_callback == (
        f"{BASE}/sms/status?p={w.program_id}&m={message_id}#{OVERRIDES}")
    form = status_form(account_sid=ACCOUNT_SID, message_sid=message.sid, status="delivered",
                       from_=OUR_NUMBER, to=PHONE)
    path = message.status_callback.removeprefix(BASE).split("#")[0]
    r = await client.post(path, data=form, headers=_signed(message.status_callback, form))
    assert r.status_code in (200, 204), r.text
    assert await conn.fetchval(
        "SELECT delivery_status FROM sms_messages WHERE id = $1", message_id) == "delivered"


def test_overrides_are_checked_when_loaded() -> None:
    assert load_settings({"SURVEY_TWILIO_WEBHOOK_OVERRIDES": OVERRIDES},
                         secret_key="x").twilio_webhook_overrides == OVERRIDES
    for bad in ("#rc=5", "rc=5&", "rc=5 rp=all", "retry=5"):
        with pytest.raises(ConfigError, match="SURVEY_TWILIO_WEBHOOK_OVERRIDES"):
            load_settings({"SURVEY_TWILIO_WEBHOOK_OVERRIDES": bad}, secret_key="x")
