"""The reports with and without suspected duplicates cannot be differenced: where the
variant leaving them out loses 1 to 9 of a site-wave's responses, it suppresses that
site-wave (with a note why), in the JSON report, report.html and report.pdf alike;
otherwise a site n of 30 against 29 gives the one flagged respondent's answers."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import msgspec
import pytest

from survey.cli.report import summary
from survey.db import Conn
from survey.report.model import Report
from tests.report.test_report_api import seed_own
from tests.report.test_report_partial_waves import _forest_rows

NOTE = (
    "Fewer than 10 suspected duplicate responses left out in a wave, so suppressed there "
    "and left out of every program figure: Alpha."
)
WITHHELD = (
    "hidden so that the few suspected duplicates left out cannot be worked out by "
    "comparing this report with one that keeps them"
)
WITHHELD_ES = (
    "oculto para que las pocas respuestas sospechosas de estar duplicadas que se dejaron "
    "fuera no puedan deducirse comparando este informe con otro que las conserve"
)


def _site(html: str, site_id: int) -> str:
    """The site's section of the report page, whitespace collapsed."""
    start = html.index(f'<article class="site" id="site-{site_id}">')
    return re.sub(r"\s+", " ", html[start : html.index("</article>", start)])


async def test_a_few_left_out_duplicates_suppress_their_site_wave(
    client: Any, actors: Any, conn: Conn, resources: Any, tmp_path: Path
) -> None:
    pid = actors.programs["own"]
    ids = await seed_own(conn, resources, pid)

    async def flag(n: int) -> None:
        await conn.execute(
            "UPDATE responses SET duplicate_suspect = true WHERE id IN (SELECT id FROM "
            "responses WHERE site_id = $1 AND wave_id = $2 AND status = 'complete' "
            "AND NOT duplicate_suspect ORDER BY id LIMIT $3)", ids["Alpha"], ids["pre"], n)

    h = actors.headers("evaluator")
    url = f"/api/v1/programs/{pid}/report"

    async def alpha(exclude: bool) -> tuple[Report, Any]:
        r = await client.get(f"{url}?exclude_duplicates={str(exclude).lower()}", headers=h)
        assert r.status_code == 200, r.text
        report = msgspec.json.decode(r.content, type=Report)
        return report, next(s for s in report.sites if s.name == "Alpha")

    await flag(1)
    kept, with_them = await alpha(False)
    assert with_them.n_pre == 30 and with_them.status_pre == "reported"
    assert all(c.pre.mean is not None for c in with_them.constructs)
    left, without = await alpha(True)
    # Not 29: 30 − 29 and the two means would give the flagged person's answers.
    assert without.n_pre is None and without.suppressed_pre
    assert without.status_pre == "duplicates_withheld"
    assert all(c.pre.mean is None and c.change is None for c in without.constructs)
    assert all(i.pre.mean is None for i in without.items)
    # The post wave lost nobody: still shown.
    assert without.n_post == with_them.n_post and without.status_post == "reported"
    assert NOTE in " ".join(left.notes) and NOTE not in " ".join(kept.notes)
    # `survey report`'s text summary names the reason too.
    text = io.StringIO()
    summary(left, text)
    line = next(x for x in text.getvalue().splitlines() if x.startswith("Alpha"))
    assert line == f"Alpha: n withheld (duplicates) → {without.n_post}"
    primary = [c.label for c in without.constructs if c.primary]
    lines = text.getvalue().splitlines()
    at = lines.index(line)
    assert primary and lines[at + 1 : at + 1 + len(primary)] == [
        f"  {label}: withheld" for label in primary
    ]

    page = await client.get(f"{url}.html?lang=en&exclude_duplicates=true", headers=h)
    assert page.status_code == 200
    assert NOTE in re.sub(r"\s+", " ", page.text)
    # Its hidden cells say why: not the small-cell rule's "fewer than 10 respondents".
    site = _site(page.text, ids["Alpha"])
    assert f'<p class="suppressed-note"><strong>withheld</strong>: {WITHHELD}</p>' in site
    assert f'class="suppressed" title="{WITHHELD}">withheld<' in site
    assert "fewer than" not in site and ">suppressed<" not in site
    assert _forest_rows(page.text)["Alpha"] == ["withheld", WITHHELD]
    spanish = await client.get(f"{url}.html?lang=es&exclude_duplicates=true", headers=h)
    site = _site(spanish.text, ids["Alpha"])
    assert f'class="suppressed" title="{WITHHELD_ES}">retenido<' in site
    assert "menos de 10" not in site
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    pdf = await client.get(f"{url}.pdf?lang=en&exclude_duplicates=true", headers=h)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (tmp_path / "report.pdf").write_bytes(pdf.content)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "report.pdf"), "-"],
        check=True, capture_output=True, text=True,
    ).stdout
    assert NOTE in re.sub(r"\s+", " ", text)
    assert WITHHELD in re.sub(r"\s+", " ", text)

    # Ten or more left out are a group like any shown cell: the site is shown again.
    await flag(11)
    _, without = await alpha(True)
    assert without.n_pre == 18 and without.status_pre == "reported"
