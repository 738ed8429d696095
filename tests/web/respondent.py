"""A no-JavaScript "respondent" for the server tests: reads forms out of the HTML and
posts them like a browser would; and a reader of the stored rows."""

from __future__ import annotations

from typing import Any

from survey_setup import Form, parse_form

from survey.db import Conn

HTML = {"Accept": "text/html,application/xhtml+xml"}


def fill(form: Form, overrides: dict[str, str | list[str]] | None = None) -> list[tuple[str, str]]:
    """Form data answering every shown question with its first option (or a typed
    value), except where ``overrides`` says otherwise ("" leaves a question blank)."""
    overrides = overrides or {}
    data = list(form.hidden.items()) + [("shown", item) for item in form.shown]
    for item in form.shown:
        name = f"q_{item}"
        if item in overrides:
            value = overrides[item]
            for v in [value] if isinstance(value, str) else value:
                if v.startswith("m:"):
                    data.append((f"m_{item}", v[2:]))
                elif v:
                    data.append((name, v))
            continue
        controls = [c for c in form.controls if c.get("name") == name]
        first = controls[0]
        if first["tag"] == "textarea" or first.get("type") == "text":
            data.append((name, "3" if first.get("inputmode") else "All fine here"))
        else:
            data.append((name, first["value"]))
    return data


class Respondent:
    """Walks a survey through the test client, JavaScript off."""

    def __init__(self, client: Any, base: str, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.base = base
        self.headers = {**HTML, **(headers or {})}
        self.sections: list[str] = []

    async def get(self, path: str, **kw: Any) -> Any:
        return await self.client.get(path, headers={**self.headers, **kw.pop("headers", {})},
                                     follow_redirects=kw.pop("follow_redirects", True), **kw)

    async def post(self, path: str, data: list[tuple[str, str]], **kw: Any) -> Any:
        return await self.client.post(
            path, content=_encode(data),
            headers={**self.headers, "Content-Type": "application/x-www-form-urlencoded",
                     **kw.pop("headers", {})},
            follow_redirects=kw.pop("follow_redirects", False), **kw,
        )

    async def start(self, query: str = "") -> Any:
        """Open the landing page and press Start; returns the first question page."""
        landing = await self.get(self.base + query)
        assert landing.status_code == 200, landing.text
        form = parse_form(landing.text, "/start")
        started = await self.post(form.action, fill(form))
        assert started.status_code == 303, started.text
        return await self.get(started.headers["location"])

    async def answer(self, page: Any, overrides: dict[str, str | list[str]] | None = None,
                     ) -> Any:
        """Post one page; returns the raw response (a 303 unless the page had errors)."""
        form = parse_form(page.text, "")
        assert form.action, page.text
        self.sections.append(form.action.rsplit("/", 1)[1])
        return await self.post(form.action, fill(form, overrides))

    async def finish(self, page: Any, overrides: dict[str, str | list[str]] | None = None,
                     ) -> Any:
        """Answer page after page until the thank-you page; returns it."""
        for _ in range(40):
            posted = await self.answer(page, overrides)
            assert posted.status_code == 303, posted.text
            page = await self.get(posted.headers["location"])
            if posted.headers["location"].endswith("/done"):
                return page
        raise AssertionError("the survey did not end")


def _encode(data: list[tuple[str, str]]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(data).encode()


async def stored(conn: Conn, program_id: int) -> tuple[list[Any], dict[int, dict[str, Any]]]:
    """Every response of the program, and each one's answers by item id."""
    rows = await conn.fetch(
        "SELECT * FROM responses WHERE program_id = $1 ORDER BY id", program_id
    )
    answers: dict[int, dict[str, Any]] = {}
    for row in rows:
        found = await conn.fetch(
            "SELECT * FROM answers WHERE program_id = $1 AND response_id = $2",
            program_id, row["id"],
        )
        answers[row["id"]] = {a["item_id"]: a for a in found}
    return list(rows), answers
