"""Named SQL statements, loaded once from ``survey/sql/*.sql``.

A statement starts with a ``-- name: some-name`` line; it becomes ``Q.some_name``.
Keeping SQL in files lets reviewers read every statement the service runs.
"""

from __future__ import annotations

import re
from pathlib import Path

_SQL_DIR = Path(__file__).parent / "sql"
_NAME = re.compile(r"^--\s*name:\s*([a-z0-9-]+)\s*$", re.MULTILINE)


def parse(text: str, source: str = "<sql>") -> dict[str, str]:
    """Split a file into named statements; duplicate or empty names are errors."""
    out: dict[str, str] = {}
    parts = _NAME.split(text)
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        key = name.replace("-", "_")
        statement = body.strip().rstrip(";").strip()
        if not statement:
            raise ValueError(f"{source}: query {name!r} is empty")
        if key in out:
            raise ValueError(f"{source}: query {name!r} is defined twice")
        out[key] = statement
    return out


class Queries:
    """Attribute access to every named statement; unknown names fail loudly."""

    def __init__(self, directory: Path = _SQL_DIR) -> None:
        statements: dict[str, str] = {}
        for path in sorted(directory.glob("*.sql")):
            for key, statement in parse(path.read_text(encoding="utf-8"), path.name).items():
                if key in statements:
                    raise ValueError(f"{path.name}: query {key!r} is defined in another file too")
                statements[key] = statement
        self._statements = statements

    def __getattr__(self, name: str) -> str:
        try:
            return self._statements[name]
        except KeyError:
            raise AttributeError(f"no SQL statement named {name!r}") from None

    def names(self) -> list[str]:
        return sorted(self._statements)


Q = Queries()
