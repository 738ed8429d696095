"""Contact lists: CSV upload with per-row errors, kept apart from answers (PII)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import phonenumbers

from survey import access, csvtext
from survey.access import Principal
from survey.db import Conn, fetch_one
from survey.errors import InvalidInput
from survey.i18n.language_names import normalize_language
from survey.i18n.marks import staff as t
from survey.schemas import ContactImportOut, ContactOut, RowError
from survey.services import audit, contact_locks
from survey.sql import Q

# Header aliases a grantee's spreadsheet is likely to use.
_COLUMNS = {
    "phone": {"phone", "phone_number", "mobile", "cell", "number", "telephone"},
    "language": {"language", "lang", "preferred_language", "locale"},
    "panel_id": {"panel_id", "panel", "panel_code", "participant_id"},
    "site": {"site", "site_id", "county", "site_name"},
    "consent": {"consent", "sms_consent", "opt_in"},
    "consent_source": {"consent_source", "source"},
}
_YES = {"yes", "y", "true", "1", "si", "sí", "granted"}
_NO = {"no", "n", "false", "0", "revoked"}
MAX_ROWS = 100_000
#: Separators a spreadsheet may save "CSV" with: Excel uses ";" where the decimal mark
#: is a comma (most of Europe and Latin America), and tab for "Text (Tab delimited)".
DELIMITERS = (",", ";", "\t")
NO_EXTENSION = t("has an extension: a text message cannot reach an extension")
IGNORED_COLUMN = t("is not a column we read: it was ignored")
#: A contact with no site is in no site's invitations, texts or printed lists.
NO_SITE = t("no site: this contact will not be invited until it has one")
ONLY_SITE = t("rows with no site were put in the program's only site")
#: A row shorter than the header lost cells (a cut line, a stray line break): which
#: ones is anyone's guess, so it is refused rather than read into the wrong columns.
#: Named by the first column we read that it lacks.
SHORT_ROW = t("is missing: the row has %(found)s columns where the header has %(expected)s")


#: With the value and the codes, so a sheet's author sees what to write instead.
UNSUPPORTED_LANGUAGE = t(
    "%(value)s is not a supported language; write a code, English name or native name "
    "of one of: %(codes)s"
)
REPEATS = t("repeats row %(first)s")
CLAIMED_PANEL = t("belongs to another phone number")


def decode_upload(raw: bytes) -> str:
    """CSV bytes as text; spreadsheets save UTF-8 with or without a byte-order mark."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput.one(
            "file", t("is not UTF-8 text; save the sheet as CSV UTF-8")
        ) from None


def normalize_phone(value: str, region: str = "US") -> str | None:
    """E.164 for a valid number, else None."""
    number = _parse_phone(value, region)
    if number is None:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parse_phone(value: str, region: str = "US") -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


#: (row, column) → (msgid, parameters) of an error worded with parameters: a row
#: error's ``reason`` is English, and a reader's catalog needs the msgid to word it.
Wording = dict[tuple[int, str], tuple[str, dict[str, str]]]


class _Row:
    __slots__ = ("consent", "consent_source", "language", "panel_code", "phone", "row", "site_id")

    def __init__(self, row: int) -> None:
        self.row = row
        self.phone = ""
        self.language: str | None = None  # None: keep a known contact's, else the default
        self.site_id: int | None = None
        self.panel_code: str | None = None
        self.consent = "unknown"
        self.consent_source: str | None = None


def _error(
    row: int, column: str, reason: str, wording: Wording | None, /, **params: str
) -> RowError:
    """A row error whose English ``reason`` has ``params`` in it; the msgid and the
    values go to ``wording`` so a page can word it in its reader's language."""
    if params and wording is not None:
        wording[row, column] = (reason, params)
    return RowError(row=row, column=column, reason=reason % params if params else reason)


class _Header:
    __slots__ = ("errors", "ignored", "mapping")

    def __init__(self, header: list[str], wording: Wording | None = None) -> None:
        self.mapping: dict[str, int] = {}
        self.errors: list[RowError] = []
        self.ignored: list[str] = []  # columns we do not read, as the sheet names them
        for index, raw in enumerate(header):
            name = raw.strip().lower().replace(" ", "_").lstrip("\ufeff")
            column = next((c for c, aliases in _COLUMNS.items() if name in aliases), None)
            if column is None:
                if name:
                    self.ignored.append(raw.strip().lstrip("\ufeff"))
                continue
            if column in self.mapping:
                self.errors.append(
                    _error(1, raw, t("second column for %(column)s"), wording, column=column)
                )
            self.mapping[column] = index
        if "phone" not in self.mapping:
            self.errors.append(
                RowError(row=1, column="phone", reason=t("the file needs a phone column"))
            )


def _delimiter(text: str) -> str:
    """The separator whose header names a phone column (comma when none does).

    The header decides rather than ``csv.Sniffer``: a sheet's names and notes are full
    of commas and semicolons, and the header is the one row whose words we know."""
    for delimiter in DELIMITERS:
        first = next(csvtext.records(text, delimiter), None)
        if first is not None and first[1] is not None and "phone" in _Header(first[1]).mapping:
            return delimiter
    return ","


def parse_csv(
    text: str,
    *,
    supported: Iterable[str],
    sites: dict[str, int],
    source: str,
    warnings: list[RowError] | None = None,
    wording: Wording | None = None,
) -> tuple[list[_Row], list[RowError]]:
    """Validate every row; return good rows and errors by row number and column.
    What is read but not wrong (columns we ignore) is appended to ``warnings``; an
    error's msgid and parameters, where it has parameters, to ``wording``."""
    supported = tuple(supported)
    lines = csvtext.records(text, _delimiter(text))
    first = next(lines, None)
    if first is None:
        return [], [RowError(row=1, column="", reason=t("the file is empty"))]
    header = first[1]
    if header is None:
        return [], [RowError(row=1, column="", reason=csvtext.NOT_CSV)]
    found = _Header(header, wording)
    mapping, errors = found.mapping, found.errors
    if errors:
        return [], errors
    if warnings is not None:
        warnings.extend(RowError(row=1, column=c, reason=IGNORED_COLUMN) for c in found.ignored)
    width = max((i + 1 for i, name in enumerate(header) if name.strip()), default=0)
    by_index = sorted((i, c) for c, i in mapping.items())
    rows: list[_Row] = []
    seen_phone: dict[str, int] = {}
    seen_panel: dict[str, int] = {}

    def cell(values: list[str], column: str) -> str:
        index = mapping.get(column)
        return values[index].strip() if index is not None and index < len(values) else ""

    for line_no, values in lines:
        if values is None:
            errors.append(RowError(row=line_no, column="", reason=csvtext.NOT_CSV))
            break
        if not any(v.strip() for v in values):
            continue
        if len(rows) + len(errors) >= MAX_ROWS:
            errors.append(
                _error(line_no, "", t("more than %(max)s rows"), wording, max=str(MAX_ROWS))
            )
            break
        row = _Row(line_no)
        bad = False

        def fail(column: str, reason: str, *, _line: int = line_no, **params: str) -> None:
            nonlocal bad
            bad = True
            errors.append(_error(_line, column, reason, wording, **params))

        for column in mapping:
            if "\x00" in cell(values, column):
                # PostgreSQL text cannot hold NUL; say where it is instead of failing later.
                fail(column, t("contains a NUL character"))
        lacking = next((c for i, c in by_index if i >= len(values)), None)
        if lacking is not None:
            fail(lacking, SHORT_ROW, found=str(len(values)), expected=str(width))
        if bad:
            continue
        raw_phone = cell(values, "phone")
        number = _parse_phone(raw_phone) if raw_phone else None
        if not raw_phone:
            fail("phone", t("is empty"))
        elif number is None:
            fail("phone", t("is not a valid phone number"))
        elif number.extension:
            # Dropping it would text the switchboard, not the person.
            fail("phone", NO_EXTENSION)
        else:
            phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if phone in seen_phone:
                fail("phone", REPEATS, first=str(seen_phone[phone]))
            else:
                seen_phone[phone] = line_no
                row.phone = phone
        raw_lang = cell(values, "language")
        if raw_lang:
            language = normalize_language(raw_lang, supported)
            if language is None:
                fail("language", UNSUPPORTED_LANGUAGE,
                     value=repr(raw_lang), codes=", ".join(supported))
            row.language = language
        raw_site = cell(values, "site")
        if raw_site:
            site_id = csvtext.site_id(raw_site, sites)
            if site_id is None:
                fail("site", t("no site named %(value)s"), value=repr(raw_site))
            row.site_id = site_id
        panel = cell(values, "panel_id")
        if panel:
            if len(panel) > 64:
                fail("panel_id", t("is longer than 64 characters"))
            elif panel in seen_panel:
                fail("panel_id", REPEATS, first=str(seen_panel[panel]))
            else:
                seen_panel[panel] = line_no
                row.panel_code = panel
        consent = cell(values, "consent").lower()
        if consent in _YES:
            row.consent = "granted"
        elif consent in _NO:
            row.consent = "revoked"
        elif consent:
            fail("consent", t("must be yes or no"))
        if row.consent != "unknown":
            row.consent_source = cell(values, "consent_source") or source
        if not bad:
            rows.append(row)
    return rows, errors


async def import_contacts(
    conn: Conn,
    who: Principal,
    program_id: int,
    text: str,
    *,
    supported: Iterable[str],
    filename: str = "upload.csv",
    partial: bool = False,
    wording: Wording | None = None,
) -> ContactImportOut:
    """Import a contact CSV. By default any bad row rejects the whole file.
    ``wording`` receives the msgid and parameters of each error that has them, for a
    page to word the rows a partial import left out. Takes the program's contacts lock
    shared first (``contact_locks``): a removal or purge under way finishes before the
    file's rows are merged, rather than the two locking contacts in opposite orders."""
    access.check(who, program_id, "pii")
    await contact_locks.share(conn, (program_id,))
    program = await fetch_one(conn, Q.program_get, program_id, what="program")
    sites = {r["key"]: r["id"] for r in await conn.fetch(Q.site_ids_by_name, program_id)}
    warnings: list[RowError] = []
    wording = {} if wording is None else wording
    rows, errors = parse_csv(
        text,
        supported=supported,
        sites=sites,
        source=f"upload:{filename}",
        warnings=warnings,
        wording=wording,
    )
    if errors and not partial:
        raise_row_errors(errors, warnings, wording)
    _default_site(rows, set(sites.values()), warnings)
    await conn.execute(Q.contact_stage_create)
    await conn.copy_records_to_table(
        "contact_stage",
        records=[
            (r.row, r.phone, r.language, r.site_id, r.panel_code, r.consent, r.consent_source)
            for r in rows
        ],
    )
    conflicts = await conn.fetch(Q.contact_stage_conflicts, program_id)
    if conflicts:
        clash = [
            RowError(row=c["row_no"], column="panel_id", reason=CLAIMED_PANEL)
            for c in conflicts
        ]
        if not partial:
            raise_row_errors(errors + clash, warnings, wording)
        errors.extend(clash)
        await conn.execute(Q.contact_stage_drop_rows, [c["row_no"] for c in conflicts])
    merged = await conn.fetch(Q.contact_merge, program_id, program["default_language"])
    inserted = sum(1 for m in merged if m["inserted"])
    # Rows without a site that did not keep a stored one: nobody can invite them yet.
    siteless = {m["phone_e164"] for m in merged if m["no_site"]}
    warnings.extend(
        RowError(row=r.row, column="site", reason=NO_SITE) for r in rows if r.phone in siteless
    )
    await conn.execute(Q.contact_apply_opt_outs, program_id)
    need = await conn.fetch(Q.contact_needing_panel, program_id)
    await conn.executemany(
        Q.contact_attach_panel,
        [(program_id, r["id"], "p-" + secrets.token_hex(6)) for r in need],
    )
    await audit.record(
        conn,
        who,
        "contacts.import",
        program_id=program_id,
        target=filename,
        imported=inserted,
        updated=len(merged) - inserted,
        rejected=len({e.row for e in errors}),
    )
    return ContactImportOut(
        imported=inserted,
        updated=len(merged) - inserted,
        rejected=len({e.row for e in errors}),
        errors=sorted(errors, key=lambda e: (e.row, e.column)),
        warnings=warnings,
        without_site=len(siteless),
    )


def _default_site(rows: list[_Row], site_ids: set[int], warnings: list[RowError]) -> None:
    """With one site only, a row that names none can only mean that one."""
    if len(site_ids) != 1:
        return
    (only,) = site_ids
    missing = [r for r in rows if r.site_id is None]
    for r in missing:
        r.site_id = only
    if missing:
        warnings.append(RowError(row=1, column="site", reason=ONLY_SITE))


class RowsRejected(InvalidInput):
    """The whole file was refused. It still carries the ignored-column warnings, so a
    page can show them next to the row errors instead of losing them."""

    def __init__(
        self, errors: list[RowError], warnings: list[RowError], wording: Wording | None = None
    ) -> None:
        from survey.errors import FieldProblem

        worded = wording or {}

        def problem(e: RowError) -> FieldProblem:
            msgid, params = worded.get((e.row, e.column), (e.reason, {}))
            return FieldProblem(e.column, msgid, row=e.row, params=params)

        super().__init__(
            [problem(e) for e in errors],
            message="Nothing was imported: some rows are invalid",
        )
        self.warnings = warnings


def raise_row_errors(
    errors: list[RowError],
    warnings: list[RowError] | None = None,
    wording: Wording | None = None,
) -> None:
    raise RowsRejected(errors, warnings or [], wording)


async def list_contacts(
    conn: Conn, who: Principal, program_id: int, *, site_id: int | None, limit: int, offset: int
) -> list[ContactOut]:
    access.check(who, program_id, "pii")
    rows = await conn.fetch(Q.contact_list, program_id, site_id, limit, offset)
    return [
        ContactOut(
            id=r["id"],
            phone=r["phone_e164"],
            preferred_language=r["preferred_language"],
            site_id=r["site_id"],
            panel_code=r["panel_code"],
            consent_status=r["consent_status"],
            opted_out=r["opted_out"],
        )
        for r in rows
    ]
