"""HTTP routes of the fake Twilio: the Messages API subset and two control routes.

``POST /2010-04-01/Accounts/{sid}/Messages.json`` creates a message (HTTP basic
auth with the account sid and auth token, as Twilio); ``GET`` of
``Messages.json`` lists and of ``Messages/{sid}.json`` fetches. ``POST
/_fake/inbound`` (From, Body, optional To and Url) makes a phone text the app and
answers with the replies; ``GET /_fake/messages`` lists everything seen. The
state lives in ``fakeprovider.FakeTwilio``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import msgspec

from survey.sms.twilio_forms import API_VERSION

if TYPE_CHECKING:
    from survey.sms.fakeprovider import FakeTwilio

__all__ = ["FakeApiHandler", "api_error"]


def api_error(status: int, code: int | None, message: str) -> dict[str, Any]:
    return {
        "code": code, "message": message, "status": status,
        "more_info": f"https://www.twilio.com/docs/errors/{code}" if code else None,
    }


class FakeApiHandler(BaseHTTPRequestHandler):
    server_version = "FakeTwilio/1.0"
    protocol_version = "HTTP/1.1"

    @property
    def fake(self) -> FakeTwilio:
        return self.server.fake  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean; the fake records what matters

    def _send(
        self, status: int, payload: object, headers: Mapping[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8") if length else ""
        return dict(parse_qsl(raw, keep_blank_values=True))

    def _route(self) -> tuple[str, list[str]]:
        path = urlsplit(self.path).path
        return path, [p for p in path.split("/") if p]

    def do_POST(self) -> None:
        path, parts = self._route()
        form = self._form()
        if path == "/_fake/inbound":
            self._fake_inbound(form)
            return
        if len(parts) == 4 and parts[:2] == [API_VERSION, "Accounts"] and parts[3] == (
            "Messages.json"
        ):
            if not self.fake.authorized(self.headers.get("Authorization"), parts[2]):
                self._send(401, api_error(401, 20003, "Authenticate"))
                return
            status, payload, headers = self.fake.create_message(form)
            self._send(status, payload, headers)
            return
        self._send(404, api_error(404, 20404, "The requested resource was not found"))

    def do_GET(self) -> None:
        path, parts = self._route()
        fake = self.fake
        if path == "/_fake/messages":
            self._send(200, [msgspec.to_builtins(m) for m in fake.messages])
            return
        if len(parts) >= 4 and parts[:2] == [API_VERSION, "Accounts"]:
            if not fake.authorized(self.headers.get("Authorization"), parts[2]):
                self._send(401, api_error(401, 20003, "Authenticate"))
                return
            if parts[3:] == ["Messages.json"]:
                listed = [fake.resource(m) for m in reversed(fake.messages)]
                self._send(200, {"messages": listed, "page": 0, "page_size": len(listed)})
                return
            if len(parts) == 5 and parts[3] == "Messages" and parts[4].endswith(".json"):
                sid = parts[4].removesuffix(".json")
                for m in fake.messages:
                    if m.sid == sid:
                        self._send(200, fake.resource(m))
                        return
        self._send(404, api_error(404, 20404, "The requested resource was not found"))

    def _fake_inbound(self, form: Mapping[str, str]) -> None:
        """Control endpoint for the CLI and demo: a phone texts the app."""
        try:
            result = self.fake.inbound(
                form["From"], form.get("Body", ""), to=form.get("To") or None,
                url=form.get("Url") or None,
            )
        except (KeyError, ValueError, httpx.HTTPError) as exc:
            self._send(400, {"error": repr(exc)})
            return
        self._send(200, msgspec.to_builtins(result))
