"""GSM-7 / UCS-2 detection and SMS segment counting.

A message goes out as GSM-7 only if every character is in the GSM 03.38 default
alphabet or its extension table; one other character switches the whole message
to UCS-2 (really UTF-16 on the wire). Segment sizes follow from the 140-octet
payload: 160 septets (153 per part once a concatenation header is needed) or
70 UTF-16 units (67 per part).

Like Twilio's segment calculator, a part never ends in the middle of an escape
pair (extension characters), a surrogate pair (emoji and other astral characters)
or, as far as we can tell without a full Unicode segmentation library, a
grapheme cluster (base + combining marks, ZWJ emoji sequences, flags). So a long
message can need one more segment than ``ceil(units / 153)`` suggests.
"""

from __future__ import annotations

import enum
import unicodedata

import msgspec

__all__ = [
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "Encoding",
    "SegmentInfo",
    "count_segments",
    "is_gsm7",
    "non_gsm7_characters",
]

# 3GPP TS 23.038 default alphabet, in table order. ESC (0x1B) is left out: it is
# the escape to the extension table, not a character anyone can type.
GSM7_BASIC: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)

# Extension table: each costs two septets (ESC + code). \f is the page break.
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE = 160
GSM7_MULTI = 153
UCS2_SINGLE = 70
UCS2_MULTI = 67


class Encoding(enum.StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


class SegmentInfo(msgspec.Struct, frozen=True):
    """How a message body will be encoded and billed.

    ``units`` is septets for GSM-7 and UTF-16 code units for UCS-2.
    ``non_gsm`` lists the characters (in first-seen order) that forced UCS-2, so
    a translator can see what to reword; it is empty for GSM-7.
    """

    encoding: Encoding
    units: int
    segments: int
    non_gsm: tuple[str, ...] = ()


def is_gsm7(text: str) -> bool:
    """True if every character is in the GSM-7 basic or extension table."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def non_gsm7_characters(text: str) -> tuple[str, ...]:
    """Characters outside GSM-7, deduplicated in order of first appearance."""
    seen: dict[str, None] = {}
    for c in text:
        if c not in GSM7_BASIC and c not in GSM7_EXTENSION:
            seen.setdefault(c)
    return tuple(seen)


def _gsm7_cost(c: str) -> int:
    return 2 if c in GSM7_EXTENSION else 1


def _utf16_cost(c: str) -> int:
    return 2 if ord(c) > 0xFFFF else 1


def _is_regional_indicator(c: str) -> bool:
    return 0x1F1E6 <= ord(c) <= 0x1F1FF


def _extends(c: str) -> bool:
    """Does ``c`` attach to the character before it (same grapheme cluster)?"""
    o = ord(c)
    return (
        unicodedata.category(c) in ("Mn", "Me", "Mc")
        or o == 0x200D  # zero-width joiner
        or 0xFE00 <= o <= 0xFE0F  # variation selectors
        or 0xE0100 <= o <= 0xE01EF
        or 0x1F3FB <= o <= 0x1F3FF  # emoji skin-tone modifiers
        or 0xE0020 <= o <= 0xE007F  # tag characters (subdivision flags)
    )


def _clusters(text: str) -> list[str]:
    """Approximate extended grapheme clusters (UAX #29), enough not to split
    accented letters, emoji sequences, flags or CRLF across parts."""
    clusters: list[str] = []
    after_zwj = False
    ri_run = 0  # regional indicators in the current cluster
    for c in text:
        join = False
        if clusters:
            prev = clusters[-1]
            if (
                after_zwj
                or _extends(c)
                or (c == "\n" and prev == "\r")
                or (_is_regional_indicator(c) and ri_run == 1)
            ):
                join = True
        if join:
            clusters[-1] += c
        else:
            clusters.append(c)
            ri_run = 0
        if _is_regional_indicator(c):
            ri_run += 1
        after_zwj = c == "\u200d"
    return clusters


def _pack(costs: list[int], capacity: int) -> int:
    """Greedy count of parts when items of the given costs may not be split."""
    parts = 1
    used = 0
    for cost in costs:
        if used + cost > capacity:
            parts += 1
            used = 0
        used += cost
    return parts


def count_segments(text: str) -> SegmentInfo:
    """Encoding, unit count and segment count of ``text`` as sent by SMS.

    An empty body is 0 segments (providers refuse it rather than bill it).
    """
    gsm = is_gsm7(text)
    char_cost = _gsm7_cost if gsm else _utf16_cost
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if gsm else (UCS2_SINGLE, UCS2_MULTI)
    units = sum(char_cost(c) for c in text)
    encoding = Encoding.GSM7 if gsm else Encoding.UCS2
    bad = () if gsm else non_gsm7_characters(text)
    if units == 0:
        return SegmentInfo(encoding, 0, 0, bad)
    if units <= single:
        return SegmentInfo(encoding, units, 1, bad)
    costs: list[int] = []
    for cluster in _clusters(text):
        cost = sum(char_cost(c) for c in cluster)
        if cost <= multi:
            costs.append(cost)
        else:
            # A pathological cluster (hundreds of combining marks) must be split;
            # still keep each code point, hence escape and surrogate pairs, whole.
            costs.extend(char_cost(c) for c in cluster)
    return SegmentInfo(encoding, units, _pack(costs, multi), bad)
