"""No PII in logs: a full run (contacts upload, SMS invitations through the fake
provider, conversations, opt-out and help texts from those numbers, a web response,
exports, and a few refusals) with every log record captured at DEBUG and formatted by
the service's JSON formatter; then no phone number (E.164, national, bare digits) and
no name used may appear in the log text."""

from __future__ import annotations

import logging
import re
from typing import Any

import phonenumbers

from survey.db import Conn
from survey.logs import JsonFormatter
from survey.sms.fakeprovider import FakeTwilio

from .conftest import FrozenClock, Phone, make_worker, make_world, noon_pacific, twilio_sender

PEOPLE = {
    "+12065550111": "Amina Yusuf",
    "+12065550122": "Nguyễn Thị Lan",
    "+15095550133": "محمد الأحمد",
    "+12535550144": "Иван Петров",
    "+442079460958": "张伟",
}
UNKNOWN = "+13605550177"


def _forms_of(number: str) -> set[str]:
    parsed = phonenumbers.parse(number)
    out = {number, number[1:], str(parsed.national_number)}
    for fmt in (phonenumbers.PhoneNumberFormat.NATIONAL,
                phonenumbers.PhoneNumberFormat.INTERNATIONAL):
        out.add(phonenumbers.format_number(parsed, fmt))
    return out


async def test_a_full_run_logs_no_phone_number_or_name(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str],
    caplog: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    w = await make_world(conn, resources, languages=["en", "es"])
    base = f"/api/v1/programs/{w.program_id}"
    # Upload: national and international formats, a name column, and a bad row.
    lines = ["name,phone,language,site"]
    for number, name in PEOPLE.items():
        parsed = phonenumbers.parse(number)
        fmt = (phonenumbers.PhoneNumberFormat.NATIONAL if number.startswith("+1")
               else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        lines.append(f'"{name}","{phonenumbers.format_number(parsed, fmt)}",en,King')
    bad = "\n".join([*lines, '"Bad Row","206-555-01",en,King']) + "\n"
    r = await client.post(f"{base}/contacts", content=bad.encode(),
                          headers={**admin, "Content-Type": "text/csv"})
    assert r.status_code == 422 and "206-555-01" not in caplog.text
    r = await client.post(f"{base}/contacts", content=("\n".join(lines) + "\n").encode(),
                          headers={**admin, "Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["imported"] == len(PEOPLE), r.text
    assert (await client.get(f"{base}/contacts", headers=admin)).status_code == 200

    # SMS invitations through the worker and the fake provider.
    r = await client.post(f"{base}/waves/{w.wave_id}/sms/send", json={"action": "invite"},
                          headers=admin)
    assert r.status_code == 202, r.text
    async with twilio_sender(fake) as sender:
        stats = await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()
    assert stats.sent >= len(PEOPLE)
    # Replies from those numbers: a whole conversation, HELP, STOP, and a stranger.
    numbers = list(PEOPLE)
    phone = Phone(client, numbers[0])
    for reply in ("1", "4", "dont know", "Call me at 206 555 0111 please"):
        await phone.text(reply)
    await Phone(client, numbers[1]).text("HELP")
    await Phone(client, numbers[2]).text("STOP")
    await Phone(client, numbers[3]).text("2")
    await Phone(client, UNKNOWN).text("hello")
    # An unsigned webhook is refused (and logged as a request, nothing more).
    refused = await client.post("/sms/inbound", data={"From": numbers[4], "Body": "x"})
    assert refused.status_code == 403

    # A web response through a personal link, then the exports.
    r = await client.post(f"{base}/waves/{w.wave_id}/invitations",
                          json={"site_id": w.sites["King"], "count": 1}, headers=admin)
    assert r.status_code == 201, r.text
    link = r.json()["invitations"][0]["url"]
    path = link[link.index("/s/"):]
    landing = await client.get(path, headers={"Accept": "text/html"})
    assert landing.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', landing.text)
    assert csrf
    started = await client.post(path + "/start", data={"csrf": csrf.group(1), "lang": "en"},
                                headers={"Accept": "text/html"}, follow_redirects=False)
    assert started.status_code == 303
    for fmt in ("csv", "sav"):
        r = await client.get(f"{base}/waves/{w.wave_id}/export?format={fmt}", headers=admin)
        assert r.status_code == 200, (fmt, r.text[:200])

    formatter = JsonFormatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert len(caplog.records) > 20 and '"route": "/sms/inbound"' in logged
    leaks = [f for n in [*numbers, UNKNOWN] for f in _forms_of(n) if f in logged]
    leaks += [name for name in PEOPLE.values() if name in logged]
    leaks += [part for name in PEOPLE.values() for part in name.split() if part in logged]
    assert leaks == [], leaks
