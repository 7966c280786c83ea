"""Fold schedule: dense cycles against SCALE-Sim's closed form, derived by hand."""

import numpy as np
import pytest

from accelsim.sim import simulate
from accelsim.sim.schedule import schedule_is, schedule_os, schedule_ws
from accelsim.workload import conv_layer, linear_layer, matmul_layer

from simtools import make_arch

# conv 3x3, 4 -> 10 channels, 6x6 input, no padding: output 4x4, so the GEMM is
# M = 16 pixels, K = 4*3*3 = 36, N = 10. Array 8 rows x 4 columns.
CONV = dict(in_channels=4, in_h=6, in_w=6, out_channels=10, kernel=3)


@pytest.mark.parametrize("dataflow, expected", [
    # WS: Sr=K=36 -> 5 row folds, Sc=N=10 -> 3 column folds; fold = 2R + C + T - 2
    #     = 16 + 4 + 16 - 2 = 34; 15 * 34 - 1 = 509
    ("ws", 509),
    # OS: Sr=M=16 -> 2, Sc=N=10 -> 3; fold = T + R + C - 2 = 36 + 8 + 4 - 2 = 46; 6 * 46 - 1 = 275
    ("os", 275),
    # IS: Sr=K=36 -> 5, Sc=M=16 -> 4; fold = 2R + C + T - 2 = 16 + 4 + 10 - 2 = 28; 20 * 28 - 1 = 559
    ("is", 559),
])
def test_dense_conv_equals_scalesim_closed_form(dataflow, expected):
    result = simulate(conv_layer("c", **CONV), make_arch(8, 4, dataflow))
    layer = result.layers[0]
    assert layer.cycles == layer.compute_cycles == expected
    assert layer.stall_cycles == 0


def test_fold_counts_follow_the_dataflow_mapping():
    beats = np.full((1, 10), 36, dtype=np.int64)
    assert schedule_ws(beats, 16, 8, 4).num_folds == 5 * 3
    assert schedule_os(beats, 16, 8, 4).num_folds == 2 * 3
    vectors = np.full((1, 5), 10, dtype=np.int64)
    assert schedule_is(vectors, 36, 16, 8, 8, 4).num_folds == 5 * 4


def test_linear_layer_is_a_one_pixel_gemm():
    # M=1 token, K=40, N=10 on 8x8 WS: 5 row folds x 2 column folds of 2*8+8+1-2 = 23 cycles
    result = simulate(linear_layer("fc", in_features=40, out_features=10), make_arch(8, 8, "ws"))
    assert result.total.cycles == 10 * 23 - 1


def test_groups_run_one_after_another_each_with_scalesim_minus_one():
    # depthwise 3x3 conv over 3 channels, 5x5 input -> 3x3 output: per group M=9, K=9, N=1.
    # OS on 4x4: ceil(9/4)=3 row folds x 1 column fold of 9+4+4-2 = 15 cycles -> 45 - 1 = 44 per group
    layer = conv_layer("dw", in_channels=3, in_h=5, in_w=5, out_channels=3, kernel=3, groups=3)
    assert simulate(layer, make_arch(4, 4, "os")).total.cycles == 3 * 44


def test_matmul_repeats_are_groups():
    # Q @ K^T per head: M=4, K=8, N=4, 2 heads, WS on 4x4: 2 row folds x 1 col fold of
    # 2*4+4+4-2 = 14 -> 27 per head
    layer = matmul_layer("qk", m=4, k=8, n=4, repeats=2)
    assert simulate(layer, make_arch(4, 4, "ws")).total.cycles == 2 * 27


def test_os_skips_a_column_group_whose_weights_are_all_zero():
    # 8 channels on 4 columns: the second column group is all zero and is skipped.
    beats = np.array([[5, 5, 5, 5, 0, 0, 0, 0]], dtype=np.int64)
    s = schedule_os(beats, 4, 4, 4)
    assert s.num_folds == 1
    assert s.compute_cycles == (5 + 4 + 4 - 2) - 1


def test_ws_row_folds_set_by_the_most_loaded_column():
    # column group 0 needs 9 rows (3 folds of 4), column group 1 needs 2 rows (1 fold)
    beats = np.array([[1, 9, 0, 2, 2, 1]], dtype=np.int64)
    s = schedule_ws(beats, 3, 4, 3)
    assert s.cg_folds.tolist() == [3, 1]
    fold = 2 * 4 + 3 + 3 - 2
    assert s.fold_cycles.tolist() == [fold] * 4
    assert s.compute_cycles == 4 * fold - 1
