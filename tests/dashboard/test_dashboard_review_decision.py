"""A grantee decides, on the fieldwork monitor, each text that mentioned stopping
without clearly asking to: "Stop texting them" opts the number out as STOP would,
"Keep texting them" lets reminders reach them again. Before, the table only listed
them, and the person was never reminded again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from forms import Staff, give_password

from survey.access import SYSTEM
from survey.db import Conn
from survey.errors import InvalidInput
from survey.schemas import LaunchIn, SiteIn, WaveIn, WaveSiteIn
from survey.services import programs, sms_inbound, sms_review, waves
from survey.sms.webhooks import InboundSms

STOP_ME = "+12065550171"
KEEP_ME = "+12065550172"
COMPLAINT = "why do you keep texting me, stop"


async def _complaints(conn: Conn, resources: Any, program_id: int) -> int:
    """A conversation wave whose two contacts each texted COMPLAINT first."""
    site = await programs.create_site(conn, SYSTEM, program_id, SiteIn(name="King"))
    wave = await waves.create_wave(
        conn, SYSTEM, resources, program_id,
        WaveIn(name="Texted", phase="pre", questionnaire_id="pulse", languages=["en"],
               channels=["sms", "web"], sms_mode="conversation",
               sites=[WaveSiteIn(site_id=site.id)]),
    )
    await waves.launch_wave(conn, SYSTEM, resources, program_id, wave.id, LaunchIn())
    for n, phone in enumerate((STOP_ME, KEEP_ME)):
        await conn.execute(
            "INSERT INTO contacts (program_id, phone_e164, preferred_language, site_id)"
            " VALUES ($1, $2, 'en', $3)", program_id, phone, site.id)
        # The webhook's own handling of the text, as the provider would post it.
        sms = InboundSms(message_sid=f"SM{n:032d}", from_=phone, to="+12065550100",
                         body=COMPLAINT)
        async with conn.transaction():
            assert await sms_inbound.handle_inbound(conn, resources, sms,
                                                    datetime.now(UTC)) == []
    await give_password(conn)
    return wave.id


async def test_grantee_decides_texts_to_review_on_the_monitor(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _complaints(conn, resources, pid)
    ids = {r["phone_e164"]: r["id"] for r in await conn.fetch(
        "SELECT c.phone_e164, m.id FROM sms_messages m JOIN contacts c ON c.id = m.contact_id"
        " WHERE m.kind = 'review'")}
    monitor = f"/dashboard/programs/{pid}/waves/{wave_id}/monitor"
    staff = Staff(client)
    await staff.login("grantee@example.org")
    page = await staff.get(monitor)
    assert "2 texts mentioned stopping without clearly asking to stop." in page.text
    assert page.text.count("Stop texting them</button>") == 2

    stopped = await staff.submit(page, f"{monitor}/review/{ids[STOP_ME]}", {"decision": "stop"})
    assert stopped.status_code == 303, stopped.text
    assert stopped.headers["location"].startswith(f"{monitor}?decided=stop")
    page = await staff.get(stopped.headers["location"])
    assert "Decision recorded: no more texts go to this person" in page.text
    # The count agrees with the table, which lists decided texts too.
    assert ("2 texts mentioned stopping without clearly asking to stop."
            " 1 waits for a decision.") in page.text
    assert "Stopped texting them: grantee," in page.text
    assert page.text.count("Stop texting them</button>") == 1
    assert await conn.fetchval(
        "SELECT consent_status FROM contacts WHERE phone_e164 = $1", STOP_ME) == "revoked"

    kept = await staff.submit(page, f"{monitor}/review/{ids[KEEP_ME]}", {"decision": "keep"})
    assert kept.status_code == 303, kept.text
    page = await staff.get(kept.headers["location"])
    assert ("2 texts mentioned stopping without clearly asking to stop."
            " 0 wait for a decision.") in page.text
    assert "Kept texting them: grantee," in page.text
    assert await conn.fetchval(
        "SELECT consent_status FROM contacts WHERE phone_e164 = $1", KEEP_ME) != "revoked"
    assert await conn.fetchval(
        "SELECT array_agg(review_decision ORDER BY id) FROM sms_messages"
        " WHERE kind = 'review'") == ["stop", "keep"]

    # A form left open in another tab: the second decision is refused, saying by whom.
    token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    again = await client.post(f"{monitor}/review/{ids[KEEP_ME]}",
                              data={"decision": "stop", "csrf": token},
                              headers={"Accept": "text/html"}, follow_redirects=False)
    # Post, redirect, get: a reload of the answer posts nothing again.
    assert again.status_code == 303, again.text
    assert again.headers["location"] == f"{monitor}?already={ids[KEEP_ME]}#review-h"
    decided_at = await conn.fetchval(
        "SELECT reviewed_at FROM sms_messages WHERE id = $1", ids[KEEP_ME])
    # The wave's site is in Pacific time: the notice says the time as the table does.
    shown = await staff.get(again.headers["location"])
    table_time = shown.text.split("Kept texting them: grantee, ", 1)[1].split("<", 1)[0]
    assert "Pacific" in table_time
    assert f"grantee already decided on this text ({table_time})" in shown.text
    assert decided_at.astimezone(UTC).isoformat(sep=" ", timespec="minutes") not in shown.text
    spanish = await staff.get(again.headers["location"].split("#")[0] + "&lang=es")
    assert "grantee ya decidió sobre este texto (" in spanish.text
    assert "hora estándar del Pacífico" in spanish.text.split("ya decidió", 1)[1][:80]
    assert ("2 textos mencionaron dejar de recibir mensajes sin pedirlo claramente."
            " 0 esperan una decisión.") in spanish.text
    # Without the form's token nothing is decided.
    forged = await client.post(f"{monitor}/review/{ids[KEEP_ME]}", data={"decision": "stop"},
                               headers={"Accept": "text/html"}, follow_redirects=False)
    assert forged.status_code == 403
    assert await conn.fetchval(
        "SELECT review_decision FROM sms_messages WHERE id = $1", ids[KEEP_ME]) == "keep"


async def test_a_decision_other_than_stop_or_keep_is_refused_by_the_service(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _complaints(conn, resources, pid)
    message_id = await conn.fetchval(
        "SELECT min(id) FROM sms_messages WHERE kind = 'review'")
    # One rule, in the service: whoever calls it (the API's schema checks first too).
    with pytest.raises(InvalidInput) as refused:
        await sms_review.decide(conn, SYSTEM, pid, wave_id, message_id, "maybe",
                                datetime.now(UTC))
    assert [p.as_dict() for p in refused.value.problems] == [
        {"field": "decision", "reason": "must be stop or keep"}
    ]
    # The monitor passes the form's value on and words the service's refusal.
    monitor = f"/dashboard/programs/{pid}/waves/{wave_id}/monitor"
    staff = Staff(client)
    await staff.login("grantee@example.org")
    page = await staff.get(monitor + "?lang=es")
    r = await staff.submit(page, f"{monitor}/review/{message_id}", {"decision": "maybe"})
    assert r.status_code == 422, r.text
    assert "Datos no válidos" in r.text
    assert await conn.fetchval(
        "SELECT review_decision FROM sms_messages WHERE id = $1", message_id) is None


async def test_stop_on_a_text_whose_contact_is_gone_says_so_on_the_monitor(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _complaints(conn, resources, pid)
    message_id = await conn.fetchval(
        "SELECT m.id FROM sms_messages m JOIN contacts c ON c.id = m.contact_id"
        " WHERE m.kind = 'review' AND c.phone_e164 = $1", STOP_ME)
    # Gone with no decision (as before removals decided such texts): no number left.
    await conn.execute("DELETE FROM contacts WHERE phone_e164 = $1", STOP_ME)
    monitor = f"/dashboard/programs/{pid}/waves/{wave_id}/monitor"
    staff = Staff(client)
    await staff.login("grantee@example.org")
    page = await staff.get(monitor)
    r = await staff.submit(page, f"{monitor}/review/{message_id}", {"decision": "stop"})
    assert r.status_code == 409, r.text
    assert "no number is left to opt out" in r.text.replace("&#39;", "'")
    assert "Decision recorded" not in r.text
    assert await conn.fetchval(
        "SELECT review_decision FROM sms_messages WHERE id = $1", message_id) is None
