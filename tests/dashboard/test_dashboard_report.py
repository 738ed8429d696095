"""The evaluator's report: rendered in the dashboard with a site selector, suppressed
cells shown with their reason, the HTML and PDF downloads (PDF pages rendered to PNG
with pdftoppm), and every export format."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from forms import HTML, Staff, signed_in

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
    # The methods paragraph too, not English inside a Spanish page.
    assert "Analiza solo las respuestas completas" in page.text
    assert "It analyses complete responses" not in page.text
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
    # The PDF's text layer (copy, search, a screen reader) has each suppressed cell as
    # its word, not the screen-only reason squeezed into a 1-px box a word a line.
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "report.pdf"), "-"], check=True, capture_output=True,
        text=True,
    ).stdout
    assert "suprimido" in text and "suprimido(menos" not in text, text[:2000]
    assert text.count("menos de 10 personas; se oculta") == 1  # the note above the table
    # Tagged (PDF/UA) with its language, on US Letter like the program's flyers.
    info = subprocess.run(
        ["pdfinfo", str(tmp_path / "report.pdf")], check=True, capture_output=True, text=True
    ).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M), info
    assert re.search(r"^Page size:\s+612 x 792 pts \(letter\)$", info, re.M), info
    catalog = subprocess.run(
        ["pdfinfo", "-meta", str(tmp_path / "report.pdf")], capture_output=True, text=True
    ).stdout
    assert "pdfuaid:part" in catalog, catalog[:1000]

    for fmt in ("csv", "sav", "dta"):
        r = await client.get(f"/api/v1/programs/{pid}/waves/{seeded.pre_id}/export?format={fmt}")
        assert r.status_code == 200, r.text
        assert r.headers["x-withheld-sites"] == "1"  # Okanogan, for an evaluator
        assert len(r.content) > 1000
    # The codebook beside the files, linked from the page, names the CSV's variables.
    page = await staff.get(f"/dashboard/programs/{pid}/report?lang=en")
    codebook = f"/api/v1/programs/{pid}/waves/{seeded.pre_id}/codebook?lang=en"
    assert f'href="{codebook}"' in page.text and 'data-export="codebook"' in page.text
    r = await client.get(codebook)
    assert r.status_code == 200 and r.text.startswith("\ufeffvariable,label,type,")
    # Every download from a Spanish page comes in Spanish, labels and all.
    page = await staff.get(f"/dashboard/programs/{pid}/report?lang=es")
    links = dict(re.findall(r'<a href="([^"]+)" download(?: data-export="(\w+)")?', page.text))
    assert len(links) == 2 + 3 * 2 + 2 and all("lang=es" in href for href in links), links
    codebook = next(h for h, kind in links.items() if kind == "codebook").replace("&amp;", "&")
    r = await client.get(codebook)
    assert r.status_code == 200 and "1=Mujer" in r.text, r.text[:300]


async def test_report_needs_two_waves(client: Any, actors: Any) -> None:
    staff = Staff(client)
    await staff.login("evaluator@example.org")
    page = await client.get(f"/dashboard/programs/{actors.programs['own']}/report", headers=HTML)
    assert page.status_code == 200 and 'class="notice"' in page.text


async def _pulse_follow_up(conn: Conn, res: Any, seeded: Any) -> int:
    """A one-day ``pulse`` wave after the pre/post pair, with one complete response (and
    a pulse pre wave without any)."""
    from datetime import UTC, datetime

    from survey.report.seeding import create_waves

    site = next(iter(seeded.site_ids.values()))
    _, post_id, qhash = await create_waves(
        conn, res, seeded.program_id, [site], questionnaire_id="pulse",
        languages=["en"], names=("Pulse check", "Pulse follow-up"),
    )
    # Moved after the community-trust post wave (fieldwork order), as a follow-up.
    day = datetime(2026, 1, 10, tzinfo=UTC)
    await conn.execute(
        "UPDATE waves SET opens_at = $2::timestamptz, phase = 'follow_up', "
        "closes_at = $2::timestamptz + interval '1 day' WHERE id = $1", post_id, day,
    )
    await conn.execute(
        "INSERT INTO responses (program_id, wave_id, site_id, language, channel, "
        "questionnaire_hash, status, started_at, updated_at, submitted_at) "
        "VALUES ($1, $2, $3, 'en', 'web', $4, 'complete', $5, $5, $5)",
        seeded.program_id, post_id, site, qhash, day,
    )
    return post_id


async def test_a_later_wave_of_another_questionnaire_keeps_the_default_report(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    seeded = await _seed(conn, resources, actors)
    pulse = await _pulse_follow_up(conn, resources, seeded)
    staff = Staff(client)
    await staff.login("evaluator@example.org")
    url = f"/dashboard/programs/{seeded.program_id}/report"
    page = await staff.get(url)
    assert page.status_code == 200 and 'class="notice"' not in page.text, page.text
    assert "<figure" in page.text
    parser = _Selects()
    parser.feed(page.text)
    chosen = {k: [v for v, _, on in parser.selects[k] if on] for k in ("pre", "post")}
    assert chosen == {"pre": [str(seeded.pre_id)], "post": [str(seeded.post_id)]}
    api = await client.get(
        f"/api/v1/programs/{seeded.program_id}/report?pre={seeded.pre_id}",
        headers=actors.headers("evaluator"),
    )
    assert api.status_code == 200 and api.json()["post"]["id"] == seeded.post_id

    page = await staff.get(f"{url}?post={pulse}&lang=es")
    assert page.status_code == 200
    notice = re.search(r'<p class="notice">([^<]*)</p>', page.text)
    assert notice is not None and "Invalid input" not in notice.group(1)
    assert "cuestionario" in notice.group(1) and "Antes" in notice.group(1)


async def test_pre_and_post_swapped_are_refused_in_the_reader_s_language(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    seeded = await _seed(conn, resources, actors)
    staff = Staff(client)
    await staff.login("evaluator@example.org")
    url = f"/dashboard/programs/{seeded.program_id}/report"
    page = await staff.get(f"{url}?pre={seeded.post_id}&post={seeded.pre_id}&lang=es")
    assert page.status_code == 200
    notice = re.search(r'<p class="notice">([^<]*)</p>', page.text)
    assert notice is not None and notice.group(1) == (
        "Antes: Follow-up 2025 (synthetic) se realizó después de Baseline 2025 "
        "(synthetic): intercambie «antes» y «después»"
    ), page.text
    # No results under the refusal: the gains are not shown as declines.
    assert "<figure" not in page.text
    # The selectors keep the pair asked for, so the reader can swap it.
    parser = _Selects()
    parser.feed(page.text)
    chosen = {k: [v for v, _, on in parser.selects[k] if on] for k in ("pre", "post")}
    assert chosen == {"pre": [str(seeded.post_id)], "post": [str(seeded.pre_id)]}


async def test_no_comparable_waves_says_why(client: Any, actors: Any) -> None:
    staff = Staff(client)
    await staff.login("evaluator@example.org")
    page = await client.get(f"/dashboard/programs/{actors.programs['own']}/report", headers=HTML)
    notice = re.search(r'<p class="notice">([^<]*)</p>', page.text)
    assert notice is not None
    assert notice.group(1) == "After: no post wave with complete responses; name one"


class _Selects(HTMLParser):
    """Each ``<select>``'s options by the select's id: (value, text, selected)."""

    def __init__(self) -> None:
        super().__init__()
        self.selects: dict[str, list[tuple[str, str, bool]]] = {}
        self._select: str | None = None
        self._option: list[Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "select":
            self._select = a.get("id") or ""
            self.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value") or "", "", "selected" in a]

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._select is not None:
            self.selects[self._select].append(tuple(self._option))  # type: ignore[arg-type]
            self._option = None
        elif tag == "select":
            self._select = None


async def test_report_offers_the_programs_waves(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    seeded = await _seed(conn, resources, actors)
    staff = Staff(client)
    await staff.login("evaluator@example.org")
    page = await staff.get(f"/dashboard/programs/{seeded.program_id}/report")
    assert page.status_code == 200, page.text
    parser = _Selects()
    parser.feed(page.text)
    pre, post = str(seeded.pre_id), str(seeded.post_id)
    baseline, follow_up = "Baseline 2025 (synthetic) (Pre)", "Follow-up 2025 (synthetic) (Post)"
    assert parser.selects["pre"] == [
        ("", "automatic", False),
        (pre, baseline, True),
        (post, follow_up, False),
    ]
    assert parser.selects["post"] == [
        ("", "automatic", False),
        (pre, baseline, False),
        (post, follow_up, True),
    ]


async def test_content_types_name_the_charset_once(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    seeded = await _seed(conn, resources, actors)
    staff = Staff(client)
    await staff.login("evaluator@example.org")
    page = await staff.get(f"/dashboard/programs/{seeded.program_id}/report")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    url = f"/api/v1/programs/{seeded.program_id}/waves/{seeded.pre_id}/export"
    csv = await client.get(url + "?format=csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    sav = await client.get(url + "?format=sav")
    assert sav.headers["content-type"] == "application/x-spss-sav"


async def test_phases_are_words_in_the_reader_s_language(
    client: Any, actors: Any, conn: Conn, resources: Any
) -> None:
    """``follow_up`` is the API's value: pages say "Follow-up" (or "Seguimiento")."""
    seeded = await _seed(conn, resources, actors)
    await _pulse_follow_up(conn, resources, seeded)
    # The wave wizard is the grantee's.
    await conn.execute(
        "INSERT INTO program_members (program_id, user_id) "
        "SELECT $1, id FROM users WHERE email = 'grantee@example.org'",
        seeded.program_id,
    )

    staff = await signed_in(client, conn)
    base = f"/dashboard/programs/{seeded.program_id}"
    page = await staff.get(f"{base}/report?lang=en")
    assert "Pulse follow-up (Follow-up)</option>" in page.text
    assert "follow_up" not in page.text
    spanish = await staff.get(f"{base}/report?lang=es")
    assert "Pulse follow-up (Seguimiento)</option>" in spanish.text
    staff_page = await staff.get(f"{base}?lang=en")
    assert "<td>Follow-up</td>" in staff_page.text
    wizard = await staff.get(f"{base}/waves/new?lang=en")
    assert wizard.status_code == 200, wizard.text
    options = re.findall(r'<option value="(\w+)"[^>]*>([^<]*)</option>', wizard.text)
    assert ("follow_up", "Follow-up") in options and ("pre", "Pre") in options
