"""What the service loads once at start-up and hands to services: settings,
questionnaires and translation catalogs. Built in ``create_app`` (or the CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from survey.config import Settings

if TYPE_CHECKING:
    from survey.questionnaire import Questionnaire


@dataclass(frozen=True)
class Resources:
    settings: Settings
    questionnaires: dict[str, Questionnaire]
    catalogs: Any
    supported_locales: tuple[str, ...] = field(default=())

    def launch_problems(self, questionnaire: Questionnaire, locale: str) -> list[str]:
        """Why ``locale`` may not launch yet (missing or unreviewed strings); empty if ready."""
        from survey.i18n import launch_check

        return [str(p) for p in launch_check(self.catalogs, questionnaire, locale)]


def load_resources(settings: Settings) -> Resources:
    from survey.i18n import SUPPORTED_LOCALES, Catalogs
    from survey.questionnaire import load_questionnaires

    return Resources(
        settings=settings,
        questionnaires=load_questionnaires(settings.resolved_questionnaire_dir),
        catalogs=Catalogs.load(settings.resolved_locales_dir),
        supported_locales=tuple(SUPPORTED_LOCALES),
    )
