"""SMS over HTTP: the provider's webhooks and the grantee's send/estimate endpoints.

Webhooks (``/sms/inbound``, ``/sms/status``) take no credentials but must carry a
valid ``X-Twilio-Signature`` for the public URL (``SURVEY_PUBLIC_BASE_URL`` + path
+ query, never the Host header a proxy passed on) and the whole form; anything else
is 403 before a byte of it is used. Replies to inbound texts are TwiML.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.params import FromPath, FromQuery, JSONBody

from survey.api.deps import DbConn, Res, Who
from survey.api.guard import ApiController
from survey.config import Settings
from survey.services import sms_campaigns, sms_estimate, sms_inbound, sms_review, sms_status
from survey.sms import twiml
from survey.sms.signature import SIGNATURE_HEADER, verify_signature, webhook_url
from survey.sms.webhooks import parse_inbound, parse_status
from survey.sms_schemas import (
    SmsEstimateOut,
    SmsReviewIn,
    SmsReviewRow,
    SmsSendIn,
    SmsSendOut,
    SmsSummaryRow,
)

__all__ = ["SmsController", "inbound_sms", "status_callback"]

# Twilio allows 1600 characters per text; a form with its ~20 fields stays far below.
MAX_WEBHOOK_BYTES = 64_000


async def _verified_form(
    request: Request[Any, Any, Any], settings: Settings
) -> FormMultiDict | None:
    form = await request.form()
    # With connection overrides set, the number's webhook may carry them or not (an
    # operator adds them in the console at their own pace): both are Twilio's.
    urls = {
        webhook_url(settings.public_base_url, request.url.path, request.url.query, extra)
        for extra in ("", settings.twilio_webhook_overrides)
    }
    pairs = list(form.multi_items())
    signature = request.headers.get(SIGNATURE_HEADER)
    ok = any(
        verify_signature(url, pairs, signature, settings.twilio_auth_token) for url in urls
    )
    return form if ok else None


def _forbidden() -> Response[str]:
    return Response("invalid signature", status_code=403, media_type="text/plain")


def _twiml(messages: list[str]) -> Response[str]:
    return Response(twiml.message_response(messages), media_type=twiml.CONTENT_TYPE)


@post("/sms/inbound", include_in_schema=False, request_max_body_size=MAX_WEBHOOK_BYTES,
      status_code=200)
async def inbound_sms(request: Request[Any, Any, Any], conn: DbConn, res: Res) -> Response[str]:
    form = await _verified_form(request, res.settings)
    if form is None:
        return _forbidden()
    try:
        sms = parse_inbound(form.multi_items())
    except msgspec.ValidationError:
        return Response("missing MessageSid or From", status_code=400, media_type="text/plain")
    replies = await sms_inbound.handle_inbound(conn, res, sms, datetime.now(UTC))
    return _twiml(replies)


# Status 200 here only because Litestar refuses a body type on a 204 route; every
# answer below sets its own (204 when recorded, 403/400 with a reason when refused).
@post("/sms/status", include_in_schema=False, request_max_body_size=MAX_WEBHOOK_BYTES,
      status_code=200)
async def status_callback(
    request: Request[Any, Any, Any],
    conn: DbConn,
    res: Res,
    p: FromQuery[int | None] = None,
    m: FromQuery[int | None] = None,
) -> Response[Any]:
    form = await _verified_form(request, res.settings)
    if form is None:
        return _forbidden()
    try:
        cb = parse_status(form.multi_items())
    except msgspec.ValidationError:
        return Response("missing MessageSid or MessageStatus", status_code=400,
                        media_type="text/plain")
    if p is not None and m is not None:
        # Unknown ids (a purged program, a callback of another deployment): the
        # provider gets 204 all the same, or it retries for nothing.
        await sms_status.record_status(conn, p, m, cb, datetime.now(UTC))
    return Response(None, status_code=204)


class SmsController(ApiController):
    path = "/api/v1/programs/{program_id:int}/waves/{wave_id:int}/sms"
    tags = ["sms"]

    @post("/send", status_code=202)
    async def send(
        self,
        conn: DbConn,
        who: Who,
        res: Res,
        program_id: FromPath[int],
        wave_id: FromPath[int],
        data: JSONBody[SmsSendIn],
    ) -> SmsSendOut:
        """Queue invitations, conversation starts or reminders for the wave."""
        return await sms_campaigns.send(
            conn, who, res, program_id, wave_id, data,
            our_number=res.settings.sms_from_number, now=datetime.now(UTC),
        )

    @get("/estimate")
    async def estimate(
        self, conn: DbConn, who: Who, res: Res, program_id: FromPath[int], wave_id: FromPath[int],
        site_id: FromQuery[int | None] = None,
    ) -> SmsEstimateOut:
        """Segments per contact and in total, per language, before sending; ``site_id``
        estimates a send to that site only (422 if it is not a site of the wave)."""
        return await sms_estimate.estimate(conn, who, res, program_id, wave_id, site_id)

    @get("/messages")
    async def messages(
        self, conn: DbConn, who: Who, program_id: FromPath[int], wave_id: FromPath[int]
    ) -> list[SmsSummaryRow]:
        """Texts of the wave by kind, queue state and delivery status."""
        return await sms_status.summary(conn, who, program_id, wave_id)

    @get("/review")
    async def review(
        self, conn: DbConn, who: Who, program_id: FromPath[int], wave_id: FromPath[int]
    ) -> list[SmsReviewRow]:
        """Inbound texts that mentioned stopping ("the bus stop", "why do you text me,
        stop") without a clear request: no reminders go to them until a person decides
        (a clear request, "please stop texting me", is an opt-out by itself). Decided
        ones stay listed, with the decision, when, and by whom."""
        return await sms_status.review(conn, who, program_id, wave_id)

    @post("/review/{message_id:int}", status_code=200)
    async def decide(
        self, conn: DbConn, who: Who, program_id: FromPath[int], wave_id: FromPath[int],
        message_id: FromPath[int], data: JSONBody[SmsReviewIn],
    ) -> SmsReviewRow:
        """Decide on a text set aside for review: ``stop`` opts the person out as their
        STOP would (no confirmation is texted), ``keep`` lets reminders by hand reach
        them again. 404 for a message that is not a review text of this wave; 409 once
        decided (the answer says by whom)."""
        return await sms_review.decide(
            conn, who, program_id, wave_id, message_id, data.decision, datetime.now(UTC)
        )
