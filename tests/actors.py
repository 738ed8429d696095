"""The users of the access tests (tests/conftest.py's ``actors``), made on a connection:
a module that seeds its data once (tests/seeded_db.py) makes them with it."""

from __future__ import annotations

from survey.db import Conn


class Actors:
    """Users with API keys in two programs, for access tests."""

    def __init__(self) -> None:
        self.keys: dict[str, str] = {}
        self.programs: dict[str, int] = {}

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"} if who in self.keys else {}


async def make_actors(conn: Conn) -> Actors:
    """admin; grantee and evaluator of program 'own'; grantee of program 'other'."""
    from survey.access import SYSTEM
    from survey.schemas import KeyIn, ProgramIn, UserIn
    from survey.services import programs, users

    out = Actors()
    for slug in ("own", "other"):
        p = await programs.create_program(
            conn, SYSTEM, ProgramIn(slug=f"{slug}-program", name=slug)
        )
        out.programs[slug] = p.id
    for name, role, program in (
        ("admin", "admin", None),
        ("grantee", "grantee", "own"),
        ("evaluator", "evaluator", "own"),
        ("other_grantee", "grantee", "other"),
        ("other_evaluator", "evaluator", "other"),
    ):
        user = await users.create_user(
            conn,
            SYSTEM,
            UserIn(
                email=f"{name}@example.org",
                name=name,
                role=role,  # type: ignore[arg-type]
                # argon2 is slow by design: one login-capable user is enough.
                password="correct horse battery" if name == "evaluator" else None,
                program_ids=[out.programs[program]] if program else [],
            ),
        )
        key = await users.create_key(conn, SYSTEM, user.id, KeyIn(name="test"))
        out.keys[name] = key.key
    return out
