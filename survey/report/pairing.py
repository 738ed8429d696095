"""Which two waves a report compares: the ones asked for, or chosen among comparable ones.

Only waves of one questionnaire can be compared (scores are matched by item and scale
ids, and another instrument has other scales), so the automatic choice looks only at
waves sharing the other wave's questionnaire: a one-day ``pulse`` wave run between a
pre and a post wave is a normal pattern and must not break the default report.

A ``follow_up`` wave is a post wave of its own (it compares with the pre wave just as a
post wave does), but a wave still in the field is compared only when no finished one
can be: the automatic choice takes the latest pair whose post wave is closed, and only
when there is none, a pair with an open post wave (the report then says fieldwork is
still open). Otherwise a follow-up launched at three sites would take over the default
report at its first complete response, with every other site missing from it.

The reasons are English msgids of the dashboard's ``dashboard`` domain (extracted by
``survey.dashboard.i18n`` through the ``t`` marker below), so the dashboard shows them
in the reader's language; the API gives them as they are. No HTTP here.
"""

from __future__ import annotations

from collections.abc import Sequence

from survey.db import Record
from survey.errors import FieldProblem, InvalidInput, NotFound
from survey.i18n.marks import staff as t

POST_PHASES = ("post", "follow_up")
PHASE_ORDER = {"pre": 0, "post": 1, "follow_up": 2}
"""The order waves of a program run in when their opening dates cannot tell."""


REASONS = {
    "same": t("must be a different wave from pre"),
    "draft": t("is a draft wave: launch it first"),
    "unanswered": t("has no complete responses yet"),
    "no_post": t("no post wave with complete responses; name one"),
    "no_pair": t(
        "no post wave has an earlier pre wave of the same questionnaire with complete "
        "responses: choose the waves to compare"
    ),
    "no_later_post": t(
        "no post wave of the pre wave's questionnaire with complete responses runs after "
        "it: choose the post wave"
    ),
    "no_earlier_pre": t(
        "no pre wave of the post wave's questionnaire with complete responses runs before "
        "it: choose the pre wave"
    ),
    "other_questionnaire": t(
        "uses the %(post)s questionnaire and the pre wave %(pre)s: only waves of the same "
        "questionnaire can be compared"
    ),
    "backwards": t("%(pre)s ran after %(post)s: swap pre and post"),
}


class WavesNotComparable(InvalidInput):
    """A reason the waves cannot be chosen, as its msgid and parameters too, so a
    reader's catalog can word it (``problems`` has it in English)."""

    def __init__(self, field: str, reason: str, **params: str) -> None:
        super().__init__([FieldProblem(field, reason % params if params else reason)])
        self.reason = reason
        self.reason_params = params


class WaveNotFound(NotFound):
    """A wave asked for by id that the program does not have; ``field`` says which of
    the two (``pre`` or ``post``), for a page to point at its selector."""

    def __init__(self, field: str) -> None:
        super().__init__("wave")
        self.field = field


def _latest_finished(candidates: Sequence[Record]) -> Record:
    """The latest closed wave of ``candidates`` (in fieldwork order), else the latest."""
    closed = [w for w in candidates if w["state"] == "closed"]
    return (closed or candidates)[-1]


def still_open(*waves: Record) -> bool:
    """Whether fieldwork of any of ``waves`` has not finished: its results will move."""
    return any(w["state"] != "closed" for w in waves)


def ran_after(a: Record, b: Record) -> bool:
    """Whether wave ``a`` ran after wave ``b``: by opening date when both have one (and
    they differ), else by phase (pre, post, follow-up); a ``pulse`` wave has no place in
    that order, so without dates it is never after."""
    if a["opens_at"] is not None and b["opens_at"] is not None and a["opens_at"] != b["opens_at"]:
        return bool(a["opens_at"] > b["opens_at"])
    return PHASE_ORDER.get(a["phase"], -1) > PHASE_ORDER.get(b["phase"], 99)


def choose_waves(
    waves: Sequence[Record], pre_id: int | None, post_id: int | None
) -> tuple[Record, Record]:
    """The waves to compare, ``waves`` in fieldwork order. A wave not named is the
    latest comparable one, closed ones first: the latest post (or follow-up) wave with
    complete responses after the pre wave, the latest pre wave with complete responses
    before the post wave, or with neither named, the latest closed post wave that has
    such a pre wave and that pre wave (an open post wave only when no closed one has)."""
    by_id = {w["id"]: w for w in waves}
    for field, wave_id in (("pre", pre_id), ("post", post_id)):
        if wave_id is not None and wave_id not in by_id:
            raise WaveNotFound(field)
    if pre_id is not None and pre_id == post_id:
        raise WavesNotComparable("post", REASONS["same"])
    for field, wave_id in (("pre", pre_id), ("post", post_id)):
        if wave_id is not None and not by_id[wave_id]["answered"]:
            draft = by_id[wave_id]["state"] == "draft"
            raise WavesNotComparable(field, REASONS["draft" if draft else "unanswered"])
    position = {w["id"]: i for i, w in enumerate(waves)}

    def pres_before(post: Record) -> list[Record]:
        return [
            w for w in waves
            if w["phase"] == "pre" and w["answered"] and position[w["id"]] < position[post["id"]]
            and w["questionnaire_id"] == post["questionnaire_id"]
        ]

    if pre_id is not None and post_id is not None:
        pre, post = by_id[pre_id], by_id[post_id]
        if pre["questionnaire_id"] != post["questionnaire_id"]:
            raise WavesNotComparable(
                "post", REASONS["other_questionnaire"],
                post=post["questionnaire_id"], pre=pre["questionnaire_id"],
            )
        # Compared the wrong way round, every gain reads as a significant decline: a
        # note beside the results is too easy to miss, so the pair is refused like the
        # other wrong ones. Two waves both after the program (post, follow-up) compare.
        if ran_after(pre, post):
            raise WavesNotComparable(
                "pre", REASONS["backwards"], pre=pre["name"], post=post["name"]
            )
        return pre, post
    if post_id is not None:
        before = pres_before(by_id[post_id])
        if not before:
            raise WavesNotComparable("pre", REASONS["no_earlier_pre"])
        return _latest_finished(before), by_id[post_id]
    posts = [w for w in waves if w["phase"] in POST_PHASES and w["answered"]]
    if pre_id is not None:
        pre = by_id[pre_id]
        after = [
            w for w in posts
            if position[w["id"]] > position[pre_id]
            and w["questionnaire_id"] == pre["questionnaire_id"]
        ]
        if not after:
            raise WavesNotComparable("post", REASONS["no_later_post"])
        return pre, _latest_finished(after)
    if not posts:
        raise WavesNotComparable("post", REASONS["no_post"])
    closed = [w for w in posts if w["state"] == "closed"]
    for pool in (closed, posts):
        for post in reversed(pool):
            before = pres_before(post)
            if before:
                return _latest_finished(before), post
    raise WavesNotComparable("pre", REASONS["no_pair"])
