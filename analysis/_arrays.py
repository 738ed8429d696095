"""Input coercion and ranking shared by the analysis modules."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

NAN = float("nan")


def vector(values: ArrayLike, name: str = "values") -> FloatArray:
    """Return ``values`` as a 1-D float array; NaN is kept (it means missing)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    return array


def matrix(values: ArrayLike, name: str = "items") -> FloatArray:
    """Return ``values`` as a 2-D float array; NaN is kept (it means missing).

    A DataFrame with nullable columns (pandas' ``Int64``, say) holds ``pd.NA``,
    which ``np.asarray(..., dtype=float)`` refuses; anything with ``to_numpy`` is
    asked for NaN in its place instead. Duck-typed so this package needs no pandas.
    """
    to_numpy = getattr(values, "to_numpy", None)
    if callable(to_numpy):
        array = np.asarray(to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    else:
        array = np.asarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a respondents × items array, got shape {array.shape}")
    return array


def answered(values: ArrayLike, name: str = "values") -> FloatArray:
    """Return the non-missing entries of ``values`` as a 1-D float array."""
    array = vector(values, name)
    return array[~np.isnan(array)]


def doubled_midranks(values: FloatArray) -> tuple[IntArray, IntArray]:
    """Twice the midranks (ties share their average rank), and the tie-group sizes.

    A midrank is always a multiple of one half, so doubling keeps ranks as
    integers and lets exact distributions count rank sums without rounding.
    """
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    doubled = (2 * ends - counts + 1).astype(np.int64)
    return doubled[inverse.reshape(-1)], counts.astype(np.int64)


def midranks(values: FloatArray) -> tuple[FloatArray, IntArray]:
    """Midranks (ties averaged) and the tie-group sizes."""
    doubled, counts = doubled_midranks(values)
    return doubled / 2.0, counts


def tie_term(counts: IntArray) -> float:
    """Σ(t³ − t) over tie groups, the quantity every tie correction uses."""
    sizes = counts.astype(np.float64)
    return float(np.sum(sizes**3 - sizes))
