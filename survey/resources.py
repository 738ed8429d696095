"""What the service loads once at start-up and hands to services: settings,
questionnaires and translation catalogs. Built in ``create_app`` (or the CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from survey.config import Settings
from survey.questionnaire import Questionnaire


@dataclass(frozen=True)
class Resources:
    settings: Settings
    questionnaires: dict[str, Questionnaire]
    catalogs: Any
    supported_locales: tuple[str, ...] = field(default=())

    def page_strings(self, locale: str, *, allow_fuzzy: bool = False) -> dict[str, Any]:
        """What every server-rendered page needs: gettext as ``_``, lang and dir."""
        from markupsafe import Markup

        from survey.i18n import html_lang, isolate, text_direction

        translator = self.catalogs.translator(locale, allow_fuzzy)
        return {
            # A name (program, site) in a sentence keeps its own direction: on a
            # right-to-left page "Washington CLEP (demo)" would show "(... (demo".
            "bdi": lambda name: Markup("<bdi>{}</bdi>").format(name),
            "isolate": lambda name: isolate(name, locale),  # where no tag may go
            "_": translator.gettext,
            "ngettext": translator.ngettext,
            "locale": locale,
            "html_lang": html_lang(locale),
            "dir": text_direction(locale),
            "unreviewed": allow_fuzzy and locale != "en",
        }

    def language_name(self, locale: str) -> str:
        from survey.i18n import native_name

        return str(native_name(locale))

    def launch_problems(
        self, questionnaire: Questionnaire, locale: str, *, allow_unreviewed: bool = False
    ) -> list[str]:
        """Why ``locale`` may not launch yet (missing or unreviewed strings); empty if ready.

        ``allow_unreviewed`` lets fuzzy and unreviewed strings pass, never missing ones.
        """
        from survey.i18n import launch_check

        problems = launch_check(
            self.catalogs, questionnaire, locale, allow_unreviewed=allow_unreviewed
        )
        return [
            f"{p.kind}: {p.context or p.msgid[:60]}" + (f" ({p.detail})" if p.detail else "")
            for p in problems
        ]


def load_resources(settings: Settings) -> Resources:
    from survey.i18n import SUPPORTED_LOCALES, Catalogs
    from survey.questionnaire import load_questionnaires

    return Resources(
        settings=settings,
        questionnaires=load_questionnaires(settings.resolved_questionnaire_dir),
        catalogs=Catalogs.load(settings.resolved_locales_dir),
        supported_locales=tuple(SUPPORTED_LOCALES),
    )
