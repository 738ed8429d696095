"""One wave's SMS conversation settings, and the text of each language they need."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from survey.i18n import Catalogs, isolate, translate_questionnaire
from survey.questionnaire import Questionnaire
from survey.sms.texts import Gettext, translate


@dataclass(frozen=True)
class Setup:
    """One wave's conversation settings and how to get text in each language.

    ``gettext(locale)`` returns msgid -> text for the engine's own messages
    (``messages`` domain); ``questionnaire_for(locale)`` the questionnaire with
    its text translated and placeholders filled. ``from_catalogs`` builds both.
    With ``provider_confirms_keywords`` (Twilio's default on long codes) the
    provider itself answers STOP/START and its other standard words, so we stay
    silent for those and confirm only the ones it does not know (ALTO, стоп ...).
    ``translates(locale, msgid)`` tells whether a catalog really has one of the
    engine's messages in ``locale``: keyword replies may use any such language.
    """

    questionnaire: Questionnaire
    languages: tuple[str, ...]
    program: str
    help_contact: str
    max_reprompts: int = 2
    send_consent: bool = True
    provider_confirms_keywords: bool = True
    gettext: Callable[[str], Gettext] = field(default=lambda locale: (lambda msgid: msgid))
    questionnaire_for: Callable[[str], Questionnaire] | None = None
    translates: Callable[[str, str], bool] = field(default=lambda locale, msgid: False)
    _cache: dict[str, Questionnaire] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.languages:
            raise ValueError("a wave needs at least one language")

    @classmethod
    def from_catalogs(
        cls,
        catalogs: Catalogs,
        questionnaire: Questionnaire,
        languages: Sequence[str],
        *,
        program: str,
        help_contact: str,
        allow_fuzzy: bool = False,
        **options: object,
    ) -> Setup:
        return cls(
            questionnaire=questionnaire,
            languages=tuple(languages),
            program=program,
            help_contact=help_contact,
            gettext=lambda locale: catalogs.translator(locale, allow_fuzzy).gettext,
            translates=lambda locale, msgid: (
                (None, msgid) in catalogs.translated(locale, allow_fuzzy)
            ),
            questionnaire_for=lambda locale: translate_questionnaire(
                catalogs, questionnaire, locale, allow_fuzzy=allow_fuzzy,
                params={"program": isolate(program, locale)},
            ),
            **options,  # type: ignore[arg-type]
        )

    @property
    def default_language(self) -> str:
        q = self.questionnaire
        return q.default_language if q.default_language in self.languages else self.languages[0]

    def localized(self, locale: str) -> Questionnaire:
        found = self._cache.get(locale)
        if found is None:
            if self.questionnaire_for is not None:
                found = self.questionnaire_for(locale)
            else:
                params = {"program": isolate(self.program, locale)}
                found = translate_questionnaire(
                    Catalogs({}), self.questionnaire, locale, params=params
                )
            self._cache[locale] = found
        return found

    def say(self, locale: str, msgid: str) -> str:
        return translate(
            self.gettext(locale), msgid, program=isolate(self.program, locale),
            contact=self.help_contact,
        )
