"""The report package follows the service rules: no HTTP, no SQL outside survey/sql."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "survey" / "report"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_report_knows_nothing_of_http_or_the_driver() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        assert not _imports(path) & {"litestar", "asyncpg"}, path


def test_report_sql_lives_in_sql_files() -> None:
    keywords = ("SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM", "ANALYZE ")
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not any(k in node.value.upper() for k in keywords), path
    names = [p.name for p in (ROOT / "survey" / "sql").glob("report*.sql")]
    assert sorted(names) == [
        "report.sql",
        "report_cache.sql",
        "report_fieldwork.sql",
        "report_margins.sql",
    ]
