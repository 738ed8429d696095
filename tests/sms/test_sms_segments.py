"""Segment counting against hand-computed cases (3GPP 23.038 tables, 160/153, 70/67)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from survey.sms.segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    Encoding,
    SegmentInfo,
    count_segments,
    is_gsm7,
    non_gsm7_characters,
)

GSM, UCS = Encoding.GSM7, Encoding.UCS2


def test_basic_table_is_the_full_128_minus_escape() -> None:
    assert len(GSM7_BASIC) == 127
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SegmentInfo(GSM, 0, 0)),
        ("Hello", SegmentInfo(GSM, 5, 1)),
        # é ñ ü ¿ ¡ are in the basic table ...
        ("¿Año? ¡Sé!", SegmentInfo(GSM, 10, 1)),
        ("Güe", SegmentInfo(GSM, 3, 1)),
        # ... but á í ó ú are not: one of them makes the whole message UCS-2.
        ("número", SegmentInfo(UCS, 6, 1, ("ú",))),
        ("está", SegmentInfo(UCS, 4, 1, ("á",))),
        ("Mamá y papá", SegmentInfo(UCS, 11, 1, ("á",))),
        # Capital Ç is GSM, small ç is not.
        ("Ç", SegmentInfo(GSM, 1, 1)),
        ("ç", SegmentInfo(UCS, 1, 1, ("ç",))),
        # Extension characters cost two septets each.
        ("€5", SegmentInfo(GSM, 3, 1)),
        ("{}[]~|^\\", SegmentInfo(GSM, 16, 1)),
        # Curly quotes, dashes and ellipsis are not GSM.
        ("Reply “STOP”", SegmentInfo(UCS, 12, 1, ("“", "”"))),
        ("a–b…", SegmentInfo(UCS, 4, 1, ("–", "…"))),
        # Tagalog and Somali in plain Latin stay GSM-7.
        ("Gaano ka ligtas? Sagutin 1-5", SegmentInfo(GSM, 28, 1)),
        ("Sidee ayaad u dareentaa? Ku jawaab 1-5", SegmentInfo(GSM, 38, 1)),
        # Scripts that are always UCS-2.
        ("Bạn cảm thấy", SegmentInfo(UCS, 12, 1, ("ạ", "ả", "ấ"))),
        ("Как вы", SegmentInfo(UCS, 6, 1, ("К", "а", "к", "в", "ы"))),
        ("你好", SegmentInfo(UCS, 2, 1, ("你", "好"))),
        ("مرحبا", SegmentInfo(UCS, 5, 1, ("م", "ر", "ح", "ب", "ا"))),
        ("안녕", SegmentInfo(UCS, 2, 1, ("안", "녕"))),
        ("ਸਤ", SegmentInfo(UCS, 2, 1, ("ਸ", "ਤ"))),
        # Emoji are astral: two UTF-16 units.
        ("Thanks 🙏", SegmentInfo(UCS, 9, 1, ("🙏",))),
        # Greek capitals in the table are GSM; small Greek is not.
        ("ΔΣΩ", SegmentInfo(GSM, 3, 1)),
        ("α", SegmentInfo(UCS, 1, 1, ("α",))),
    ],
)
def test_hand_computed(text: str, expected: SegmentInfo) -> None:
    assert count_segments(text) == expected


@pytest.mark.parametrize(
    ("n", "segments"),
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm_boundaries(n: int, segments: int) -> None:
    info = count_segments("a" * n)
    assert (info.encoding, info.units, info.segments) == (GSM, n, segments)


@pytest.mark.parametrize(
    ("n", "segments"),
    [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
def test_ucs2_boundaries(n: int, segments: int) -> None:
    info = count_segments("я" * n)
    assert (info.encoding, info.units, info.segments) == (UCS, n, segments)


def test_extension_characters_count_two_septets_at_the_boundary() -> None:
    assert count_segments("{" * 80) == SegmentInfo(GSM, 160, 1)
    assert count_segments("{" * 81) == SegmentInfo(GSM, 162, 2)
    assert count_segments("a" * 159 + "€").segments == 2  # 161 septets


def test_escape_pair_is_not_split_across_parts() -> None:
    # 152 + 2 + 152 = 306 septets: naive ceil(306/153) = 2, but the € cannot
    # start in part 1 (only one septet left), so part 2 overflows by one.
    info = count_segments("a" * 152 + "€" + "a" * 152)
    assert info.units == 306
    assert info.segments == 3
    # Without the straddle, 306 septets fit two parts exactly.
    assert count_segments("€" + "a" * 304).segments == 2


def test_surrogate_pair_is_not_split_across_parts() -> None:
    text = "я" * 66 + "😀" + "я" * 66
    info = count_segments(text)
    assert (info.encoding, info.units, info.segments) == (UCS, 134, 3)
    assert count_segments("😀" + "я" * 132).segments == 2


def test_emoji_zwj_sequence_and_flags_stay_whole() -> None:
    family = "👨\u200d👩\u200d👧"  # 3 astral + 2 ZWJ = 8 units
    assert count_segments(family).units == 8
    # 64 units then the 8-unit family: it moves to part 2 whole.
    text = "я" * 64 + family + "я" * 64
    assert count_segments(text).units == 136
    assert count_segments(text).segments == 3
    flag = "🇺🇸"
    assert count_segments("я" * 66 + flag + "я" * 66).segments == 3


def test_combining_marks_stay_with_their_base() -> None:
    # Vietnamese typed in decomposed form: "ế" as e + circumflex + acute.
    decomposed = "e\u0302\u0301"
    text = "я" * 65 + decomposed + "я" * 65
    assert count_segments(text).units == 133
    assert count_segments(text).segments == 3


def test_crlf_counts_two_septets() -> None:
    assert count_segments("a\r\nb") == SegmentInfo(GSM, 4, 1)


def test_non_gsm_characters_deduplicated_in_order() -> None:
    assert non_gsm7_characters("áéíáó") == ("á", "í", "ó")
    assert is_gsm7("Hola, ¿qué?")
    assert not is_gsm7("cómo")


def test_ascii_language_menu_fits_one_segment() -> None:
    menu = "1 English 2 Espanol 3 Tieng Viet 4 Filipino 5 Soomaali"
    assert count_segments(menu).segments == 1


@given(st.text(max_size=800))
def test_never_fewer_than_the_naive_bound(text: str) -> None:
    info = count_segments(text)
    if not text:
        assert info.segments == 0
        return
    single, multi = (160, 153) if info.encoding is GSM else (70, 67)
    naive = 1 if info.units <= single else math.ceil(info.units / multi)
    assert info.segments >= naive
    assert (info.encoding is GSM) == is_gsm7(text)
    assert (info.non_gsm == ()) == (info.encoding is GSM)
