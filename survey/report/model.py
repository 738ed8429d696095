"""The program report as msgspec Structs: what the API and the CLI return as JSON.

Conventions:
- Differences are post − pre. ``*_score`` fields are on the 0–100 POMP display
  scale, 100·(mean − min)/(max − min), which is not a percentage of people.
- A suppressed number is ``None`` (null) and the record says ``suppressed``; a
  statistic that could not be computed (no spread, too few answers) is NaN, which
  encodes as null too, with the counts showing why.
- ``caution`` marks estimates resting on 10–29 respondents (or effective respondents).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec


class Base(msgspec.Struct, kw_only=True):
    pass


class WaveRef(Base):
    id: int
    name: str
    phase: str
    opens_at: datetime | None
    closes_at: datetime | None
    questionnaire_hash: str | None
    first_day: date | None = None
    """The day ``opens_at`` begins, in the sites' time zone (as the wizard takes it)."""
    last_day: date | None = None
    """The last day open, in the sites' time zone: ``closes_at`` is the exclusive
    midnight after it, so its UTC date is a day (or two) late. For a wave closed by
    hand before then, the day it was closed."""
    closed_at: datetime | None = None
    """When someone closed the wave, if someone did (it may be before ``closes_at``)."""


class QuestionnaireRef(Base):
    id: str
    version: str
    content_hash: str


class Thresholds(Base):
    suppress_below: int
    caution_below: int
    alpha_flag_below: float


class WaveStat(Base):
    """One site × wave × construct (or item): who answered and where they stand."""

    n: int | None
    n_eff: float | None
    mean: float | None
    sd: float | None
    score: float | None
    suppressed: bool
    caution: bool


class Change(Base):
    """Post − pre at one site for a scale score: Welch t, its CI and Hedges g."""

    diff: float
    diff_score: float
    ci_low: float
    ci_high: float
    ci_low_score: float
    ci_high_score: float
    se: float
    t: float
    df: float
    p: float
    p_holm: float | None
    hedges_g: float
    weighted: bool
    caution: bool


class PairedChange(Base):
    """Linked panel respondents at one site: paired t and Wilcoxon signed-rank."""

    n_pairs: int | None
    n_zero: int | None
    mean_diff: float | None
    t: float | None
    p_t: float | None
    dz: float | None
    w_plus: float | None
    w_minus: float | None
    p_wilcoxon: float | None
    rank_biserial: float | None
    suppressed: bool
    caution: bool


class DidChange(Base):
    """Difference-in-differences against the program's comparison sites."""

    estimate: float
    estimate_score: float
    se: float
    ci_low: float
    ci_high: float
    p: float
    weighted: bool


class ConstructResult(Base):
    construct_id: str
    label: str
    primary: bool
    scale_min: float
    scale_max: float
    pre: WaveStat
    post: WaveStat
    change: Change | None
    paired: PairedChange | None
    did: DidChange | None


class ItemChange(Base):
    """Post − pre for one Likert item: rank tests (always unweighted) and the mean shift."""

    diff: float
    ci_low: float
    ci_high: float
    u: float
    p_mw: float
    p_mw_exact: float | None
    p_bm: float
    bm_statistic: float
    cliffs_delta: float
    p_bh: float | None
    weighted: bool
    caution: bool


class ItemResult(Base):
    item_id: str
    construct_id: str | None
    pre: WaveStat
    post: WaveStat
    pre_shares: dict[str, float] | None
    post_shares: dict[str, float] | None
    change: ItemChange | None


class SiteWeighting(Base):
    wave_id: int
    status: str
    """``weighted``, ``no margins`` or ``not weighted: <why>``."""
    deff: float | None
    n_eff: float | None
    max_ratio: float | None
    """Largest weight over the smallest, a quick look at how hard raking pushed."""


SiteStatus = Literal["reported", "suppressed", "duplicates_withheld", "not_in_wave"]


class SiteReport(Base):
    site_id: int
    name: str
    comparison: bool
    n_pre: int | None
    n_post: int | None
    suppressed_pre: bool
    suppressed_post: bool
    """No results for the site in that wave: see ``status_pre``/``status_post`` for why."""
    status_pre: SiteStatus
    status_post: SiteStatus
    """``reported``; ``suppressed``: fewer than 10 complete (or effective) responses;
    ``duplicates_withheld``: a report leaving out suspected duplicates left out 1 to 9
    there, so comparing it with the report keeping them would give their answers;
    ``not_in_wave``: the site is not one of the wave's sites. Any but ``reported``
    leaves the site out of every program figure."""
    weighting: list[SiteWeighting]
    constructs: list[ConstructResult]
    items: list[ItemResult]


class PooledResult(Base):
    """The state roll-up: a random-effects pool of the sites' changes."""

    construct_id: str
    label: str
    primary: bool
    site_ids: list[int]
    estimate: float
    estimate_score: float
    ci_low: float
    ci_high: float
    tau2: float
    i2: float
    q: float
    p: float


class ProgramDid(Base):
    """All reported program sites together against the comparison sites."""

    construct_id: str
    label: str
    treated_site_ids: list[int]
    comparison_site_ids: list[int]
    estimate: float
    estimate_score: float
    se: float
    ci_low: float
    ci_high: float
    p: float
    weighted: bool


class Reliability(Base):
    construct_id: str
    wave_id: int
    language: str | None
    """None for all languages together."""
    n: int | None
    k: int
    alpha: float | None
    ci_low: float | None
    ci_high: float | None
    suppressed: bool
    caution: bool
    below_flag: bool


class Count(Base):
    """A count of responses; ``value`` is None when suppressed."""

    value: int | None
    suppressed: bool


class InvitationRate(Base):
    channel: str
    issued: int
    sent: int
    invited: int
    """The response rate's base: invitations texted, and links issued for print or mail
    (they have no sent event). An sms invitation never sent is nobody we invited (a
    person who texted us first, or a text that never went out)."""
    completed: Count
    """Completes among the ``invited`` only."""
    response_rate: float | None
    """``completed`` over ``invited`` (AAPOR). Whoever answered without an invitation
    (an open link, a text to us first) is in no rate. Open links have no response rate."""


class ResponseRate(Base):
    """Personal invitations of a wave by channel or by the language they were sent in;
    the fields mean what they do in ``InvitationRate``."""

    dimension: str
    """``channel`` or ``language``."""
    value: str
    issued: int
    sent: int
    invited: int
    completed: Count
    response_rate: float | None


class FieldworkSite(Base):
    site_id: int
    name: str
    target_n: int
    complete: Count
    partial: Count
    by_channel: dict[str, Count]
    by_language: dict[str, Count]
    invitations: list[InvitationRate]


class UnreviewedUse(Base):
    language: str
    reason: str
    at: datetime | None
    complete: Count


class WaveFieldwork(Base):
    wave: WaveRef
    sites: list[FieldworkSite]
    complete: Count
    partial: Count
    by_channel: dict[str, Count]
    by_language: dict[str, Count]
    completion_rate: float | None
    """Complete over started, among everyone who opened the survey (reported sites)."""
    response_rates: list[ResponseRate]
    duplicate_suspects: Count
    """Complete responses flagged as suspected duplicates, at the sites shown."""
    allow_unreviewed: bool
    unreviewed: list[UnreviewedUse]
    totals_note: str


class Families(Base):
    holm_tests: int
    bh_tests: int


class Report(Base):
    program_id: int
    program_name: str
    generated_at: datetime
    questionnaire: QuestionnaireRef
    pre: WaveRef
    post: WaveRef
    weighted: bool
    weighting_variables: list[str]
    exclude_duplicates: bool
    thresholds: Thresholds
    sites: list[SiteReport]
    state: list[PooledResult]
    did: list[ProgramDid]
    reliability: list[Reliability]
    fieldwork: list[WaveFieldwork]
    families: Families
    methods: str
    notes: list[str]


class MarginOut(Base):
    site_id: int
    site_name: str
    variable: str
    category: str
    population: float
    source: str
    uploaded_at: datetime


class MarginRowError(Base):
    row: int
    column: str
    reason: str


class MarginsImportOut(Base):
    rows: int
    sites: int
    variables: list[str]
