"""The methods paragraph's wave dates: a wave still in the field is not said to have
closed (a review found "closed 2027-01-23" in a report generated in 2026)."""

from __future__ import annotations

from datetime import UTC, datetime

from survey.report.methods import _wave
from survey.report.model import WaveRef

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def ref(opens: datetime | None, closes: datetime | None) -> WaveRef:
    return WaveRef(id=1, name="Spring", phase="post", opens_at=opens, closes_at=closes,
                   questionnaire_hash=None)


def test_past_present_and_future_dates_are_said_as_such() -> None:
    past, later = datetime(2026, 3, 1, tzinfo=UTC), datetime(2027, 1, 23, tzinfo=UTC)
    assert _wave(ref(past, datetime(2026, 4, 15, tzinfo=UTC)), NOW) == (
        "“Spring” (post, opened 2026-03-01 and closed 2026-04-15)")
    assert _wave(ref(past, later), NOW) == (
        "“Spring” (post, opened 2026-03-01 and open until 2027-01-23)")
    assert _wave(ref(later, later), NOW) == (
        "“Spring” (post, opens 2027-01-23 and open until 2027-01-23)")
    assert _wave(ref(None, None), NOW) == "“Spring” (post)"


def test_dates_in_spanish_are_spanish_dates() -> None:
    from pathlib import Path

    from survey.dashboard.i18n import DashboardCatalogs
    from survey.report.wording import Wording

    catalogs = DashboardCatalogs(Path(__file__).resolve().parents[2] / "locales")
    es = Wording(catalogs.gettext("es"), catalogs.ngettext("es"), "es")
    past, later = datetime(2026, 3, 1, tzinfo=UTC), datetime(2027, 1, 23, tzinfo=UTC)
    assert _wave(ref(past, datetime(2026, 4, 15, tzinfo=UTC)), NOW, es) == (
        "«Spring» (después, abierta el 1 de marzo de 2026 y cerrada el 15 de abril de 2026)")
    assert _wave(ref(later, later), NOW, es) == (
        "«Spring» (después, se abre el 23 de enero de 2027 y estará abierta hasta el "
        "23 de enero de 2027)")


def test_a_follow_up_wave_is_named_in_words() -> None:
    wave = WaveRef(id=1, name="Follow-up 2026", phase="follow_up", opens_at=None,
                   closes_at=None, questionnaire_hash=None)
    assert _wave(wave, NOW) == "“Follow-up 2026” (follow-up)"
