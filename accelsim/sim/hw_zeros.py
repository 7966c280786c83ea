"""Zeros as the hardware sees them: the nonzero pattern of a layer's weights after int quantisation.

The PE and the RTL multiply ``weight_bits``-wide integers, not floats. The
functional mode (:func:`accelsim.sim.functional.functional_layer`) turns a
real weight tensor into integers with :func:`accelsim.sim.quantize.quantize_symmetric`
(one scale per tensor, ``q = clip(rint(x / scale))``), so a float weight whose
magnitude is at most half a quantisation step becomes ``0`` and a
zero-skipping PE skips it. Timing and traffic count those zeros too:
:func:`hardware_nonzero_view` gives the simulator's weight scans a view in
which exactly the nonzero integer weights are nonzero.

* Float weights: nonzero iff ``rint(x / scale) != 0``, i.e. ``|x / scale| > 0.5``
  (``numpy.rint`` rounds half to even, so ``+-0.5`` steps go to 0), with the
  float64 division :func:`quantize_symmetric` does. Since that division is
  monotone, it is one comparison ``|x| > t`` against a threshold found once
  per tensor (:func:`_zero_threshold`). ``0.0`` and ``-0.0`` are zeros. A
  tensor whose scale would be subnormal (all zeros) is all zeros.
* Integer and bool weights are already what the hardware holds (the
  functional mode checks they fit ``weight_bits``): nonzero iff ``!= 0``.
"""

from __future__ import annotations

import numpy as np

from accelsim.errors import AccelsimInputError, Problem
from accelsim.sim.quantize import symmetric_max

__all__ = ["hardware_nonzero_view", "quantized_nonzero_mask", "hardware_weights"]


def _zero_threshold(scale: float) -> float:
    """Largest float64 ``t`` with ``rint(t / scale) == 0``: ``|x| > t`` iff ``rint(x / scale) != 0``.

    Correctly rounded division is monotone in ``x``, so one threshold splits
    the zeros from the nonzeros; it starts at ``0.5 * scale`` and is moved by
    single ulps until ``t / scale <= 0.5 < nextafter(t) / scale`` in float64,
    exactly as :func:`~accelsim.sim.quantize.quantize_symmetric` divides.
    """
    t = 0.5 * scale
    while t / scale > 0.5:
        t = np.nextafter(t, -np.inf)
    while np.nextafter(t, np.inf) / scale <= 0.5:
        t = np.nextafter(t, np.inf)
    return float(t)


def _as_dtype_threshold(t: float, dtype) -> np.generic:
    """The largest value of ``dtype`` that is ``<= t`` (so ``|x| > it`` iff ``|x| > t`` for ``x`` of ``dtype``)."""
    v = dtype.type(t)
    if float(v) > t:
        v = np.nextafter(v, dtype.type(-np.inf))
    return v


def quantized_nonzero_mask(matrix: np.ndarray, weight_bits: int, name: str = "weight") -> np.ndarray:
    """Mask (uint8, same shape, C order) of the float weights that quantise to a nonzero integer.

    Parameters
    ----------
    matrix : numpy.ndarray
        Float weights.
    weight_bits : int
        Width of :func:`accelsim.sim.quantize.quantize_symmetric`, 2 to 32.
    name : str
        Layer name, for the error message.

    Raises
    ------
    AccelsimInputError
        If a weight is NaN or infinite (it has no integer code).
    """
    qmax = symmetric_max(int(weight_bits))
    arr = np.ascontiguousarray(matrix)
    if arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    flat = arr.reshape(-1)
    if flat.size == 0:
        return np.zeros(arr.shape, dtype=np.uint8)
    amax = max(float(flat.max()), -float(flat.min()))          # NaN and inf propagate
    if not np.isfinite(amax):
        bad = int(np.count_nonzero(~np.isfinite(flat)))
        raise AccelsimInputError(f"cannot simulate layer {name!r}",
                                 [Problem(f"{name}.weight", f"{bad} NaN or infinite value(s)",
                                          "finite weights (they are quantised to "
                                          f"{int(weight_bits)}-bit integers)")])
    scale = amax / qmax
    if scale < np.finfo(np.float64).tiny:
        return np.zeros(arr.shape, dtype=np.uint8)
    threshold = _as_dtype_threshold(_zero_threshold(scale), flat.dtype)
    return (np.abs(arr) > threshold).view(np.uint8)


def hardware_nonzero_view(matrix: np.ndarray, weight_bits: int, name: str) -> np.ndarray:
    """C-contiguous view whose nonzero elements are the weights the hardware holds as nonzero.

    Float weights go through :func:`quantized_nonzero_mask` (``weight_bits``
    per-tensor symmetric quantisation); integer and bool weights through
    :func:`accelsim.sim.sparse_timing.raw_bits_view` (used as they are).
    """
    from accelsim.sim.sparse_timing import raw_bits_view

    arr = np.asarray(matrix)
    if arr.dtype.kind == "f":
        return quantized_nonzero_mask(arr, weight_bits, name)
    return raw_bits_view(arr, name)


def hardware_weights(workload, weight_bits: int):
    """The workload with every float weight replaced by its ``weight_bits`` integers (what the PE holds).

    Each tensor is quantised with :func:`~accelsim.sim.quantize.quantize_symmetric`
    (per tensor, as the functional mode does) and stored in the smallest
    signed integer dtype that holds it; integer weights and layers without
    weights are kept. Encoding the result counts the same zeros as the
    simulator's timing and traffic.
    """
    from accelsim.sim.quantize import quantize_symmetric

    dtype = np.int8 if weight_bits <= 8 else np.int16 if weight_bits <= 16 else np.int32
    layers = []
    for layer in workload.layers:
        if layer.weight is not None and np.asarray(layer.weight).dtype.kind == "f":
            q, _ = quantize_symmetric(layer.weight, weight_bits)
            layer = layer.with_weight(q.astype(dtype))
        layers.append(layer)
    return workload.with_layers(layers)
