"""Multiple-comparison adjustment of p-values: Holm and Benjamini–Hochberg."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from analysis._arrays import FloatArray, vector

Method = Literal["holm", "bh"]


def adjust_pvalues(p: ArrayLike, method: Method) -> FloatArray:
    """Adjusted p-values in the input order.

    ``"holm"`` controls the family-wise error rate (step-down Holm);
    ``"bh"`` controls the false discovery rate (Benjamini–Hochberg step-up).
    NaN entries stay NaN in place and do not count towards the family size.
    Adjusted values are monotone in the raw ones and capped at 1.
    """
    # Checked before the data, so a typo fails even for an empty or all-NaN family.
    if method not in ("holm", "bh"):
        raise ValueError(f"method must be 'holm' or 'bh', got {method!r}")
    raw = vector(p, "p")
    if np.any((raw < 0) | (raw > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    adjusted = np.full(raw.shape, np.nan)
    present = np.flatnonzero(~np.isnan(raw))
    m = present.size
    if m == 0:
        return adjusted
    # A stable sort keeps tied p-values in input order, so ties get equal
    # adjusted values once the running max/min is applied.
    order = present[np.argsort(raw[present], kind="stable")]
    ordered = raw[order]
    position = np.arange(1, m + 1, dtype=np.float64)
    if method == "holm":
        stepped = np.maximum.accumulate(ordered * (m - position + 1))
    else:  # "bh"
        # m / position is at least 1 before it multiplies, so rounding cannot
        # push an adjusted p below its raw value.
        stepped = np.minimum.accumulate((ordered * (m / position))[::-1])[::-1]
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted
