"""QR codes for open links, as SVG (for print) and PNG (for slides and chat)."""

from __future__ import annotations

import io

import segno


def _code(url: str) -> segno.QRCode:
    # Level M survives a smudged or folded flyer without making the code dense.
    return segno.make(url, error="m", micro=False)


def svg(url: str, *, scale: int = 8, title: str = "") -> bytes:
    buffer = io.BytesIO()
    _code(url).save(
        buffer,
        kind="svg",
        scale=scale,
        border=4,
        xmldecl=False,
        svgns=True,
        title=title or url,
        unit=None,
    )
    return buffer.getvalue()


def svg_inline(url: str, *, scale: int = 8, title: str = "") -> str:
    return svg(url, scale=scale, title=title).decode()


def png(url: str, *, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    _code(url).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
