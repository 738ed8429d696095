"""Rules for the dashboard, render and export code that a reviewer would otherwise
have to remember: the Spanish staff catalog is complete, the use cases stay free of
HTTP, SQL stays in survey/sql, and the staff strings stay out of the residents' gate."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from survey.dashboard.i18n import DOMAIN, extract
from survey.i18n.catalogs import po_path, pot_path, read_catalog

ROOT = Path(__file__).resolve().parents[2]
HTTP_FREE = [
    *sorted((ROOT / "survey" / "export").glob("*.py")),
    *sorted((ROOT / "survey" / "render").glob("*.py")),
    ROOT / "survey" / "dashboard" / "fieldwork.py",
    ROOT / "survey" / "dashboard" / "wizard_data.py",
    ROOT / "survey" / "services" / "launch_gate.py",
]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_use_cases_know_nothing_of_http_or_the_driver() -> None:
    for path in HTTP_FREE:
        roots = {m.split(".")[0] for m in _imports(path)}
        assert "litestar" not in roots and "asyncpg" not in roots, path
        assert "matplotlib.pyplot" not in _imports(path), path


def test_no_sql_literals_outside_survey_sql() -> None:
    # A statement's shape, not a lone word: "Select at least one text" is a sentence.
    sql = re.compile(
        r"\bselect\b.+\bfrom\b|\binsert\s+into\b|\bupdate\s+\w+\s+set\b|\bdelete\s+from\b",
        re.IGNORECASE | re.DOTALL,
    )
    for folder in ("dashboard", "export", "render"):
        for path in (ROOT / "survey" / folder).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    assert not sql.search(node.value), (path, node.value[:60])


def test_spanish_catalog_covers_every_staff_string() -> None:
    template = extract(ROOT)
    spanish = read_catalog(po_path(ROOT / "locales", "es", DOMAIN), "es")
    missing = []
    for message in template:
        if not message.id:
            continue
        found = spanish.get(message.id, message.context)
        if (
            found is None
            or not found.string
            or (isinstance(found.string, tuple) and not all(found.string))
        ):
            missing.append(message.id)
    assert missing == []
    committed = read_catalog(pot_path(ROOT / "locales", DOMAIN), "en")
    assert {m.id for m in committed if m.id} == {m.id for m in template if m.id}, (
        "re-extract locales/dashboard.pot"
    )


def test_staff_strings_stay_out_of_the_residents_catalog() -> None:
    # The publish gate counts every string of ``messages``; a dashboard string there
    # would block every language's launch until someone translated a staff button.
    ui = read_catalog(pot_path(ROOT / "locales", "messages"), "en")
    ours = (
        "survey/dashboard/",
        "survey/render/",
        "survey/templates/dashboard/",
        "survey/templates/report/",
    )
    leaked = [m.id for m in ui if any(f.startswith(ours) for f, _ in m.locations)]
    assert leaked == []
