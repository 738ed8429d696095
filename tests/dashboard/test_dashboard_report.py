"""The evaluator's report: rendered in the dashboard with a site selector, suppressed
cells shown with their reason, the HTML and PDF downloads (PDF pages rendered to PNG
with pdftoppm), and every export format."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from forms import HTML, Staff

from survey.db import Conn

pytest.importorskip("survey.report.seeding")


async def _seed(conn: Conn, res: Any, actors: Any) -> Any:
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


async def test_report_page_and_downloads(
    client: Any, actors: Any, conn: Conn, resources: Any, tmp_path: Path
) -> None:
    seeded = await _seed(conn, resources, actors)
    pid = seeded.program_id
    staff = Staff(client)
    await staff.login("evaluator@example.org")
    okanogan = seeded.site_ids["Okanogan County"]
    page = await staff.get(f"/dashboard/programs/{pid}/report?site={okanogan}&lang=es")
    assert page.status_code == 200, page.text
    assert "Resumen" in page.text and "suprimido" in page.text
    assert "menos de 10 personas" in page.text  # the reason beside the suppressed cells
    assert 'alt="' in page.text and "data:image/png;base64," in page.text
    king = seeded.site_ids["King County"]
    page = await staff.get(f"/dashboard/programs/{pid}/report?site={king}")
    assert "King County" in page.text and "<figure" in page.text

    html = await client.get(f"/api/v1/programs/{pid}/report.html?lang=en")
    assert html.status_code == 200 and "attachment" in html.headers["content-disposition"]
    assert "<style>" in html.text and "Methods" in html.text and "Fieldwork" in html.text

    pdf = await client.get(f"/api/v1/programs/{pid}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    (tmp_path / "report.pdf").write_bytes(pdf.content)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "30",
            "-f",
            "1",
            "-l",
            "3",
            str(tmp_path / "report.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 3 and all(p.stat().st_size > 2000 for p in pages)

    for fmt in ("csv", "sav", "dta"):
        r = await client.get(f"/api/v1/programs/{pid}/waves/{seeded.pre_id}/export?format={fmt}")
        assert r.status_code == 200, r.text
        assert r.headers["x-withheld-sites"] == "1"  # Okanogan, for an evaluator
        assert len(r.content) > 1000


async def test_report_needs_two_waves(client: Any, actors: Any) -> None:
    staff = Staff(client)
    await staff.login("evaluator@example.org")
    page = await client.get(f"/dashboard/programs/{actors.programs['own']}/report", headers=HTML)
    assert page.status_code == 200 and 'class="notice"' in page.text
