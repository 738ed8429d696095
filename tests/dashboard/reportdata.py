"""A small synthetic pre/post program from the report engine's generator: three
program sites with known effects, a comparison site and a site too small to report."""

from __future__ import annotations

from typing import Any

from survey.db import Conn

WANTED = ("King County", "Spokane County", "Yakima County", "Cowlitz County", "Okanogan County")


async def seed_report_program(
    conn: Conn,
    res: Any,
    *,
    slug: str = "report-test",
    scale: float = 0.25,
    sites: tuple[str, ...] = WANTED,
) -> Any:
    from survey.report.seeding import seed_program
    from survey.report.synthetic import clep_design

    designs = [d for d in clep_design(scale) if d.name in sites]
    return await seed_program(conn, res, designs, slug=slug, name="Report test program")
