"""Synthetic pre/post survey data with known effects, for the demo, tests and benchmark.

The model, per respondent and construct::

    latent = base[construct] + site offset + age shift + g + e
             (+ secular trend + the site's injected effect, in the post wave)
    item   = clip(round(latent + u), scale min, scale max)

with g ~ N(0, 0.6) a person's general outlook (shared by every construct, and by
both waves for a panel member), e ~ N(0, 0.45) per construct and u ~ N(0, 0.65) per
item, so scales have realistic reliability. Younger people are sampled too rarely
and trust less, so raking to census-like age margins moves the estimates.

Because the expected observed score is E[clip(round(N(m, σ)))] averaged over the
sample's ages, ``expected_change`` gives the exact change the data were built to
show, which is what a recovery test should compare the report with (rounding
and the scale's ends shrink a latent shift a little).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import special

from survey.questionnaire import LikertItem, Questionnaire

AGE_BANDS = ("18_24", "25_34", "35_44", "45_54", "55_64", "65_74", "75_plus")
SAMPLE_AGE = (0.05, 0.10, 0.14, 0.17, 0.20, 0.19, 0.15)
"""Who answers: older residents, as in most community surveys."""
CENSUS_AGE = (0.12, 0.19, 0.18, 0.16, 0.16, 0.11, 0.08)
"""Who lives there (the demo's margins)."""
AGE_SHIFT = (-0.45, -0.3, -0.1, 0.0, 0.1, 0.2, 0.25)
GENDERS = ("woman", "man", "nonbinary")
SAMPLE_GENDER = (0.58, 0.40, 0.02)
CENSUS_GENDER = {"woman": 0.5, "man": 0.5}
LANGUAGES = ("en", "es", "vi", "zh_Hans", "ar")
LANGUAGE_SHARE = (0.70, 0.20, 0.04, 0.03, 0.03)
HOME_LANGUAGE = {
    "en": "english",
    "es": "spanish",
    "vi": "vietnamese",
    "zh_Hans": "chinese",
    "ar": "arabic",
}
SMS_SHARE = 0.35
PANEL_SHARE = 0.25
CONTACT_SHARE = 0.35
DONT_KNOW = 0.04
SD_PERSON, SD_CONSTRUCT, SD_ITEM = 0.6, 0.45, 0.65
SD_TOTAL = math.sqrt(SD_PERSON**2 + SD_CONSTRUCT**2 + SD_ITEM**2)
SECULAR = 0.1
"""A change every site sees, comparison sites too: what difference-in-differences removes."""

BASE = {
    "safety": 2.6,
    "worry": 2.3,
    "procedural_justice": 3.1,
    "lawfulness": 3.0,
    "trust": 3.1,
    "obligation": 3.6,
    "effectiveness": 3.0,
    "cooperation": 2.9,
    "self_help": 2.4,
    "encounter_pj": 3.3,
}
GATED = {"encounter_pj", "enc_satisfied"}
"""Asked only of people who had contact with the police (skip logic)."""

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SiteDesign:
    name: str
    n_pre: int
    n_post: int
    effects: Mapping[str, float] = field(default_factory=dict)
    """Construct id → injected latent change at post (beyond the secular trend)."""
    comparison: bool = False
    offset: float = 0.0


def clep_design(scale: float = 1.0) -> list[SiteDesign]:
    """The demo: the CLEP counties, effects at four sites, Cowlitz as comparison site,
    Okanogan too small to report. ``scale`` multiplies every site's sample size."""

    def n(value: int) -> int:
        return max(1, round(value * scale))

    return [
        SiteDesign("Spokane County", n(230), n(240), {"procedural_justice": 0.5}, offset=0.05),
        SiteDesign("Pierce County", n(210), n(220), {"safety": 0.4}, offset=-0.1),
        SiteDesign(
            "King County", n(260), n(270), {"trust": 0.5, "procedural_justice": 0.4}, offset=0.1
        ),
        SiteDesign("Okanogan County", 6, 7, offset=0.0),
        SiteDesign(
            "Yakima County", n(200), n(210), {"trust": 0.4, "cooperation": 0.35}, offset=-0.15
        ),
        SiteDesign("Cowlitz County", n(220), n(220), comparison=True, offset=0.0),
        SiteDesign("Clark County", n(190), n(200), offset=0.05),
        SiteDesign("Chelan-Douglas Counties", n(150), n(160), offset=0.0),
        SiteDesign("Walla Walla County", n(140), n(150), offset=-0.05),
        SiteDesign("Benton-Franklin Counties", n(180), n(170), offset=0.1),
        SiteDesign("Grant County", n(120), n(130), offset=-0.1),
        SiteDesign("Snohomish County", n(210), n(220), offset=0.0),
    ]


def expected_item_mean(mean: float, low: float, high: float, sd: float = SD_TOTAL) -> float:
    """E[clip(round(X), low, high)] for X ~ N(mean, sd), by the normal CDF per point."""
    points = np.arange(low, high + 1.0)
    upper = np.append((points[:-1] + 0.5 - mean) / sd, np.inf)
    lower = np.insert((points[1:] - 0.5 - mean) / sd, 0, -np.inf)
    probabilities = special.ndtr(upper) - special.ndtr(lower)
    return float(np.sum(points * probabilities))


def expected_score(
    design: SiteDesign, construct: str, post: bool, low: float, high: float
) -> float:
    """The expected observed scale score at a site and wave, over the sample's ages."""
    shift = design.offset + (SECULAR + design.effects.get(construct, 0.0) if post else 0.0)
    return sum(
        share * expected_item_mean(BASE[construct] + shift + age, low, high)
        for share, age in zip(SAMPLE_AGE, AGE_SHIFT, strict=True)
    )


def expected_change(design: SiteDesign, construct: str, low: float, high: float) -> float:
    """What the data were built to show: E[post score] − E[pre score]."""
    return expected_score(design, construct, True, low, high) - expected_score(
        design, construct, False, low, high
    )


@dataclass
class People:
    """The respondents of one site: who they are, reused by panel members in both waves."""

    age: IntArray
    gender: IntArray
    language: NDArray[np.str_]
    sms: NDArray[np.bool_]
    person: FloatArray


def people(rng: np.random.Generator, n: int) -> People:
    return People(
        age=rng.choice(len(AGE_BANDS), size=n, p=SAMPLE_AGE),
        gender=rng.choice(len(GENDERS), size=n, p=SAMPLE_GENDER),
        language=rng.choice(np.array(LANGUAGES), size=n, p=LANGUAGE_SHARE),
        sms=rng.random(n) < SMS_SHARE,
        person=rng.normal(0.0, SD_PERSON, n),
    )


def take(group: People, index: IntArray) -> People:
    return People(
        group.age[index],
        group.gender[index],
        group.language[index],
        group.sms[index],
        group.person[index],
    )


def join(a: People, b: People) -> People:
    return People(
        *(
            np.concatenate([getattr(a, f), getattr(b, f)])
            for f in ("age", "gender", "language", "sms", "person")
        )
    )


@dataclass
class Answers:
    """One site × wave: Likert values (NaN = don't know, absent = not asked) and codes."""

    values: dict[str, FloatArray]
    asked: dict[str, NDArray[np.bool_]]
    codes: dict[str, NDArray[np.str_]]


def answers(
    rng: np.random.Generator,
    q: Questionnaire,
    design: SiteDesign,
    group: People,
    *,
    post: bool,
    constructs: Sequence[str] | None = None,
) -> Answers:
    """Draw every respondent's answers from the model above."""
    from survey.questionnaire.scoring import scale_bounds

    n = group.age.size
    contact = rng.random(n) < CONTACT_SHARE
    values: dict[str, FloatArray] = {}
    asked: dict[str, NDArray[np.bool_]] = {}
    chosen = [
        c for c in q.constructs if c.id in BASE and (constructs is None or c.id in constructs)
    ]
    for construct in chosen:
        low, high = scale_bounds(q, construct)
        shift = design.offset + (SECULAR + design.effects.get(construct.id, 0.0) if post else 0.0)
        latent = (
            BASE[construct.id]
            + shift
            + np.asarray(AGE_SHIFT)[group.age]
            + group.person
            + rng.normal(0.0, SD_CONSTRUCT, n)
        )
        reverse = set(construct.reverse)
        for item_id in construct.items:
            x = np.clip(np.rint(latent + rng.normal(0.0, SD_ITEM, n)), low, high)
            if item_id in reverse:
                x = low + high - x
            item = q.item(item_id)
            if isinstance(item, LikertItem) and item.missing:
                x[rng.random(n) < DONT_KNOW] = np.nan
            values[item_id] = x
            if construct.id in GATED:
                asked[item_id] = contact
        if construct.id == "encounter_pj" and "enc_satisfied" in {i.id for i in q.items}:
            values["enc_satisfied"] = np.clip(np.rint(latent + rng.normal(0, SD_ITEM, n)), 1, 5)
            asked["enc_satisfied"] = contact
    codes = {
        "age_band": np.array(AGE_BANDS)[group.age],
        "gender": np.array(GENDERS)[group.gender],
        "contact_12m": np.where(contact, "yes", "no"),
        "home_language": np.array([HOME_LANGUAGE[lang] for lang in group.language]),
    }
    if constructs is None:
        codes["aware_program"] = rng.choice(
            np.array(["yes", "no", "not_sure"]),
            size=n,
            p=(0.3 + 0.15 * post, 0.55 - 0.15 * post, 0.15),
        )
    return Answers(values=values, asked=asked, codes=codes)


def demo_margins(designs: Sequence[SiteDesign], population: float = 100_000.0) -> str:
    """Census-like age and gender margins for every site, as the upload CSV."""
    lines = ["site,variable,category,population"]
    for d in designs:
        # Sites of different sizes, so population-weighted pooling differs from a plain mean.
        total = population * (1.0 + (len(d.name) % 7) / 10.0)
        lines += [
            f"{d.name},age_band,{band},{total * share:.0f}"
            for band, share in zip(AGE_BANDS, CENSUS_AGE, strict=True)
        ]
        age_total = sum(round(total * share) for share in CENSUS_AGE)
        lines += [
            f"{d.name},gender,{g},{age_total * share:.1f}" for g, share in CENSUS_GENDER.items()
        ]
    return "\n".join(lines) + "\n"
