"""Wrapping chart labels to a width measured by the renderer that draws them.

Counting characters would misjudge wide scripts and narrow ones alike (a translated
label may be Vietnamese, Arabic or Amharic): the Agg renderer measures each candidate
line in the font matplotlib will use, so a wrapped label fits its width in any script.

Measuring is slow (FreeType lays out every glyph, some 20 µs each) and a report wraps
the same questions, wave names and answer labels for every site, page view and
download, so measured widths and wrapped labels are kept per process. A width
depends on the text, the font and the resolution alone, never on the figure.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TypeVar

import matplotlib
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties

#: Entries per cache; either is emptied whole when full (a line is some 100 bytes).
CACHE_LIMIT = 20_000

_widths: dict[Hashable, float] = {}
_wraps: dict[Hashable, str] = {}
V = TypeVar("V")


def _remember(cache: dict[Hashable, V], key: Hashable, value: V) -> V:
    # Dict reads and writes are atomic, so server threads may share the caches.
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


class TextFit:
    """Measures and wraps text for one figure's renderer."""

    def __init__(self, renderer: RendererAgg) -> None:
        self.renderer = renderer

    def _font(self, size: float) -> tuple[Hashable, ...]:
        # FontProperties takes its family from rcParams and hashes by everything
        # that picks the font; the hinting changes glyph widths.
        return (FontProperties(size=size), float(self.renderer.dpi),
                matplotlib.rcParams["text.hinting"])

    def _line(self, line: str, font: tuple[Hashable, ...]) -> float:
        key = (line, *font)
        width = _widths.get(key)
        if width is None:
            # matplotlib ships this method without annotations.
            w, _h, _d = self.renderer.get_text_width_height_descent(  # type: ignore[no-untyped-call]
                line, font[0], ismath=False
            )
            width = _remember(_widths, key, float(w) / float(self.renderer.dpi))
        return width

    def width(self, text: str, size: float) -> float:
        """The widest line of ``text`` in inches at ``size`` points."""
        font = self._font(size)
        return max(self._line(line, font) for line in text.split("\n"))

    def wrap(self, text: str, size: float, width: float) -> str:
        """``text`` broken into lines of at most ``width`` inches: between words where it
        can, inside a word too long for a line (or a script without spaces)."""
        font = self._font(size)
        key = (text, width, *font)
        wrapped = _wraps.get(key)
        if wrapped is not None:
            return wrapped
        lines: list[str] = []
        for word in text.split():
            line = f"{lines[-1]} {word}" if lines else word
            if lines and self._line(line, font) <= width:
                lines[-1] = line
                continue
            lines.append("")
            for char in word:
                if lines[-1] and self._line(lines[-1] + char, font) > width:
                    lines.append("")
                lines[-1] += char
        return _remember(_wraps, key, "\n".join(lines))
