"""The load client of the HTTP benchmarks: asyncio + aiohttp, in a process of its own.

Reads a JSON config on stdin and writes a JSON report to the file its "report" names. Modes:

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
    response once residents have the page on their phones. Those POSTs go through
    ``RawHTTP``, a client lean enough to leave the shared cores to the server.
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
import contextlib
import json
import re
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
import uvloop

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


class RawHTTP:
    """One keep-alive HTTP/1.1 connection that sends ready-made form posts.

    pgbench, the submit benchmark's baseline, is a C client that costs the shared
    cores little; aiohttp spends about as much CPU per request as the server's own
    framework does. For the timed one-page POSTs (``prepared`` bodies) this client
    writes the request bytes and reads the answer by its Content-Length (or chunks),
    so what the run measures is the server.
    """

    def __init__(self, host: str, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.host, self.reader, self.writer = host, reader, writer

    @classmethod
    async def connect(cls, base: str) -> RawHTTP:
        address = urlsplit(base)
        reader, writer = await asyncio.open_connection(address.hostname, address.port)
        return cls(address.netloc, reader, writer)

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nAccept: text/html\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(":") for line in lines[1:] if line)
        )
        if "content-length" in headers:
            return status, await self.reader.readexactly(int(headers["content-length"]))
        if headers.get("transfer-encoding", "").lower() != "chunked":
            raise ValueError("answer without a length")
        chunks = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await self.reader.readexactly(size + 2)
            if size == 0:
                return status, b"".join(chunks)
            chunks.append(chunk[:-2])

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


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
        self.post_starts: list[float] = []
        """When each of ``posts`` started, in seconds since the run did."""
        self.started = 0.0
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

    async def post_raw(self, http: RawHTTP, token: str, body: bytes) -> None:
        started = time.perf_counter()
        status, page = await http.post(f"/s/{token}/all", body)
        elapsed = time.perf_counter() - started
        self.requests.append(elapsed)
        if status != 200 or b"received" not in page:
            return self.error(f"post {status}")
        self.posts.append(elapsed)
        self.post_starts.append(started - self.started)
        self.units.append(elapsed)
        self.done.append(token)
        return None

    async def poster(self, tokens: list[str], prepared: dict[str, str]) -> None:
        http = await RawHTTP.connect(self.base)
        try:
            while tokens and time.perf_counter() < self.deadline:
                token = tokens.pop()
                try:
                    await self.post_raw(http, token, prepared[token].encode())
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    self.error(type(exc).__name__)
                    await http.close()
                    http = await RawHTTP.connect(self.base)
        finally:
            await http.close()

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
        self.post_starts.append(time.perf_counter() - self.requests[-1] - self.started)
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
        started = run.started = time.perf_counter()
        if mode == "onepage" and config.get("prepared"):
            tokens = list(reversed(config["tokens"]))
            tasks = [run.poster(tokens, config["prepared"]) for _ in range(clients)]
        elif mode in ("walk", "onepage"):
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
        cpu = time.process_time()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
    return {
        "elapsed": elapsed,
        "cpu": cpu,
        "requests": run.requests,
        "units": run.units,
        "posts": run.posts,
        "post_starts": run.post_starts,
        "prepared": run.prepared,
        "done": run.done,
        "errors": run.errors,
    }


if __name__ == "__main__":
    # The server runs on uvloop too (survey serve): the client should cost as little.
    config = json.load(sys.stdin)
    result = uvloop.run(main(config))
    # To a file, not stdout: libuv may leave stdout non-blocking, and a report larger
    # than the pipe's buffer then lost bytes mid-write (broken JSON at 7 x 64 KiB, and
    # at 4.5 x 64 KiB even after setting the descriptor blocking again).
    Path(config["report"]).write_text(json.dumps(result))
