"""Filling in a survey page's form from its HTML, for the fault tests' clients."""

from __future__ import annotations

import re
from urllib.parse import urlencode

_ACTION = re.compile(r'<form method="post" action="([^"]+)"')
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
_CONTROL = re.compile(r"<(input|textarea)\b([^>]*)>")
_ATTR = re.compile(r'([a-z-]+)="([^"]*)"')


def fill(html: str) -> tuple[str, bytes]:
    """The page form's action and a body answering each shown question: its first
    option, "3" where a number is asked, a short text elsewhere (as tests.bench.webload)."""
    found = _ACTION.search(html)
    assert found is not None, html[:500]
    form = html[found.start():html.index("</form>", found.start())]
    data = _HIDDEN.findall(form)
    first: dict[str, dict[str, str]] = {}
    for tag, attrs in _CONTROL.findall(form):
        a = dict(_ATTR.findall(attrs))
        if a.get("type") != "hidden" and a.get("name", "").startswith("q_"):
            first.setdefault(a["name"], {"tag": tag, **a})
    for name, control in first.items():
        if control["tag"] == "textarea" or control.get("type") == "text":
            data.append((name, "3" if control.get("inputmode") else "All fine here"))
        else:
            data.append((name, control["value"]))
    return found.group(1), urlencode(data).encode()
