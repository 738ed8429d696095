"""Statistics for pre/post community surveys: pure functions over numpy arrays.

NaN means missing everywhere. Results are msgspec Structs (see
``analysis.results``), so they encode straight to JSON.
"""

from analysis.bootstrap import bootstrap_ci
from analysis.compare import compare_independent, compare_paired
from analysis.effects import diff_in_diff, pooled_effect
from analysis.frequency import compare_frequencies, diff_in_diff_frequencies
from analysis.multiplicity import adjust_pvalues
from analysis.power import mde, sample_size
from analysis.results import (
    BootstrapInterval,
    Contingency,
    CronbachAlpha,
    DiffInDiff,
    IndependentComparison,
    PairedComparison,
    PooledEffect,
)
from analysis.scales import cronbach_alpha, pomp, score_scale
from analysis.tables import contingency
from analysis.weights import effective_n, kish_deff, rake

__all__ = [
    "BootstrapInterval",
    "Contingency",
    "CronbachAlpha",
    "DiffInDiff",
    "IndependentComparison",
    "PairedComparison",
    "PooledEffect",
    "adjust_pvalues",
    "bootstrap_ci",
    "compare_frequencies",
    "compare_independent",
    "compare_paired",
    "contingency",
    "cronbach_alpha",
    "diff_in_diff",
    "diff_in_diff_frequencies",
    "effective_n",
    "kish_deff",
    "mde",
    "pomp",
    "pooled_effect",
    "rake",
    "sample_size",
    "score_scale",
]
