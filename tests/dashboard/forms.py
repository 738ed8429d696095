"""A browser without JavaScript for dashboard tests: keeps cookies, reads a form's
fields (the CSRF token among them) out of the page and posts it back."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

HTML = {"Accept": "text/html"}


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(
                {"action": a.get("action", ""), "method": a.get("method", "get"), "fields": []}
            )
        elif tag in ("input", "select", "textarea") and self.forms:
            kind = a.get("type", "")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind == "file" or not a.get("name"):
                return
            self.forms[-1]["fields"].append((a["name"], a.get("value", "")))


def forms(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form(html: str, action: str) -> dict[str, Any]:
    for f in forms(html):
        if f["action"].endswith(action):
            return f
    raise AssertionError(f"no form posting to {action}")


class Staff:
    def __init__(self, client: Any) -> None:
        self.client = client

    async def get(self, path: str) -> Any:
        return await self.client.get(path, headers=HTML, follow_redirects=False)

    async def submit(
        self,
        page: Any,
        action: str,
        changes: dict[str, Any] | None = None,
        drop: tuple[str, ...] = (),
        files: dict[str, Any] | None = None,
    ) -> Any:
        f = form(page.text, action)
        fields = [(k, v) for k, v in f["fields"] if k not in (changes or {}) and k not in drop]
        for key, value in (changes or {}).items():
            for v in value if isinstance(value, list) else [value]:
                fields.append((key, v))
        if files:
            data: dict[str, list[str]] = {}
            for key, value in fields:
                data.setdefault(key, []).append(value)
            return await self.client.post(
                f["action"], data=data, files=files, headers=HTML, follow_redirects=False
            )
        return await self.client.post(
            f["action"],
            content=urlencode(fields).encode(),
            headers={**HTML, "Content-Type": "application/x-www-form-urlencoded"},
            follow_redirects=False,
        )

    async def login(self, email: str, password: str = "correct horse battery") -> Any:
        page = await self.get("/dashboard/login")
        r = await self.submit(page, "/dashboard/login", {"email": email, "password": password})
        assert r.status_code == 303, r.text
        return r


PASSWORD = "correct horse battery"


async def give_password(conn: Any, email: str = "grantee@example.org") -> None:
    """Let one of the ``actors`` sign in to the dashboard (they have API keys only)."""
    from survey.services import users

    uid = await conn.fetchval("SELECT id FROM users WHERE email = $1", email)
    await users.set_password(conn, uid, PASSWORD)


async def signed_in(client: Any, conn: Any, email: str = "grantee@example.org") -> Staff:
    """The actor ``email``, given a password and signed in to the dashboard."""
    await give_password(conn, email)
    staff = Staff(client)
    await staff.login(email)
    return staff
