"""Locale negotiation over real Accept-Language headers, and garbage that must not raise."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.i18n import (
    SUPPORTED_LOCALES,
    match_tag,
    negotiate,
    other_chinese_script,
    parse_accept_language,
)

ALL = list(SUPPORTED_LOCALES)

# Headers as browsers and phones send them (Chrome, Safari iOS, Firefox, Samsung
# Internet, Edge; several copied from real request logs of multilingual sites).
REAL_HEADERS = [
    ("en-US,en;q=0.9", "en"),
    ("es-MX,es;q=0.9,en;q=0.8", "es"),
    ("es-419,es;q=0.9", "es"),
    ("es-US,es-419;q=0.9,es;q=0.8,en;q=0.7", "es"),
    ("zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7", "zh_Hant"),
    ("zh-HK,zh-TW;q=0.9,zh;q=0.8,en;q=0.7", "zh_Hant"),
    ("zh-CN,zh;q=0.9", "zh_Hans"),
    ("zh-SG,zh;q=0.9,en;q=0.8", "zh_Hans"),
    ("zh-Hant-TW,zh-Hant;q=0.9", "zh_Hant"),
    ("zh-Hans-CN,zh-Hans;q=0.9", "zh_Hans"),
    ("zh", "zh_Hans"),
    ("yue-Hant-HK,yue;q=0.9", "zh_Hant"),
    ("vi-VN,vi;q=0.9,fr-FR;q=0.8,fr;q=0.7,en-US;q=0.6,en;q=0.5", "vi"),
    ("en;q=0.5, vi-VN", "vi"),
    ("tl-PH,tl;q=0.9,en-US;q=0.8,en;q=0.7", "tl"),
    ("fil-PH,fil;q=0.9,en;q=0.8", "tl"),
    ("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "ru"),
    ("uk-UA,uk;q=0.9,ru;q=0.8,en-US;q=0.7,en;q=0.6", "uk"),
    ("ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7", "ko"),
    ("so-SO,so;q=0.9,en;q=0.8", "so"),
    ("am-ET,am;q=0.9,en-US;q=0.8,en;q=0.7", "am"),
    ("pa-IN,pa;q=0.9,hi;q=0.8,en;q=0.7", "pa"),
    ("pa-Guru-IN", "pa"),
    ("pa-Arab-PK,ur;q=0.9", "en"),  # Shahmukhi readers do not read Gurmukhi
    ("km-KH,km;q=0.9,en;q=0.8", "km"),
    ("ar-EG,ar;q=0.9,en-US;q=0.8,en;q=0.7", "ar"),
    ("ar-SA", "ar"),
    ("de-DE,de;q=0.9,en;q=0.8", "en"),  # English via its q-value, not the default
    ("de-DE,de;q=0.9", "so"),  # nothing we have: the wave default
    ("fr-CA,fr;q=0.9,es;q=0.5", "es"),
    ("en-GB;q=0.3,ko;q=0.8", "ko"),  # q-values, not order, decide
    ("ru;q=0, uk", "uk"),  # q=0 means "not this one"
    ("*", "so"),
    ("*;q=0.5, ar", "ar"),
    ("EN-us", "en"),
    ("es_MX", "es"),  # underscores sent by some Android WebViews
]


@pytest.mark.parametrize(("header", "expected"), REAL_HEADERS)
def test_real_accept_language_headers(header: str, expected: str) -> None:
    default = "so" if expected == "so" else "en"
    assert negotiate(None, None, header, ALL, default) == expected


GARBAGE = [
    "",
    ";;;",
    ",,,",
    "q=0.9",
    "en;q=abc",
    "en;q=2",
    "en;q=-1",
    "en; q = 0.5",
    "🙂",
    "x" * 10_000,
    "en-" + "a" * 300,
    "zh-yue",
    "i-klingon",
    "\x00\x01",
    "es;q=0.9;q=0.1",
    "null",
    "<script>alert(1)</script>",
    "es-MX, " * 500,
]


@pytest.mark.parametrize("header", GARBAGE)
def test_garbage_never_raises(header: str) -> None:
    assert negotiate(None, None, header, ALL, "en") in ALL


def test_order_query_cookie_header_default() -> None:
    header = "vi-VN,vi;q=0.9"
    assert negotiate("ar", "es", header, ALL, "en") == "ar"
    assert negotiate(None, "es", header, ALL, "en") == "es"
    assert negotiate(None, None, header, ALL, "en") == "vi"
    assert negotiate(None, None, None, ALL, "ko") == "ko"


def test_unsupported_choice_falls_through() -> None:
    wave = ["en", "es", "vi"]
    # ?lang=ar is not offered by this wave: the cookie decides, never an error.
    assert negotiate("ar", "es", None, wave, "en") == "es"
    assert negotiate("klingon", None, "vi", wave, "en") == "vi"
    assert negotiate("zh-TW", None, "zh-CN", wave, "en") == "en"


def test_query_accepts_tags_and_our_codes() -> None:
    assert negotiate("zh-TW", None, None, ALL, "en") == "zh_Hant"
    assert negotiate("zh_hant", None, None, ALL, "en") == "zh_Hant"
    assert negotiate("fil", None, None, ALL, "en") == "tl"
    assert negotiate("es-MX", None, None, ALL, "en") == "es"


def test_script_mismatch_never_matches() -> None:
    assert match_tag("zh-TW", ["en", "zh_Hans"]) is None
    assert match_tag("zh-CN", ["en", "zh_Hant"]) is None
    assert match_tag("zh", ["en", "zh_Hant"]) == "zh_Hant"


def test_parse_sorts_by_q_and_keeps_order_on_ties() -> None:
    assert parse_accept_language("a;q=0.5, b, c;q=0.5, d;q=1.0") == [
        ("b", 1.0), ("d", 1.0), ("a", 0.5), ("c", 0.5),
    ]


# Built from parts: from_regex is slow enough to dominate the whole suite.
subtag = st.text(string.ascii_letters + string.digits, min_size=1, max_size=8)
tag = st.one_of(
    st.sampled_from([t.split(",")[0].split(";")[0] for t, _ in REAL_HEADERS]),
    st.builds(lambda first, rest: "-".join([first, *rest]),
              st.text(string.ascii_letters, min_size=1, max_size=8),
              st.lists(subtag, max_size=3)),
)
quality = st.one_of(st.just(""), st.floats(0, 1).map(lambda q: f";q={q:.3f}"))
header = st.lists(st.tuples(tag, quality).map("".join), max_size=8).map(",".join)


@given(header)
def test_well_formed_headers_parse_and_negotiate(value: str) -> None:
    parsed = parse_accept_language(value)
    assert all(0 < q <= 1 for _, q in parsed)
    assert [q for _, q in parsed] == sorted((q for _, q in parsed), reverse=True)
    assert negotiate(None, None, value, ALL, "en") in ALL


@given(st.text(max_size=300), st.text(max_size=40), st.text(max_size=40))
def test_arbitrary_input_never_raises(value: str, query: str, cookie: str) -> None:
    assert negotiate(query, cookie, value, ALL, "en") in ALL


def test_the_other_chinese_script_rather_than_the_default() -> None:
    """A wave offering one Chinese script serves it to a reader of the other (better
    than English for them); only Chinese falls back across scripts."""
    hans = ["en", "es", "vi", "zh_Hans", "ar"]
    assert negotiate(None, None, "zh-TW", hans, "en") == "zh_Hans"
    assert negotiate(None, None, "zh-HK,zh;q=0.9,en;q=0.5", hans, "en") == "zh_Hans"
    assert negotiate("zh_Hant", None, None, hans, "en") == "zh_Hans"
    assert negotiate(None, None, "zh-CN", ["en", "zh_Hant"], "en") == "zh_Hant"
    # The header's own ranking of the other script still counts.
    assert negotiate(None, None, "zh-TW,en;q=0.9,zh-CN;q=0.8", hans, "en") == "en"
    assert negotiate(None, None, "en,zh-TW", hans, "en") == "en"
    assert other_chinese_script("zh_Hant", hans) == "zh_Hans"
    assert other_chinese_script("zh_Hans", hans) is None  # offered as it is
    assert other_chinese_script("pa_Arab", ["en", "pa"]) is None
    assert other_chinese_script("km", hans) is None
    assert negotiate(None, None, "pa-Arab", ["en", "pa"], "en") == "en"
