"""Languages: locale negotiation, gettext catalogs, translated questionnaires, formats,
and the translation status that gates a wave's launch.

Nothing is loaded at import time: build ``Catalogs.load(settings.resolved_locales_dir)``
once at startup and pass it around. Import from here; submodules are internal.
"""

from survey.i18n.catalogs import (
    DOMAINS,
    QUESTIONNAIRE_DOMAIN,
    UI_DOMAIN,
    CatalogError,
    Catalogs,
    Translator,
)
from survey.i18n.formatting import (
    format_date,
    format_datetime,
    format_list,
    format_number,
    format_percent,
    plural_category,
)
from survey.i18n.locales import (
    LOCALES,
    SOURCE_LOCALE,
    SUPPORTED_LOCALES,
    TRANSLATED_LOCALES,
    LocaleInfo,
    babel_locale,
    html_lang,
    is_rtl,
    isolate,
    language_in,
    locale_info,
    native_name,
    text_direction,
)
from survey.i18n.negotiate import match_tag, negotiate, parse_accept_language
from survey.i18n.review import ReviewError, ReviewRecord, is_reviewed, mark_reviewed, review_file
from survey.i18n.status import (
    SMS_SEGMENT_BUDGET,
    EntryProblem,
    LanguageStatus,
    SmsCost,
    compose_sms_question,
    compose_sms_replies,
    language_status,
    launch_check,
    sms_costs,
    ui_status,
)
from survey.i18n.translate import render, translate_questionnaire, translate_with_fallbacks

__all__ = [
    "DOMAINS",
    "LOCALES",
    "QUESTIONNAIRE_DOMAIN",
    "SMS_SEGMENT_BUDGET",
    "SOURCE_LOCALE",
    "SUPPORTED_LOCALES",
    "TRANSLATED_LOCALES",
    "UI_DOMAIN",
    "CatalogError",
    "Catalogs",
    "EntryProblem",
    "LanguageStatus",
    "LocaleInfo",
    "ReviewError",
    "ReviewRecord",
    "SmsCost",
    "Translator",
    "babel_locale",
    "compose_sms_question",
    "compose_sms_replies",
    "format_date",
    "format_datetime",
    "format_list",
    "format_number",
    "format_percent",
    "html_lang",
    "is_reviewed",
    "is_rtl",
    "isolate",
    "language_in",
    "language_status",
    "launch_check",
    "locale_info",
    "mark_reviewed",
    "match_tag",
    "native_name",
    "negotiate",
    "parse_accept_language",
    "plural_category",
    "render",
    "review_file",
    "sms_costs",
    "text_direction",
    "translate_questionnaire",
    "translate_with_fallbacks",
    "ui_status",
]
