"""``survey user add|disable|enable|password|role`` and ``survey key create``: accounts
from the command line."""

from __future__ import annotations

import argparse
import getpass
import sys

from survey.access import ROLES, SYSTEM
from survey.cli import CommandError
from survey.cli.common import connection, settings_from_env
from survey.db import Conn, Record
from survey.errors import Conflict
from survey.schemas import KeyIn, UserIn
from survey.services import users
from survey.sql import Q


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    user = subparsers.add_parser("user", aliases=["users"], help="user accounts")
    user_sub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = user_sub.add_parser("add", help="create a user")
    add.add_argument("email")
    add.add_argument("--role", choices=ROLES, required=True)
    add.add_argument("--name", default="")
    add.add_argument(
        "--program",
        action="append",
        default=[],
        metavar="SLUG",
        help="program the user belongs to (repeatable)",
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )
    add.add_argument("--no-password", action="store_true", help="API keys only, no login")
    add.set_defaults(func=add_user)
    for action, helptext in (
        ("disable", "disable an account: its keys and sessions stop working at once"),
        ("enable", "enable a disabled account again"),
    ):
        toggle = user_sub.add_parser(action, help=helptext)
        toggle.add_argument("email")
        toggle.set_defaults(func=set_disabled, disabled=action == "disable")
    password = user_sub.add_parser(
        "password", help="set a user's password; their sessions end (they sign in again)"
    )
    password.add_argument("email")
    password.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )
    password.set_defaults(func=set_password, no_password=False)
    role = user_sub.add_parser(
        "role",
        help="change a user's role; their sessions end and their API keys are revoked "
        "(their rights changed)",
    )
    role.add_argument("email")
    role.add_argument("role", choices=ROLES)
    role.set_defaults(func=set_role)

    key = subparsers.add_parser("key", help="API keys")
    key_sub = key.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    create = key_sub.add_parser("create", help="create an API key (printed once)")
    create.add_argument("--user", required=True, metavar="EMAIL")
    create.add_argument("--name", required=True)
    create.set_defaults(func=create_key)


def _password(args: argparse.Namespace) -> str | None:
    if args.no_password:
        return None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CommandError(
                "no password on standard input (--no-password: an account for API keys only)"
            )
        return password
    if not sys.stdin.isatty():
        raise CommandError(
            "no terminal to ask for a password: use --password-stdin or --no-password"
        )
    first = getpass.getpass("Password (12+ characters): ")
    if first != getpass.getpass("Again: "):
        raise CommandError("the passwords differ")
    return first


async def add_user(args: argparse.Namespace) -> int:
    password = _password(args)
    # Checked before the database starts; the programs' ids stand in until it has.
    users.check_new_user(UserIn(
        email=args.email, name=args.name, role=args.role, password=password,
        program_ids=[0] * len(args.program),
    ))
    async with connection(settings_from_env()) as conn:
        program_ids = []
        for slug in args.program:
            row = await conn.fetchrow(Q.program_by_slug, slug)
            if row is None:
                raise CommandError(f"no program with slug {slug!r}")
            program_ids.append(row["id"])
        async with conn.transaction():
            out = await users.create_user(
                conn,
                SYSTEM,
                UserIn(
                    email=args.email,
                    name=args.name,
                    role=args.role,
                    password=password,
                    program_ids=program_ids,
                ),
            )
    print(f"created user {out.id} {out.email} ({out.role})")
    return 0


async def _user(conn: Conn, email: str) -> Record:
    row = await conn.fetchrow(Q.user_by_email, email)
    if row is None:
        raise CommandError(f"no user {email!r}")
    return row


def _keep_an_admin(exc: Conflict) -> CommandError:
    # The CLI is the way back in, yet it never needs to take away the last enabled
    # administrator for that: promoting or enabling someone takes none away.
    return CommandError(
        f"{exc} (survey user role EMAIL admin, or survey user add EMAIL --role admin)"
    )


async def set_disabled(args: argparse.Namespace) -> int:
    async with connection(settings_from_env()) as conn:
        row = await _user(conn, args.email)
        try:
            async with conn.transaction():
                out = await users.set_disabled(conn, SYSTEM, row["id"], args.disabled)
        except Conflict as exc:
            raise _keep_an_admin(exc) from None
    print(f"{'disabled' if out.disabled else 'enabled'} user {out.id} {out.email}")
    return 0


async def set_password(args: argparse.Namespace) -> int:
    password = _password(args)
    assert password is not None
    users.check_password(password)  # before the database starts
    async with connection(settings_from_env()) as conn:
        row = await _user(conn, args.email)
        async with conn.transaction():
            await users.reset_password(conn, SYSTEM, row["id"], password)
    print(f"set the password of user {row['id']} {row['email']}; their sessions ended")
    return 0


async def set_role(args: argparse.Namespace) -> int:
    async with connection(settings_from_env()) as conn:
        row = await _user(conn, args.email)
        if row["role"] == args.role:
            print(f"user {row['id']} {row['email']} is already {args.role}")
            return 0
        try:
            async with conn.transaction():
                revoked = await users.set_role(conn, SYSTEM, row["id"], args.role)
        except Conflict as exc:
            raise _keep_an_admin(exc) from None
    print(
        f"user {row['id']} {row['email']} is now {args.role}; their sessions ended and "
        f"{revoked} API key{'' if revoked == 1 else 's'} revoked (they need new ones)"
    )
    return 0


async def create_key(args: argparse.Namespace) -> int:
    async with connection(settings_from_env()) as conn:
        row = await _user(conn, args.user)
        async with conn.transaction():
            new = await users.create_key(conn, SYSTEM, row["id"], KeyIn(name=args.name))
    print(new.key)
    print(
        f"(key {new.info.id} '{new.info.name}' for {args.user}; it is shown only this once)",
        file=sys.stderr,
    )
    return 0
