"""Translation review: each string beside its English source; a reviewer signs off
drafts, and who and when are written into the ``.po`` file by ``review_file``, the
very function ``survey i18n review`` uses, so the publish gate reads one record.

Who may sign off: the catalogs are shared by every program, so a sign-off changes
every program's launch gate. Administrators may, and grantees while they belong to at
least one program (program staff are often the bilingual reviewers); evaluators may
read. Someone with no program left (access removed) may not even read: the page
serves the people who run programs. The sign-off names the user in the ``.po`` file
and is in the audit log as ``i18n.signoff``, an entry of no program
(``GET /api/v1/audit``).
After a sign-off the catalogs are reloaded, so the wizard's gate sees it at once (in
this worker; others reload on restart).
"""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from litestar import Request, get, post
from litestar.params import FromQuery
from litestar.response import Redirect

from survey.access import Principal
from survey.api.deps import DbConn, Res, Who
from survey.dashboard.context import DashboardPages, page_context, render
from survey.errors import Forbidden, InvalidInput, NotFound
from survey.i18n import Catalogs, ReviewError, review_file
from survey.i18n.catalogs import QUESTIONNAIRE_DOMAIN, UI_DOMAIN, po_path, read_catalog
from survey.i18n.marks import staff as t
from survey.i18n.review import has_translation, is_reviewed, review_record
from survey.services import audit

DOMAINS = (QUESTIONNAIRE_DOMAIN, UI_DOMAIN)
DOMAIN_WORDS = {
    QUESTIONNAIRE_DOMAIN: t("Questionnaires"),
    UI_DOMAIN: t("Survey screens and texts"),
}
STATE_WORDS = {
    "missing": t("Not translated yet"),
    "fuzzy": t("Draft, not reviewed"),
    "unreviewed": t("Translated, not signed off"),
    "reviewed": t("Signed off"),
}
SHOWN = 200
_lock = anyio.Lock()


def may_read(who: Principal) -> bool:
    return who.is_admin or bool(who.program_ids)


def may_review(who: Principal) -> bool:
    return who.is_admin or (who.role == "grantee" and bool(who.program_ids))


def entry_key(context: str | None, msgid: str) -> str:
    raw = json.dumps([context, msgid], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode()


def parse_key(key: str) -> tuple[str | None, str]:
    try:
        context, msgid = json.loads(base64.urlsafe_b64decode(key.encode()))
    except (ValueError, TypeError):
        raise InvalidInput.one("entry", "is not a string of this catalog") from None
    return context, str(msgid)


def _first(value: Any) -> str:
    if isinstance(value, list | tuple):
        return str(value[0]) if value else ""
    return str(value or "")


def _utc(at: str) -> datetime | None:
    try:
        return datetime.fromisoformat(at)
    except ValueError:
        return None


def entries(root: Path, locale: str, domain: str, show: str, prefix: str) -> list[dict[str, Any]]:
    """Rows for the page: state, English, translation and the latest sign-off."""
    path = po_path(root, locale, domain)
    if not path.is_file():
        return []
    rows = []
    for message in read_catalog(path, locale):
        if not message.id or (prefix and not (message.context or "").startswith(prefix)):
            continue
        if not has_translation(message):
            state = "missing"
        elif message.fuzzy:
            state = "fuzzy"
        elif is_reviewed(message):
            state = "reviewed"
        else:
            state = "unreviewed"
        if show != "all" and state not in ("fuzzy", "unreviewed"):
            continue
        record = review_record(message)
        rows.append(
            {
                "key": entry_key(message.context, _first(message.id)),
                "state": state,
                "context": message.context or "",
                "english": _first(message.id),
                "translation": _first(message.string),
                "reviewer": record.reviewer if record and state == "reviewed" else "",
                # A datetime, for the page's ``when`` to say in the reader's words.
                "at": _utc(record.at) if record and state == "reviewed" else None,
            }
        )
    return rows


async def _page(
    request: Request[Any, Any, Any],
    who: Principal,
    res: Any,
    locale: str,
    domain: str,
    show: str,
    prefix: str,
    *,
    error: str = "",
    status: int = 200,
) -> Any:
    root = res.catalogs.root or res.settings.resolved_locales_dir
    rows = await anyio.to_thread.run_sync(entries, root, locale, domain, show, prefix[:100])
    ctx = page_context(
        request,
        who,
        rows=rows[:SHOWN],
        more=max(0, len(rows) - SHOWN),
        review_locale=locale,
        review_domain=domain,
        show=show,
        prefix=prefix,
        may_review=may_review(who),
        locales=[(c, res.language_name(c)) for c in res.supported_locales if c != "en"],
        domains=DOMAINS,
        domain_words=DOMAIN_WORDS,
        state_words=STATE_WORDS,
        done=_count(request.query_params.get("done")),
        error=error,
    )
    return render(request, "dashboard/review.html", ctx, status_code=status)


def _count(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 6 else None


class ReviewPages(DashboardPages):
    path = "/dashboard/translations"

    @get("/")
    async def page(
        self,
        request: Request[Any, Any, Any],
        who: Who,
        res: Res,
        locale: FromQuery[str] = "es",
        domain: FromQuery[str] = QUESTIONNAIRE_DOMAIN,
        show: FromQuery[str] = "drafts",
        prefix: FromQuery[str] = "",
    ) -> Any:
        if not may_read(who):
            raise Forbidden(
                t(
                    "Translations are shared by every program: only administrators and "
                    "members of a program may see them"
                )
            )
        if locale not in res.supported_locales or locale == "en" or domain not in DOMAINS:
            raise NotFound("catalog")
        return await _page(request, who, res, locale, domain, show, prefix)

    @post("/")
    async def sign_off(
        self, request: Request[Any, Any, Any], conn: DbConn, who: Who, res: Res
    ) -> Any:
        if not may_review(who):
            raise Forbidden(
                t(
                    "Only administrators, and grantees while they belong to a program, "
                    "may sign off translations: the catalogs are shared by every program"
                )
            )
        form = await request.form()
        locale = str(form.get("locale", ""))
        domain = str(form.get("domain", ""))
        if locale not in res.supported_locales or locale == "en":
            raise InvalidInput.one("locale", "choose a language to review")
        if domain not in DOMAINS:
            raise InvalidInput.one("domain", "choose the strings to review")
        keys = [str(k) for k in form.getall("entry")] if "entry" in form else []
        if not keys:
            # The same page with its filters, saying what is missing: a bare error
            # page would lose the list the reviewer was working through.
            show, prefix = str(form.get("show", "drafts")), str(form.get("prefix", ""))
            error = t("Select at least one text to sign off")
            return await _page(
                request, who, res, locale, domain, show, prefix, error=error, status=422
            )
        selectors = [parse_key(k) for k in keys[:500]]
        reviewer = who.name.strip() or who.email
        root = res.catalogs.root or res.settings.resolved_locales_dir
        path = po_path(root, locale, domain)
        async with _lock:  # one writer per file at a time in this process
            try:
                records = await anyio.to_thread.run_sync(
                    lambda: review_file(path, locale, selectors, reviewer)
                )
            except ReviewError as exc:
                raise InvalidInput.one("entry", str(exc)) from None
            catalogs = await anyio.to_thread.run_sync(Catalogs.load, root)
            request.app.state.resources = dataclasses.replace(res, catalogs=catalogs)
        await audit.record(
            conn,
            who,
            "i18n.signoff",
            target=f"{locale}/{domain}",
            locale=locale,
            domain=domain,
            count=len(records),
            # The name as written into the .po file, so the two records can be matched.
            reviewer=reviewer,
            at=records[0].at,
        )
        query = f"locale={locale}&domain={domain}&done={len(records)}"
        return Redirect(f"/dashboard/translations?{query}", status_code=303)
