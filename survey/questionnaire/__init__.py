"""Questionnaires as data: schema, loading, skip logic, answer validation and scoring.

Import from here; the submodules are an implementation detail. This package imports
only the standard library, msgspec and ``survey.errors``.
"""

from survey.questionnaire.answers import Answer, AnswerError, validate_answer
from survey.questionnaire.flow import (
    Page,
    effective_answers,
    evaluate,
    next_item,
    pages,
    progress,
    visible_items,
)
from survey.questionnaire.loader import (
    Problem,
    QuestionnaireError,
    content_hash,
    decode,
    encode,
    load_questionnaire,
    load_questionnaires,
)
from survey.questionnaire.model import (
    ITEM_KINDS,
    MISSING_CODES,
    Condition,
    Construct,
    Item,
    LikertItem,
    MissingCode,
    MultiChoiceItem,
    NumberItem,
    Option,
    Point,
    Questionnaire,
    Scale,
    Section,
    SingleChoiceItem,
    TextItem,
)
from survey.questionnaire.scoring import ConstructScore, score_all, score_construct
from survey.questionnaire.sms import SmsChoice, parse_sms_reply, sms_choices

__all__ = [
    "ITEM_KINDS",
    "MISSING_CODES",
    "Answer",
    "AnswerError",
    "Condition",
    "Construct",
    "ConstructScore",
    "Item",
    "LikertItem",
    "MissingCode",
    "MultiChoiceItem",
    "NumberItem",
    "Option",
    "Page",
    "Point",
    "Problem",
    "Questionnaire",
    "QuestionnaireError",
    "Scale",
    "Section",
    "SingleChoiceItem",
    "SmsChoice",
    "TextItem",
    "content_hash",
    "decode",
    "effective_answers",
    "encode",
    "evaluate",
    "load_questionnaire",
    "load_questionnaires",
    "next_item",
    "pages",
    "parse_sms_reply",
    "progress",
    "score_all",
    "score_construct",
    "sms_choices",
    "validate_answer",
    "visible_items",
]
