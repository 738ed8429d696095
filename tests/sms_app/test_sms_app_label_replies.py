"""The reviewer's steps: the real SMS instrument in every language it has, and the
last question answered with the words of its option "Not sure", read from that
language's catalog. Once stored as skipped in English, Spanish and Chinese, and
re-prompted in Russian; now option 3 everywhere, in the database and the export."""

from __future__ import annotations

import csv
import io
from typing import Any

from survey.db import Conn
from survey.i18n import translate_questionnaire
from survey.questionnaire import sms_choices
from survey.sms.fakeprovider import FakeTwilio

from .conftest import FrozenClock, Phone, make_worker, make_world, noon_pacific, twilio_sender

QID = "community-trust-sms"


def _one_gender(label: str) -> str:
    """What people type for a label that writes both genders, in lower case:
    "No estoy seguro/a" -> "no estoy seguro", "Не уверен(а)" -> "не уверен"."""
    for mark in ("/a", "(а)", "(a)"):
        label = label.replace(mark, "")
    return label.lower()


async def test_not_sure_in_words_is_stored_as_option_3_in_every_language(
    conn: Conn, client: Any, resources: Any, fake: FakeTwilio, admin: dict[str, str]
) -> None:
    q = resources.questionnaires[QID]
    languages = list(q.languages)
    phones = {lang: f"+1206555{900 + n:04d}" for n, lang in enumerate(languages)}
    w = await make_world(conn, resources, questionnaire=QID, languages=languages,
                         contacts=[(p, "King", "en") for p in phones.values()])
    r = await client.post(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/sms/send",
                          json={"action": "invite"}, headers=admin)
    assert r.status_code == 202, r.text
    async with twilio_sender(fake) as sender:
        await make_worker(conn, sender, resources, FrozenClock(noon_pacific())).run_once()

    for number, language in enumerate(languages, start=1):
        localized = translate_questionnaire(resources.catalogs, q, language, allow_fuzzy=True)
        [label] = [c.label for c in sms_choices(localized, localized.item("aware_program"))
                   if c.value == "not_sure"]
        phone = Phone(client, phones[language])
        await phone.text(str(number))
        for _ in range(len(q.items) - 1):
            await phone.text("1")
        [thanks] = await phone.text(_one_gender(label))
        assert thanks.startswith(localized.thanks[:20]), (language, thanks)

    rows = await conn.fetch(
        "SELECT r.language, a.value_codes, a.missing FROM answers a JOIN responses r"
        " ON r.program_id = a.program_id AND r.id = a.response_id"
        " WHERE a.program_id = $1 AND a.item_id = 'aware_program'", w.program_id)
    assert {r["language"]: (r["value_codes"], r["missing"]) for r in rows} == {
        lang: (["not_sure"], None) for lang in languages}

    r = await client.get(f"/api/v1/programs/{w.program_id}/waves/{w.wave_id}/export?format=csv",
                         headers=admin)
    assert r.status_code == 200, r.text
    exported = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["language"]: row["aware_program"] for row in exported} == {
        lang: "3" for lang in languages}
