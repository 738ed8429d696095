"""Where a respondent is in a questionnaire: resume point, allowed pages, next page.

Pages are sections with visible items (``survey.questionnaire.pages``); they are named
by section id, not number, because skip logic can add or remove pages as answers
change, and a URL must keep meaning the same questions.
"""

from __future__ import annotations

from collections.abc import Mapping

from survey.questionnaire import Answer, Page, Questionnaire, next_item, pages


def resume_section(q: Questionnaire, answers: Mapping[str, Answer]) -> str:
    """The page with the first unanswered visible question, else the last page."""
    item = next_item(q, answers)
    if item is not None:
        return item.section
    return pages(q, answers)[-1].section.id


def find_page(q: Questionnaire, answers: Mapping[str, Answer], section_id: str) -> Page | None:
    """The page of ``section_id`` if the respondent may see it now.

    Any page up to the resume point may be revisited; later ones may not, so nobody
    skips questions by editing a URL.
    """
    all_pages = pages(q, answers)
    resume = resume_section(q, answers)
    for page in all_pages:
        if page.section.id == section_id:
            return page
        if page.section.id == resume:
            return None
    return None


def section_after(q: Questionnaire, answers: Mapping[str, Answer], section_id: str) -> str | None:
    """The page to show after ``section_id``; None when the questionnaire is done."""
    all_pages = pages(q, answers)
    ids = [p.section.id for p in all_pages]
    if section_id in ids:
        position = ids.index(section_id)
        if position + 1 < len(ids):
            return ids[position + 1]
    if next_item(q, answers) is None:
        return None
    # Skip logic changed behind the respondent: send them to what is still unanswered.
    return resume_section(q, answers)


def is_last_page(q: Questionnaire, answers: Mapping[str, Answer], section_id: str) -> bool:
    all_pages = pages(q, answers)
    return bool(all_pages) and all_pages[-1].section.id == section_id
