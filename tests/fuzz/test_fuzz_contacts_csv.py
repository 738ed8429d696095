"""hypothesis on the contact CSV upload: the bytes decoder and the row parser.

Properties: arbitrary bytes and text never raise anything but ``InvalidInput`` (from
the decoder) and the parser never raises at all; every error names its row and, for
cell problems, its column; a well-formed sheet (phone numbers in many formats and
digit scripts, names in many scripts, BOM, any quoting, CR/LF/CRLF line ends, blank
rows, separated by commas, semicolons or tabs) comes back row for row with the numbers
in E.164 and its unread columns named as warnings; a number with an extension is
refused, in any of the ways it is written.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import phonenumbers
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from survey.errors import InvalidInput
from survey.schemas import RowError
from survey.services.contacts import (
    DELIMITERS,
    IGNORED_COLUMN,
    NO_EXTENSION,
    decode_upload,
    normalize_language,
    parse_csv,
)

LANGUAGES = ("en", "es", "vi", "zh_Hans", "zh_Hant", "tl", "ar", "ko", "ru", "so")
#: What people type for each language besides its code: English names and autonyms,
#: BCP-47 tags with a region or script.
WRITTEN = {
    "en": ("English", "ENGLISH", "en-US", "en_GB"),
    "es": ("Spanish", "SPANISH", "español", "Español", "espanol", "es-MX", "es-419"),
    "vi": ("Vietnamese", "Tiếng Việt", "tieng viet", "vi-VN"),
    "zh_Hans": ("Chinese", "中文", "Simplified Chinese", "简体中文", "zh", "zh-CN"),
    "zh_Hant": ("Traditional Chinese", "繁體中文", "Chinese (Traditional)", "zh-TW",
                "zh-Hant", "zh-HK"),
    "tl": ("Filipino", "Tagalog", "fil", "fil-PH"),
    "ar": ("Arabic", "العربية", "ar-SA"),
    "ko": ("Korean", "한국어", "ko-KR"),
    "ru": ("Russian", "русский", "Русский"),
    "so": ("Somali", "Soomaali"),
}
SITES = {"north county": 1, "south county": 2}
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DIGITS = {
    "ascii": "0123456789",
    "fullwidth": "０１２３４５６７８９",
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "persian": "۰۱۲۳۴۵۶۷۸۹",
    "devanagari": "०१२३४५६७८९",
    "bengali": "০১২৩৪৫৬৭৮৯",
}
REGIONS = ("US", "MX", "PH", "VN", "CN", "KR", "SO", "ET", "SA", "RU", "UA", "IN", "GB", "HT")
# Letters of the scripts our residents write their names in, plus the characters that
# make CSV quoting matter.
NAME = st.text(
    st.one_of(
        st.characters(codec="utf-8", categories=["L", "M", "Zs"]),
        st.sampled_from(list(',"\n\r\'; ')),
    ),
    max_size=30,
)


@st.composite
def phone(draw: Any) -> tuple[str, str]:
    """(as a person might type it, its E.164 form)."""
    region = draw(st.sampled_from(REGIONS))
    if region == "US":
        area = draw(st.sampled_from(["206", "212", "305", "415", "503", "509", "617", "808"]))
        number = phonenumbers.parse(f"+1{area}555{draw(st.integers(100, 199)):04d}")
    else:
        number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    formats = [
        phonenumbers.PhoneNumberFormat.E164,
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        phonenumbers.PhoneNumberFormat.RFC3966,
    ]
    if region == "US":  # national forms only make sense in the default region
        formats.append(phonenumbers.PhoneNumberFormat.NATIONAL)
    typed = phonenumbers.format_number(number, draw(st.sampled_from(formats)))
    if region == "US" and draw(st.booleans()):
        typed = draw(st.sampled_from(["{}.{}.{}", "{}-{}-{}", "1 {} {} {}", "{}{}{}"])).format(
            e164[2:5], e164[5:8], e164[8:]
        )
    digits = DIGITS[draw(st.sampled_from(sorted(DIGITS)))]
    typed = typed.translate(str.maketrans("0123456789", digits))
    return draw(st.sampled_from(["", " ", "\t"])) + typed + draw(st.sampled_from(["", " "])), e164


@st.composite
def sheet(draw: Any) -> tuple[str, list[dict[str, str]]]:
    """A CSV file as text and the rows it should parse to."""
    header = ["name", "phone", "language", "site", "consent"]
    draw(st.randoms()).shuffle(header)
    header = [draw(st.sampled_from([h, h.upper(), h.title()])) for h in header]
    numbers = draw(st.lists(phone(), max_size=8, unique_by=lambda p: p[1]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
    delimiter = draw(st.sampled_from(DELIMITERS))  # Excel writes ";" where "," is decimal
    expected, records = [], []
    for typed, e164 in numbers:
        language = draw(st.sampled_from(LANGUAGES))
        site = draw(st.sampled_from(["", "North County", "south county", "2"]))
        consent = draw(st.sampled_from(["", "yes", "No", "sí", "TRUE"]))
        name = draw(NAME)
        if quoting == csv.QUOTE_MINIMAL:
            # Python's minimal quoting leaves a lone LF unquoted when lines end in CR
            # (spreadsheets quote any line break), so names break lines only when quoted.
            name = name.replace("\r", " ").replace("\n", " ")
        values = {
            "name": name,
            "phone": typed,
            "language": draw(st.sampled_from(
                [language, language.replace("_", "-").lower(), *WRITTEN[language]]
            )) + draw(st.sampled_from(["", " "])),
            "site": site,
            "consent": consent,
        }
        records.append([values[h.lower()] for h in header])
        expected.append({"phone": e164, "language": language, "site": site, "consent": consent})
        while draw(st.integers(0, 4)) == 0:
            records.append(draw(st.sampled_from([[], [""] * len(header), [" "]])))
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        quoting=quoting,
        delimiter=delimiter,
        lineterminator=draw(st.sampled_from(["\r\n", "\n", "\r"])),
    )
    writer.writerow(header)
    writer.writerows(records)
    return buffer.getvalue(), expected


def _parse(text: str, warnings: list[RowError] | None = None) -> Any:
    return parse_csv(
        text, supported=LANGUAGES, sites=SITES, source="upload:t.csv", warnings=warnings
    )


@FAST
@given(phone(), st.sampled_from([" x", " ext. ", " ext ", " #", ";ext="]), st.integers(1, 9999))
def test_a_number_with_an_extension_is_refused(
    typed: tuple[str, str], mark: str, extension: int
) -> None:
    # An SMS reaches the line, never the extension: importing the number without it
    # would text a switchboard.
    rows, errors = _parse(f"phone\n{typed[0].strip()}{mark}{extension}\n")
    assert rows == []
    assert [(e.row, e.column, e.reason) for e in errors] == [(2, "phone", NO_EXTENSION)]


@FAST
@given(sheet(), st.sampled_from(["utf-8", "utf-8-sig"]))  # without and with a BOM
def test_well_formed_sheets_round_trip(made: tuple[str, list[dict[str, str]]], codec: str) -> None:
    text, expected = made
    warnings: list[RowError] = []
    rows, errors = _parse(decode_upload(text.encode(codec)), warnings)
    assert errors == []
    # The names are not read, and the result says so.
    assert [(w.row, w.column.lower(), w.reason) for w in warnings] == [
        (1, "name", IGNORED_COLUMN)
    ]
    assert [r.phone for r in rows] == [e["phone"] for e in expected]
    assert [r.language for r in rows] == [e["language"] for e in expected]
    sites = {"": None, "North County": 1, "south county": 2, "2": 2}
    assert [r.site_id for r in rows] == [sites[e["site"]] for e in expected]
    consent = {"": "unknown", "yes": "granted", "sí": "granted", "TRUE": "granted"}
    assert [r.consent for r in rows] == [consent.get(e["consent"], "revoked") for e in expected]
    assert len({r.row for r in rows}) == len(rows) and all(r.row >= 2 for r in rows)


@FAST
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_are_text_or_a_validation_error(raw: bytes) -> None:
    try:
        text = decode_upload(raw)
    except InvalidInput as exc:
        assert [p.field for p in exc.problems] == ["file"]
        return
    _check_errors(text)


CSV_ALPHABET = st.one_of(
    st.sampled_from(list(',"\r\n\t\x00\ufeff +-()0123456789')),
    st.characters(codec="utf-8"),
)


@FAST
@given(
    st.lists(st.sampled_from(["phone", "Mobile", "language", "site", "panel_id", "consent",
                              "name", "source"]), min_size=1, max_size=6),
    st.text(CSV_ALPHABET, max_size=400),
)
@example(["phone", "source"], "+15095550123")  # a short row lacks a column we read
def test_arbitrary_rows_give_errors_with_row_and_column(header: list[str], body: str) -> None:
    _check_errors(",".join(header) + "\n" + body)


def _check_errors(text: str) -> None:
    rows, errors = _parse(text)  # raises nothing
    lines = max(1, len(text.splitlines()) + 1)
    for error in errors:
        assert 1 <= error.row <= lines + 1, error
        assert error.reason
        # Cell problems name their column; only whole-file problems (empty, not CSV,
        # too many rows) leave it blank.
        if error.row > 1 and not error.reason.startswith(("is not valid CSV", "more than")):
            assert error.column in {
                "phone", "language", "site", "panel_id", "consent", "consent_source"
            }, error
    for row in rows:
        assert phonenumbers.is_valid_number(phonenumbers.parse(row.phone))
        assert row.language is None or row.language in LANGUAGES  # None: not given
        assert "\x00" not in (row.panel_code or "") + (row.consent_source or "")


def test_bare_cr_line_ends_and_nul_and_huge_cells() -> None:
    """Regressions: Excel for Mac's CR line ends used to raise csv.Error (a 500), a NUL
    reached PostgreSQL, and a cell over the csv module's limit raised."""
    rows, errors = _parse("phone,language\r(206) 555-0100,es\r+44 20 7946 0958,en\r")
    assert errors == [] and [r.phone for r in rows] == ["+12065550100", "+442079460958"]
    _, errors = _parse("phone,panel_id\n2065550100,ab\x00c\n")
    assert [(e.row, e.column) for e in errors] == [(2, "panel_id")]
    _, errors = _parse("phone\n2065550100\n" + "9" * 200_000 + "\n")
    assert [(e.row, e.column) for e in errors] == [(3, "")]
    assert errors[0].reason.startswith("is not valid CSV")


@FAST
@given(
    st.sampled_from([(code, name) for code, names in WRITTEN.items() for name in names]),
    st.sampled_from([str, str.upper, str.lower, str.title]),
    st.sampled_from(["", " ", "\t", "  "]),
)
def test_language_names_and_tags_in_any_case(
    written: tuple[str, str], case: Any, space: str
) -> None:
    code, name = written
    assert normalize_language(space + case(name) + space, LANGUAGES) == code


@FAST
@given(st.text(max_size=20))
def test_any_language_cell_is_supported_or_refused_with_the_codes(cell: str) -> None:
    found = normalize_language(cell, LANGUAGES)
    assert found is None or found in LANGUAGES
    plain = cell.strip() and cell.isprintable() and not set(cell) & set(',"\x00;')
    if found is None and plain:
        _, errors = _parse(f"phone,language\n2065550100,{cell.strip()}\n")
        assert [e.column for e in errors] == ["language"]
        assert errors[0].reason.endswith(", ".join(LANGUAGES))


def test_a_language_name_or_autonym_is_its_code() -> None:
    """The reviewer's sheet: every one of these used to be refused."""
    rows, errors = _parse(
        "phone,language\n"
        + "".join(
            f"206555{i:04d},{name}\n"
            for i, name in enumerate(["Spanish", "SPANISH", "español", "English",
                                      "Vietnamese", "Tiếng Việt", "中文", "العربية",
                                      " Traditional Chinese ", "繁體中文", "Tagalog"], 100)
        )
    )
    assert errors == []
    assert [r.language for r in rows] == [
        "es", "es", "es", "en", "vi", "vi", "zh_Hans", "ar", "zh_Hant", "zh_Hant", "tl"
    ]
    assert normalize_language("Punjabi", ("en", "pa")) == "pa"
    assert normalize_language("ਪੰਜਾਬੀ", ("en", "pa")) == "pa"
    assert normalize_language("German", LANGUAGES) is None  # a language we do not serve


def test_an_unsupported_language_lists_the_accepted_codes() -> None:
    _, errors = _parse("phone,language\n2065550100,Klingon\n")
    assert [(e.row, e.column, e.reason) for e in errors] == [(
        2, "language",
        "'Klingon' is not a supported language; write a code, English name or native "
        "name of one of: en, es, vi, zh_Hans, zh_Hant, tl, ar, ko, ru, so",
    )]
