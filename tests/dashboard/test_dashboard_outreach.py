"""Fieldwork from the dashboard alone: a grantee sees what an SMS invitation will cost,
sends invitations and reminders, and closes the wave (with a box ticked on purpose);
an evaluator can do none of it. Before, these were API calls only."""

from __future__ import annotations

from typing import Any

from forms import Staff

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import LaunchIn, SiteIn, WaveIn, WaveSiteIn
from survey.services import programs, users, waves

PHONES = ["+12065550161", "+12065550162", "+12065550163"]
STOPPED = "+12065550164"


async def _sms_wave(conn: Conn, resources: Any, program_id: int) -> int:
    site = await programs.create_site(conn, SYSTEM, program_id, SiteIn(name="King"))
    wave = await waves.create_wave(
        conn, SYSTEM, resources, program_id,
        WaveIn(name="Texted", phase="pre", questionnaire_id="pulse", languages=["en"],
               channels=["sms", "web"], sms_mode="link",
               sites=[WaveSiteIn(site_id=site.id)]),
    )
    await waves.launch_wave(conn, SYSTEM, resources, program_id, wave.id, LaunchIn())
    for phone in [*PHONES, STOPPED]:
        await conn.execute(
            "INSERT INTO contacts (program_id, phone_e164, preferred_language, site_id,"
            " opted_out_at) VALUES ($1, $2, 'en', $3, CASE WHEN $2 = $4 THEN now() END)",
            program_id, phone, site.id, STOPPED)
    for email in ("grantee@example.org", "evaluator@example.org"):
        uid = await conn.fetchval("SELECT id FROM users WHERE email = $1", email)
        await users.set_password(conn, uid, "correct horse battery")
    return wave.id


async def test_grantee_texts_the_wave_and_closes_it(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _sms_wave(conn, resources, pid)
    base = f"/dashboard/programs/{pid}/waves/{wave_id}"
    staff = Staff(client)
    await staff.login("grantee@example.org")
    overview = await staff.get(base)
    assert f'href="{base}/outreach"' in overview.text

    page = await staff.get(f"{base}/outreach")
    assert page.status_code == 200
    assert "Send invitations to 3 contacts" in page.text  # not the opted-out number
    sent = await staff.submit(page, f"{base}/outreach", {"action": "invite"})
    assert sent.status_code == 303
    result = await staff.get(sent.headers["location"])
    assert "Invitations queued: 3 texts to 3 people." in result.text
    assert "Not texted, opted out: 1" in result.text
    queued = await conn.fetch(
        "SELECT c.phone_e164 FROM sms_messages m JOIN contacts c ON c.id = m.contact_id"
        " WHERE m.wave_id = $1 AND m.kind = 'invitation'", wave_id)
    assert sorted(r["phone_e164"] for r in queued) == PHONES
    # Reloading the result sends nothing; asking again texts nobody twice.
    await staff.get(sent.headers["location"])
    again = await staff.submit(result, f"{base}/outreach", {"action": "invite"})
    assert "Not texted, already invited: 3" in (await staff.get(again.headers["location"])).text
    assert await conn.fetchval(
        "SELECT count(*) FROM sms_messages WHERE wave_id = $1", wave_id) == 3

    # Closing needs the box ticked.
    unticked = await staff.submit(result, f"{base}/close")
    assert unticked.status_code == 303
    warned = await staff.get(unticked.headers["location"])
    assert "Tick the box to close the wave." in warned.text
    assert await conn.fetchval("SELECT state FROM waves WHERE id = $1", wave_id) == "open"
    closed = await staff.submit(warned, f"{base}/close", {"confirm": "yes"})
    assert closed.status_code == 303 and closed.headers["location"] == base
    assert await conn.fetchval("SELECT state FROM waves WHERE id = $1", wave_id) == "closed"
    after = await staff.get(f"{base}/outreach")
    assert "Texts can be sent only while the wave is open." in after.text
    assert f'action="{base}/close"' not in after.text


async def test_evaluators_cannot_text_or_close(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _sms_wave(conn, resources, pid)
    base = f"/dashboard/programs/{pid}/waves/{wave_id}"
    staff = Staff(client)
    await staff.login("evaluator@example.org")
    assert f"{base}/outreach" not in (await staff.get(base)).text
    assert (await staff.get(f"{base}/outreach")).status_code == 403
    # Even with a valid form token from a page the evaluator may see.
    page = await staff.get(base)
    token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    for path, data in ((f"{base}/outreach", {"action": "invite"}),
                       (f"{base}/close", {"confirm": "yes"})):
        r = await client.post(path, data={**data, "csrf": token},
                              headers={"Accept": "text/html"}, follow_redirects=False)
        assert r.status_code == 403, path
    assert await conn.fetchval("SELECT count(*) FROM sms_messages") == 0
    assert await conn.fetchval("SELECT state FROM waves WHERE id = $1", wave_id) == "open"


async def test_texts_to_review_are_listed_for_grantees_not_evaluators(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _sms_wave(conn, resources, pid)
    base = f"/dashboard/programs/{pid}/waves/{wave_id}"
    staff = Staff(client)
    await staff.login("grantee@example.org")
    quiet = await staff.get(f"{base}/monitor")
    assert quiet.status_code == 200
    assert "Texts to review" in quiet.text and "0 texts mentioned stopping" in quiet.text

    # What the inbound webhook logs for "why do you keep texting me, stop" (no body).
    contact = await conn.fetchval("SELECT id FROM contacts WHERE phone_e164 = $1", PHONES[1])
    await conn.execute(
        "INSERT INTO sms_messages (program_id, direction, kind, wave_id, contact_id, state)"
        " VALUES ($1, 'inbound', 'review', $2, $3, 'received')", pid, wave_id, contact)
    listed = await staff.get(f"{base}/monitor")
    assert "1 text mentioned stopping without clearly asking to stop." in listed.text
    assert PHONES[1] in listed.text and PHONES[0] not in listed.text
    assert "“Stop texting them” opts them out" in listed.text
    spanish = await staff.get(f"{base}/monitor?lang=es")
    assert "Textos para revisar" in spanish.text

    evaluator = Staff(client)
    await evaluator.login("evaluator@example.org")
    denied = await evaluator.get(f"{base}/monitor")
    assert denied.status_code == 403
    assert PHONES[1] not in denied.text and "Texts to review" not in denied.text


async def test_reminders_pressed_twice_text_nobody_twice(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    pid = actors.programs["own"]
    wave_id = await _sms_wave(conn, resources, pid)
    base = f"/dashboard/programs/{pid}/waves/{wave_id}"
    # Links issued for mail first: the texts carry those invitations.
    site = await conn.fetchval("SELECT site_id FROM wave_sites WHERE wave_id = $1", wave_id)
    issued = await client.post(f"/api/v1/programs/{pid}/waves/{wave_id}/invitations",
                               json={"for_contacts": True, "site_id": site},
                               headers=actors.headers("grantee"))
    assert issued.status_code == 201, issued.text
    staff = Staff(client)
    await staff.login("grantee@example.org")
    page = await staff.get(f"{base}/outreach")
    await staff.submit(page, f"{base}/outreach", {"action": "invite"})
    # The invitations went out a moment ago.
    await conn.execute("UPDATE sms_messages SET state = 'sent', sent_at = now()"
                       " WHERE wave_id = $1", wave_id)
    page = await staff.get(f"{base}/outreach")
    assert "No reminders have gone out for this wave yet." in page.text
    early = await staff.submit(page, f"{base}/outreach", {"action": "remind"})
    shown = (await staff.get(early.headers["location"])).text
    assert "Reminders queued: 0 texts to 0 people." in shown
    assert "Not texted, invited or reminded less than 24 hours ago: 3" in shown
    assert "Not texted, texted us or answered less than 24 hours ago: 0" in shown

    await conn.execute("UPDATE sms_messages SET sent_at = now() - interval '2 days'"
                       " WHERE wave_id = $1", wave_id)
    later = await staff.submit(page, f"{base}/outreach", {"action": "remind"})
    shown = (await staff.get(later.headers["location"])).text
    assert "Reminders queued: 3 texts to 3 people." in shown
    assert "Reminders last went out " in shown
    assert await conn.fetchval("SELECT count(*) FROM sms_messages WHERE wave_id = $1"
                               " AND kind = 'link_reminder'", wave_id) == 3
