"""N:M, block and kernel pruning against loop-based references."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from accelsim.errors import AccelsimInputError
from accelsim.prune import prune, prune_with_report
from accelsim.workload import Workload, conv_layer, linear_layer
from prune_helpers import py_abs, ref_lowest, sparsities, weights


def _matrix(w):
    return w.reshape(1, -1) if w.ndim == 1 else w.reshape(w.shape[0], -1)


# ------------------------------------------------------------------ N:M
@st.composite
def _nm(draw):
    m = draw(st.integers(2, 16))
    return draw(st.integers(1, m - 1)), m


@settings(max_examples=150, deadline=None)
@given(w=weights(max_side=7), nm=_nm())
def test_nm_matches_per_group_sort(w, nm):
    n, m = nm
    out = prune(w, f"nm:{n}:{m}")
    assert out.shape == w.shape and out.dtype == w.dtype
    got, src = _matrix(out), _matrix(w)
    rows, k = src.shape
    for r in range(rows):
        for start in range(0, k, m):
            group = [py_abs(v) for v in src[r, start:start + m]]
            # the padded tail counts as zeros ranked below every real element, so a
            # group of L elements drops its max(0, L - n) smallest (ties: lower index first)
            drop = ref_lowest(group, max(0, len(group) - n))
            for j in range(len(group)):
                expected = 0 if j in drop else src[r, start + j]
                assert got[r, start + j] == expected
            assert np.count_nonzero(got[r, start:start + m]) <= n


def test_nm_2_4_by_hand():
    w = np.array([[0.1, -0.9, 0.5, 0.2, 3.0, -4.0, 1.0, 0.0, 7.0]])
    # groups [0.1 -0.9 0.5 0.2] keep -0.9, 0.5; [3 -4 1 0] keep 3, -4; tail [7] keeps 7
    expected = np.array([[0.0, -0.9, 0.5, 0.0, 3.0, -4.0, 0.0, 0.0, 7.0]])
    out, report = prune_with_report(w, "nm:2:4")
    np.testing.assert_array_equal(out, expected)
    assert report.layers[0].notes == (
        "reduction length 9 is not a multiple of M=4: the trailing group of 1 is treated as "
        "zero-padded to 4",)


def test_nm_runs_along_reduction_of_conv_layer():
    # conv weight (K=2, C=2, R=1, S=2): reduction = C*R*S = 4 consecutive in (c, r, s) order
    w = np.array([[[[1.0, 4.0]], [[3.0, 2.0]]], [[[8.0, 5.0]], [[6.0, 7.0]]]])
    layer = conv_layer("c", in_channels=2, in_h=3, in_w=3, out_channels=2, kernel=(1, 2), weight=w)
    out = prune(layer, "nm:2:4")
    expected = np.array([[[[0.0, 4.0]], [[3.0, 0.0]]], [[[8.0, 0.0]], [[0.0, 7.0]]]])
    np.testing.assert_array_equal(out.weight, expected)
    assert out is not layer and layer.weight[0, 0, 0, 0] == 1.0     # input untouched


# ------------------------------------------------------------------ block
@st.composite
def _block_case(draw):
    r, c = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    rows, cols = draw(st.integers(1, 4)) * r, draw(st.integers(1, 4)) * c
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int8]))
    arr = draw(st.lists(st.integers(-100, 100), min_size=rows * cols, max_size=rows * cols))
    return np.array(arr, dtype=dtype).reshape(rows, cols), r, c


def _block_reference(w, r, c, s):
    rows, cols = w.shape
    br, bc = -(-rows // r), -(-cols // c)
    norms = []
    for i in range(br):
        for j in range(bc):
            block = w[i * r:(i + 1) * r, j * c:(j + 1) * c].astype(np.float64)
            norms.append(float(np.sqrt(np.sum(block * block))))
    drop = ref_lowest(norms, int(round(s * br * bc)))
    keep = np.ones(w.shape, dtype=bool)
    for idx in drop:
        i, j = divmod(idx, bc)
        keep[i * r:(i + 1) * r, j * c:(j + 1) * c] = False
    return np.where(keep, w, 0).astype(w.dtype), keep


@settings(max_examples=120, deadline=None)
@given(case=_block_case(), s=sparsities)
def test_block_whole_lowest_norm_blocks(case, s):
    w, r, c = case
    out = prune(w, f"block:{r}x{c}:{s!r}")
    expected, keep = _block_reference(w, r, c, s)
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == w.dtype
    np.testing.assert_array_equal(out[keep], w[keep])   # kept weights unchanged


@settings(max_examples=80, deadline=None)
@given(w=weights(min_dims=2, max_dims=4), r=st.integers(1, 5), c=st.integers(1, 5), s=sparsities)
def test_block_pad_partial_edges(w, r, c, s):
    out = prune(w, f"block:{r}x{c}:{s!r}:pad")
    expected, _ = _block_reference(_matrix(w), r, c, s)
    np.testing.assert_array_equal(_matrix(out), expected)


def test_block_error_names_layer_shape_block_and_pad():
    layers = [linear_layer("fc1", in_features=6, out_features=4, weight=np.ones((4, 6))),
              linear_layer("fc2", in_features=4, out_features=8, weight=np.ones((8, 4))),
              linear_layer("fc3", in_features=4, out_features=3, weight=np.ones((3, 4)))]
    with pytest.raises(AccelsimInputError) as info:
        prune(Workload("w", layers), "block:4x4:0.5")
    assert str(info.value) == (
        "cannot apply block:4x4:0.5: the 4x4 block does not tile every weight matrix "
        "(rows = output channels, columns = reduction)\n"
        "  - layer 'fc1' weight matrix: got '4x6'; allowed: rows a multiple of 4 and columns a "
        "multiple of 4 to tile with 4x4 blocks\n"
        "  - layer 'fc3' weight matrix: got '3x4'; allowed: rows a multiple of 4 and columns a "
        "multiple of 4 to tile with 4x4 blocks\n"
        "add ':pad' (e.g. block:4x4:0.5:pad) to treat the edges as zero-padded partial blocks, "
        "ranked by the norm of their real elements")


def test_block_error_for_array():
    with pytest.raises(AccelsimInputError) as info:
        prune(np.ones((3, 3)), "block:2x1:0.5")
    assert str(info.value) == (
        "cannot apply block:2x1:0.5: the 2x1 block does not tile every weight matrix "
        "(rows = output channels, columns = reduction)\n"
        "  - array weight matrix: got '3x3'; allowed: rows a multiple of 2 and columns a "
        "multiple of 1 to tile with 2x1 blocks\n"
        "add ':pad' (e.g. block:2x1:0.5:pad) to treat the edges as zero-padded partial blocks, "
        "ranked by the norm of their real elements")


def test_block_pad_by_hand():
    # 3x3 matrix, 2x2 blocks, padded: blocks (norm^2) TL=1+1+1+1=4, TR=9+9=18, BL=25+25=50, BR=0.25
    w = np.array([[1.0, 1.0, 3.0], [1.0, 1.0, 3.0], [5.0, 5.0, 0.5]])
    out, report = prune_with_report(w, "block:2x2:0.5:pad")
    np.testing.assert_array_equal(out, [[0.0, 0.0, 3.0], [0.0, 0.0, 3.0], [5.0, 5.0, 0.0]])
    assert report.layers[0].notes == ("matrix 3x3 padded to 4x4: edge blocks are partial",)


# ------------------------------------------------------------------ kernel
@settings(max_examples=120, deadline=None)
@given(w=weights(min_dims=3, max_dims=4), s=sparsities)
def test_kernel_whole_taps_same_count_lowest_norm(w, s):
    out = prune(w, f"kernel:{s!r}")
    assert out.shape == w.shape and out.dtype == w.dtype
    k_out, c = w.shape[:2]
    taps = int(np.prod(w.shape[2:]))
    if taps == 1:
        np.testing.assert_array_equal(out, w)
        return
    count = int(round(s * taps))
    src = w.reshape(k_out, c, taps).astype(np.float64)
    got = out.reshape(k_out, c, taps)
    for k in range(k_out):
        norms = [float(np.sqrt(np.sum(src[k, :, t] ** 2))) for t in range(taps)]
        drop = ref_lowest(norms, count)
        for t in range(taps):
            if t in drop:
                assert not got[k, :, t].any()                 # the whole (k, :, t) tap is zero
            else:
                np.testing.assert_array_equal(got[k, :, t], w.reshape(k_out, c, taps)[k, :, t])


def test_kernel_not_applicable_notes():
    conv1x1 = conv_layer("pw", in_channels=2, in_h=4, in_w=4, out_channels=3, kernel=1,
                         weight=np.ones((3, 2, 1, 1)))
    fc = linear_layer("fc", in_features=4, out_features=2, weight=np.ones((2, 4)))
    out, report = prune_with_report(Workload("w", [conv1x1, fc]), "kernel:0.5")
    assert report["pw"].notes == ("not applicable: 1x1 kernel",)
    assert report["fc"].notes == ("not applicable: linear layer (no kernel taps)",)
    np.testing.assert_array_equal(out["pw"].weight, conv1x1.weight)
    np.testing.assert_array_equal(out["fc"].weight, fc.weight)
    _, report = prune_with_report(np.ones((3, 4)), "kernel:0.5")
    assert report.layers[0].notes == ("not applicable: 2-D weight has no kernel taps",)


def test_kernel_by_hand_each_filter_own_pattern():
    # K=2, C=1, 2x2 taps; filter 0 weakest taps are (0,0),(1,1); filter 1: (0,1),(1,0)
    w = np.array([[[[0.1, 5.0], [6.0, 0.2]]], [[[7.0, 0.3], [0.4, 8.0]]]])
    out = prune(w, "kernel:0.5")
    np.testing.assert_array_equal(out, [[[[0.0, 5.0], [6.0, 0.0]]], [[[7.0, 0.0], [0.0, 8.0]]]])
