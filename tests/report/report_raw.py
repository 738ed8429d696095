"""The raw respondent data of a program, read with the test's own SQL and scored with
``analysis`` directly: the independent side of the report's reference tests."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from analysis import score_scale
from survey.db import Conn
from survey.questionnaire import Questionnaire
from survey.questionnaire.scoring import scale_bounds

RAW = """
SELECT r.id, r.site_id, r.wave_id, r.language, r.panel_member_id, r.submitted_at,
       a.item_id, a.value_num, a.value_codes, a.missing
FROM responses r
LEFT JOIN answers a ON a.program_id = r.program_id AND a.response_id = r.id
WHERE r.program_id = $1 AND r.status = 'complete'
ORDER BY r.id
"""


@dataclass
class Respondent:
    id: int
    site: int
    wave: int
    language: str
    panel: int | None
    submitted: Any
    values: dict[str, float] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)


class Raw:
    def __init__(self, q: Questionnaire, people: list[Respondent]) -> None:
        self.q = q
        self.people = people

    @classmethod
    async def load(cls, conn: Conn, q: Questionnaire, program_id: int) -> Raw:
        people: dict[int, Respondent] = {}
        for r in await conn.fetch(RAW, program_id):
            p = people.setdefault(
                r["id"],
                Respondent(
                    r["id"],
                    r["site_id"],
                    r["wave_id"],
                    r["language"],
                    r["panel_member_id"],
                    r["submitted_at"],
                ),
            )
            if r["item_id"] is None:
                continue
            if r["value_num"] is not None:
                p.values[r["item_id"]] = r["value_num"]
            elif r["value_codes"]:
                p.codes[r["item_id"]] = r["value_codes"][0]
        return cls(q, list(people.values()))

    def who(self, site: int | None = None, wave: int | None = None) -> list[Respondent]:
        return [
            p
            for p in self.people
            if (site is None or p.site == site) and (wave is None or p.wave == wave)
        ]

    def matrix(self, people: list[Respondent], items: list[str]) -> np.ndarray:
        return np.array([[p.values.get(i, np.nan) for i in items] for p in people], dtype=float)

    def scores(self, people: list[Respondent], construct_id: str) -> np.ndarray:
        """Every respondent's scale score (NaN when too few items), by ``analysis``."""
        c = self.q.construct(construct_id)
        low, high = scale_bounds(self.q, c)
        reverse = [c.items.index(i) for i in c.reverse]
        return score_scale(self.matrix(people, c.items), reverse, low, high)

    def answered(self, people: list[Respondent], construct_id: str) -> np.ndarray:
        s = self.scores(people, construct_id)
        return s[~np.isnan(s)]

    def item(self, people: list[Respondent], item_id: str) -> np.ndarray:
        return np.array([p.values[item_id] for p in people if item_id in p.values])

    def reversed_matrix(self, people: list[Respondent], construct_id: str) -> np.ndarray:
        c = self.q.construct(construct_id)
        low, high = scale_bounds(self.q, c)
        m = self.matrix(people, c.items)
        for i in c.reverse:
            j = c.items.index(i)
            m[:, j] = low + high - m[:, j]
        return m

    def pairs(self, site: int, pre: int, post: int, construct_id: str) -> tuple[np.ndarray, ...]:
        """(pre, post) scores of panel members who answered both waves at this site."""
        by_member: dict[tuple[int, int], Respondent] = {}
        for p in sorted(self.who(site), key=lambda p: (p.submitted, p.id)):
            if p.panel is not None:
                by_member[(p.panel, p.wave)] = p  # the latest response wins
        members = sorted(
            {m for m, w in by_member if w == pre} & {m for m, w in by_member if w == post}
        )
        before = self.scores([by_member[(m, pre)] for m in members], construct_id)
        after = self.scores([by_member[(m, post)] for m in members], construct_id)
        keep = ~(np.isnan(before) | np.isnan(after))
        return before[keep], after[keep]

    def counts(self) -> dict[tuple[int, int], int]:
        out: defaultdict[tuple[int, int], int] = defaultdict(int)
        for p in self.people:
            out[(p.site, p.wave)] += 1
        return dict(out)
