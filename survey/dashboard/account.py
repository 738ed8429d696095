"""The signed-in user's own account: changing their password.

The form asks for the current password (a session left open on a shared computer must
not be enough to take the account over) and the new one twice. A wrong current password
counts as a failed sign-in (``survey.api.signin``). Passwords typed are never sent back
in the page, whatever went wrong. On success the user's other sessions end; this one
stays signed in.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect

from survey.api import signin
from survey.api.deps import DbConn, Who, credentials
from survey.dashboard.context import DashboardPages, page_context, render
from survey.errors import Forbidden
from survey.i18n.marks import staff as t
from survey.services import users

PAGE = "/dashboard/account/password"


def _session_id(request: Request[Any, Any, Any]) -> str:
    found = credentials(request)
    if found is None or found[0] != "session":
        raise Forbidden(t("Sign in with your password to change it: an API key cannot"))
    return found[1]


class AccountPages(DashboardPages):
    path = "/dashboard/account"

    @get("/password")
    async def password_form(self, request: Request[Any, Any, Any], who: Who) -> Any:
        _session_id(request)
        changed = request.query_params.get("changed") == "1"
        return self._page(request, who, [], changed=changed)

    @post("/password")
    async def change_password(
        self, request: Request[Any, Any, Any], conn: DbConn, who: Who
    ) -> Any:
        session_id = _session_id(request)
        form = await request.form()
        current = str(form.get("current", ""))[:200]
        new = str(form.get("new", ""))[:200]
        again = str(form.get("again", ""))[:200]
        errors: list[dict[str, Any]] = []
        if not current:
            errors.append(_problem("current", t("Type your current password.")))
        if len(new) < users.MIN_PASSWORD_LENGTH:
            errors.append(_problem(
                "new",
                t("The new password must have at least %(n)s characters."),
                n=users.MIN_PASSWORD_LENGTH,
            ))
        elif new != again:
            errors.append(_problem("again", t("The two new passwords differ.")))
        if not errors:
            try:
                await signin.change_password(request, conn, who, session_id, current, new)
            except users.WrongPassword:
                errors.append(_problem("current", t("The current password is wrong.")))
        if errors:
            return self._page(request, who, errors, status_code=422)
        return Redirect(f"{PAGE}?changed=1", status_code=303)

    def _page(
        self,
        request: Request[Any, Any, Any],
        who: Any,
        errors: list[dict[str, Any]],
        *,
        changed: bool = False,
        status_code: int = 200,
    ) -> Any:
        ctx = page_context(
            request,
            who,
            errors=errors,
            invalid={e["name"] for e in errors},
            changed=changed,
            min_length=users.MIN_PASSWORD_LENGTH,
        )
        labels = {
            "current": ctx["t"]("Current password"),
            "new": ctx["t"]("New password"),
            "again": ctx["t"]("New password again"),
        }
        for problem in errors:
            problem["field"] = labels[problem["name"]]
        return render(request, "dashboard/password.html", ctx, status_code=status_code)


def _problem(name: str, msgid: str, **params: Any) -> dict[str, Any]:
    """A problem for ``_errors.html``, which words it in the reader's language."""
    return {"name": name, "field": name, "reason": msgid, "params": params}
