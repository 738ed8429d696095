"""A number that opted out through one program is opted out in every program: the
contacts listing and the fieldwork monitor of a program that uploads it afterwards
say so, and agree with what sending does."""

from __future__ import annotations

from typing import Any

from survey.db import Conn

from .conftest import Phone, make_world

PHONE = "+12065550202"
OTHER = "+12065550203"


async def test_a_later_upload_of_an_opted_out_number_shows_opted_out(
    conn: Conn, client: Any, resources: Any, admin: dict[str, str]
) -> None:
    b = await make_world(conn, resources, slug="program-b", contacts=[(PHONE, "King", "es")])
    r = await client.post(f"/api/v1/programs/{b.program_id}/waves/{b.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    phone = Phone(client, PHONE)
    await phone.text("2")
    assert len(await phone.text("ALTO")) == 1  # opted out through program B

    a = await make_world(conn, resources, slug="program-a")
    base = f"/api/v1/programs/{a.program_id}"
    r = await client.post(f"{base}/contacts", content=f"phone,site\n{PHONE},King\n{OTHER},King\n",
                          headers={**admin, "content-type": "text/csv"})
    assert r.status_code == 200, r.text

    listing = (await client.get(f"{base}/contacts", headers=admin)).json()
    assert {c["phone"]: c["opted_out"] for c in listing} == {PHONE: True, OTHER: False}
    fieldwork = (await client.get(f"{base}/waves/{a.wave_id}/fieldwork", headers=admin)).json()
    assert fieldwork["opt_outs"] == 1
    assert [s["opt_outs"] for s in fieldwork["sites"]] == [1]
    sent = await client.post(f"{base}/waves/{a.wave_id}/sms/send", json={"action": "invite"},
                             headers=admin)
    assert (sent.json()["skipped_opted_out"], sent.json()["recipients"]) == (1, 1)
    # Program A learns that the number opted out, nothing of program B.
    [row] = [c for c in listing if c["phone"] == PHONE]
    assert set(row) == {"id", "phone", "preferred_language", "site_id", "panel_code",
                        "consent_status", "opted_out"}


async def test_an_opted_out_number_gets_no_printed_link_whenever_it_was_uploaded(
    conn: Conn, client: Any, resources: Any, admin: dict[str, str]
) -> None:
    before, after, fine, siteless = ("+12065558888", "+12065558889", "+12065558890",
                                     "+12065558891")
    assert await Phone(client, before).text("STOP") == []  # a number nobody uploaded yet
    w = await make_world(conn, resources, sites=(("King", "America/Los_Angeles"),
                                                 ("Pierce", "America/Los_Angeles")))
    base = f"/api/v1/programs/{w.program_id}"
    sheet = f"phone,site\n{before},King\n{after},King\n{fine},King\n{siteless},\n"
    r = await client.post(f"{base}/contacts", content=sheet,
                          headers={**admin, "content-type": "text/csv"})
    assert r.status_code == 200, r.text
    # Consent withdrawn once uploaded (told to the grantee, who uploads it again).
    r = await client.post(f"{base}/contacts", content=f"phone,consent\n{after},no\n",
                          headers={**admin, "content-type": "text/csv"})
    assert r.status_code == 200, r.text

    listing = (await client.get(f"{base}/contacts", headers=admin)).json()
    assert {c["phone"]: (c["opted_out"], c["consent_status"]) for c in listing} == {
        before: (True, "revoked"), after: (True, "revoked"), fine: (False, "unknown"),
        siteless: (False, "unknown")}

    r = await client.post(f"{base}/waves/{w.wave_id}/invitations",
                          json={"for_contacts": True, "site_id": w.sites["King"]},
                          headers={**admin, "accept": "text/csv"})
    assert r.status_code == 201, r.text
    rows = r.text.splitlines()[1:]
    fine_id = next(c["id"] for c in listing if c["phone"] == fine)
    assert [row.split(",")[1] for row in rows] == [str(fine_id)]
    assert (r.headers["x-skipped-opted-out"], r.headers["x-skipped-no-site"]) == ("2", "1")
    again = await client.post(f"{base}/waves/{w.wave_id}/invitations",
                              json={"for_contacts": True, "site_id": w.sites["King"]},
                              headers=admin)
    assert {k: again.json()[k] for k in ("created", "skipped_opted_out", "skipped_no_site")} == {
        "created": 0, "skipped_opted_out": 2, "skipped_no_site": 1}
    # The cost of texting says the same of the contact with no site.
    estimate = await client.get(f"{base}/waves/{w.wave_id}/sms/estimate", headers=admin)
    assert (estimate.json()["contacts"], estimate.json()["without_site"]) == (1, 1)
