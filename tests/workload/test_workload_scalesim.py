"""SCALE-Sim topology CSVs: both forms, the no-padding output-size rule, errors."""

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from accelsim.errors import AccelsimInputError
from accelsim.workload import load_workload
from accelsim.workload.scalesim_topology import parse_scalesim_topology

REPO = Path(__file__).resolve().parents[2]
CONV_HEADER = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, "
               "Num Filter, Strides,")


def _csv(tmp_path, text, name="topo.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_bundled_conv_example():
    w = load_workload(REPO / "workloads" / "scalesim" / "example_conv.csv", seed=0)
    assert w.name == "example_conv"
    conv1, conv2, dp, conv4, fc = w.layers
    # Conv1: (227 - 11) // 4 + 1 = 55 -> M = 55*55 = 3025, K = 3*11*11 = 363, N = 96
    assert (conv1.conv.out_h, conv1.m, conv1.k, conv1.n) == (55, 3025, 363, 96)
    assert conv1.conv.pad_h == 0
    # Conv2: 31 - 5 + 1 = 27 (SCALE-Sim's IFMAP already includes the 2-pixel padding)
    assert (conv2.m, conv2.k, conv2.n) == (27 * 27, 96 * 25, 256)
    # Conv3_DP: depthwise ("DP" in the name), 256 channels x 1 filter each, 13x13 out
    assert (dp.groups, dp.m, dp.k, dp.n) == (256, 169, 9, 1)
    assert dp.weight.shape == (256, 1, 3, 3)
    assert (conv4.m, conv4.k, conv4.n) == (169, 256, 384)
    assert (fc.m, fc.k, fc.n) == (1, 9216, 4096)
    # SCALE-Sim MAC rule: ofmap_h * ofmap_w * filter_h * filter_w * channels * num_filter
    assert conv1.macs == 55 * 55 * 11 * 11 * 3 * 96
    assert dp.macs == 13 * 13 * 3 * 3 * 1 * 256


def test_bundled_gemm_example_maps_m_n_k_columns():
    w = load_workload(REPO / "workloads" / "scalesim" / "example_gemm.csv")
    qkv = w["QKV"]  # row "QKV, 128, 2304, 768": M=128, N=2304, K=768 (K is the reduction)
    assert (qkv.kind, qkv.m, qkv.k, qkv.n) == ("linear", 128, 768, 2304)
    assert qkv.weight.shape == (2304, 768)
    assert (w["FFN2"].m, w["FFN2"].k, w["FFN2"].n) == (128, 3072, 768)
    assert w.macs == 128 * (768 * 2304 + 64 * 128 + 128 * 64 + 768 * 768 + 2 * 768 * 3072)


def test_gemm_form_without_trailing_commas_and_batch(tmp_path):
    w = load_workload(_csv(tmp_path, "Layer,M,N,K\nQKT,1024,1024,64\n"), batch=2)
    assert (w["QKT"].m, w["QKT"].k, w["QKT"].n) == (2048, 64, 1024)


def test_two_stride_columns_and_comments(tmp_path):
    text = ("Layer name, IFMAP height, IFMAP width, Filter height, Filter width, Channels, "
            "Num filter, Stride height, Stride width,\n"
            "\n"
            "\tA, 10, 9, 3, 2, 4, 5, 2, 3,   # a comment\n"
            "A, 7, 7, 7, 7, 1, 1, 1, 1,\n")
    w = parse_scalesim_topology(text, origin="t.csv")
    a, a2 = w.layers
    # SCALE-Sim rounds up: H: ceil((10 - 3) / 2) + 1 = 5; W: ceil((9 - 2) / 3) + 1 = 4
    assert (a.conv.out_h, a.conv.out_w, a.m, a.k, a.n) == (5, 4, 20, 4 * 3 * 2, 5)
    assert (a2.name, a2.m) == ("A#2", 1)


def test_sparsity_column_is_checked_and_warned_about(tmp_path):
    text = "Layer Name, M, N, K, Sparsity,\nG1, 3, 5, 16, 2:4,\nG2, 1, 5, 16, 4:4,\n"
    with pytest.warns(UserWarning, match="Sparsity column of 1 row"):
        w = load_workload(_csv(tmp_path, text))
    assert (w["G1"].m, w["G1"].k, w["G1"].n) == (3, 16, 5)
    with pytest.raises(AccelsimInputError, match="Sparsity"):
        parse_scalesim_topology("Layer, M, N, K, Sparsity,\nG, 1, 1, 1, 5:4,\n", origin="t")


@settings(max_examples=60, deadline=None)
@given(ifmap=st.integers(1, 40), filt=st.integers(1, 7), stride=st.integers(1, 5))
def test_output_size_follows_scalesim_ceil_rule(ifmap, filt, stride):
    # SCALE-Sim (topology_utils.py): ofmap = ceil((ifmap - filt + stride) / stride). Compare with
    # torch's unpadded conv on an input padded at the far edge just enough for the overhanging window.
    import torch
    assume(filt <= ifmap)
    text = f"{CONV_HEADER}\nL, {ifmap}, {ifmap + 1}, {filt}, {filt}, 2, 3, {stride},\n"
    layer = parse_scalesim_topology(text, origin="t").layers[0]
    expect = [math.ceil((n - filt + stride) / stride) for n in (ifmap, ifmap + 1)]
    assert [layer.conv.out_h, layer.conv.out_w] == expect
    extent = [(o - 1) * stride + filt for o in expect]
    out = torch.nn.functional.conv2d(torch.zeros(1, 2, *extent), torch.zeros(3, 2, filt, filt), stride=stride)
    assert list(out.shape[2:]) == expect
    if stride == 1 or (ifmap - filt) % stride == 0:   # where the two rules agree, nothing changed
        plain = torch.nn.functional.conv2d(torch.zeros(1, 2, ifmap, ifmap), torch.zeros(3, 2, filt, filt),
                                           stride=stride)
        assert layer.conv.out_h == plain.shape[2]
    assert layer.m == expect[0] * expect[1]


def test_errors_are_collected(tmp_path):
    text = (CONV_HEADER + "\n"
            "A, 10, 10, 3, 3, 4, x, 1,\n"      # non-integer
            "B, 10, 10, 3, 3, 4, 8,\n"         # too few fields
            "C, 2, 2, 3, 3, 4, 8, 1,\n"        # filter larger than ifmap
            "D, 10, 10, 3, 3, 4, 8, 0,\n")     # stride 0
    with pytest.raises(AccelsimInputError) as info:
        load_workload(_csv(tmp_path, text))
    fields = [p.field for p in info.value.problems]
    assert fields == ["line 2 (A).Num Filter", "line 3 (B)", "line 4 (C).Filter Height/Width",
                      "line 5 (D).Strides"]
    assert "SCALE-Sim" in str(info.value)


@pytest.mark.parametrize("text, match", [
    ("", "empty"),
    ("Layer, M, N, K,\n", "no layers"),
    ("Name, A, B,\nx, 1, 2,\n", "unrecognised header"),
])
def test_bad_files(tmp_path, text, match):
    with pytest.raises(AccelsimInputError, match=match):
        load_workload(_csv(tmp_path, text))
