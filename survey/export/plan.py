"""What an export may contain for this caller: the access check, suppression and columns.

Free of HTTP: the API, the dashboard and ``survey export`` all start here.

Who gets what (de-identified for everyone: no phone numbers or names ever, panel ids
only as ``panel_members.pseudonym``):

- evaluators (action ``export``, no ``pii``): a site with fewer than
  ``SUPPRESS_BELOW`` *complete* responses in the wave (suspected open-link
  duplicates not counted) is withheld, its partial responses with it, so nobody at a
  small site can be picked out; free-text answers are left out, since residents
  write names and numbers into them. What was withheld is listed in
  ``ExportPlan.withheld``.

  The rule is the report's, with the report's constant: the report suppresses a
  site-wave resting on fewer than ``SUPPRESS_BELOW`` completes, and an export that
  released that site's rows would give back the hidden count and every answer behind
  the hidden means. Partial responses of a *shown* site are exported: they are not in
  the report's cells, but the site already passes the threshold on completes alone,
  so its rows do not single anyone out, and analysts need them for nonresponse and
  break-off analysis. (The report's hidden partial count of a shown site is a
  fieldwork figure, not a respondent's answer; the rows say no more about any one
  resident than the site's shown completes do.)
  Their ``resp_id`` is a keyed pseudonym, not the database id, and rows are in
  id order: the ids' gaps would give back the withheld site's count and when its
  residents answered (``survey.export.pseudonym``).
- grantees and admins (who may already see the program's contact list): every site,
  the free text and the database id, because they run the fieldwork and answer for
  the data (and withhold nothing whose count the ids could give back).
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from survey import access
from survey.access import Principal
from survey.config import ConfigError
from survey.db import Conn, Record, fetch_one
from survey.errors import InvalidInput
from survey.export.codebook import Column, columns
from survey.export.pseudonym import export_key, hmac_pads
from survey.i18n.locales import SOURCE_LOCALE, isolate
from survey.questionnaire import Questionnaire
from survey.report.suppression import SUPPRESS_BELOW, site_withheld
from survey.resources import Resources
from survey.services.versions import frozen_questionnaire
from survey.sql import Q

FORMATS = ("csv", "sav", "dta")


class WithheldSite(msgspec.Struct, frozen=True, kw_only=True):
    site_id: int
    name: str
    reason: str


class ExportPlan(msgspec.Struct, kw_only=True):
    program_id: int
    wave_id: int
    wave_name: str
    phase: str
    program_name: str
    questionnaire: Questionnaire
    qversion: str
    columns: list[Column]
    site_names: dict[int, str]
    withheld: list[WithheldSite]
    rows: int
    identifying: bool
    """The caller may see identifying data (free text, small sites)."""
    id_pads: tuple[bytes, bytes] | None = None
    """For a caller who may not see identifying data: the HMAC pads that make
    ``resp_id`` a pseudonym (``survey.export.pseudonym``); None: the database id."""

    @property
    def excluded_site_ids(self) -> list[int]:
        return [w.site_id for w in self.withheld]

    def filename(self, fmt: str) -> str:
        return f"wave-{self.wave_id}-{self.phase}.{fmt}"


def _withheld_reason(r: Record) -> str:
    duplicates = r["completes"] - r["unique_completes"]
    return (
        f"fewer than {SUPPRESS_BELOW} complete responses ({r['completes']} complete"
        + (f", {duplicates} of them suspected duplicates" if duplicates else "")
        + f", {r['responses'] - r['completes']} partial)"
    )


async def plan_export(
    conn: Conn,
    who: Principal,
    res: Resources,
    program_id: int,
    wave_id: int,
    *,
    lang: str | None = None,
    labels: Callable[[str], str] | None = None,
) -> ExportPlan:
    """Check access and decide columns and suppression for one wave's export.

    ``lang`` words the questionnaire's labels as residents were shown them; ``labels``
    (the staff catalog's ``t`` for that language) words the file's own ones."""
    access.check(who, program_id, "export")
    wave = await fetch_one(conn, Q.export_wave, program_id, wave_id, what="wave")
    q = (
        await frozen_questionnaire(conn, wave["questionnaire_hash"])
        if wave["questionnaire_hash"]
        else res.questionnaires[wave["questionnaire_id"]]
    )
    if lang and lang not in res.supported_locales:
        # English labels under a misspelt code would pass for what was asked.
        raise InvalidInput.one(
            "lang", "is not a language we have: one of " + ", ".join(res.supported_locales)
        )
    from survey.i18n import translate_questionnaire

    language = lang or SOURCE_LOCALE
    # Labels in the reader's language, as residents were shown them (draft translations
    # only where the wave was launched with them), with the program's name filled in as
    # the survey page fills it, English included; codes and variable names never change.
    q = translate_questionnaire(
        res.catalogs, q, language,
        allow_fuzzy=wave["allow_unreviewed"] and language in wave["languages"],
        params={"program": isolate(wave["program_name"], language)},
    )
    identifying = access.may(who, program_id, "pii")
    counts = await conn.fetch(Q.export_site_counts, program_id, wave_id)
    site_names = {r["site_id"]: r["name"] for r in counts}
    withheld = [
        WithheldSite(
            site_id=r["site_id"],
            name=r["name"],
            reason=_withheld_reason(r),
        )
        for r in counts
        if not identifying and site_withheld(r["responses"], r["unique_completes"])
    ]
    id_pads = None
    if not identifying:
        if not res.settings.secret_key:
            # With a known key anyone could hash ids 1, 2, 3... and read the file's ids.
            raise ConfigError(
                "SURVEY_SECRET_KEY must be set for a de-identified export: "
                "its response ids are pseudonyms keyed with it"
            )
        id_pads = hmac_pads(export_key(res.settings.secret_key))
    excluded = [w.site_id for w in withheld]
    total = await conn.fetchval(Q.export_count, program_id, wave_id, excluded)
    digest = wave["questionnaire_hash"] or ""
    return ExportPlan(
        program_id=program_id,
        wave_id=wave_id,
        wave_name=wave["name"],
        phase=wave["phase"],
        program_name=wave["program_name"],
        questionnaire=q,
        qversion=f"{q.id} {q.version} {digest[:12]}".strip(),
        columns=columns(
            q, site_names, include_text=identifying, pseudonymous=not identifying,
            labels=labels or (lambda text: text),
        ),
        site_names=site_names,
        withheld=withheld,
        rows=int(total),
        identifying=identifying,
        id_pads=id_pads,
    )
