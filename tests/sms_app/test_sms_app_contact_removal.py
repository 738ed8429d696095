"""Removing a contact (a resident asks to be forgotten) and purging a closed wave's
contact details: the personal details are really gone from the tables, the links stop
working, queued texts are never sent, and the answers, report and export do not move."""

from __future__ import annotations

import csv
import io
from typing import Any

from survey.db import Conn
from survey.sms.fakeprovider import FakeTwilio
from survey.sql import Q

from .conftest import FrozenClock, make_worker, make_world, noon_pacific, twilio_sender

DONE = "+12065550141"  # answered in Spanish as a panel member, then asks to be forgotten
WAITING = "+12065550142"  # an invitation text waits to go out when they ask
STAYS = "+12065550143"  # nobody asked anything: texted as usual
STOPPED = "+12065550144"  # said STOP, then asks to be forgotten
HTML = {"Accept": "text/html,application/xhtml+xml"}


async def _join(conn: Conn, program_id: int, *emails: str) -> None:
    await conn.execute(
        "INSERT INTO program_members (program_id, user_id)"
        " SELECT $1, id FROM users WHERE email = ANY($2::text[])", program_id, list(emails))


async def _report(conn: Conn, program_id: int, wave_id: int) -> list[list[dict[str, Any]]]:
    out = []
    for query in (Q.report_fieldwork_responses, Q.report_fieldwork_invitations):
        rows = [dict(r) for r in await conn.fetch(query, program_id, [wave_id])]
        out.append(sorted(rows, key=repr))
    return out


async def _export(client: Any, headers: dict[str, str], program_id: int, wave_id: int) -> Any:
    r = await client.get(
        f"/api/v1/programs/{program_id}/waves/{wave_id}/export?format=csv", headers=headers)
    assert r.status_code == 200, r.text
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    return sorted(rows, key=repr)


async def _pii_left(conn: Conn, phones: list[str]) -> list[Any]:
    """Every trace of these numbers in the program's tables (not the opt-out list)."""
    return [
        *await conn.fetch("SELECT id FROM contacts WHERE phone_e164 = ANY($1)", phones),
        *await conn.fetch("SELECT id FROM audit_log WHERE"
                          " detail::text ~ $1 OR target ~ $1", "|".join(p[2:] for p in phones)),
    ]


async def test_a_removed_contact_is_forgotten_but_their_answers_stay(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    actors: Any,
) -> None:
    w = await make_world(
        conn, resources, mode="link", languages=["en", "es"],
        contacts=[(DONE, "King", "es"), (WAITING, "King", "en"), (STAYS, "King", "en"),
                  (STOPPED, "King", "en")],
    )
    pid, site = w.program_id, w.sites["King"]
    await _join(conn, pid, "grantee@example.org", "evaluator@example.org")
    grantee, evaluator = actors.headers("grantee"), actors.headers("evaluator")
    panel = await conn.fetchval(
        "INSERT INTO panel_members (program_id, pseudonym) VALUES ($1, 'p-done') RETURNING id",
        pid)
    await conn.execute("UPDATE contacts SET panel_code = 'PANEL-7', panel_member_id = $2"
                       " WHERE phone_e164 = $1", DONE, panel)
    await conn.execute("INSERT INTO sms_opt_outs (phone_e164, source) VALUES ($1, 'sms keyword')",
                       STOPPED)
    # DONE's link went out by mail, and DONE answered through it, in Spanish.
    r = await client.post(f"/api/v1/programs/{pid}/waves/{w.wave_id}/invitations",
                          json={"for_contacts": True, "site_id": site}, headers=admin)
    assert r.status_code == 201, r.text
    links = {i["contact_id"]: i for i in r.json()["invitations"]}
    done = links[w.contacts[DONE]]
    response = await conn.fetchval(
        "INSERT INTO responses (program_id, wave_id, site_id, invitation_id, panel_member_id,"
        " language, channel, questionnaire_hash, status, submitted_at)"
        " SELECT program_id, wave_id, site_id, id, panel_member_id, 'es', 'web',"
        " (SELECT questionnaire_hash FROM waves WHERE id = $2), 'complete', now()"
        " FROM invitations WHERE id = $1 RETURNING id", done["id"], w.wave_id)
    await conn.execute("INSERT INTO answers (program_id, response_id, item_id, value_num)"
                       " VALUES ($1, $2, 'event_voice', 4)", pid, response)
    await conn.execute("UPDATE invitations SET completed_at = now() WHERE id = $1", done["id"])
    assert (await client.get(f"/s/{done['token']}", headers=HTML)).status_code == 200
    # The invitation texts are queued, not yet sent.
    r = await client.post(f"/api/v1/programs/{pid}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite", "site_id": site}, headers=admin)
    assert r.status_code == 202, r.text
    assert await conn.fetchval(
        "SELECT count(*) FROM sms_messages WHERE contact_id = $1 AND state = 'queued'",
        w.contacts[WAITING]) == 1
    report = await _report(conn, pid, w.wave_id)
    exported = await _export(client, admin, pid, w.wave_id)
    assert [(e["language"], e["panel_id"]) for e in exported] == [("es", "p-done")]

    # Evaluators never remove anyone; another program's grantee cannot see the contact.
    url = f"/api/v1/programs/{pid}/contacts/{w.contacts[DONE]}"
    assert (await client.delete(url, headers=evaluator)).status_code == 403
    assert (await client.delete(url, headers=actors.headers("other_grantee"))).status_code == 404
    assert await conn.fetchval("SELECT count(*) FROM contacts WHERE program_id = $1", pid) == 4

    for phone, headers in ((DONE, grantee), (WAITING, admin), (STOPPED, grantee)):
        r = await client.delete(f"/api/v1/programs/{pid}/contacts/{w.contacts[phone]}",
                                headers=headers)
        assert r.status_code == 204, r.text
    assert (await client.delete(url, headers=grantee)).status_code == 404  # gone already

    # The phone numbers and the panel code are gone; so are their consent records.
    forgotten = [DONE, WAITING, STOPPED]
    assert await _pii_left(conn, forgotten) == []
    assert await conn.fetchval("SELECT count(*) FROM contacts WHERE panel_code IS NOT NULL") == 0
    assert await conn.fetchval(
        "SELECT count(*) FROM sms_consents WHERE contact_id = ANY($1)",
        [w.contacts[p] for p in forgotten]) == 0
    assert [r["phone_e164"] for r in await conn.fetch(
        "SELECT phone_e164 FROM contacts WHERE program_id = $1", pid)] == [STAYS]
    # The opt-out stays: the number must not be texted if a later list has it again.
    assert await conn.fetchval("SELECT count(*) FROM sms_opt_outs WHERE phone_e164 = $1",
                               STOPPED) == 1
    # The answer stays, de-identified: its invitation refers to nobody, and the panel
    # member's pseudonymous id still pairs it with a later wave.
    kept = await conn.fetchrow(
        "SELECT r.panel_member_id, i.contact_id, i.contact_language,"
        " (SELECT count(*) FROM answers a WHERE a.response_id = r.id) AS answers"
        " FROM responses r JOIN invitations i ON i.id = r.invitation_id WHERE r.id = $1",
        response)
    assert dict(kept) == {"panel_member_id": panel, "contact_id": None,
                          "contact_language": "es", "answers": 1}
    assert await _report(conn, pid, w.wave_id) == report
    assert await _export(client, admin, pid, w.wave_id) == exported

    # The mailed link no longer works: the resident sees the page of any link that does
    # not exist, in their language as far as its translation is reviewed (here the
    # Spanish drafts are not, so both are in English and say so).
    es = {**HTML, "Accept-Language": "es"}
    page = await client.get(f"/s/{done['token']}", headers=es)
    unknown = await client.get(f"/s/{pid}-{'x' * 43}", headers=es)
    assert page.status_code == unknown.status_code == 404
    assert page.text == unknown.text and "<h1>Survey not found</h1>" in page.text
    assert await conn.fetchval("SELECT count(*) FROM invitation_tokens") == 0

    # The queued invitation to WAITING is canceled, never sent; STAYS gets theirs.
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()
    assert fake.sent_to(WAITING) == [] and len(fake.sent_to(STAYS)) == 1
    assert await conn.fetchval(
        "SELECT error FROM sms_messages WHERE wave_id = $1 AND contact_id IS NULL"
        " AND direction = 'outbound'", w.wave_id) == "contact removed"

    # Audited, by the contact's id, without the number.
    audit = await conn.fetch("SELECT target, detail FROM audit_log WHERE action ="
                             " 'contact.remove' ORDER BY id")
    assert [a["target"] for a in audit] == [str(w.contacts[p]) for p in forgotten]


async def test_purging_a_closed_wave_keeps_who_another_wave_needs(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    actors: Any,
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"],
                         sites=[("King", "America/Los_Angeles"),
                                ("Pierce", "America/Los_Angeles")],
                         contacts=[(DONE, "King", "en"), (WAITING, "King", "en"),
                                   (STAYS, "King", "en")])
    pid, site, pierce = w.program_id, w.sites["King"], w.sites["Pierce"]
    await _join(conn, pid, "grantee@example.org", "evaluator@example.org")
    base = f"/api/v1/programs/{pid}/waves/{w.wave_id}"
    r = await client.post(f"{base}/invitations", json={"for_contacts": True, "site_id": site},
                          headers=admin)
    assert r.status_code == 201, r.text
    links = {i["contact_id"]: i["token"] for i in r.json()["invitations"]}
    r = await client.post(f"{base}/sms/send", json={"action": "invite", "site_id": site},
                          headers=admin)
    assert r.status_code == 202, r.text
    # STAYS is invited to the next wave too (a draft at another site, invitations
    # issued for print).
    nxt = await client.post(f"/api/v1/programs/{pid}/waves", headers=admin, json={
        "name": "Next", "phase": "post", "questionnaire_id": "pulse",
        "sites": [{"site_id": pierce}]})
    assert nxt.status_code == 201, nxt.text
    await conn.execute(
        "INSERT INTO invitations (program_id, wave_id, site_id, channel, token_hash, contact_id)"
        " VALUES ($1, $2, $3, 'web', '\\x01', $4)",
        pid, nxt.json()["id"], pierce, w.contacts[STAYS])

    # While the wave is open nothing is purged.
    r = await client.post(f"{base}/contacts/purge", headers=actors.headers("grantee"))
    assert r.status_code == 409, r.text
    r = await client.get(f"{base}/contacts/purge", headers=actors.headers("grantee"))
    assert r.status_code == 409, r.text
    assert (await client.post(f"{base}/close", headers=admin)).status_code == 200
    # The dry run: what the purge would do, and nothing done.
    r = await client.get(f"{base}/contacts/purge", headers=actors.headers("grantee"))
    assert r.status_code == 200 and r.json() == {"remove": 2, "keep": 1}, r.text
    assert (await client.get(f"{base}/contacts/purge",
                             headers=actors.headers("evaluator"))).status_code == 403
    r = await client.post(f"{base}/contacts/purge", headers=actors.headers("evaluator"))
    assert r.status_code == 403
    r = await client.post(f"{base}/contacts/purge", headers=actors.headers("other_grantee"))
    assert r.status_code == 404
    assert await conn.fetchval("SELECT count(*) FROM contacts WHERE program_id = $1", pid) == 3

    r = await client.post(f"{base}/contacts/purge", headers=actors.headers("grantee"))
    assert r.status_code == 200, r.text
    # Their invitation texts were still queued (the worker cancels a closed wave's texts
    # on its next pass; the purge did first).
    assert r.json() == {"removed": 2, "kept": 1, "links_withdrawn": 2, "texts_canceled": 2,
                        "opted_out": 0}
    r = await client.get(f"{base}/contacts/purge", headers=actors.headers("grantee"))
    assert r.json() == {"remove": 0, "keep": 1}
    assert await _pii_left(conn, [DONE, WAITING]) == []
    assert [r["phone_e164"] for r in await conn.fetch(
        "SELECT phone_e164 FROM contacts WHERE program_id = $1", pid)] == [STAYS]
    page = await client.get(f"/s/{links[w.contacts[DONE]]}", headers=HTML)
    assert page.status_code == 404 and "Survey not found" in page.text
    # The kept contact's link to the closed wave still says it closed.
    page = await client.get(f"/s/{links[w.contacts[STAYS]]}", headers=HTML)
    assert page.status_code == 410
    (entry,) = await conn.fetch("SELECT target, detail FROM audit_log"
                                " WHERE action = 'contacts.purge'")
    assert entry["target"] == str(w.wave_id)
    # Nothing goes out to them, nor to anyone of a closed wave.
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()
    assert fake.sent_to(DONE) == [] and fake.sent_to(WAITING) == []


async def test_purging_keeps_who_another_open_or_draft_wave_could_still_reach(
    conn: Conn, client: Any, resources: Any, admin: dict[str, str],
) -> None:
    """A wave at a contact's site that has not invited them yet still needs them: an
    open one may text them later (or they start a conversation), a draft once launched."""
    pacific = "America/Los_Angeles"
    w = await make_world(conn, resources, mode="link", languages=["en"],
                         sites=[("King", pacific), ("Pierce", pacific), ("Yakima", pacific)],
                         contacts=[(DONE, "King", "en"), (WAITING, "Pierce", "en"),
                                   (STAYS, "Yakima", "en")])
    pid = w.program_id
    base = f"/api/v1/programs/{pid}/waves/{w.wave_id}"
    for site in w.sites.values():
        r = await client.post(f"{base}/invitations", headers=admin,
                              json={"for_contacts": True, "site_id": site})
        assert r.status_code == 201, r.text
    assert (await client.post(f"{base}/close", headers=admin)).status_code == 200
    # A draft at Pierce and an open wave at Yakima; neither has invited anyone.
    for name, site in (("Draft", "Pierce"), ("Open", "Yakima")):
        r = await client.post(f"/api/v1/programs/{pid}/waves", headers=admin, json={
            "name": name, "phase": "post", "questionnaire_id": "pulse", "languages": ["en"],
            "channels": ["sms", "web"], "sms_mode": "link", "allow_unreviewed": True,
            "sites": [{"site_id": w.sites[site]}]})
        assert r.status_code == 201, r.text
        if name == "Open":
            r = await client.post(f"/api/v1/programs/{pid}/waves/{r.json()['id']}/launch",
                                  headers=admin, json={"override_languages": ["en"],
                                                       "reason": "test: drafts"})
            assert r.status_code == 200, r.text
    assert await conn.fetchval("SELECT count(*) FROM invitations WHERE wave_id <> $1",
                               w.wave_id) == 0

    r = await client.post(f"{base}/contacts/purge", headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["removed"], r.json()["kept"]) == (1, 2)
    assert sorted(r["phone_e164"] for r in await conn.fetch(
        "SELECT phone_e164 FROM contacts WHERE program_id = $1", pid)) == [WAITING, STAYS]
