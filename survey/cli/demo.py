"""``survey demo``: seed a demo CLEP program with sites, waves, users and links, then serve."""

from __future__ import annotations

import argparse
import asyncio
import secrets
from datetime import UTC, datetime, timedelta

from survey import migrations
from survey.access import SYSTEM
from survey.cli.common import connection, progress, settings_from_env
from survey.cli.serve import add_server_arguments, prepare, run_server
from survey.db import Conn
from survey.schemas import (
    InvitationsIn,
    KeyIn,
    LaunchIn,
    ProgramIn,
    SiteIn,
    UserIn,
    WaveIn,
    WaveSiteIn,
)
from survey.sql import Q

DEMO_SLUG = "wa-clep-demo"
# The counties named in the CLEP program description (../shared/context).
CLEP_COUNTIES = (
    "Spokane",
    "Pierce",
    "King",
    "Okanogan",
    "Yakima",
    "Cowlitz",
    "Clark",
    "Chelan-Douglas",
    "Walla Walla",
    "Benton-Franklin",
    "Grant",
    "Snohomish",
)
COMPARISON_SITE = "Cowlitz"
DEMO_LANGUAGES = ["en", "es", "vi", "zh_Hans", "ar"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo", help="seed demo data, then serve")
    add_server_arguments(parser)
    parser.add_argument("--reset", action="store_true", help="delete the demo program first")
    parser.add_argument("--seed-only", action="store_true", help="seed, print, and exit")
    parser.set_defaults(func=demo)


DEMO_USERS = (
    ("admin@example.org", "admin"),
    ("grantee@example.org", "grantee"),
    ("evaluator@example.org", "evaluator"),
)


async def seed(conn: Conn, base_url: str, *, reset: bool = False) -> dict[str, str]:
    """Create the demo program once; returns credentials and links to print."""
    # Imported here: every `survey` command builds this parser, and the synthetic data
    # behind the demo (numpy, scipy, the report) takes a second or two to import.
    from survey.report.seeding import seed_demo
    from survey.resources import load_resources
    from survey.services import invitations, programs, waves

    settings = settings_from_env()
    res = load_resources(settings)
    existing = await conn.fetchrow(Q.program_by_slug, DEMO_SLUG)
    if existing and reset:
        await programs.purge_program(conn, SYSTEM, existing["id"])
        existing = None
    if existing:
        return {}
    out: dict[str, str] = {}
    async with conn.transaction():
        program = await programs.create_program(
            conn,
            SYSTEM,
            ProgramIn(
                slug=DEMO_SLUG,
                name="Washington CLEP (demo)",
                contact_email="clep-demo@example.org",
                contact_phone="+13605550100",
            ),
        )
        site_ids: dict[str, int] = {}
        for county in CLEP_COUNTIES:
            site = await programs.create_site(
                conn,
                SYSTEM,
                program.id,
                SiteIn(
                    name=f"{county} County" if "-" not in county else f"{county} Counties",
                    comparison=county == COMPARISON_SITE,
                ),
            )
            site_ids[county] = site.id
        now = datetime.now(UTC)
        targets = [WaveSiteIn(site_id=i, target_n=400) for i in site_ids.values()]
        pre = await waves.create_wave(
            conn,
            SYSTEM,
            res,
            program.id,
            WaveIn(
                name="Baseline 2026",
                phase="pre",
                questionnaire_id="community-trust",
                languages=DEMO_LANGUAGES,
                default_language="en",
                channels=["web", "sms"],
                opens_at=now - timedelta(days=1),
                closes_at=now + timedelta(days=60),
                sites=targets,
            ),
        )
        await waves.launch_wave(
            conn,
            SYSTEM,
            res,
            program.id,
            pre.id,
            LaunchIn(
                override_languages=DEMO_LANGUAGES,
                reason="demo: draft translations not yet reviewed",
            ),
        )
        await waves.create_wave(
            conn,
            SYSTEM,
            res,
            program.id,
            WaveIn(
                name="Follow-up 2027",
                phase="post",
                questionnaire_id="community-trust",
                languages=DEMO_LANGUAGES,
                channels=["web", "sms"],
                sites=targets,
            ),
        )
        for email, role in DEMO_USERS:
            password = secrets.token_urlsafe(12)
            key = await _demo_user(conn, program.id, email, role, password)
            out[f"{role} login"] = f"{email} / {password}"
            out[f"{role} API key"] = key
        king = site_ids["King"]
        issued = await invitations.issue(
            conn,
            SYSTEM,
            program.id,
            pre.id,
            InvitationsIn(site_id=king, count=5),
            base_url=base_url,
        )
        out["personal link (King County)"] = issued.invitations[0].url
        code, _ = await invitations.create_open_link(conn, SYSTEM, program.id, pre.id, king)
        out["open link (King County)"] = invitations.open_url(base_url, program.id, code)
        out["dashboard"] = f"{base_url}/dashboard"
        # The dashboard's page, not the API's PDF: a browser opening the printed link
        # has no API key, and the page asks it to sign in first.
        out["flyers page (sign in first)"] = (
            f"{base_url}/dashboard/programs/{program.id}/waves/{pre.id}/flyers"
        )
        # Synthetic pre/post waves with known effects, so the report has something to show.
        out.update(await seed_demo(conn, res, program.id, base_url=base_url))
    return out


async def _demo_user(conn: Conn, program_id: int, email: str, role: str, password: str) -> str:
    """The demo user with this email, made, or after ``--reset`` made over for the new
    program (new password, its old keys revoked); returns a new API key for it."""
    from survey.services import users

    programs_of = [] if role == "admin" else [program_id]
    row = await conn.fetchrow(Q.user_by_email, email)
    if row is None:
        user_id = (
            await users.create_user(
                conn,
                SYSTEM,
                UserIn(
                    email=email,
                    name=role.title(),
                    role=role,  # type: ignore[arg-type]
                    password=password,
                    program_ids=programs_of,
                ),
            )
        ).id
    else:
        user_id = row["id"]
        await users.set_password(conn, user_id, password)
        await users.set_programs(conn, SYSTEM, user_id, programs_of)
        await users.revoke_all_keys(conn, SYSTEM, user_id)
    key = await users.create_key(conn, SYSTEM, user_id, KeyIn(name=f"demo {program_id}"))
    return key.key


async def _seed_and_print(args: argparse.Namespace) -> None:
    settings = settings_from_env()
    async with connection(settings) as conn:
        await migrations.upgrade(conn)
        progress("seeding the demo program")
        shown = await seed(conn, settings.public_base_url, reset=args.reset)
    if not shown:
        progress(
            "demo data already present (use --reset to start over); "
            "credentials were printed when it was first seeded"
        )
        return
    print("\nDemo credentials and links (shown once):")
    for label, value in shown.items():
        print(f"  {label:32} {value}")
    print()


def demo(args: argparse.Namespace) -> int:
    settings = prepare(args, listen=not args.seed_only)
    asyncio.run(_seed_and_print(args))
    if args.seed_only:
        return 0
    run_server(settings)
    return 0
