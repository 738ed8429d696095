"""Users, API keys and login sessions."""

from __future__ import annotations

from typing import Any

import msgspec

from survey import access, security
from survey.access import SYSTEM, Principal
from survey.db import Conn, Record, fetch_one
from survey.errors import Conflict, FieldProblem, InvalidInput, NotFound, Unauthorized
from survey.i18n.marks import staff as t
from survey.schemas import (
    EMAIL_PATTERN,
    KeyIn,
    KeyOut,
    NewKeyOut,
    UserChanged,
    UserIn,
    UserOut,
    UserPatch,
)
from survey.services import audit
from survey.sql import Q

SESSION_SECONDS = 12 * 3600
#: The shortest password any account may have, wherever it is set (README: Users).
MIN_PASSWORD_LENGTH = 12
#: Refusing to demote or disable the last enabled administrator (README: Passwords and roles).
LAST_ADMIN = t(
    "%(email)s is the last enabled administrator: make another administrator first "
    "(or enable one), so that someone can still manage accounts"
)
#: An administrator's own password is changed with the current one, never by PATCH.
OWN_PASSWORD = t(
    "change your own password with POST /api/v1/me/password, which asks for the current one"
)


def principal_from(row: Record) -> Principal:
    return Principal(
        user_id=row["id"],
        email=row["email"],
        name=row["name"],
        role=row["role"],
        program_ids=frozenset(row["program_ids"]),
        locale=row["locale"],
    )


def user_out(row: Record) -> UserOut:
    return UserOut(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        role=row["role"],
        program_ids=sorted(row["program_ids"]),
        locale=row["locale"],
        disabled=row["disabled_at"] is not None,
    )


def key_out(row: Record) -> KeyOut:
    return KeyOut(
        id=row["id"],
        name=row["name"],
        prefix=row["prefix"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        revoked=row["revoked_at"] is not None,
    )


def check_new_user(data: UserIn) -> None:
    """What a new account needs, without the database: the CLI asks before it starts
    one, and a ``UserIn`` built in code skips the schema's checks."""
    import re

    if not re.fullmatch(EMAIL_PATTERN, data.email):
        raise InvalidInput.one("email", "must be an email address (name@example.org)")
    if data.password is not None:
        check_password(data.password)
    if data.role != "admin" and not data.program_ids:
        raise InvalidInput.one("program_ids", "a grantee or evaluator needs at least one program")


class WrongPassword(InvalidInput):
    """The current password given to change it is not the account's: a guess, which
    the caller counts against the sign-in failure limit (``survey.api.signin``)."""

    def __init__(self) -> None:
        super().__init__([FieldProblem("current", "is not your current password")])


def check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput.one(field, f"must have at least {MIN_PASSWORD_LENGTH} characters")


async def create_user(conn: Conn, who: Principal, data: UserIn) -> UserOut:
    access.require_admin(who)
    check_new_user(data)
    if await conn.fetchrow(Q.user_by_email, data.email) is not None:
        raise Conflict("A user with email %(email)s already exists", email=data.email)
    password_hash = security.hash_password(data.password) if data.password is not None else None
    row = await conn.fetchrow(
        Q.user_insert, data.email, data.name, data.role, password_hash, data.locale
    )
    assert row is not None
    await set_programs(conn, who, row["id"], data.program_ids)
    await audit.record(conn, who, "user.create", target=str(row["id"]), role=data.role)
    return user_out(await fetch_one(conn, Q.user_get, row["id"], what="user"))


async def set_programs(conn: Conn, who: Principal, user_id: int, program_ids: list[int]) -> None:
    access.require_admin(who)
    await conn.execute(Q.user_set_programs_clear, user_id)
    if program_ids:
        await conn.execute(Q.user_set_programs_add, user_id, program_ids)


async def list_users(conn: Conn, who: Principal) -> list[UserOut]:
    access.require_admin(who)
    return [user_out(r) for r in await conn.fetch(Q.user_list)]


async def keep_an_admin(conn: Conn, user_id: int) -> None:
    """Refuse (``Conflict``) a change that takes user ``user_id`` away as an enabled
    administrator when no other enabled administrator remains. Call it inside the
    transaction that makes the change: the lock it takes is held to the end of that
    transaction and every such change takes it, so two administrators demoting (or
    disabling) each other at once cannot both pass; the second waits and then sees the
    first one's change. The CLI is refused too: it never needs this to recover, since
    making someone an administrator or enabling one takes none away."""
    await conn.execute(Q.admins_lock)
    row = await conn.fetchrow(Q.user_get, user_id)
    if row is None or row["role"] != "admin" or row["disabled_at"] is not None:
        return
    if await conn.fetchval(Q.admins_enabled_other, user_id) == 0:
        raise Conflict(LAST_ADMIN, email=row["email"])


async def set_disabled(conn: Conn, who: Principal, user_id: int, disabled: bool) -> UserOut:
    """Disable or enable an account. A disabled user's keys and sessions stop resolving
    at once (the principal queries skip them) and they cannot sign in; their sessions
    are also deleted, so enabling the account again asks for a new sign-in. The last
    enabled administrator cannot be disabled (``keep_an_admin``)."""
    access.require_admin(who)
    if disabled and user_id == who.user_id:
        # The last way back in for an administrator who locks themselves out is the CLI.
        raise InvalidInput.one("disabled", "you cannot disable your own account")
    async with conn.transaction():
        if disabled:
            await keep_an_admin(conn, user_id)
        if await conn.fetchrow(Q.user_set_disabled, user_id, disabled) is None:
            raise NotFound("user")
        if disabled:
            await conn.execute(Q.session_delete_user, user_id)
        action = "user.disable" if disabled else "user.enable"
        await audit.record(conn, who, action, target=str(user_id))
    return user_out(await fetch_one(conn, Q.user_get, user_id, what="user"))


async def set_password(conn: Conn, user_id: int, password: str) -> None:
    check_password(password)
    await conn.execute(Q.user_set_password, user_id, security.hash_password(password))


async def update_user(
    conn: Conn, who: Principal, user_id: int, patch: UserPatch
) -> UserChanged:
    """An administrator's change to an account (``PATCH /api/v1/users/{id}``): whether
    it is disabled, a new password, a new role. The whole change is one transaction, so
    a part refused (each step checks its own rules) changes nothing; a new password or
    role ends the user's sessions, a new role revokes their API keys too
    (``keys_revoked``)."""
    access.require_admin(who)
    if patch.disabled is None and patch.password is None and patch.role is None:
        raise InvalidInput.one("user", "give at least one of disabled, password or role")
    revoked = 0
    async with conn.transaction():
        if patch.role is not None:
            revoked = await set_role(conn, who, user_id, patch.role)
        if patch.password is not None:
            await reset_password(conn, who, user_id, patch.password)
        if patch.disabled is not None:
            await set_disabled(conn, who, user_id, patch.disabled)
    out = user_out(await fetch_one(conn, Q.user_get, user_id, what="user"))
    return UserChanged(**msgspec.structs.asdict(out), keys_revoked=revoked)


async def set_role(conn: Conn, who: Principal, user_id: int, role: str) -> int:
    """Give a user another role. Their sessions end and their API keys are revoked,
    since what they may do changed: a key handed out for an evaluator's work (in a
    shared notebook, say) must not start reading contacts when the role becomes
    grantee. Returns how many keys were revoked (0 when the role is the same). The
    last enabled administrator keeps their role (``keep_an_admin``)."""
    access.require_admin(who)
    if role not in access.ROLES:
        raise InvalidInput.one("role", "must be admin, grantee or evaluator")
    if role != "admin" and user_id == who.user_id:
        raise InvalidInput.one("role", "you cannot change your own role")
    async with conn.transaction():
        if role != "admin":
            await keep_an_admin(conn, user_id)
        previous = await conn.fetchrow(Q.user_set_role, user_id, role)
        if previous is None:
            raise NotFound("user")
        if previous["previous"] == role:
            return 0
        await audit.record(
            conn, who, "user.role", target=str(user_id), role=role,
            previous=previous["previous"],
        )
        return await revoke_all_keys(conn, who, user_id, reason="role")


async def reset_password(conn: Conn, who: Principal, user_id: int, password: str) -> None:
    """An administrator sets someone else's password (their own is changed with the
    current one: ``change_own_password``); all that user's sessions end."""
    access.require_admin(who)
    if user_id == who.user_id:
        raise InvalidInput.one("password", OWN_PASSWORD)
    check_password(password)
    done = await conn.fetchrow(Q.user_set_password, user_id, security.hash_password(password))
    if done is None:
        raise NotFound("user")
    await conn.execute(Q.session_delete_user, user_id)
    await audit.record(conn, who, "user.password", target=str(user_id))


async def change_own_password(
    conn: Conn, who: Principal, session_id: str, current: str, new: str
) -> None:
    """A signed-in user changes their own password, proving it with the current one
    (``WrongPassword`` if it is not). The session ``session_id`` stays signed in; the
    user's other sessions end."""
    check_password(new, "new")
    row = await conn.fetchrow(Q.user_get, who.user_id)
    stored = row["password_hash"] if row is not None else None
    if not security.verify_password(stored, current):
        raise WrongPassword()
    await conn.execute(Q.user_set_password, who.user_id, security.hash_password(new))
    await conn.execute(
        Q.session_delete_user_except, who.user_id, security.token_hash(session_id)
    )
    await audit.record(conn, who, "user.password", target=str(who.user_id))


async def principal_for_key(conn: Conn, key: str) -> Principal | None:
    row = await conn.fetchrow(Q.principal_by_key, security.token_hash(key))
    return principal_from(row) if row else None


async def principal_for_session(conn: Conn, session_id: str) -> Principal | None:
    row = await conn.fetchrow(Q.principal_by_session, security.token_hash(session_id))
    return principal_from(row) if row else None


async def create_key(conn: Conn, who: Principal, user_id: int, data: KeyIn) -> NewKeyOut:
    if user_id != who.user_id:
        access.require_admin(who)
    key, prefix = security.new_api_key()
    async with conn.transaction():
        if who.user_id != SYSTEM.user_id:  # the operator (CLI, demo) has no account
            await still_as_authorised(conn, who)
        row = await conn.fetchrow(
            Q.key_insert, user_id, data.name, prefix, security.token_hash(key)
        )
        assert row is not None
        await audit.record(conn, who, "key.create", target=str(row["id"]), user=user_id)
    return NewKeyOut(key=key, info=key_out(row))


async def still_as_authorised(conn: Conn, who: Principal) -> None:
    """Refuse (``Unauthorized``, as for a key or session that no longer resolves) when
    ``who``'s account has been disabled or given another role since the request was
    authorised. The row stays locked FOR SHARE to the end of the caller's transaction,
    so a role change still in progress is waited for (and then refuses this), and one
    that starts later waits for this and revokes what it made: a key created by an
    evaluator's in-flight request never outlives their becoming a grantee."""
    row = await conn.fetchrow(Q.user_lock_for_key, who.user_id)
    if row is None or row["role"] != who.role or row["disabled_at"] is not None:
        raise Unauthorized("Invalid credentials")


async def list_keys(conn: Conn, who: Principal) -> list[KeyOut]:
    return [key_out(r) for r in await conn.fetch(Q.key_list, who.user_id)]


async def revoke_key(conn: Conn, who: Principal, key_id: int) -> KeyOut:
    row = await conn.fetchrow(Q.key_get, key_id)
    if row is None or (row["user_id"] != who.user_id and not who.is_admin):
        raise NotFound("key")
    revoked = await fetch_one(conn, Q.key_revoke, key_id, what="key")
    await audit.record(conn, who, "key.revoke", target=str(key_id))
    return key_out(revoked)


async def revoke_all_keys(
    conn: Conn, who: Principal, user_id: int, *, reason: str | None = None
) -> int:
    """Revoke every key of a user and end their dashboard sessions (new demo
    credentials; a new role, ``reason="role"``, which the audit entry says); returns
    how many keys were still in use."""
    access.require_admin(who)
    revoked = await conn.fetch(Q.key_revoke_all, user_id)
    await conn.execute(Q.session_delete_user, user_id)
    if revoked:
        detail: dict[str, Any] = {"keys": [r["id"] for r in revoked]}
        if reason is not None:
            detail["reason"] = reason
        await audit.record(conn, who, "key.revoke_all", target=str(user_id), **detail)
    return len(revoked)


async def login(conn: Conn, email: str, password: str) -> tuple[str, Principal]:
    """Check a password; return a new session id (for a cookie) and the principal."""
    row = await conn.fetchrow(Q.user_by_email, email)
    stored = row["password_hash"] if row and row["disabled_at"] is None else None
    if not security.verify_password(stored, password) or row is None:
        raise Unauthorized("Wrong email or password")
    session_id = security.new_token(32)
    await conn.execute(
        Q.session_insert, security.token_hash(session_id), row["id"], SESSION_SECONDS
    )
    principal = principal_from(await fetch_one(conn, Q.user_get, row["id"], what="user"))
    await audit.record(conn, principal, "user.login")
    return session_id, principal


async def logout(conn: Conn, session_id: str) -> None:
    await conn.execute(Q.session_delete, security.token_hash(session_id))
