"""Compliance keywords: opt-out, opt-in and help, in every survey language.

Carriers and Twilio match a *whole* message against single words ("STOP", not
"STOP PLEASE"), case-insensitively. We do the same after normalising (see
``textnorm``): trimming, case-folding, dropping punctuation and emoji, and for
most entries ignoring Latin accents, so "Alto.", "alto!" and "NO MÁS" all match.

Twilio's own list is the floor (STOP STOPALL UNSUBSCRIBE CANCEL END QUIT REVOKE
OPTOUT / START UNSTOP YES / HELP INFO); the FCC treats "opt out" and the like as
revocation by any reasonable means, in any language, so each survey language
adds its everyday words for "stop", "unsubscribe", "start"/"yes" and "help".

Choices, and why:

* Whole-message, give or take courtesy. "Please stop texting me", "stop, thanks"
  and "por favor no más mensajes" are the list's request wrapped in "please" or
  "thank you" (``COURTESY``), so they are that request: honouring a clear wish to
  stop is the safe side with residents who are wary of texts. A sentence that
  merely *mentions* stopping ("the bus stop is dark") is not acted on
  automatically; ``mentions_opt_out`` finds it, and the inbound handler flags it
  for a person to review (kind ``review``) and stops that conversation's reminders.
* Opt-in words include "yes" in each language, as Twilio's YES does. A caller
  must act on OPT_IN only for a number that is opted out: for everyone else
  "sí" or "да" is an ordinary answer (see ``KeywordMatch``).
* Entries starting with "=" must match with their accents: Vietnamese "dừng"
  (stop) typed without accents is "dung", which is also how people type "đúng"
  (correct), a common reply. "dừng lại" is unambiguous and folds freely.
* The non-English words are everyday imperatives and the words national SMS
  systems use (Chinese TD/退订, Korean 수신거부), and ``stop_phrases`` adds
  everyday sentences ("đừng nhắn tin nữa", "不要再发短信了", "أوقف الرسائل").
  All are TEAM-WRITTEN, NOT VETTED translations: they should go through the same
  review as the instrument.
* Scripts without spaces have courtesy as affixes, not words: "请停止发送" is
  "停止发送" with "please" (``stop_phrases.AFFIXES``).
* "đ" is read as "d" (people type Vietnamese without marks: "dung nhan tin nua"),
  except in "=" entries.

Language keys are our locale codes (``survey.i18n.SUPPORTED_LOCALES``). The
language code of a match lets the caller answer in the language the person
used (ALTO gets the Spanish confirmation; see ``reply_language``).
"""

from __future__ import annotations

import enum
import re
import unicodedata

import msgspec

from survey.sms import stop_phrases
from survey.sms.textnorm import fold as fold_text
from survey.sms.textnorm import light

__all__ = [
    "COURTESY",
    "HELP",
    "OPT_IN",
    "OPT_OUT",
    "KeywordKind",
    "KeywordMatch",
    "classify_keyword",
    "is_provider_keyword",
    "kind_from_opt_out_type",
    "mentions_opt_out",
]


class KeywordKind(enum.StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    NONE = "none"


def _fold(text: str) -> str:
    """``textnorm.fold``, with Vietnamese "đ" as "d" (see the module docstring)."""
    return fold_text(text).replace("đ", "d")


_OPT_OUT_WORDS: dict[str, tuple[str, ...]] = {
    "en": (
        "stop", "stopall", "stop all", "unsubscribe", "cancel", "end", "quit", "revoke",
        "optout", "opt out", "remove me", "stop please", "please stop",
        "stop texting me", "stop texting", "stop messaging me", "do not text me",
        "dont text me", "stop sending me texts", "stop sending texts",
        "stop sending me messages", "no more texts", "no more messages",
        "stop contacting me", "do not contact me", "dont contact me", "unsubscribe me",
        "take me off your list", "take me off the list", "remove me from your list",
        "remove me from the list", "leave me alone",
    ),
    "es": (
        "alto", "parar", "para", "pare", "detener", "cancelar", "baja", "dar de baja",
        "darme de baja", "no mas", "no más", "no mas mensajes", "basta",
        "no me manden mensajes", "no me manden mas mensajes", "no me envien mensajes",
        "no me envien mas mensajes", "dejen de escribirme", "dejen de mandarme mensajes",
    ),
    "zh_Hans": ("td", "退订", "停止", "取消", "取消订阅"),
    "zh_Hant": ("td", "退訂", "停止", "取消", "取消訂閱"),
    "vi": ("=dừng", "dừng lại", "ngừng", "ngừng lại", "hủy", "huỷ", "hủy đăng ký"),
    "tl": ("tigil", "itigil", "tumigil", "hinto", "ihinto", "huminto", "ayoko na"),
    "ru": ("стоп", "отписаться", "отписка", "отмена", "отменить", "хватит", "прекратить"),
    "uk": ("стоп", "відписатися", "відписка", "скасувати", "припинити", "досить"),
    "ko": ("중지", "중단", "그만", "수신거부", "수신 거부", "구독취소", "구독 취소"),
    "so": ("jooji", "ka bax"),
    "am": ("አቁም", "አቁሚ", "አቁሙ"),
    "pa": ("ਰੋਕੋ", "ਬੰਦ", "ਬੰਦ ਕਰੋ"),
    "km": ("ឈប់", "បញ្ឈប់"),
    "ar": ("توقف", "قف", "أوقف", "إيقاف", "إلغاء", "إلغاء الاشتراك"),
}

OPT_OUT: dict[str, tuple[str, ...]] = {
    lang: (*words, *stop_phrases.PHRASES.get(lang, ()))
    for lang, words in _OPT_OUT_WORDS.items()
}

OPT_IN: dict[str, tuple[str, ...]] = {
    "en": ("start", "unstop", "yes"),
    "es": ("comenzar", "iniciar", "sí"),
    "zh_Hans": ("开始", "是", "订阅"),
    "zh_Hant": ("開始", "是", "訂閱"),
    "vi": ("bắt đầu", "có"),
    "tl": ("simula", "oo", "opo"),
    "ru": ("старт", "начать", "да"),
    "uk": ("старт", "почати", "так"),
    "ko": ("시작", "예", "네"),
    "so": ("bilow", "haa"),
    "am": ("ጀምር", "አዎ"),
    "pa": ("ਸ਼ੁਰੂ", "ਹਾਂ"),
    "km": ("ចាប់ផ្តើម", "បាទ", "ចាស"),
    "ar": ("ابدأ", "بدء", "نعم"),
}

HELP: dict[str, tuple[str, ...]] = {
    "en": ("help", "info"),
    "es": ("ayuda", "info"),
    "zh_Hans": ("帮助",),
    "zh_Hant": ("幫助",),
    "vi": ("giúp", "trợ giúp", "giúp đỡ"),
    "tl": ("tulong",),
    "ru": ("помощь", "справка", "инфо"),
    "uk": ("допомога", "довідка", "інфо"),
    "ko": ("도움", "도움말"),
    "so": ("caawi", "caawin", "gargaar"),
    "am": ("እርዳታ",),
    "pa": ("ਮਦਦ",),
    "km": ("ជំនួយ",),
    "ar": ("مساعدة",),
}

# Words of courtesy around an opt-out request ("please stop texting me", "alto,
# gracias"): dropped from either end before matching OPT_OUT, and only OPT_OUT
# ("yes please" stays an answer).
COURTESY: tuple[str, ...] = (
    "please", "pls", "plz", "kindly", "just", "thanks", "thank you", "thx", "ok", "okay",
    "por favor", "porfa", "gracias", "ya",
    "lam on", "xin", "cam on",
    "po", "paki", "salamat",
    "пожалуйста", "спасибо", "будь ласка", "дякую",
    "제발",
    "fadlan", "mahadsanid",
    "vui lòng", "nhé", "nha", "ạ",
    "من فضلك", "من فضلكم", "لو سمحت", "لو سمحتم", "رجاء", "أرجوك", "أرجوكم", "شكرا",
    "请", "請", "谢谢", "謝謝", "សូម",
)

# Twilio's own words on long codes (research A2.1). Twilio blocks or unblocks the
# number and sends its own confirmation for these, so a second one from us would
# be redundant (and, after STOP, refused with 21610).
PROVIDER_OPT_OUT = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
)
PROVIDER_OPT_IN = frozenset({"start", "yes", "unstop"})



class KeywordMatch(msgspec.Struct, frozen=True):
    """Result of ``classify_keyword``.

    ``keyword`` is the list entry that matched (without any "=" marker) and
    ``languages`` every language whose list has it, English first, so "стоп"
    gives ("ru", "uk"). Both are empty for ``KeywordKind.NONE``.
    """

    kind: KeywordKind
    keyword: str = ""
    languages: tuple[str, ...] = ()


def _build() -> tuple[
    dict[str, tuple[KeywordKind, str, list[str]]],
    dict[str, tuple[KeywordKind, str, list[str]]],
]:
    exact: dict[str, tuple[KeywordKind, str, list[str]]] = {}
    folded: dict[str, tuple[KeywordKind, str, list[str]]] = {}
    for kind, table in (
        (KeywordKind.OPT_OUT, OPT_OUT),
        (KeywordKind.HELP, HELP),
        (KeywordKind.OPT_IN, OPT_IN),
    ):
        for lang, words in table.items():
            for entry in words:
                accents_matter = entry.startswith("=")
                word = entry.removeprefix("=")
                targets = [(exact, light(word))]
                if not accents_matter:
                    targets.append((folded, _fold(word)))
                for index, key in targets:
                    hit = index.setdefault(key, (kind, word, []))
                    if hit[0] is not kind:
                        raise ValueError(f"keyword {word!r} is both {hit[0]} and {kind}")
                    if lang not in hit[2]:
                        hit[2].append(lang)
    return exact, folded


_EXACT, _FOLDED = _build()


def classify_keyword(body: str) -> KeywordMatch:
    """Classify a whole inbound message as opt-out, opt-in, help or none."""
    hit = _EXACT.get(light(body)) or _FOLDED.get(_fold(body))
    if hit is None:
        bare = _without_courtesy(_fold(body))
        hit = _FOLDED.get(bare) or _FOLDED.get(_without_affixes(bare))
        if hit is None or hit[0] is not KeywordKind.OPT_OUT:
            return KeywordMatch(KeywordKind.NONE)
    kind, word, langs = hit
    return KeywordMatch(kind, word, tuple(langs))


_COURTESY_KEYS = tuple(sorted({_fold(w) for w in COURTESY}, key=len, reverse=True))


def _without_courtesy(key: str) -> str:
    """A folded message without courtesy words at either end."""
    words = key.split()
    changed = True
    while words and changed:
        changed = False
        for courtesy in _COURTESY_KEYS:
            c = courtesy.split()
            if len(words) > len(c) and words[: len(c)] == c:
                words, changed = words[len(c):], True
            if len(words) > len(c) and words[-len(c):] == c:
                words, changed = words[: -len(c)], True
    return " ".join(words)


def is_provider_keyword(body: str) -> bool:
    """Is this one of Twilio's standard opt-out/opt-in words, as Twilio matches them
    (the whole message, trimmed, any case; nothing else, not even "Stop.")?

    Strict on purpose: when unsure whether the provider confirmed, we confirm,
    and the provider refuses a duplicate after STOP anyway.
    """
    word = body.strip().casefold()
    return word in PROVIDER_OPT_OUT or word in PROVIDER_OPT_IN


def kind_from_opt_out_type(value: str | None) -> KeywordKind:
    """Map Twilio Advanced Opt-Out's ``OptOutType`` field (STOP/START/HELP)."""
    return {
        "STOP": KeywordKind.OPT_OUT,
        "START": KeywordKind.OPT_IN,
        "HELP": KeywordKind.HELP,
    }.get((value or "").strip().upper(), KeywordKind.NONE)


def _without_affixes(key: str) -> str:
    """One unspaced word without courtesy affixes: "请停止发送了" is "停止发送"."""
    prefixes, suffixes = stop_phrases.AFFIXES
    changed = True
    while changed and " " not in key:
        changed = False
        for prefix in prefixes:
            if key.startswith(prefix) and len(key) > len(prefix):
                key, changed = key[len(prefix):], True
        for suffix in suffixes:
            if key.endswith(suffix) and len(key) > len(suffix):
                key, changed = key[: -len(suffix)], True
    return key


def _is_spaced_script(word: str) -> bool:
    """Latin, Cyrillic, Arabic, Ethiopic and Gurmukhi put spaces between words."""
    name = unicodedata.name(word[0], "")
    return name.startswith(("LATIN", "CYRILLIC", "ARABIC", "ETHIOPIC", "GURMUKHI"))


def _mention_pattern(stem: str) -> re.Pattern[str]:
    """Spaced scripts: whole words ("stop", not "stopped"), or a word's start for a
    stem ending in "*"; other scripts: anywhere."""
    prefix = stem.endswith("*")
    key = _fold(stem.removesuffix("*"))
    if not _is_spaced_script(key):
        return re.compile(re.escape(key))
    return re.compile(r"(?<!\S)" + re.escape(key) + ("" if prefix else r"(?!\S)"))


_MENTION_PATTERNS = tuple(_mention_pattern(stem) for stem in stop_phrases.MENTIONS)
_MENTION_PAIRS = tuple(
    (tuple(_fold(s) for s in stops), tuple(_fold(t) for t in texting))
    for stops, texting in stop_phrases.MENTION_PAIRS
)


def mentions_opt_out(body: str) -> bool:
    """True if a longer message contains a stop/unsubscribe phrase anywhere
    (``stop_phrases.MENTIONS``), or, in Chinese, a "stop" stem with a "texting" one."""
    text = _fold(body)
    if any(p.search(text) for p in _MENTION_PATTERNS):
        return True
    return any(
        any(s in text for s in stops) and any(t in text for t in texting)
        for stops, texting in _MENTION_PAIRS
    )
