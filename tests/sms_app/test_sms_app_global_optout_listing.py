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
