"""Contact lists (PII): upload a CSV, list contacts, remove one, purge a closed wave's."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, delete, get, post
from litestar.params import FromPath, FromQuery, QueryParameter

from survey.api.deps import IN_PARTS, DbConn, Res, Who
from survey.api.guard import ApiController
from survey.errors import InvalidInput
from survey.schemas import (
    ContactImportOut,
    ContactOut,
    ContactsPurgePreviewOut,
    ContactsRemovedOut,
)
from survey.services import contact_removal, contacts


async def _csv_text(request: Request[Any, Any, Any]) -> tuple[str, str]:
    """The uploaded CSV as text and its file name: a raw text/csv body or a form file."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or not hasattr(upload, "read"):
            raise InvalidInput.one("file", "attach the CSV as the form field 'file'")
        raw = await upload.read()
        name = getattr(upload, "filename", None) or "upload.csv"
    else:
        raw = await request.body()
        name = "upload.csv"
    return contacts.decode_upload(raw), name


class ContactController(ApiController):
    path = "/api/v1/programs/{program_id:int}/contacts"
    tags = ["contacts"]

    @post("/", status_code=200)
    async def upload(
        self,
        request: Request[Any, Any, Any],
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        partial: FromQuery[bool] = False,
    ) -> ContactImportOut:
        text, name = await _csv_text(request)
        return await contacts.import_contacts(
            conn,
            who,
            program_id,
            text,
            supported=res.supported_locales,
            filename=name,
            partial=partial,
        )

    @get("/")
    async def list_contacts(
        self,
        conn: DbConn,
        who: Who,
        program_id: FromPath[int],
        site_id: FromQuery[int | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> list[ContactOut]:
        return await contacts.list_contacts(
            conn, who, program_id, site_id=site_id, limit=limit, offset=offset
        )

    @delete(
        "/{contact_id:int}",
        description=(
            "Forget a contact (a resident asked to be): its phone number, panel code and "
            "consent records are deleted, texts waiting to go out to it are canceled and "
            "its personal links stop working. Answers already given stay, de-identified. "
            "A number that opted out stays on the opt-out list, which must be honoured; "
            "a number whose text that mentioned stopping still awaits review is put on it."
        ),
    )
    async def remove_contact(
        self, conn: DbConn, who: Who, program_id: FromPath[int], contact_id: FromPath[int]
    ) -> None:
        await contact_removal.remove_contact(conn, who, program_id, contact_id)


class WaveContactController(ApiController):
    path = "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/contacts"
    tags = ["contacts"]

    @get(
        "/purge",
        description=(
            "What POST .../contacts/purge would do now, without doing it: how many "
            "contacts it would remove and how many it would keep. Refused with 409 "
            "unless the wave is closed, as the purge is."
        ),
    )
    async def purge_preview(
        self, conn: DbConn, who: Who, program_id: FromPath[int], wave_id: FromPath[int]
    ) -> ContactsPurgePreviewOut:
        return await contact_removal.purge_preview(conn, who, program_id, wave_id)

    @post(
        "/purge",
        status_code=200,
        dependencies=IN_PARTS,
        description=(
            "Remove the contacts a closed wave invited, as DELETE .../contacts/{id} does, "
            "but for those another wave that is open or a draft may still reach: at one "
            "of its sites, or invited to it (`kept`). "
            "Refused with 409 unless the wave is closed. Contacts are removed 1,000 "
            "to a transaction, so the program's texts never wait long for a large purge; "
            "one cut short keeps what it removed, and asking again removes the rest."
        ),
    )
    async def purge(
        self, conn: DbConn, who: Who, program_id: FromPath[int], wave_id: FromPath[int]
    ) -> ContactsRemovedOut:
        return await contact_removal.purge_wave(conn, who, program_id, wave_id)
