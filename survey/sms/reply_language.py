"""The language of a reply to an opt-out, opt-in or HELP.

Those replies are the program's, not the questionnaire's, and an opt-out covers every
program and wave, so they are not bound to the wave's languages: any language whose
catalog has the sentence will do. A Spanish speaker who texts "no más mensajes" in a
wave offered in English and Arabic is confirmed in Spanish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from survey.i18n.locales import SOURCE_LOCALE

__all__ = ["keyword_reply_language"]


def keyword_reply_language(
    msgid: str,
    *,
    phrase_languages: Sequence[str],
    conversation: str | None,
    preferred: str | None,
    offered: Sequence[str],
    default: str,
    translates: Callable[[str, str], bool],
) -> str:
    """In order:

    1. the phrase's own language ("dừng lại": Vietnamese); when the phrase is in
       several (стоп: Russian and Ukrainian), the conversation's or the contact's
       among them first. English words say nothing: STOP, START and HELP are what
       every translation tells people to type;
    2. the conversation's language, which the person chose from the menu;
    3. the contact's preferred language from the contact list;
    4. the wave's default.

    A language counts for 1 and 3 when the wave offers it or a catalog translates
    ``msgid`` (``translates(locale, msgid)``); an untranslated one would be English.
    """

    def speaks(code: str | None) -> bool:
        return code is not None and (
            code == SOURCE_LOCALE or code in offered or translates(code, msgid)
        )

    if SOURCE_LOCALE not in phrase_languages:
        ranked = sorted(phrase_languages, key=lambda c: (c != conversation, c != preferred))
        for code in ranked:
            if speaks(code):
                return code
    if conversation is not None:
        return conversation
    if preferred is not None and speaks(preferred):
        return preferred
    return default
