"""A new account needs a real email and, if it signs in, a password of 12 characters
or more, wherever it is made; a duplicate names the email."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from survey.access import SYSTEM
from survey.db import Conn
from survey.errors import Conflict, InvalidInput
from survey.schemas import UserIn
from survey.services import users


@pytest.mark.parametrize(
    ("email", "password", "field", "reason"),
    [
        ("weak@example.org", "1", "password", "must have at least 12 characters"),
        ("weak@example.org", "", "password", "must have at least 12 characters"),
        ("weak@example.org", "eleven char", "password", "must have at least 12 characters"),
        ("not-an-email", None, "email", "must be an email address (name@example.org)"),
        ("pat@localhost", None, "email", "must be an email address (name@example.org)"),
        ("pat smith@example.org", None, "email", "must be an email address (name@example.org)"),
    ],
)
async def test_create_user_refuses(
    conn: Conn, email: str, password: str | None, field: str, reason: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        await users.create_user(
            conn, SYSTEM, UserIn(email=email, role="admin", password=password)
        )
    assert [(p.field, p.reason) for p in caught.value.problems] == [(field, reason)]
    assert await conn.fetchval("SELECT count(*) FROM users WHERE email = $1", email) == 0


async def test_twelve_characters_do_and_a_duplicate_names_the_email(conn: Conn) -> None:
    made = await users.create_user(
        conn, SYSTEM, UserIn(email="Ok@example.org", role="admin", password="x" * 12)
    )
    assert made.email == "Ok@example.org"
    with pytest.raises(Conflict) as caught:
        await users.create_user(
            conn, SYSTEM, UserIn(email="ok@EXAMPLE.org", role="admin", password=None)
        )
    assert str(caught.value) == "A user with email ok@EXAMPLE.org already exists"


async def test_set_password_has_the_same_rule(conn: Conn) -> None:
    made = await users.create_user(conn, SYSTEM, UserIn(email="p@example.org", role="admin"))
    with pytest.raises(InvalidInput):
        await users.set_password(conn, made.id, "short")


async def test_the_api_refuses_an_email_without_a_domain(client: object, actors: object) -> None:
    r = await client.post(  # type: ignore[attr-defined]
        "/api/v1/users", headers=actors.headers("admin"),  # type: ignore[attr-defined]
        json={"email": "pat@localhost", "role": "admin", "password": "x" * 12},
    )
    assert r.status_code in (400, 422), r.text
    assert "email" in r.text


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["weak@example.org", "--password-stdin"], "1\n",
         "survey: error: Invalid input: password: must have at least 12 characters\n"),
        (["weak@example.org", "--password-stdin"], "",
         "survey: error: no password on standard input "
         "(--no-password: an account for API keys only)\n"),
        (["not-an-email", "--no-password"], "",
         "survey: error: Invalid input: email: must be an email address (name@example.org)\n"),
    ],
)
def test_user_add_refuses_before_the_database_starts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
    args: list[str], stdin: str, message: str,
) -> None:
    from survey.cli import main

    for name in list(os.environ):
        if name.startswith("SURVEY_"):
            monkeypatch.delenv(name)
    # A database that does not exist: reaching it would say "cannot connect" instead.
    monkeypatch.setenv("SURVEY_DATABASE_URL", f"postgresql://x@/x?host={tmp_path}/none")
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert main(["user", "add", *args, "--role", "admin"]) == 1
    assert capsys.readouterr().err == message
