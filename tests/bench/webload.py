"""The load client of the HTTP benchmarks: asyncio + aiohttp, in a process of its own.

Reads a JSON config on stdin and prints a JSON report on stdout. Modes:

``walk``
    Each client takes the next personal token and walks the whole survey as a browser
    without JavaScript would: landing, Start, every page (answering each question with
    its first option) until the thank-you page. A response counts as acknowledged when
    the last page's POST redirected to ``/done`` and ``/done`` answered 200.
``onepage``
    Each client takes the next personal token and answers on the one-page form:
    GET ``/s/<token>/all``, then one POST of every answer, acknowledged when it
    answers 200 with the thank-you page. With ``prepared`` (token -> form body, the
    page fetched beforehand), only the POST is sent: what the server does per
    response once residents have the page on their phones.
``prefetch``
    Each client GETs the one-page form of the next token and keeps its filled-in
    body: the ``prepared`` bodies of a later ``onepage`` run.
``get``
    Each client GETs its path again and again.
``sequences``
    Each client takes the next sequence of prepared POSTs and sends them in order (one
    SMS conversation's texts, say), stopping between messages at the deadline.

Clients stop starting new work at the deadline but finish what they started, so what
the report calls acknowledged is exactly what the server acknowledged.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp

_ACTION = re.compile(r'<form method="post" action="([^"]+)"')
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
_CONTROL = re.compile(r"<(input|textarea)\b([^>]*)>")
_ATTR = re.compile(r'([a-z-]+)="([^"]*)"')
HTML = {"Accept": "text/html,application/xhtml+xml"}
FORM = {**HTML, "Content-Type": "application/x-www-form-urlencoded"}


def fill(html: str) -> tuple[str, bytes]:
    """The form's action and a body answering each shown question with its first
    option, "3" where a number is asked and a short text elsewhere."""
    found = _ACTION.search(html)
    if found is None:
        raise ValueError("no form on the page")
    form = html[found.start():html.index("</form>", found.start())]
    data: list[tuple[str, str]] = []
    shown: list[str] = []
    for name, value in _HIDDEN.findall(form):
        data.append((name, value))
        if name == "shown":
            shown.append(value)
    first: dict[str, dict[str, str]] = {}
    for tag, attrs in _CONTROL.findall(form):
        a = dict(_ATTR.findall(attrs))
        if a.get("type") != "hidden" and a.get("name", "").startswith("q_"):
            first.setdefault(a["name"], {"tag": tag, **a})
    for item in shown:
        control = first.get(f"q_{item}")
        if control is None:
            continue
        if control["tag"] == "textarea" or control.get("type") == "text":
            data.append((f"q_{item}", "3" if control.get("inputmode") else "All fine here"))
        else:
            data.append((f"q_{item}", control["value"]))
    return found.group(1), urlencode(data).encode()


class Run:
    def __init__(self, config: dict[str, Any]) -> None:
        self.base: str = config["base"]
        self.seconds: float = config["seconds"]
        self.headers: dict[str, str] = config.get("headers", {})
        self.requests: list[float] = []
        self.units: list[float] = []
        self.prepared: dict[str, str] = {}
        self.posts: list[float] = []
        """``onepage``: the POST of each acknowledged response."""
        self.done: list[str] = []
        self.errors: dict[str, int] = {}
        self.deadline = 0.0

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    async def request(self, session: aiohttp.ClientSession, method: str, path: str,
                      headers: dict[str, str], body: bytes | None = None) -> tuple[int, str, str]:
        started = time.perf_counter()
        async with session.request(method, self.base + path, data=body,
                                   headers={**self.headers, **headers},
                                   allow_redirects=False) as r:
            text = await r.text()
        self.requests.append(time.perf_counter() - started)
        return r.status, text, r.headers.get("location", "")

    async def walk(self, session: aiohttp.ClientSession, token: str) -> None:
        started = time.perf_counter()
        base = f"/s/{token}"
        status, page, _ = await self.request(session, "GET", base, HTML)
        if status != 200:
            return self.error(f"landing {status}")
        action, body = fill(page)
        status, _, location = await self.request(session, "POST", action, FORM, body)
        for _ in range(40):
            if status != 303:
                return self.error(f"post {status}")
            status, page, _ = await self.request(session, "GET", location, HTML)
            if status != 200:
                return self.error(f"get {status}")
            if location.endswith("/done"):
                self.units.append(time.perf_counter() - started)
                self.done.append(token)
                return None
            action, body = fill(page)
            status, _, location = await self.request(session, "POST", action, FORM, body)
        return self.error("no end")

    async def onepage(self, session: aiohttp.ClientSession, token: str,
                      prepared: dict[str, str]) -> None:
        started = time.perf_counter()
        action, body = f"/s/{token}/all", prepared.get(token, "").encode()
        if not body:
            status, page, _ = await self.request(session, "GET", action, HTML)
            if status != 200:
                return self.error(f"get {status}")
            action, body = fill(page)
        status, page, _ = await self.request(session, "POST", action, FORM, body)
        if status != 200 or "received" not in page:
            return self.error(f"post {status}")
        self.posts.append(self.requests[-1])
        self.units.append(time.perf_counter() - started)
        self.done.append(token)
        return None

    async def walker(self, session: aiohttp.ClientSession, tokens: list[str],
                     mode: str = "walk", prepared: dict[str, str] | None = None) -> None:
        while tokens and time.perf_counter() < self.deadline:
            try:
                if mode == "onepage":
                    await self.onepage(session, tokens.pop(), prepared or {})
                else:
                    await self.walk(session, tokens.pop())
            except (aiohttp.ClientError, ValueError) as exc:
                self.error(type(exc).__name__)

    async def prefetcher(self, session: aiohttp.ClientSession, tokens: list[str],
                         into: dict[str, str]) -> None:
        while tokens:
            token = tokens.pop()
            status, page, _ = await self.request(session, "GET", f"/s/{token}/all", HTML)
            if status != 200:
                self.error(f"get {status}")
                continue
            into[token] = fill(page)[1].decode()

    async def getter(self, session: aiohttp.ClientSession, path: str) -> None:
        while time.perf_counter() < self.deadline:
            status, _, _ = await self.request(session, "GET", path, HTML)
            if status != 200:
                self.error(f"get {status}")

    async def sender(self, session: aiohttp.ClientSession, sequences: list[Any]) -> None:
        while sequences and time.perf_counter() < self.deadline:
            for path, headers, body in sequences.pop():
                if time.perf_counter() >= self.deadline:
                    return
                status, _, _ = await self.request(session, "POST", path, headers, body.encode())
                if status != 200:
                    self.error(f"post {status}")
                else:
                    self.units.append(self.requests[-1])


async def main(config: dict[str, Any]) -> dict[str, Any]:
    run = Run(config)
    clients = int(config["clients"])
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    async with aiohttp.ClientSession(
        connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=60),
    ) as session:
        mode = config["mode"]
        run.deadline = time.perf_counter() + run.seconds
        started = time.perf_counter()
        if mode in ("walk", "onepage"):
            tokens = list(reversed(config["tokens"]))
            prepared = config.get("prepared", {})
            tasks = [run.walker(session, tokens, mode, prepared) for _ in range(clients)]
        elif mode == "prefetch":
            tokens = list(reversed(config["tokens"]))
            tasks = [run.prefetcher(session, tokens, run.prepared) for _ in range(clients)]
        elif mode == "get":
            paths = config["paths"]
            tasks = [run.getter(session, paths[i % len(paths)]) for i in range(clients)]
        else:
            sequences = list(reversed(config["sequences"]))
            tasks = [run.sender(session, sequences) for _ in range(clients)]
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    return {
        "elapsed": elapsed,
        "requests": run.requests,
        "units": run.units,
        "posts": run.posts,
        "prepared": run.prepared,
        "done": run.done,
        "errors": run.errors,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.load(sys.stdin)))))
