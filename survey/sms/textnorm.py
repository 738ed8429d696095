"""Normalising short SMS replies before matching them against word lists.

Phones send the same word many ways: upper or lower case, with or without
accents, with a trailing "." or "!", with full-width letters from a CJK input
method, with Arabic diacritics or elongation. Keyword and reply matching compare
whole messages after the same normalisation on both sides.

Two strengths:

* ``light``: NFKC, case-fold, punctuation and symbols to spaces, apostrophes
  dropped, whitespace collapsed. Letters are otherwise untouched.
* ``fold``: ``light`` plus accent stripping on Latin letters only (so "NO MÁS" is
  "no mas" and "Không biết" is "khong biet") and Arabic spelling variants merged
  (hamza-carrying alefs, alef maqsura, ta marbuta, harakat, tatweel). Marks on
  other scripts are kept: Gurmukhi, Khmer or Amharic vowel signs are letters,
  and dropping Cyrillic й's breve would merge different words.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "light", "to_ascii_digits"]

_APOSTROPHES = frozenset("'’ʼ‘`´")
_SPACES = re.compile(r"\s+")

# Arabic letters people use interchangeably when typing quickly.
_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})


def _is_arabic_noise(c: str) -> bool:
    o = ord(c)
    # Harakat (fatha, damma, kasra, shadda, sukun, tanwin ...) and tatweel.
    return 0x064B <= o <= 0x065F or o == 0x0670 or o == 0x0640


def light(text: str) -> str:
    """Case-fold and strip punctuation, keeping every letter and mark."""
    text = unicodedata.normalize("NFKC", text).casefold()
    out: list[str] = []
    for c in text:
        cat = unicodedata.category(c)
        # Invisible format characters (ZWJ/ZWNJ, bidi marks, BOM) carry no
        # meaning for matching; nor does an apostrophe ("don't" = "dont").
        if c in _APOSTROPHES or cat == "Cf":
            continue
        # Punctuation, symbols (emoji included), separators and controls
        # separate words.
        if cat[0] in "PSZ" or cat == "Cc":
            out.append(" ")
        else:
            out.append(c)
    return _SPACES.sub(" ", "".join(out)).strip()


def fold(text: str) -> str:
    """``light`` plus Latin accent stripping and Arabic spelling folding."""
    text = unicodedata.normalize("NFD", light(text))
    out: list[str] = []
    base_is_latin = False
    for c in text:
        if unicodedata.combining(c) or unicodedata.category(c) == "Mn":
            if base_is_latin or _is_arabic_noise(c):
                continue
            out.append(c)
            continue
        if _is_arabic_noise(c):
            continue
        base_is_latin = unicodedata.name(c, "").startswith("LATIN")
        out.append(c)
    folded = unicodedata.normalize("NFC", "".join(out)).translate(_ARABIC_FOLD)
    return _SPACES.sub(" ", folded).strip()


def to_ascii_digits(text: str) -> str:
    """Replace every Unicode decimal digit (Arabic-Indic, Persian, Devanagari,
    Bengali, Gurmukhi, Khmer, Myanmar, full-width ...) with its ASCII digit."""
    out: list[str] = []
    for c in text:
        if c.isascii():
            out.append(c)
            continue
        d = unicodedata.decimal(c, None)
        out.append(str(d) if d is not None else c)
    return "".join(out)
