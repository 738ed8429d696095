"""Operational endpoints: liveness, readiness, and the questionnaire catalogue."""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Response, get
from litestar.datastructures import State

from survey.api.deps import Res, Who


@get("/healthz", sync_to_thread=False, include_in_schema=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", include_in_schema=False)
async def readyz(state: State) -> Response[dict[str, str]]:
    try:
        async with asyncio.timeout(2):
            async with state.pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
    except Exception:
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
