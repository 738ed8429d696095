"""Users, API keys, the caller, and password sessions."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, delete, get, patch, post, put
from litestar.datastructures import Cookie
from litestar.params import FromPath, JSONBody

from survey.api import signin
from survey.api.deps import SESSION_COOKIE, DbConn, Res, Who, credentials
from survey.api.guard import ApiController
from survey.errors import Forbidden
from survey.schemas import (
    KeyIn,
    KeyOut,
    LoginIn,
    NewKeyOut,
    PasswordChange,
    UserChanged,
    UserIn,
    UserOut,
    UserPatch,
)
from survey.services import audit, users


class Me(msgspec.Struct, kw_only=True):
    id: int
    email: str
    name: str
    role: str
    program_ids: list[int]
    locale: str


class UserController(ApiController):
    path = "/api/v1"
    tags = ["users"]

    @get("/me")
    async def me(self, who: Who) -> Me:
        return Me(
            id=who.user_id,
            email=who.email,
            name=who.name,
            role=who.role,
            program_ids=sorted(who.program_ids),
            locale=who.locale,
        )

    @post("/me/password", status_code=204)
    async def change_password(
        self, request: Request[Any, Any, Any], conn: DbConn, who: Who,
        data: JSONBody[PasswordChange],
    ) -> None:
        """Change your own password (signed in with a password, not an API key). Your
        other sessions end; this one stays signed in."""
        found = credentials(request)
        if found is None or found[0] != "session":
            raise Forbidden("Sign in with your password to change it: an API key cannot")
        await signin.change_password(request, conn, who, found[1], data.current, data.new)

    @get("/users")
    async def list_users(self, conn: DbConn, who: Who) -> list[UserOut]:
        return await users.list_users(conn, who)

    @post("/users")
    async def create_user(self, conn: DbConn, who: Who, data: JSONBody[UserIn]) -> UserOut:
        return await users.create_user(conn, who, data)

    @put("/users/{user_id:int}/programs", status_code=204)
    async def set_programs(
        self, conn: DbConn, who: Who, user_id: FromPath[int], data: JSONBody[list[int]]
    ) -> None:
        await users.set_programs(conn, who, user_id, data)

    @patch("/users/{user_id:int}")
    async def update_user(
        self, conn: DbConn, who: Who, user_id: FromPath[int], data: JSONBody[UserPatch]
    ) -> UserChanged:
        """Disable or enable an account, set someone else's password or change a role
        (any of them, at least one). A new password or role ends the user's sessions; a
        new role also revokes their API keys (``keys_revoked`` says how many). The last
        enabled administrator cannot be demoted or disabled (409)."""
        return await users.update_user(conn, who, user_id, data)

    @get("/audit")
    async def audit_log(self, conn: DbConn, who: Who) -> list[dict[str, object]]:
        return await audit.recent_global(conn, who)

    @get("/keys")
    async def list_keys(self, conn: DbConn, who: Who) -> list[KeyOut]:
        return await users.list_keys(conn, who)

    @post("/keys")
    async def create_key(self, conn: DbConn, who: Who, data: JSONBody[KeyIn]) -> NewKeyOut:
        return await users.create_key(conn, who, who.user_id, data)

    @delete("/keys/{key_id:int}", status_code=200)
    async def revoke_key(self, conn: DbConn, who: Who, key_id: FromPath[int]) -> KeyOut:
        return await users.revoke_key(conn, who, key_id)


class SessionController(ApiController):
    path = "/api/v1/session"
    tags = ["users"]

    # Signing in is not signed in by the cookie a browser may still hold: no origin check.
    @post("/", status_code=200, opt={"signs_in": True})
    async def login(
        self, request: Request[Any, Any, Any], conn: DbConn, res: Res, data: JSONBody[LoginIn]
    ) -> Response[Me]:
        session_id, who = await signin.login(request, conn, data.email, data.password)
        body = Me(
            id=who.user_id,
            email=who.email,
            name=who.name,
            role=who.role,
            program_ids=sorted(who.program_ids),
            locale=who.locale,
        )
        cookie = Cookie(
            key=SESSION_COOKIE,
            value=session_id,
            httponly=True,
            samesite="strict",
            secure=res.settings.cookie_secure,
            max_age=users.SESSION_SECONDS,
            path="/",
        )
        return Response(body, cookies=[cookie])

    @delete("/", status_code=204)
    async def logout(self, request: Request[Any, Any, Any], conn: DbConn) -> Response[None]:
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id:
            await users.logout(conn, session_id)
        gone = Cookie(key=SESSION_COOKIE, value="", max_age=0)
        return Response(None, status_code=204, cookies=[gone])
