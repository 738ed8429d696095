"""Operational endpoints: liveness, readiness, and the questionnaire catalogue."""

from __future__ import annotations

from pathlib import Path

import msgspec
from litestar import Response, get
from litestar.datastructures import State

from survey import db
from survey.api.deps import Res, Who


@get("/healthz", sync_to_thread=False, include_in_schema=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


_FAVICON = Path(__file__).resolve().parents[1] / "static" / "favicon.svg"


@get("/favicon.ico", sync_to_thread=False, include_in_schema=False)
def favicon() -> Response[bytes]:
    """Browsers ask for /favicon.ico on every page that names no icon (the API docs,
    a JSON error): answer with the pages' SVG icon rather than a 404 in their console."""
    return Response(
        _FAVICON.read_bytes(),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@get("/readyz", include_in_schema=False)
async def readyz(state: State) -> Response[dict[str, str]]:
    if not await db.ping(state.pool, 2):
        return Response({"status": "unavailable"}, status_code=503, headers={"Retry-After": "5"})
    return Response({"status": "ready"})


class QuestionnaireInfo(msgspec.Struct, kw_only=True):
    id: str
    version: str
    title: str
    items: int


@get("/api/v1/questionnaires", tags=["questionnaires"])
async def list_questionnaires(who: Who, res: Res) -> list[QuestionnaireInfo]:
    return [
        QuestionnaireInfo(id=q.id, version=q.version, title=q.title, items=len(q.items))
        for q in sorted(res.questionnaires.values(), key=lambda q: q.id)
    ]
