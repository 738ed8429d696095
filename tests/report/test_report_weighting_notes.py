"""The weighting failures a report's notes name, in the reader's words.

The statuses come from real raking failures (``rake_cells``), so a change to how raking
words them is caught here, not found later as English inside a Spanish page.
"""

from __future__ import annotations

from pathlib import Path

from survey.dashboard.i18n import DashboardCatalogs
from survey.report.notes import weighting_status
from survey.report.weighting import rake_cells
from survey.report.wording import Wording

DASHBOARD = DashboardCatalogs(Path(__file__).resolve().parents[2] / "locales")
ES = Wording(DASHBOARD.gettext("es"), DASHBOARD.ngettext("es"), "es")


def test_raking_failures_are_worded_in_english_and_spanish() -> None:
    empty = rake_cells(
        [("age_band=35_44", 12)],
        {"age_band": {"18_24": 1.0, "35_44": 2.0, "65_plus": 1.0}},
    ).status
    nobody = rake_cells([(None, 12)], {"gender": {"woman": 1.0}}).status
    diverged = rake_cells(
        # Two margins no weights can meet at once: everyone is both a woman and 18-24,
        # but the margins want a third of each to be something else.
        [("age_band=18_24&gender=woman", 6), ("age_band=35_44&gender=man", 6)],
        {"age_band": {"18_24": 1.0, "35_44": 2.0}, "gender": {"woman": 2.0, "man": 1.0}},
    ).status
    assert diverged.startswith("not weighted: raking did not converge"), diverged

    assert weighting_status(empty) == (
        "not weighted: nobody in 18_24 and 65_plus of age_band; merge them with a "
        "neighbouring category in the margins"
    )
    assert weighting_status(nobody) == "not weighted: nobody answered gender"
    assert weighting_status(diverged) == "not weighted: the weights did not meet the margins"
    assert weighting_status("no margins") == "no margins"

    assert weighting_status(empty, ES) == (
        "sin ponderar: nadie en 18_24 y 65_plus de age_band; combínelas con una categoría "
        "vecina en los márgenes"
    )
    assert weighting_status(nobody, ES) == "sin ponderar: nadie respondió gender"
    assert weighting_status(diverged, ES) == "sin ponderar: los pesos no alcanzaron los márgenes"
    assert weighting_status("no margins", ES) == "sin márgenes"
    # An error raking has no words for stays as it came, rather than be guessed at.
    assert weighting_status("not weighted: something new", ES) == "not weighted: something new"
