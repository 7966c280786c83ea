"""prune / prune_with_report on arrays, layers and workloads: types, reports, errors, determinism."""

import numpy as np
import pytest

from accelsim.errors import AccelsimInputError
from accelsim.prune import PruneReport, parse_scheme, prune, prune_with_report
from accelsim.workload import Layer, Workload, conv_layer, linear_layer, matmul_layer

SCHEMES = ["unstructured:0.6", "unstructured:0.6:global", "nm:2:4", "nm:3:8", "block:2x2:0.5:pad",
           "channel:0.5", "channel:0.5:l2", "channel:0.5:shrink", "kernel:0.5"]


def _workload(seed=0):
    rng = np.random.default_rng(seed)
    return Workload("tiny", [
        conv_layer("conv1", in_channels=3, in_h=8, in_w=8, out_channels=8, kernel=3,
                   weight=rng.normal(size=(8, 3, 3, 3)).astype(np.float32)),
        matmul_layer("attn_qk", m=4, k=8, n=4, repeats=2),
        linear_layer("fc", in_features=16, out_features=6,
                     weight=rng.integers(-128, 128, size=(6, 16)).astype(np.int8)),
        linear_layer("shape_only", in_features=6, out_features=2),
    ])


@pytest.mark.parametrize("scheme", SCHEMES)
def test_workload_matmul_untouched_and_types(scheme):
    wl = _workload()
    originals = {layer.name: None if layer.weight is None else layer.weight.copy() for layer in wl}
    out, report = prune_with_report(wl, scheme)
    assert isinstance(out, Workload) and out is not wl
    assert [layer.name for layer in out] == [layer.name for layer in wl]
    assert out["attn_qk"] is wl["attn_qk"]
    assert out["shape_only"] is wl["shape_only"]
    for layer in wl:                                     # the input is never modified
        if layer.weight is not None:
            np.testing.assert_array_equal(layer.weight, originals[layer.name])
            assert out[layer.name].weight.dtype == layer.weight.dtype
    assert report.scheme == parse_scheme(scheme).name
    assert [e.name for e in report.layers] == ["conv1", "attn_qk", "fc", "shape_only"]
    assert report["attn_qk"].params == 0
    assert report["attn_qk"].notes == ("not applicable: no weight (matmul operands are activations)",)
    assert report["shape_only"].notes == ("not applicable: no weight (shape-only layer)",)
    # per-layer reached sparsity is the fraction of zeros against the original size
    for name in ("conv1", "fc"):
        entry = report[name]
        assert entry.params == wl[name].weight.size
        assert entry.nonzeros == np.count_nonzero(out[name].weight)
        assert entry.reached_sparsity == (entry.params - entry.nonzeros) / entry.params
    total = wl["conv1"].weight.size + wl["fc"].weight.size
    zeros = total - report["conv1"].nonzeros - report["fc"].nonzeros
    assert report.reached_sparsity == zeros / total
    assert isinstance(report, PruneReport)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_deterministic(scheme):
    a, ra = prune_with_report(_workload(3), scheme)
    b, rb = prune_with_report(_workload(3), parse_scheme(scheme))
    for la, lb in zip(a, b):
        if la.weight is not None:
            np.testing.assert_array_equal(la.weight, lb.weight)
    assert ra == rb


@pytest.mark.parametrize("scheme", [s for s in SCHEMES if "shrink" not in s])
def test_pruning_never_changes_a_kept_weight(scheme):
    wl = _workload(5)
    out = prune(wl, scheme)
    for layer in wl:
        if layer.weight is not None:
            new = out[layer.name].weight
            kept = new != 0
            np.testing.assert_array_equal(new[kept], layer.weight[kept])


def test_layer_returns_new_layer():
    layer = _workload()["conv1"]
    out, report = prune_with_report(layer, "nm:1:4")
    assert isinstance(out, Layer) and out is not layer
    assert (out.name, out.m, out.k, out.n, out.conv) == (layer.name, layer.m, layer.k, layer.n, layer.conv)
    assert len(report.layers) == 1 and report.layers[0].name == "conv1"
    mm = matmul_layer("mm", m=2, k=2, n=2)
    out, report = prune_with_report(mm, "nm:2:4")
    assert out is mm and report.params == 0 and report.reached_sparsity == 0.0


def test_report_target_and_dict():
    _, report = prune_with_report(np.arange(1.0, 9.0).reshape(2, 4), "nm:1:4")
    assert report.target_sparsity == 0.75
    assert report.to_dict() == {
        "scheme": "nm:1:4", "target_sparsity": 0.75, "reached_sparsity": 0.75, "params": 8,
        "nonzeros": 2,
        "layers": [{"name": "array", "target_sparsity": 0.75, "reached_sparsity": 0.75, "params": 8,
                    "nonzeros": 2, "shape_before": [2, 4], "shape_after": [2, 4], "notes": []}]}


def test_one_dimensional_array_is_one_row():
    out = prune(np.array([4.0, 3.0, 2.0, 1.0, 5.0, 6.0, 7.0, 8.0]), "nm:2:4")
    np.testing.assert_array_equal(out, [4.0, 3.0, 0.0, 0.0, 0.0, 0.0, 7.0, 8.0])


def _message(x, scheme="nm:2:4"):
    with pytest.raises(AccelsimInputError) as info:
        prune(x, scheme)
    return str(info.value)


def test_error_non_numeric_array():
    assert _message(np.array(["a", "b"])) == (
        "cannot prune weight\n"
        "  - weight.dtype: got '<U1'; allowed: a real integer or floating dtype, e.g. float32 or int8")
    assert _message(np.array([1 + 2j])) == (
        "cannot prune weight\n"
        "  - weight.dtype: got 'complex128'; allowed: a real integer or floating dtype, e.g. float32 or int8")
    assert _message(np.array([True, False])) == (
        "cannot prune weight\n"
        "  - weight.dtype: got 'bool'; allowed: a real integer or floating dtype, e.g. float32 or int8")


def test_error_zero_d_and_empty():
    expected = ("cannot prune weight\n"
                "  - weight.shape: got {}; allowed: an array with at least one dimension and at least "
                "one element")
    assert _message(np.array(3.0)) == expected.format("()")
    assert _message(np.zeros((0, 4))) == expected.format("(0, 4)")


def test_error_nan():
    assert _message(np.array([1.0, np.nan])) == (
        "cannot prune weight\n"
        "  - weight: got 'an array containing NaN'; allowed: finite or infinite numbers, no NaN")


def test_error_wrong_type():
    assert _message([1.0, 2.0]) == (
        "cannot prune the given object\n"
        "  - x: got 'list'; allowed: a numpy.ndarray, a Layer or a Workload")


def test_error_names_layer_in_workload():
    bad = Layer("bad", "linear", m=1, k=2, n=1, weight=np.array([["x", "y"]]))
    assert _message(Workload("w", [bad])) == (
        "cannot prune bad.weight\n"
        "  - bad.weight.dtype: got '<U1'; allowed: a real integer or floating dtype, e.g. float32 or int8")
