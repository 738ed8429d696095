"""Survey form posts, parsed.

Every survey form is ``application/x-www-form-urlencoded`` (the browser's default, and
what works without JavaScript). Litestar parses such a body with ``urllib``'s
``parse_qsl`` and then builds a multi-dict; for the one-page form's hundred-odd
fields that was a sixth of a worker's time per response. Here a field whose name and
value hold no ``%`` or ``+`` (nearly all of them: item ids, option codes, numbers) is
taken as it stands, and only the others are unquoted, with ``parse_qsl``'s rules:
``+`` is a space, percent escapes are UTF-8 with bad bytes replaced, blank values
kept, empty pieces skipped. Anything else (multipart) goes through Litestar.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from litestar import Request

URL_ENCODED = "application/x-www-form-urlencoded"


class Form:
    """The fields of a post, in order; ``get`` answers the first value of a name."""

    __slots__ = ("_by_name", "_items")

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items
        by_name: dict[str, list[str]] = {}
        for name, value in items:
            values = by_name.get(name)
            if values is None:
                by_name[name] = [value]
            else:
                values.append(value)
        self._by_name = by_name

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self._by_name.get(name)
        return values[0] if values else default

    def getall(self, name: str, default: list[str] | None = None) -> list[str]:
        values = self._by_name.get(name)
        if values is None:
            return [] if default is None else default
        return list(values)

    def multi_items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def __len__(self) -> int:
        return len(self._items)


def _unquote(text: str) -> str:
    if "+" in text:
        text = text.replace("+", " ")
    if "%" in text:
        text = unquote(text, encoding="utf-8", errors="replace")
    return text


def parse_urlencoded(body: bytes) -> list[tuple[str, str]]:
    """``urllib.parse.parse_qsl(body.decode('latin-1'), keep_blank_values=True)``,
    faster where there is nothing to unquote (see the module's docstring)."""
    items: list[tuple[str, str]] = []
    for piece in body.decode("latin-1").split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        items.append((_unquote(name), _unquote(value)))
    return items


async def read(request: Request[Any, Any, Any]) -> Form:
    """The post's fields. Raises Litestar's 413 ``ClientException`` past the route's
    body limit, as ``request.form()`` does."""
    media_type, _ = request.content_type
    if media_type == URL_ENCODED:
        return Form(parse_urlencoded(await request.body()))
    form = await request.form()
    return Form([(name, str(value)) for name, value in form.multi_items()])
