"""Seed a launched wave with personal and open links, through the real services.

Shared by the server tests (tests/web) and the browser tests (tests/browser).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from survey.access import SYSTEM
from survey.db import Conn
from survey.schemas import InvitationsIn, LaunchIn, ProgramIn, SiteIn, WaveIn, WaveSiteIn
from survey.services import invitations, programs, waves

PROGRAM_NAME = "Safe Streets Together"


@dataclass
class Setup:
    program_id: int
    wave_id: int
    site_id: int
    questionnaire_hash: str
    tokens: list[str]
    open_link: str
    languages: list[str] = field(default_factory=list)

    @property
    def open_path(self) -> str:
        return f"/o/{self.open_link}"

    def personal_path(self, n: int = 0) -> str:
        return f"/s/{self.tokens[n]}"


async def seed(
    conn: Conn,
    res: Any,
    *,
    slug: str = "web-test",
    questionnaire: str = "community-trust",
    languages: tuple[str, ...] = ("en", "es", "ar", "zh_Hans"),
    default_language: str = "en",
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    launch: bool = True,
    close: bool = False,
    invitations_count: int = 6,
) -> Setup:
    """A program with one site and one wave, launched (translations overridden)."""
    program = await programs.create_program(
        conn, SYSTEM, ProgramIn(slug=slug, name=PROGRAM_NAME)
    )
    site = await programs.create_site(conn, SYSTEM, program.id, SiteIn(name="King County"))
    now = datetime.now(UTC)
    wave = await waves.create_wave(
        conn, SYSTEM, res, program.id,
        WaveIn(
            name="Baseline", phase="pre", questionnaire_id=questionnaire,
            languages=list(languages), default_language=default_language,
            channels=["web"],
            opens_at=opens_at if opens_at is not None else now - timedelta(days=1),
            closes_at=closes_at if closes_at is not None else now + timedelta(days=30),
            sites=[WaveSiteIn(site_id=site.id, target_n=100)],
        ),
    )
    content_hash = ""
    tokens: list[str] = []
    if launch:
        launched = await waves.launch_wave(
            conn, SYSTEM, res, program.id, wave.id,
            LaunchIn(override_languages=list(languages), reason="tests: drafts not reviewed"),
        )
        content_hash = launched.wave.questionnaire_hash or ""
        issued = await invitations.issue(
            conn, SYSTEM, program.id, wave.id,
            InvitationsIn(site_id=site.id, count=invitations_count), base_url="http://x",
        )
        tokens = [i.token for i in issued.invitations]
    code, _ = await invitations.create_open_link(conn, SYSTEM, program.id, wave.id, site.id)
    if close:
        await waves.close_wave(conn, SYSTEM, program.id, wave.id)
    return Setup(
        program_id=program.id, wave_id=wave.id, site_id=site.id,
        questionnaire_hash=content_hash, tokens=tokens, open_link=f"{program.id}-{code}",
        languages=list(languages),
    )


class Form(HTMLParser):
    """The first form of a page (or the one whose action ends with ``action``): its
    action, hidden fields, and the inputs of each question in order."""

    def __init__(self, action: str | None = None) -> None:
        super().__init__()
        self.want = action
        self.action = ""
        self.hidden: dict[str, str] = {}
        self.shown: list[str] = []
        self.controls: list[dict[str, str]] = []
        self._inside = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        wanted = self.want is None or a.get("action", "").endswith(self.want)
        if tag == "form" and not self._done and not self._inside and wanted:
            self._inside = True
            self.action = a.get("action", "")
        if not self._inside or tag not in ("input", "textarea"):
            return
        if a.get("type") == "hidden":
            if a.get("name") == "shown":
                self.shown.append(a.get("value", ""))
            else:
                self.hidden[a["name"]] = a.get("value", "")
        else:
            self.controls.append({"tag": tag, **a})

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._inside:
            self._inside = False
            self._done = True


def parse_form(html: str, action: str | None = None) -> Form:
    form = Form(action)
    form.feed(html)
    return form
