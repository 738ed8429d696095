"""The invitations table of a wave tells an evaluator no more than the report does.

Okanogan has fewer than 10 complete responses: the report suppresses it and the
evaluator's export withholds it, so its completed invitations are hidden from the
evaluator too (API and dashboard page), while the administrator running the
fieldwork keeps the exact counts.
"""

from __future__ import annotations

from typing import Any

import pytest
from forms import Staff

from survey.db import Conn

pytest.importorskip("survey.report.seeding")


async def _seed(conn: Conn, res: Any) -> Any:
    from reportdata import seed_report_program

    seeded = await seed_report_program(
        conn, res, sites=("King County", "Cowlitz County", "Okanogan County")
    )
    await conn.execute(
        "INSERT INTO program_members (program_id, user_id) "
        "SELECT $1, id FROM users WHERE email = 'evaluator@example.org'",
        seeded.program_id,
    )
    return seeded


async def test_evaluator_sees_no_completes_of_a_suppressed_site(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    seeded = await _seed(conn, resources)
    pid, wave = seeded.program_id, seeded.pre_id
    okanogan = seeded.site_ids["Okanogan County"]
    king = seeded.site_ids["King County"]
    url = f"/api/v1/programs/{pid}/waves/{wave}/invitations"

    exact = await client.get(url, headers=actors.headers("admin"))
    assert exact.status_code == 200, exact.text
    by_site = {r["site_id"]: r for r in exact.json()}
    small = by_site[okanogan]
    assert 0 < small["completed"] < 10 and small["suppressed"] is False
    assert by_site[king]["completed"] >= 10

    staff = Staff(client)
    await staff.login("evaluator@example.org")
    seen = await client.get(url)
    assert seen.status_code == 200, seen.text
    rows = {r["site_id"]: r for r in seen.json()}
    # Issued and sent are about fieldwork, not about anyone who answered: shown.
    assert rows[okanogan] == {
        "site_id": okanogan, "channel": "sms", "issued": small["issued"],
        "sent": small["sent"], "completed": None, "suppressed": True,
    }
    assert rows[king]["completed"] == by_site[king]["completed"]
    assert rows[king]["suppressed"] is False

    page = await staff.get(f"/dashboard/programs/{pid}/waves/{wave}?lang=es")
    assert page.status_code == 200, page.text
    table = page.text.split('id="invitations-h"', 1)[1]
    okanogan_row = table.split("Okanogan County", 1)[1].split("</tr>", 1)[0]
    assert '<td class="suppressed">suprimido</td>' in okanogan_row, okanogan_row
    assert "menos de 10 personas" in table


async def test_a_small_channel_count_of_a_shown_site_is_hidden_with_a_complement(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    """A shown site's channel cell of 1 to 9 is hidden, and another with it, so the
    channel's total over the shown sites (in the report) cannot give it back."""
    from survey.access import SYSTEM, Principal
    from survey.services.invitations import summary

    seeded = await _seed(conn, resources)
    pid, wave = seeded.program_id, seeded.pre_id
    king = seeded.site_ids["King County"]
    cowlitz = seeded.site_ids["Cowlitz County"]
    # Web (printed link) invitations: 2 of 3 completed at King, 12 of 15 at Cowlitz.
    for site, issued, done in ((king, 3, 2), (cowlitz, 15, 12)):
        await conn.execute(
            "INSERT INTO invitations (program_id, wave_id, site_id, channel, token_hash, "
            "completed_at) SELECT $1, $2, $3, 'web', "
            "sha256(convert_to($3::bigint || ':' || g, 'UTF8')), CASE WHEN g <= $5 THEN now() END "
            "FROM generate_series(1, $4) g",
            pid, wave, site, issued, done,
        )  # fmt: skip
    evaluator = Principal(
        user_id=0, email="e", name="e", role="evaluator", program_ids=frozenset({pid})
    )
    rows = {(r.site_id, r.channel): r for r in await summary(conn, evaluator, pid, wave)}
    assert rows[(king, "web")].completed is None and rows[(king, "web")].suppressed
    assert rows[(king, "web")].issued == 3
    # The complement: 14 web completes in the report's total, less Cowlitz's 12.
    assert rows[(cowlitz, "web")].completed is None and rows[(cowlitz, "web")].suppressed
    # The sms column has no small cell at the shown sites: untouched.
    assert rows[(king, "sms")].completed is not None
    assert rows[(cowlitz, "sms")].completed is not None
    # The administrator's counts stay exact.
    admin = {(r.site_id, r.channel): r for r in await summary(conn, SYSTEM, pid, wave)}
    assert admin[(king, "web")].completed == 2 and admin[(cowlitz, "web")].completed == 12
