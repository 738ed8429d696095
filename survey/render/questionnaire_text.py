"""The questionnaire's words in a report page, in the reader's language.

A report shows the questions and answers as residents saw them: the questionnaire
catalog's translation in the reader's language, drafts included (none is reviewed
yet, and residents answer in those drafts). The page says so in one note, never
calling a draft reviewed. A text with no translation at all stays English and is
marked ``lang="en"`` wherever it is a table's text, so a screen reader reads it in an
English voice; a chart's picture and alt text carry the same words as its table.
The JSON report is untouched: it keeps English, the API's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup

from survey.i18n import SOURCE_LOCALE, language_in, translate_questionnaire
from survey.i18n import translate_with_fallbacks as _with_fallbacks
from survey.questionnaire import Questionnaire
from survey.render.charts import Chart
from survey.report.model import Report


class QuestionnaireText:
    def __init__(self, catalogs: Any, q: Questionnaire, locale: str) -> None:
        self.locale = locale
        if locale == SOURCE_LOCALE:
            self.q, self.english, self.drafted = q, frozenset[str](), False
            return
        self.q, self.english = _with_fallbacks(catalogs, q, locale, allow_fuzzy=True)
        # Drafts are in use where the reviewed-only text differs from what is shown.
        self.drafted = self.q != translate_questionnaire(catalogs, q, locale)

    def mark(self, text: str) -> str:
        """``text`` for a table cell: as it is, or marked English when it is the
        English source for want of a translation."""
        if text in self.english:
            return Markup('<span lang="en" dir="ltr">{}</span>').format(text)
        return text

    def chart(self, chart: Chart) -> Chart:
        """The chart's table with its questionnaire words (first column: measures or
        questions; headers: answer labels) marked where they are English left over."""
        chart.head = [self.mark(h) for h in chart.head]
        chart.rows = [[self.mark(row[0]), *row[1:]] for row in chart.rows]
        return chart

    def draft_note(self, t: Callable[..., str], report: Report) -> str:
        """The note saying the questionnaire text is an unreviewed draft ("" if not)."""
        if not self.drafted:
            return ""
        language = language_in(self.locale, self.locale)
        answered = any(
            u.language == self.locale for fw in report.fieldwork for u in fw.unreviewed
        )
        if answered:
            return t(
                "Questions and answers are shown in the %(language)s draft translation "
                "residents answered, which a qualified translator has not yet reviewed.",
                language=language,
            )
        return t(
            "Questions and answers are shown in a %(language)s draft translation, which a "
            "qualified translator has not yet reviewed.",
            language=language,
        )
