"""Architecture rules that a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
from pathlib import Path

from survey.config import setting_names

ROOT = Path(__file__).resolve().parent.parent


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_only_the_database_layer_imports_asyncpg() -> None:
    allowed = {ROOT / "survey" / "db.py", ROOT / "survey" / "sql.py"}
    offenders = [
        str(p.relative_to(ROOT))
        for p in modules("survey")
        if p not in allowed and any(m.split(".")[0] == "asyncpg" for m in imports(p))
    ]
    assert offenders == []


def test_analysis_is_pure() -> None:
    # PIL: Pillow is matplotlib's own required dependency, the library it writes PNGs
    # with; analysis.plots hands it the Agg pixels directly (one draw, not savefig's two).
    allowed_roots = {"numpy", "scipy", "msgspec", "matplotlib", "PIL", "analysis", "__future__"}
    for path in modules("analysis"):
        for name in imports(path):
            root = name.split(".")[0]
            assert root != "survey", f"{path} imports survey"
            assert name != "matplotlib.pyplot", f"{path} uses pyplot"
            if root not in allowed_roots:
                import sys

                assert root in sys.stdlib_module_names, f"{path} imports {name}"


def test_services_know_nothing_of_http() -> None:
    for path in modules("survey/services"):
        assert not any(m.split(".")[0] == "litestar" for m in imports(path)), path


def test_no_sql_strings_in_services() -> None:
    keywords = ("SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM")
    for path in modules("survey/services"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.upper()
                assert not any(k in text for k in keywords), f"SQL literal in {path}"


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in setting_names() if f"`{name}`" not in readme]
    assert missing == []


def test_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash tests/run.sh" in readme and "tests/run.sh" in ci
