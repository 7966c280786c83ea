"""Hypothesis strategies and slow, loop-based reference pruners for the prune tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = ["weights", "sparsities", "ref_lowest", "py_abs"]

DTYPES = (np.float32, np.float64, np.int8)


def _elements(dtype):
    if dtype == np.int8:
        return st.integers(-128, 127)
    width = 32 if dtype == np.float32 else 64
    return st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=width)


@st.composite
def weights(draw, min_dims=1, max_dims=4, max_side=6):
    """Random weight arrays: float32 / float64 / int8, 1-D to 4-D (conv KCRS included)."""
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side))
    return draw(hnp.arrays(dtype, shape, elements=_elements(dtype)))


sparsities = st.floats(0.0, 0.99, allow_nan=False, exclude_max=False)


def py_abs(x) -> float:
    """|x| with Python numbers (no int8 overflow)."""
    return abs(float(x))


def ref_lowest(scores, k):
    """Indices of the k lowest scores, ties broken by lower index first (Python sort)."""
    order = sorted(range(len(scores)), key=lambda i: (scores[i], i))
    return set(order[:k])
