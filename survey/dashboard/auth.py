"""Sign in and out with a form. The session is the API's (``users.login``), so the
same cookie works for the JSON API and for downloads."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import QueryParameter
from litestar.response import Redirect

from survey.api import signin
from survey.api.deps import SESSION_COOKIE, DbConn, credentials
from survey.dashboard.context import CSRF_COOKIE, DashboardPages, page_context, render
from survey.errors import Unauthorized
from survey.services import users


def safe_next(target: str | None) -> str:
    """Only our own dashboard paths: an open redirect would help phishing."""
    if target and target.startswith("/dashboard") and not target.startswith("//"):
        return target
    return "/dashboard"


class AuthController(DashboardPages):
    path = "/dashboard"

    @get("/login")
    async def login_form(
        self,
        request: Request[Any, Any, Any],
        # ``next`` is the name the sign-in redirect sends (dashboard/errors.py).
        next_: Annotated[str | None, QueryParameter(name="next")] = None,
    ) -> Any:
        ctx = page_context(request, None, next=safe_next(next_), error="", email="")
        return render(request, "dashboard/login.html", ctx)

    @post("/login")
    async def login(self, request: Request[Any, Any, Any], conn: DbConn) -> Any:
        form = await request.form()
        email = str(form.get("email", ""))[:200]
        password = str(form.get("password", ""))[:200]
        target = safe_next(str(form.get("next", "")))
        try:
            session_id, _who = await signin.login(request, conn, email, password)
        except Unauthorized:
            ctx = page_context(request, None, next=target, email=email, error="bad")
            return render(request, "dashboard/login.html", ctx, status_code=401)
        secure = request.app.state.settings.cookie_secure
        return Redirect(
            target,
            status_code=303,
            cookies=[
                Cookie(
                    key=SESSION_COOKIE,
                    value=session_id,
                    httponly=True,
                    samesite="strict",
                    secure=secure,
                    max_age=users.SESSION_SECONDS,
                    path="/",
                ),
                # A new CSRF cookie with the new session: tokens from before sign-in die.
                Cookie(key=CSRF_COOKIE, value="", max_age=0, path="/dashboard"),
            ],
        )

    @post("/logout")
    async def logout(self, request: Request[Any, Any, Any], conn: DbConn) -> Response[Any]:
        found = credentials(request)
        if found and found[0] == "session":
            await users.logout(conn, found[1])
        return Redirect(
            "/dashboard/login",
            status_code=303,
            cookies=[Cookie(key=SESSION_COOKIE, value="", max_age=0, path="/")],
        )
