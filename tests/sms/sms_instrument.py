"""A small test instrument covering every item kind and skip logic, with Spanish and
Vietnamese translations held in memory (illustrative wording, not vetted)."""

from __future__ import annotations

import tomllib

from babel.messages.catalog import Catalog

from survey.i18n import Catalogs
from survey.questionnaire import Questionnaire
from survey.questionnaire.answers import (
    MSG_NUMBER_MAX,
    MSG_REQUIRED,
    MSG_SMS_REPLY,
)
from survey.questionnaire.loader import from_raw
from survey.sms.texts import (
    MSG_CLOSED,
    MSG_HELP,
    MSG_INTRO_FOOTER,
    MSG_MOVE_ON,
    MSG_REMINDER,
    MSG_RESTARTED,
    MSG_STOPPED,
)

TOML = """
id = "sms-test"
version = "1.0.0"
title = "Test"
intro = "5 questions for %(program)s."
consent = "Taking part is voluntary."
thanks = "Thank you from %(program)s."
params = ["program"]
languages = ["en", "es", "vi"]

[scales.safe4]
points = [
  { value = 1, label = "Very unsafe" },
  { value = 2, label = "Somewhat unsafe" },
  { value = 3, label = "Somewhat safe" },
  { value = 4, label = "Very safe" },
]

[[sections]]
id = "s"
title = "S"

[[items]]
kind = "likert"
id = "safety"
section = "s"
scale = "safe4"
prompt = "How safe do you feel after dark?"
sms_prompt = "How safe do you feel after dark?"
missing = ["dont_know"]

[[items]]
kind = "single_choice"
id = "contact"
section = "s"
prompt = "Any contact with police this year?"
sms_prompt = "Any contact with police this year?"
required = true
options = [
  { code = "yes", label = "Yes" },
  { code = "no", label = "No" },
]

[[items]]
kind = "number"
id = "contacts_n"
section = "s"
prompt = "How many times?"
sms_prompt = "How many times?"
min = 1
max = 50
show_if = { item = "contact", equals = "yes" }

[[items]]
kind = "multi_choice"
id = "sources"
section = "s"
prompt = "Where do you get local news?"
sms_prompt = "Where do you get local news? Reply all numbers that apply."
missing = ["prefer_not"]
options = [
  { code = "tv", label = "TV" },
  { code = "radio", label = "Radio" },
  { code = "online", label = "Online" },
  { code = "none", label = "None of these", exclusive = true },
]

[[items]]
kind = "text"
id = "comment"
section = "s"
prompt = "Anything else?"
sms_prompt = "Anything else? (No names please.)"
max_length = 200
"""

QUESTIONNAIRE_ES = {
    ("sms-test/intro", "5 questions for %(program)s."): "5 preguntas para %(program)s.",
    ("sms-test/consent", "Taking part is voluntary."): "Participar es voluntario.",
    ("sms-test/thanks", "Thank you from %(program)s."): "Gracias de parte de %(program)s.",
    ("item/safety/sms_prompt", "How safe do you feel after dark?"):
        "¿Qué tan seguro se siente de noche?",
    ("scale/safe4/1", "Very unsafe"): "Muy inseguro",
    ("scale/safe4/2", "Somewhat unsafe"): "Algo inseguro",
    ("scale/safe4/3", "Somewhat safe"): "Algo seguro",
    ("scale/safe4/4", "Very safe"): "Muy seguro",
    ("missing/dont_know", "Don't know"): "No sé",
    ("missing/prefer_not", "Prefer not to say"): "Prefiero no decir",
    ("item/contact/sms_prompt", "Any contact with police this year?"):
        "¿Tuvo contacto con la policía este año?",
    ("item/contact/option/yes", "Yes"): "Sí",
    ("item/contact/option/no", "No"): "No",
    ("item/contacts_n/sms_prompt", "How many times?"): "¿Cuántas veces?",
    ("item/comment/sms_prompt", "Anything else? (No names please.)"):
        "¿Algo más? (Sin nombres, por favor.)",
}

QUESTIONNAIRE_VI = {
    ("sms-test/intro", "5 questions for %(program)s."): "5 câu hỏi cho %(program)s.",
    ("sms-test/consent", "Taking part is voluntary."): "Việc tham gia là tự nguyện.",
    ("sms-test/thanks", "Thank you from %(program)s."): "Cảm ơn từ %(program)s.",
    ("item/safety/sms_prompt", "How safe do you feel after dark?"):
        "Bạn cảm thấy an toàn thế nào khi trời tối?",
    ("scale/safe4/1", "Very unsafe"): "Rất không an toàn",
    ("scale/safe4/4", "Very safe"): "Rất an toàn",
    ("missing/dont_know", "Don't know"): "Không biết",
    ("item/contact/sms_prompt", "Any contact with police this year?"):
        "Năm nay bạn có tiếp xúc với cảnh sát không?",
    ("item/contact/option/yes", "Yes"): "Có",
    ("item/contact/option/no", "No"): "Không",
}

MESSAGES_ES = {
    MSG_INTRO_FOOTER: "Pueden aplicarse tarifas. Responda SALTAR para omitir, AYUDA para "
    "ayuda, ALTO para no recibir mas.",
    MSG_SMS_REPLY: "Responda con uno de los numeros.",
    MSG_REQUIRED: "Por favor responda esta pregunta.",
    MSG_NUMBER_MAX: "Escriba un numero no mayor que %(max)s.",
    MSG_MOVE_ON: "Pasemos a la siguiente pregunta.",
    MSG_HELP: "Encuesta de %(program)s. Ayuda: %(contact)s. Responda ALTO para no recibir mas.",
    MSG_STOPPED: "No recibira mas mensajes de %(program)s. Responda START para volver.",
    MSG_RESTARTED: "Volvera a recibir mensajes de %(program)s.",
    MSG_CLOSED: "Esta encuesta ya cerro. Gracias.",
    MSG_REMINDER: "Recordatorio de %(program)s: responda para seguir.",
}

MESSAGES_VI = {
    MSG_INTRO_FOOTER: "Có thể tính phí tin nhắn. Trả lời BỎ QUA để bỏ qua, STOP để ngừng.",
    MSG_SMS_REPLY: "Vui lòng trả lời bằng một trong các số.",
    MSG_MOVE_ON: "Chuyển sang câu hỏi tiếp theo.",
}


def questionnaire() -> Questionnaire:
    return from_raw(tomllib.loads(TOML), "sms-test.toml")


def _catalog(locale: str, entries: dict[tuple[str, str], str] | dict[str, str]) -> Catalog:
    catalog = Catalog(locale=locale)
    for key, text in entries.items():
        if isinstance(key, tuple):
            catalog.add(key[1], text, context=key[0])
        else:
            catalog.add(key, text)
    return catalog


def catalogs() -> Catalogs:
    return Catalogs({
        ("es", "questionnaires"): _catalog("es_US", QUESTIONNAIRE_ES),
        ("es", "messages"): _catalog("es_US", MESSAGES_ES),
        ("vi", "questionnaires"): _catalog("vi", QUESTIONNAIRE_VI),
        ("vi", "messages"): _catalog("vi", MESSAGES_VI),
    })
