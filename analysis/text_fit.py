"""Wrapping chart labels to a width measured by the renderer that draws them.

Counting characters would misjudge wide scripts and narrow ones alike (a translated
label may be Vietnamese, Arabic or Amharic): the Agg renderer measures each candidate
line in the font matplotlib will use, so a wrapped label fits its width in any script.
"""

from __future__ import annotations

from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties


class TextFit:
    """Measures and wraps text for one figure's renderer."""

    def __init__(self, renderer: RendererAgg) -> None:
        self.renderer = renderer

    def width(self, text: str, size: float) -> float:
        """The widest line of ``text`` in inches at ``size`` points."""
        prop = FontProperties(size=size)
        widest = 0.0
        for line in text.split("\n"):
            # matplotlib ships this method without annotations.
            w, _h, _d = self.renderer.get_text_width_height_descent(  # type: ignore[no-untyped-call]
                line, prop, ismath=False
            )
            widest = max(widest, float(w))
        return widest / float(self.renderer.dpi)

    def wrap(self, text: str, size: float, width: float) -> str:
        """``text`` broken into lines of at most ``width`` inches: between words where it
        can, inside a word too long for a line (or a script without spaces)."""
        lines: list[str] = []
        for word in text.split():
            line = f"{lines[-1]} {word}" if lines else word
            if lines and self.width(line, size) <= width:
                lines[-1] = line
                continue
            lines.append("")
            for char in word:
                if lines[-1] and self.width(lines[-1] + char, size) > width:
                    lines.append("")
                lines[-1] += char
        return "\n".join(lines)
