"""Unstructured magnitude pruning: exact counts, largest kept, global threshold."""

import numpy as np
from hypothesis import given, settings, strategies as st

from accelsim.prune import prune, prune_with_report
from accelsim.workload import Workload, linear_layer, matmul_layer
from prune_helpers import py_abs, ref_lowest, sparsities, weights


@settings(max_examples=150, deadline=None)
@given(w=weights(), s=sparsities)
def test_unstructured_matches_reference(w, s):
    out = prune(w, f"unstructured:{s!r}")
    assert out.shape == w.shape and out.dtype == w.dtype
    flat = [py_abs(v) for v in w.ravel()]
    k = int(round(s * w.size))
    pruned = ref_lowest(flat, k)                      # Python sort, ties by flat index
    expected = w.ravel().copy()
    expected[sorted(pruned)] = 0
    np.testing.assert_array_equal(out.ravel(), expected)


@settings(max_examples=150, deadline=None)
@given(w=weights(), s=sparsities)
def test_unstructured_counts_and_order(w, s):
    out, report = prune_with_report(w, f"unstructured:{s!r}")
    k = int(round(s * w.size))
    zeros_before = int(np.sum(w == 0))
    # zeros are the smallest magnitudes, so they are pruned first: max(k, z) zeros remain
    assert int(np.sum(out == 0)) == max(k, zeros_before)
    if zeros_before == 0:
        assert report.layers[0].reached_sparsity == k / w.size
    kept = out != 0
    mag = np.abs(w.astype(np.float64))
    removed = (out == 0) & (w != 0)
    if kept.any() and removed.any():
        assert mag[kept].min() >= mag[removed].max()
    # a kept weight is never changed
    np.testing.assert_array_equal(out[kept], w[kept])


def test_int8_minus_128_is_the_largest_magnitude():
    w = np.array([[-128, 127, 1, -1]], dtype=np.int8)
    out = prune(w, "unstructured:0.75")
    np.testing.assert_array_equal(out, np.array([[-128, 0, 0, 0]], dtype=np.int8))


def test_ties_prune_lower_flat_index_first():
    w = np.array([[1.0, 1.0, 1.0, 2.0]])
    np.testing.assert_array_equal(prune(w, "unstructured:0.5"), [[0.0, 0.0, 1.0, 2.0]])


def test_rounding_is_python_round():
    # round(0.5 * 9) == 4 (ties to even), round(0.55 * 9) == round(4.95) == 5
    w = np.arange(1, 10, dtype=np.float64)
    assert np.sum(prune(w, "unstructured:0.5") == 0) == 4
    assert np.sum(prune(w, "unstructured:0.55") == 0) == 5


@st.composite
def _workloads(draw):
    n_layers = draw(st.integers(1, 4))
    layers = []
    for i in range(n_layers):
        arr = draw(weights(min_dims=2, max_dims=2))
        layers.append(linear_layer(f"fc{i}", in_features=arr.shape[1], out_features=arr.shape[0], weight=arr))
        if draw(st.booleans()):
            layers.append(matmul_layer(f"mm{i}", m=2, k=3, n=4))
    return Workload("w", layers)


@settings(max_examples=100, deadline=None)
@given(wl=_workloads(), s=sparsities)
def test_global_threshold(wl, s):
    out, report = prune_with_report(wl, f"unstructured:{s!r}:global")
    weighted = [layer for layer in wl if layer.weight is not None]
    flat = [py_abs(v) for layer in weighted for v in layer.weight.ravel()]
    total = len(flat)
    k = int(round(s * total))
    pruned = ref_lowest(flat, k)          # ties: earlier layer, then lower flat index
    expected = np.concatenate([layer.weight.ravel() for layer in weighted]).astype(np.float64)
    expected[sorted(pruned)] = 0
    got = np.concatenate([out[layer.name].weight.ravel() for layer in weighted]).astype(np.float64)
    np.testing.assert_array_equal(got, expected)
    for layer in wl:
        if layer.weight is None:
            assert out[layer.name] is layer
        else:
            assert out[layer.name].weight.dtype == layer.weight.dtype
    # overall reached sparsity is weighted by parameter count
    zeros = sum(int(np.sum(out[layer.name].weight == 0)) for layer in weighted)
    assert report.params == total
    assert abs(report.reached_sparsity - zeros / total) < 1e-12


def test_global_differs_from_per_layer():
    small = linear_layer("small", in_features=2, out_features=2, weight=np.array([[1.0, 2.0], [3.0, 4.0]]))
    big = linear_layer("big", in_features=2, out_features=2, weight=np.array([[10.0, 20.0], [30.0, 40.0]]))
    wl = Workload("w", [small, big])
    out = prune(wl, "unstructured:0.5:global")
    np.testing.assert_array_equal(out["small"].weight, np.zeros((2, 2)))
    np.testing.assert_array_equal(out["big"].weight, big.weight)
    per_layer = prune(wl, "unstructured:0.5")
    np.testing.assert_array_equal(per_layer["small"].weight, [[0.0, 0.0], [3.0, 4.0]])
