"""Personal links issued for print or mail (``POST …/invitations`` with
``for_contacts``) and SMS: the estimate and the send agree, texting such a contact
carries their invitation (not a second one), reminders reach whoever was texted and
has not completed, and each skipped count says why."""

from __future__ import annotations

from typing import Any

from survey import security
from survey.db import Conn
from survey.sms.fakeprovider import FakeTwilio
from survey.sql import Q

from .conftest import (
    FrozenClock,
    Phone,
    days_pass,
    make_worker,
    make_world,
    noon_pacific,
    twilio_sender,
)

LINKED = ["+12065550131", "+12065550132", "+12065550133"]  # given links to mail
DONE = "+12065550134"  # given a link, and answered it
NEW = "+12065550135"  # no link yet
STOPPED = "+12065550136"  # opted out


async def _post(client: Any, admin: dict[str, str], w: Any, path: str, body: Any) -> Any:
    r = await client.post(
        f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/{path}", json=body, headers=admin
    )
    assert r.is_success, r.text
    return r.json()


async def _estimate(client: Any, admin: dict[str, str], w: Any) -> Any:
    r = await client.get(
        f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/estimate", headers=admin
    )
    assert r.status_code == 200, r.text
    return r.json()


def _counts(out: dict[str, Any]) -> dict[str, int]:
    keys = ("recipients", "skipped_opted_out", "skipped_done", "skipped_invited",
            "skipped_pending")
    return {k: out[k] for k in keys}


def _token(body: str) -> str:
    return body.split("/s/", 1)[1].split()[0]


async def test_contacts_with_mailed_links_are_texted_their_invitation(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en"],
                         contacts=[(p, "King", "en") for p in [*LINKED, DONE, NEW, STOPPED]])
    await conn.execute("UPDATE contacts SET opted_out_at = now() WHERE phone_e164 = $1",
                       STOPPED)
    site = w.sites["King"]
    await conn.execute("UPDATE contacts SET site_id = NULL WHERE phone_e164 = $1", NEW)
    mailed = await _post(client, admin, w, "invitations", {"for_contacts": True, "site_id": site})
    await conn.execute("UPDATE contacts SET site_id = $2 WHERE phone_e164 = $1", NEW, site)
    by_contact = {i["contact_id"]: i for i in mailed["invitations"]}
    assert len(by_contact) == 4  # LINKED and DONE; not the opted-out number
    done_id = by_contact[w.contacts[DONE]]["id"]
    await conn.execute("UPDATE invitations SET completed_at = now() WHERE id = $1", done_id)

    # The estimate counts whom an invite will text: the three with an unanswered link
    # and the one without a link; not who answered, not who opted out.
    estimate = await _estimate(client, admin, w)
    assert estimate["contacts"] == 4
    invited = await _post(client, admin, w, "sms/send", {"action": "invite", "site_id": site})
    assert _counts(invited) == {"recipients": 4, "skipped_opted_out": 1, "skipped_done": 1,
                                "skipped_invited": 0, "skipped_pending": 0}
    assert estimate["total_segments"] == 4 * estimate["languages"][0]["segments_per_contact"]

    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()
    # One invitation a person: the texts carry the mailed invitations, and only the
    # contact who had none got a new one.
    rows = await conn.fetch("SELECT id, contact_id, token_hash FROM invitations"
                            " WHERE wave_id = $1", w.wave_id)
    assert len(rows) == 5
    for phone in LINKED:
        (body,) = fake.sent_to(phone)
        stored = next(r for r in rows if r["contact_id"] == w.contacts[phone])
        mailed_link = by_contact[w.contacts[phone]]
        assert stored["id"] == mailed_link["id"]
        # The text's token is kept beside the mailed one (0020): the letter's link
        # still works, and both open the same invitation.
        assert stored["token_hash"] == security.token_hash(mailed_link["token"])
        assert await conn.fetchval(
            "SELECT invitation_id FROM invitation_tokens WHERE token_hash = $1",
            security.token_hash(_token(body))) == stored["id"]
        for token in (_token(body), mailed_link["token"]):
            page = await client.get(f"/s/{token}")
            assert page.status_code == 200, page.text[:200]
    assert len(fake.sent_to(NEW)) == 1
    assert fake.sent_to(DONE) == [] and fake.sent_to(STOPPED) == []

    # Asked again, nobody is texted twice, and the estimate says so beforehand.
    assert (await _estimate(client, admin, w))["contacts"] == 0
    again = await _post(client, admin, w, "sms/send", {"action": "invite", "site_id": site})
    assert _counts(again) == {"recipients": 0, "skipped_opted_out": 1, "skipped_done": 1,
                              "skipped_invited": 4, "skipped_pending": 0}

    # A reminder reaches every texted person who has not completed (days later: none
    # is reminded within a day of the invitation).
    await days_pass(conn, w.wave_id)
    first = LINKED[0]
    first_invitation = by_contact[w.contacts[first]]["id"]
    await conn.execute("UPDATE invitations SET completed_at = now() WHERE id = $1",
                       first_invitation)
    remind = await _post(client, admin, w, "sms/send", {"action": "remind", "site_id": site})
    assert _counts(remind) == {"recipients": 3, "skipped_opted_out": 0, "skipped_done": 1,
                               "skipped_invited": 0, "skipped_pending": 0}
    remind = await _post(client, admin, w, "sms/send", {"action": "remind", "site_id": site})
    assert _counts(remind) == {"recipients": 0, "skipped_opted_out": 0, "skipped_done": 1,
                               "skipped_invited": 0, "skipped_pending": 3}
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()
    # Letter, invitation text and reminder: three links, each opening the same
    # invitation, through the page's lookup and the one-page form's batched one.
    second = LINKED[1]
    invitation, reminder = fake.sent_to(second)
    tokens = [by_contact[w.contacts[second]]["token"], _token(invitation), _token(reminder)]
    assert len(set(tokens)) == 3
    hashes = [security.token_hash(t) for t in tokens]
    for token, hashed in zip(tokens, hashes, strict=True):
        page = await client.get(f"/s/{token}")
        assert page.status_code == 200, page.text[:200]
        entry = await conn.fetchrow(Q.response_invitation_entry, w.program_id, hashed, False)
        assert entry["invitation_id"] == by_contact[w.contacts[second]]["id"]
    batched = await conn.fetch("SELECT pos, invitation_id FROM survey_invitation_entries($1, $2)",
                               [w.program_id] * 4, [*hashes, b"unknown"])
    assert [(r["pos"], r["invitation_id"]) for r in batched] == [
        (n, by_contact[w.contacts[second]]["id"]) for n in (1, 2, 3)]


async def test_a_conversation_takes_over_an_unanswered_mailed_link(
    conn: Conn, client: Any, resources: Any, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources, mode="conversation", languages=["en"],
                         contacts=[(p, "King", "en") for p in LINKED])
    site = w.sites["King"]
    mailed = await _post(client, admin, w, "invitations", {"for_contacts": True, "site_id": site})
    ids = {i["contact_id"]: i["id"] for i in mailed["invitations"]}
    # One of them already began answering through the link: the conversation leaves
    # that response to the web.
    started = w.contacts[LINKED[0]]
    await conn.execute(
        "INSERT INTO responses (program_id, wave_id, site_id, invitation_id, language, channel,"
        " questionnaire_hash) SELECT program_id, wave_id, site_id, id, 'en', 'web',"
        " (SELECT questionnaire_hash FROM waves WHERE id = $2) FROM invitations WHERE id = $1",
        ids[started], w.wave_id,
    )
    assert (await _estimate(client, admin, w))["contacts"] == 2
    out = await _post(client, admin, w, "sms/send", {"action": "invite", "site_id": site})
    assert _counts(out) == {"recipients": 2, "skipped_opted_out": 0, "skipped_done": 0,
                            "skipped_invited": 1, "skipped_pending": 0}
    conversations = await conn.fetch(
        "SELECT contact_id, invitation_id FROM sms_conversations WHERE wave_id = $1", w.wave_id
    )
    assert {r["contact_id"]: r["invitation_id"] for r in conversations} == {
        c: i for c, i in ids.items() if c != started
    }
    assert await conn.fetchval(
        "SELECT count(*) FROM invitations WHERE wave_id = $1", w.wave_id
    ) == 3


async def test_a_first_text_in_carries_on_the_mailed_invitation(
    conn: Conn, client: Any, resources: Any, admin: dict[str, str]
) -> None:
    w = await make_world(conn, resources, mode="conversation", languages=["en"],
                         contacts=[(p, "King", "en") for p in LINKED[:1]])
    mailed = await _post(client, admin, w, "invitations",
                         {"for_contacts": True, "site_id": w.sites["King"]})
    (issued,) = mailed["invitations"]
    replies = await Phone(client, LINKED[0]).text("hello")
    assert replies  # the conversation began
    row = await conn.fetchrow(
        "SELECT invitation_id FROM sms_conversations WHERE wave_id = $1", w.wave_id)
    assert row["invitation_id"] == issued["id"]
    assert await conn.fetchval(
        "SELECT count(*) FROM invitations WHERE wave_id = $1", w.wave_id) == 1


async def test_help_outside_a_conversation_isolates_the_program_name_in_arabic(
    conn: Conn, client: Any, resources: Any
) -> None:
    w = await make_world(conn, resources, mode="link", languages=["en", "ar"],
                         contacts=[(LINKED[0], "King", "ar"), (LINKED[1], "King", "en")])
    await conn.execute("UPDATE programs SET name = 'Safe Streets (pilot)'"
                       " WHERE id = $1", w.program_id)
    (arabic,) = await Phone(client, LINKED[0]).text("مساعدة")
    assert "\u2068Safe Streets (pilot)\u2069" in arabic
    (english,) = await Phone(client, LINKED[1]).text("HELP")
    assert "Safe Streets (pilot)" in english and "\u2068" not in english
