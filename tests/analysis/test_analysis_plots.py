"""Charts render to valid PNG/SVG without pyplot, and their alt text carries the data."""

from __future__ import annotations

import datetime as dt
import io
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from matplotlib import image
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from analysis import plots, text_fit
from analysis.alt_text import (
    diverging_likert_alt,
    forest_plot_alt,
    response_monitor_alt,
    trend_alt,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NAN = float("nan")


def comma_decimal(value: float) -> str:
    """A stand-in for a Babel formatter in a comma-decimal locale."""
    return f"{value:.2f}".replace(".", ",")


SITES = ["Yakima", "Spokane", "Walla Walla", "Clark"]
ESTIMATES = [0.31, 0.12, 0.40, NAN]
LOWS = [0.10, -0.10, 0.05, NAN]
HIGHS = [0.52, 0.34, 0.75, NAN]
ITEMS = ["Respect", "Voice"]
CATEGORIES = ["Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"]
PRE = np.array([[10, 20, 30, 25, 15], [5, 15, 40, 30, 10]])
POST = np.array([[5, 15, 30, 30, 20], [0, 0, 0, 0, 0]])
DATES = [dt.date(2025, 3, 1) + dt.timedelta(days=i) for i in range(14)]
COUNTS = {"SMS": [3, 5, 8, 2, 0, 7, 9, 4, 4, 6, 3, 1, 0, 5], "Web": [1] * 14}


CHARTS: dict[str, Callable[..., bytes]] = {
    "forest": lambda **kw: plots.forest_plot(
        SITES, ESTIMATES, LOWS, HIGHS, pooled=(0.25, 0.08, 0.42), pooled_label="Combinado", **kw
    ),
    "likert": lambda **kw: plots.diverging_likert(ITEMS, PRE, POST, CATEGORIES, **kw),
    "trend": lambda **kw: plots.trend(
        ["Baseline", "Follow-up"],
        [[3.1, 3.4], [2.9, NAN]],
        [[2.9, 3.2], [2.7, NAN]],
        [[3.3, 3.6], [3.1, NAN]],
        ["Yakima", "Spokane"],
        **kw,
    ),
    "monitor": lambda **kw: plots.response_monitor(DATES, COUNTS, 120.0, **kw),
}


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which must come first."""
    assert data[:8] == PNG_MAGIC
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_chart_is_a_decodable_png(name: str) -> None:
    data = CHARTS[name](title="Título")
    width, height = png_size(data)
    pixels = image.imread(io.BytesIO(data), format="png")
    assert pixels.shape[:2] == (height, width)
    assert width > 500 and height > 200


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_svg_keeps_text_is_reproducible_and_restores_settings(name: str) -> None:
    before = matplotlib.rcParams["svg.fonttype"]
    data = CHARTS[name](title="Confianza", image_format="svg")
    assert data.startswith(b"<?xml") and b"<svg" in data
    assert b"Confianza" in data
    assert data == CHARTS[name](title="Confianza", image_format="svg")
    assert matplotlib.rcParams["svg.fonttype"] == before


def test_number_format_reaches_the_tick_labels() -> None:
    svg = CHARTS["forest"](number_format=comma_decimal, image_format="svg").decode()
    assert "0,20" in svg and "0.20" not in svg
    assert "Combinado" in svg and "Walla Walla" in svg


def test_translated_labels_in_other_scripts_render_without_missing_glyphs() -> None:
    # filterwarnings=error turns a missing-glyph warning into a failure.
    data = plots.trend(
        ["Trước", "Sau"], [[3.0, 3.2]], [[2.8, 3.0]], [[3.2, 3.4]], ["Доверие"], title="Tiwala"
    )
    png_size(data)


def test_mismatched_input_is_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        plots.forest_plot(["A", "B"], [0.1], [0.0], [0.2])
    with pytest.raises(ValueError, match="2 items × 5 categories"):
        plots.diverging_likert(ITEMS, PRE[:, :4], POST[:, :4], CATEGORIES)
    with pytest.raises(ValueError, match="series × waves"):
        plots.trend(["W1"], [[1.0, 2.0]], [[1.0, 2.0]], [[1.0, 2.0]], ["S"])
    with pytest.raises(ValueError, match="'SMS' has 2 counts"):
        plots.response_monitor(DATES, {"SMS": [1, 2]})
    with pytest.raises(ValueError, match="png"):
        CHARTS["trend"](image_format="pdf")


def test_plots_never_load_pyplot() -> None:
    code = (
        "import sys, analysis.plots as p;"
        "p.trend(['a'], [[1.0]], [[0.5]], [[1.5]], ['s']);"
        "sys.exit('matplotlib.pyplot' in sys.modules)"
    )
    root = Path(plots.__file__).resolve().parents[1]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0


def test_forest_alt_text_lists_every_site_and_the_pooled_estimate() -> None:
    text = forest_plot_alt(
        SITES,
        ESTIMATES,
        LOWS,
        HIGHS,
        pooled=(0.25, 0.08, 0.42),
        pooled_label="Combinado",
        title="Cambio",
        number_format=comma_decimal,
    )
    assert text.startswith("Cambio. ")
    assert "Yakima: 0,31 [0,10, 0,52]" in text
    assert "Clark: –" in text
    assert "Combinado: 0,25 [0,08, 0,42]" in text


def test_likert_alt_text_gives_shares_and_counts_per_wave() -> None:
    text = diverging_likert_alt(ITEMS, PRE, POST, CATEGORIES, wave_labels=("Antes", "Después"))
    assert "Respect — Antes: Strongly disagree 10% (10)" in text
    assert "Después: Strongly disagree 5% (5)" in text
    assert "Voice — Antes: Strongly disagree 5% (5)" in text
    assert "Después: Strongly disagree –% (0)" in text  # no answers: no share


def test_trend_and_monitor_alt_text_carry_the_numbers() -> None:
    text = trend_alt(["W1", "W2"], [[3.1, NAN]], [[2.9, NAN]], [[3.3, NAN]], ["Yakima"])
    assert text == "Yakima: W1 3.10 [2.90, 3.30], W2 –"
    monitor = response_monitor_alt(
        DATES, COUNTS, 120, total_label="Total", target_label="Meta", title="Respuestas"
    )
    assert monitor == (
        "Respuestas. SMS: 57; Web: 14; Total: 71; Meta: 120; 2025-03-01 – 2025-03-14"
    )


def test_likert_alt_text_from_shares_says_no_count() -> None:
    shares = [[0.1, 0.2, 0.3, 0.25, 0.15], [0.05, 0.15, 0.4, 0.3, 0.1]]
    text = diverging_likert_alt(ITEMS, shares, shares, CATEGORIES, counts=False)
    assert "Respect — Pre: Strongly disagree 10%, Disagree 20%, Neither 30%" in text
    assert "Voice — Pre: Strongly disagree 5%, Disagree 15%" in text
    assert "(" not in text


LONG_ITEMS = {
    "en": (
        ["If you saw a crime happen, how likely would you be to report it to the police?",
         "How likely would you be to give the police information to help find a suspect?"],
        ["Very unlikely", "Somewhat unlikely", "Somewhat likely", "Very likely"],
        ("Baseline 2025 (synthetic)", "Follow-up 2025 (synthetic)"),
    ),
    "es": (
        ["Si usted viera que se comete un delito, ¿qué tan probable es que lo denunciara a "
         "la policía de su barrio o de su ciudad?",
         "¿Qué tan probable es que usted diera información a la policía para ayudar a "
         "encontrar a un sospechoso?"],
        ["Muy improbable que lo haga", "Algo improbable", "Algo probable",
         "Muy probable que lo haga"],
        ("Línea de base 2025 (sintética, primavera)", "Seguimiento2025sintéticoprimaveraotoño"),
    ),
    "vi": (
        ["Nếu bạn chứng kiến một vụ phạm tội, bạn có khả năng báo cho cảnh sát đến mức nào?"],
        ["Rất không có khả năng", "Hơi không có khả năng", "Hơi có khả năng",
         "Rất có khả năng"],
        ("Khảo sát đầu kỳ 2025 (tổng hợp)", "Khảo sát theo dõi 2025 (tổng hợp)"),
    ),
    "ar": (
        ["إذا رأيت جريمة تحدث، ما مدى احتمال أن تبلغ الشرطة عنها؟ وما مدى احتمال أن تقدم "
         "معلومات للشرطة تساعد في العثور على مشتبه به؟"],
        ["غير محتمل إطلاقًا", "غير محتمل إلى حد ما", "محتمل إلى حد ما", "محتمل جدًا"],
        ("خط الأساس 2025 (اصطناعي)", "المتابعة 2025 (اصطناعية) الموجة الثانية"),
    ),
}


@pytest.mark.parametrize("lang", sorted(LONG_ITEMS))
def test_likert_layout_gives_the_bars_the_width_and_clips_nothing(lang: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    items, categories, waves = LONG_ITEMS[lang]
    counts = [[1, 2, 3, 4]] * len(items)
    figure = plots.diverging_likert_figure(
        items, counts, counts[::-1], categories, wave_labels=waves,
        x_label="Share of answers (%)", title="Alpha: answers before and after",
    )
    figure.set_dpi(plots.DPI)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    assert figure.get_size_inches()[0] == plots.WIDTH_INCHES
    texts = [
        (t.get_text(), t.get_window_extent(renderer))
        for t in figure.findobj(Text)
        if t.get_visible() and t.get_text()
    ]
    page = figure.bbox
    for text, box in texts:
        assert page.x0 <= box.x0 and box.x1 <= page.x1, text
        assert page.y0 <= box.y0 and box.y1 <= page.y1, text
    for i, (text, box) in enumerate(texts):
        for other, other_box in texts[i + 1 :]:
            assert not box.overlaps(other_box), (text, other)
    for axis in figure.axes:
        assert axis.get_position().width >= 0.6
    shown = [t for t, _ in texts]
    # Every question in full (wrapped, never cut), the bars named by the waves alone.
    for item in items:
        assert " ".join(item.split()) in [" ".join(t.split()) for t in shown]
    assert "Share of answers (%)" in shown
    wave_ticks = [tick.get_text() for tick in figure.axes[0].get_yticklabels()]
    assert ["".join(w.split()) for w in wave_ticks] == ["".join(w.split()) for w in waves]


THREE_DATES = [dt.date(2025, 3, 1), dt.date(2025, 3, 2), dt.date(2025, 3, 3)]


@pytest.mark.parametrize(
    ("chart", "alt", "args", "kwargs", "message"),
    [
        (
            plots.trend,
            trend_alt,
            (["Pre", "Post"], [3.1], [2.9], [3.3], ["A"]),
            {},
            r"series × waves \(1, 2\)",
        ),
        (
            plots.diverging_likert,
            diverging_likert_alt,
            (["q"], [[1, 2, 3, 4]], [[1, 2, 3, 4]], ["SD", "D", "N", "A", "SA"]),
            {},
            "1 items × 5 categories",
        ),
        (plots.forest_plot, forest_plot_alt, (["a", "b"], [1], [0], [2]), {}, "same length"),
        (
            plots.forest_plot,
            forest_plot_alt,
            (["a", "b"], [1, 2], [0, 1], [2, 3]),
            {"notes": ["x"]},
            r"'notes': 1",
        ),
        (
            plots.response_monitor,
            response_monitor_alt,
            (THREE_DATES, {"SMS": [5]}),
            {},
            "series 'SMS' has 1 counts for 3 dates",
        ),
    ],
)
def test_alt_text_refuses_what_its_chart_refuses(
    chart: Callable[..., bytes],
    alt: Callable[..., str],
    args: tuple[object, ...],
    kwargs: dict[str, object],
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        chart(*args, **kwargs)
    with pytest.raises(ValueError, match=message):
        alt(*args, **kwargs)


def test_alt_text_keeps_one_number_format_per_figure() -> None:
    text = trend_alt(["Pre", "Post"], [[3.0, 3.2]], [[2.8, 3.0]], [[3.2, 3.4]], ["Trust"])
    assert text == "Trust: Pre 3.00 [2.80, 3.20], Post 3.20 [3.00, 3.40]"
    forest = forest_plot_alt(["a"], [0.31], [0.1], [0.52], pooled=(0.22, 0.0, 0.39))
    assert forest == "a: 0.31 [0.10, 0.52]; Pooled: 0.22 [0.00, 0.39]"
    # All whole: no decimals anywhere, as before.
    assert trend_alt(["W1"], [[3]], [[2]], [[4]], ["S"]) == "S: W1 3 [2, 4]"
    monitor = response_monitor_alt(THREE_DATES, {"SMS": [1, 2, 2], "Web": [0.5, 0, 0]}, 10)
    assert monitor == "SMS: 5.00; Web: 0.50; Total: 5.50; Target: 10.00; 2025-03-01 – 2025-03-03"


def monitor_figure(monkeypatch: pytest.MonkeyPatch, *args: object) -> Figure:
    """The monitor's Figure as drawn, taken where it would be rendered."""
    drawn: list[Figure] = []

    def keep(figure: Figure, image_format: str) -> bytes:
        drawn.append(figure)
        return b""

    monkeypatch.setattr(plots, "_render", keep)
    plots.response_monitor(*args)
    (figure,) = drawn
    return figure


def test_monitor_with_one_day_of_completes_draws_them(monkeypatch: pytest.MonkeyPatch) -> None:
    # A stackplot of a single x point has no area: the day's completes vanished.
    day = dt.date(2026, 11, 24)
    figure = monitor_figure(monkeypatch, [day], {"Web survey": [5]}, 50.0)
    (axis,) = figure.axes
    (area,) = [c for c in axis.collections if isinstance(c, PolyCollection)]
    (path,) = area.get_paths()
    xs, ys = path.vertices[:, 0], path.vertices[:, 1]
    assert ys.max() == 5.0 and ys.min() == 0.0
    # Shoelace area of the outline: zero when the stack collapses to a line.
    assert abs(np.dot(xs, np.roll(ys, 1)) - np.dot(ys, np.roll(xs, 1))) / 2 > 1.0
    # It reaches the day's count on that day, the only date ticked, as the alt text says.
    assert xs.max() == day.toordinal()
    assert [tick.get_text() for tick in axis.get_xticklabels()] == ["2026-11-24"]
    assert response_monitor_alt([day], {"Web survey": [5]}, 50.0).endswith(
        "Total: 5; Target: 50; 2026-11-24 – 2026-11-24"
    )


def test_monitor_with_days_keeps_its_area_and_with_none_still_renders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    figure = monitor_figure(monkeypatch, THREE_DATES, {"SMS": [1, 2, 2]}, 10.0)
    (area,) = [c for c in figure.axes[0].collections if isinstance(c, PolyCollection)]
    xs = area.get_paths()[0].vertices[:, 0]
    assert xs.min() == THREE_DATES[0].toordinal()  # no extra day before the first
    monkeypatch.undo()
    today = dt.date(2026, 11, 24)
    assert plots.response_monitor([today], {}, 50.0)[:8] == PNG_MAGIC
    assert plots.response_monitor([today], {"Web survey": [0]}, None)[:8] == PNG_MAGIC


def savefig_pixels(chart: Callable[..., bytes], monkeypatch: pytest.MonkeyPatch) -> np.ndarray:
    """The chart as a plain ``savefig`` of its Figure paints it, RGBA."""
    drawn: list[Figure] = []
    monkeypatch.setattr(plots, "_render", lambda figure, _format: drawn.append(figure) or b"")
    chart()
    monkeypatch.undo()
    buffer = io.BytesIO()
    drawn[0].savefig(buffer, format="png", dpi=plots.DPI)
    return image.imread(io.BytesIO(buffer.getvalue()), format="png")


CHARTS_AT_LENGTH: dict[str, Callable[[], bytes]] = {
    **{name: lambda chart=chart: chart(title="Título") for name, chart in CHARTS.items()},
    "likert-ar": lambda: plots.diverging_likert(
        *LONG_ITEMS["ar"][:1], [[1, 2, 3, 4]], [[4, 3, 2, 1]], LONG_ITEMS["ar"][1],
        wave_labels=LONG_ITEMS["ar"][2], title="Alpha: answers before and after",
    ),
    "monitor-one-day": lambda: plots.response_monitor([dt.date(2026, 11, 24)], {"Web": [5]}),
}


@pytest.mark.parametrize("name", sorted(CHARTS_AT_LENGTH))
def test_png_has_the_pixels_savefig_paints(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The PNG is drawn once and encoded from the canvas (opaque, so RGB), not saved
    # with savefig: the picture must be the very same, pixel for pixel.
    chart = CHARTS_AT_LENGTH[name]
    # Labels measured afresh for the reference, from the caches for the PNGs.
    text_fit._widths.clear()
    text_fit._wraps.clear()
    expected = savefig_pixels(chart, monkeypatch)
    data = chart()
    pixels = image.imread(io.BytesIO(data), format="png")
    assert pixels.shape == (*expected.shape[:2], 3)
    assert (expected[..., 3] == 1.0).all()
    assert np.array_equal(pixels, expected[..., :3])
    # Drawn again (every label's width and wrap now remembered), it is the same still.
    assert np.array_equal(image.imread(io.BytesIO(chart()), format="png"), pixels)
