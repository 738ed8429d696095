"""End to end in headless Chromium (the web survey's harness, tests/browser): a grantee
launches a wave through the wizard, the monitor counts a response submitted in another
browser context without a reload, a reviewer signs off a draft translation, and an
evaluator opens the report and downloads every export. Saves the screenshots linked
from the README (docs/screenshots)."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path
from typing import Any

import pytest
from browsing import finish, start  # tests/browser, on the path through the conftest
from harness import fetch, run  # tests/browser: the web survey's browser harness

from survey.dashboard.monitor import POLL_SECONDS

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser
# The README's screenshots are refreshed on request (SURVEY_UPDATE_SCREENSHOTS=1), so an
# ordinary run never rewrites tracked files; otherwise they go to tests/artifacts.
SHOTS = (
    ROOT / "docs" / "screenshots"
    if os.environ.get("SURVEY_UPDATE_SCREENSHOTS")
    else ROOT / "tests" / "artifacts" / "dashboard"
)
DESKTOP = {"width": 1200, "height": 860}
PASSWORD = "correct horse battery"


def _seed(server: Any) -> dict[str, Any]:
    from survey import db
    from survey.access import SYSTEM
    from survey.schemas import ProgramIn, SiteIn, UserIn
    from survey.services import programs, users

    async def go() -> dict[str, Any]:
        conn = await db.connect(server.settings.database_url or "")
        try:
            program = await programs.create_program(
                conn, SYSTEM, ProgramIn(slug="dash-browser", name="Yakima Trust Project")
            )
            site = await programs.create_site(
                conn, SYSTEM, program.id, SiteIn(name="Yakima County")
            )
            await programs.create_site(conn, SYSTEM, program.id, SiteIn(name="Union Gap"))
            out: dict[str, Any] = {"program": program.id, "site": site.id, "report": None}
            try:
                from reportdata import seed_report_program

                out["report"] = await seed_report_program(
                    conn,
                    server.resources,
                    slug="dash-browser-report",
                    sites=("King County", "Cowlitz County", "Okanogan County"),
                )
            except ImportError:  # the report engine is not installed
                pass
            for email, role in (
                ("grantee@dash.example", "grantee"),
                ("evaluator@dash.example", "evaluator"),
            ):
                ids = [program.id] + ([out["report"].program_id] if out["report"] else [])
                await users.create_user(
                    conn,
                    SYSTEM,
                    UserIn(
                        email=email,
                        name=f"Dana {role.title()}",
                        role=role,  # type: ignore[arg-type]
                        password=PASSWORD,
                        program_ids=ids,
                    ),
                )
            return out
        finally:
            await conn.close()

    return run(go())


@pytest.fixture(scope="module")
def world(server: Any) -> dict[str, Any]:
    return _seed(server)


def _login(page: Any, server: Any, email: str) -> None:
    page.goto(f"{server.url}/dashboard/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("form button[type=submit]")


def _save(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def _poll_until(page: Any, condition: str) -> None:
    """Move the monitor's clock on to its next poll until ``condition`` holds. Each poll
    fetches for real; a poll still on its way when the clock moves sets its next timer
    later, hence the loop (15 s in all at most, as the wait on real time was)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(15):
        page.clock.run_for(POLL_SECONDS * 1000)
        try:
            page.wait_for_function(condition, timeout=1_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"the monitor never showed {condition}")


def test_grantee_wizard_monitor_and_review(
    browser: Any, server: Any, world: dict[str, Any]
) -> None:
    ctx = browser.new_context(viewport=DESKTOP)
    page = ctx.new_page()
    _login(page, server, "grantee@dash.example")
    pid, site = world["program"], world["site"]
    page.goto(f"{server.url}/dashboard/programs/{pid}/waves/new")
    page.fill("#name", "Spring listening sessions")
    page.select_option("#questionnaire_id", "pulse")
    with page.expect_navigation():
        page.click("form.stack button[type=submit]")
    assert "/setup/languages" in page.url and page.locator("text=Publish gate").count()
    _save(page, "wizard-languages.png")
    page.check("#lang-es")
    page.check("#allow_unreviewed")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.check(f"#site-{site}")
    page.fill(f"input[name=target_{site}]", "40")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/setup/channels" in page.url and page.locator("#sms-h").count()
    with page.expect_navigation():
        page.click("main form.stack button[type=submit]")
    for box in page.locator("input[name=override]").all():
        box.check()  # a language still missing strings would need an explicit override
    with page.expect_navigation():
        page.click("main form.stack button[type=submit]")
    assert "/setup/contacts" in page.url, page.content()[:500]
    wave = int(page.url.split("/waves/")[1].split("/")[0])
    assert fetch(server, "SELECT state FROM waves WHERE id = $1", wave)[0]["state"] == "open"

    page.goto(f"{server.url}/dashboard/programs/{pid}/waves/{wave}/flyers")
    with page.expect_navigation():
        page.click("form.create-links button[type=submit]")
    link = page.locator(".flyer-card .url a").first.get_attribute("href") or ""
    assert "/o/" in link
    # The page's timers on a clock the test moves on: its poll runs when the test has
    # something to see, not after 5 s of real time (the poll itself is unchanged).
    page.clock.install()
    page.goto(f"{server.url}/dashboard/programs/{pid}/waves/{wave}/monitor")
    kpi = page.locator(".kpi[data-field=complete]")
    assert kpi.inner_text() == "0"

    resident = browser.new_context(viewport={"width": 360, "height": 740})
    survey_page = resident.new_page()
    start(survey_page, link.replace(server.settings.public_base_url, server.url))
    finish(survey_page)
    resident.close()
    # No reload: the page's script polls the JSON route and updates the count in place.
    _poll_until(
        page, "() => document.querySelector('.kpi[data-field=complete]').textContent === '1'"
    )
    assert page.locator(f"tr[data-site='{site}'] [data-field=complete]").inner_text() == "1"
    # Redrawn from the JSON's codes, the tables still name the language and channel.
    assert page.locator("tbody[data-table=by_language] td").first.inner_text() == "English"
    assert page.locator("tbody[data-table=by_channel] td").first.inner_text() == "Web survey"
    # The chart's numbers as text, redrawn too: today's one complete, by the web.
    daily = page.locator("table[data-table=daily] tbody tr")
    assert daily.count() == 1
    assert daily.first.locator("td").all_inner_texts()[-2:] == ["1", "1"]
    # The "Updated" time is refilled by each poll with the server's formatted text.
    updated = page.locator("[data-field=updated_text]")
    updated.evaluate("el => { el.textContent = ''; }")
    _poll_until(
        page, "() => document.querySelector('[data-field=updated_text]').textContent !== ''"
    )
    assert re.match(r"Updated .*[AP]M \(", updated.inner_text()), updated.inner_text()
    # The chart reloads after the numbers (a new address): shot once it has come.
    page.wait_for_function(
        """() => { const img = document.querySelector('img[data-chart]');
                   return img.src.includes('?t=') && img.complete && img.naturalWidth > 0; }""",
        timeout=15_000,
    )
    _save(page, "monitor.png")

    # A reviewer clears a fuzzy string; the sign-off lands in the .po file.
    page.goto(f"{server.url}/dashboard/translations?locale=es&domain=questionnaires&prefix=pulse/")
    first = page.locator("input[name=entry]").first
    first.check()
    _save(page, "review.png")
    with page.expect_navigation():
        page.click("main form[method=post] button[type=submit]")
    assert page.locator("p.notice[role=status]").count() == 1
    po = Path(server.resources.catalogs.root) / "es" / "LC_MESSAGES" / "questionnaires.po"
    assert "reviewed-by: Dana Grantee" in po.read_text(encoding="utf-8")
    ctx.close()


def test_evaluator_report_and_exports(
    browser: Any, server: Any, world: dict[str, Any], tmp_path: Path
) -> None:
    import pyreadstat

    if world.get("report") is None:
        pytest.skip("the report engine is not installed")
    seeded = world["report"]
    ctx = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = ctx.new_page()
    _login(page, server, "evaluator@dash.example")
    king = seeded.site_ids["King County"]
    page.goto(f"{server.url}/dashboard/programs/{seeded.program_id}/report?site={king}")
    assert page.locator("#summary-h").count() == 1
    assert page.locator("figure.chart img[alt]").count() >= 2
    # From the summary down to the first forest plot: the roll-up table and a chart.
    top = page.locator("#summary-h").bounding_box() or {"y": 0}
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(SHOTS / "report.png"),
        full_page=True,
        clip={"x": 0, "y": top["y"] - 16, "width": DESKTOP["width"], "height": 1250},
    )
    for fmt in ("csv", "codebook", "sav", "dta"):
        link = page.locator(f"a[data-export={fmt}]").first
        with page.expect_download() as info:
            link.click()
        path = tmp_path / f"export.{fmt}"
        info.value.save_as(str(path))
        if fmt == "sav":
            df, meta = pyreadstat.read_sav(str(path))
        elif fmt == "dta":
            df, meta = pyreadstat.read_dta(str(path))
        elif fmt == "codebook":
            # One row per variable of the CSV just downloaded, in its order.
            names = [r[0] for r in csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")))]
            data = (tmp_path / "export.csv").read_text(encoding="utf-8-sig")
            assert names == ["variable", *next(csv.reader(io.StringIO(data)))]
            continue
        else:
            assert path.read_text(encoding="utf-8-sig").startswith("resp_id,")
            continue
        assert len(df) > 20 and meta.variable_value_labels["site_id"]
        assert "Okanogan County" not in meta.variable_value_labels[
            "site_id"
        ].values() or seeded.site_ids["Okanogan County"] not in set(df["site_id"])
    ctx.close()


def test_dashboard_pages_reflow_at_320px(
    browser: Any, server: Any, world: dict[str, Any]
) -> None:
    """WCAG 1.4.10: on a 320 px screen nothing scrolls sideways but a wide table,
    which scrolls inside its own labelled, focusable region."""
    from survey import db
    from survey.access import SYSTEM
    from survey.schemas import LaunchIn, WaveIn, WaveSiteIn
    from survey.services import waves

    pid, site = world["program"], world["site"]

    async def make() -> tuple[int, int]:
        conn = await db.connect(server.settings.database_url or "")
        try:
            wave = await waves.create_wave(
                conn, SYSTEM, server.resources, pid,
                WaveIn(name="Reflow wave", phase="pre", questionnaire_id="pulse",
                       languages=["en", "es"], channels=["web", "sms"],
                       sites=[WaveSiteIn(site_id=site, target_n=40)]),
            )
            # A closed wave, for the page that purges its contact details.
            closed = await waves.create_wave(
                conn, SYSTEM, server.resources, pid,
                WaveIn(name="Closed wave", phase="pre", questionnaire_id="pulse",
                       languages=["en"], channels=["web"],
                       sites=[WaveSiteIn(site_id=site)]),
            )
            await waves.launch_wave(conn, SYSTEM, server.resources, pid, closed.id,
                                    LaunchIn(override_languages=["en"], reason="test"))
            await waves.close_wave(conn, SYSTEM, pid, closed.id)
            return wave.id, closed.id
        finally:
            await conn.close()

    wave, closed = run(make())
    from browsing import axe_audit, failing, serious
    from harness import AXE

    ctx = browser.new_context(viewport={"width": 320, "height": 640})
    if AXE.exists():
        ctx.add_init_script(path=str(AXE))
    page = ctx.new_page()
    _login(page, server, "grantee@dash.example")
    base = f"{server.url}/dashboard/programs/{pid}"
    paths = [
        base, f"{base}/waves/{wave}", f"{base}/waves/{wave}/monitor",
        *(f"{base}/waves/{wave}/setup/{step}"
          for step in ("languages", "sites", "channels", "launch")),
        f"{server.url}/dashboard/translations",
        f"{server.url}/dashboard/account/password",
        f"{base}/waves/{closed}/contacts/purge",
        # The error page (a wave not found), whose template also says a report is
        # being prepared, with its link to check again.
        f"{base}/waves/999999999",
    ]
    if world.get("report") is not None:
        paths.append(f"{server.url}/dashboard/programs/{world['report'].program_id}/report")
    widths = {}
    for path in paths:
        page.goto(path)
        widths[path] = page.evaluate("document.documentElement.scrollWidth")
        if AXE.exists():  # the scroll regions are named and reachable by keyboard
            audit = axe_audit(page)
            assert serious(audit) == [], path
            # Moderate, so not among the serious: no two landmarks share a name (a
            # section and the table region inside it were both "Waves").
            assert failing(audit, "landmark-unique") == [], path
    assert {p: w for p, w in widths.items() if w > 320} == {}
    # The purge page audited above is the closed wave's form, not a refusal.
    page.goto(f"{base}/waves/{closed}/contacts/purge")
    assert page.locator("#confirm-purge").count() == 1
    # The languages step's hint stays on screen; only its table scrolls.
    page.goto(f"{base}/waves/{wave}/setup/languages")
    hint = page.locator("main .hint").first.bounding_box() or {}
    assert hint["x"] + hint["width"] <= 320
    region = page.locator("fieldset .table-scroll[role=region][tabindex='0']")
    name = page.locator(f"#{region.get_attribute('aria-labelledby')}").inner_text()
    assert name == "Languages offered, with their translation status"
    assert page.evaluate("document.querySelector('.table-scroll').scrollWidth") > 320
    # "Add a site": each label sits directly above its own field.
    page.goto(base)
    tz_label = page.locator("label[for=site-tz]").bounding_box() or {}
    tz = page.locator("#site-tz").bounding_box() or {}
    assert tz_label["x"] == tz["x"] and 0 <= tz["y"] - (tz_label["y"] + tz_label["height"]) < 12
    box = page.locator("#site-comparison").bounding_box() or {}
    label = page.locator("label[for=site-comparison]").bounding_box() or {}
    assert abs((box["y"] + box["height"] / 2) - (label["y"] + label["height"] / 2)) < 8
    assert 0 <= label["x"] - (box["x"] + box["width"]) < 16
    ctx.close()
