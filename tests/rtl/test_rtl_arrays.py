"""Array tops of every dataflow against their Python models, cycle by cycle (Amaranth simulator).

Expected results come from the stimulus's Python-integer dot products, never
from the models; latencies are checked against the formulas in docs/rtl.md by
counting cycles on hand-sized tiles.
"""

import numpy as np
import pytest

from accelsim.errors import AccelsimInputError
from accelsim.sim.array_model import (array_support, make_array_model, os_tile_cycles,
                                      systolic_fold_cycles)
from accelsim.sim.pe_model import PEConfig
from accelsim.rtl.amaranth_sim import run_trace_amaranth
from accelsim.rtl.arrays import make_array
from accelsim.rtl.arrays.stimulus import (block_ws_folds, full_width_array_trials,
                                          full_width_pe_trials, os_tile_from_matrix,
                                          random_array_stimulus, sys_fold_from_matrix)
from accelsim.rtl.arrays.trace import array_trace_for, os_trace
from accelsim.rtl.trace import StallPattern
from accelsim.rtl.verify import compare_trace

CFGS = {
    "dense": PEConfig("dense", lanes=1),
    "dense-2lanes": PEConfig("dense", lanes=2, accumulator_bits=17),
    "nm-2:4": PEConfig("nm", lanes=2, n=2, m=4, index_bits=2),
    "nm-1:4": PEConfig("nm", lanes=1, n=1, m=4, index_bits=3),
    "unstructured": PEConfig("unstructured", lanes=1, index_bits=3),
    "unstructured-2lanes": PEConfig("unstructured", lanes=2, index_bits=2, accumulator_bits=19),
    "block-2x2": PEConfig("block", lanes=1, index_bits=2, block_rows=2, block_cols=2),
    "block-2x4-2lanes": PEConfig("block", lanes=2, index_bits=2, block_rows=2, block_cols=4),
}
CASES = [(name, df, shape) for name, cfg in CFGS.items() for df in ("ws", "os", "is")
         if array_support(cfg.kind, df) is None for shape in ((1, 1), (2, 3))]


@pytest.mark.parametrize("name,dataflow,shape", CASES, ids=[f"{n}-{d}-{s[0]}x{s[1]}" for n, d, s in CASES])
def test_array_matches_model_and_reference(name, dataflow, shape):
    cfg, (rows, cols) = CFGS[name], shape
    stim = random_array_stimulus(cfg, dataflow, rows, cols, 10, seed=11)
    trace = array_trace_for(cfg, dataflow, rows, cols, stim, seed=12)
    assert trace.model_results == trace.reference_results
    observed, _ = run_trace_amaranth(make_array(cfg, dataflow, rows, cols), trace)
    failed, first = compare_trace(trace, observed)
    assert first is None and not failed, str(first)


def test_os_latency_is_beats_plus_rows():
    cfg, rows, cols = PEConfig("dense", lanes=1), 3, 2
    W = np.array([[1, 2, 3, 4], [-1, 0, 5, 7]])          # (cols, K)
    A = np.array([[1, 0, -1, 2], [2, 2, 2, 2], [-3, 1, 0, 9]])
    tile = os_tile_from_matrix(cfg, rows, cols, W, A)
    assert tile.expected == tuple(tuple(int(x) for x in r) for r in A @ W.T)
    trace = os_trace(cfg, rows, cols, [[tile]], patterns=(StallPattern(),))
    # beats in cycles 0..3; row r valid in cycle 4 + r; the last row is the (4 + 3)th cycle
    assert trace.first_beat_cycles == ((0,),) and trace.result_cycles == ((4 + rows - 1,),)
    assert os_tile_cycles(rows, 4) == 4 + rows == trace.result_cycles[0][0] + 1
    observed, _ = run_trace_amaranth(make_array(cfg, "os", rows, cols), trace)
    assert compare_trace(trace, observed) == (set(), None)


def test_os_short_tiles_wait_for_the_drain():
    """A tile shorter than the drain (T < rows) holds its last beat until the results are out."""
    cfg, rows, cols = PEConfig("dense", lanes=1), 4, 1
    tiles = [os_tile_from_matrix(cfg, rows, cols, [[1]], [[v], [v], [v], [v]]) for v in (1, 2, 3)]
    trace = os_trace(cfg, rows, cols, [tiles], patterns=(StallPattern(),))
    ready = [e[trace.out_ports.index("in_ready")] for e in trace.expected]
    # tile 1's beat in cycle 0; tiles 2, 3 wait until the previous drain's last row is taken
    assert trace.first_beat_cycles == ((0, 4, 8),)
    assert ready[1:4] == [0, 0, 0] and trace.model_results[0] == tuple((v,) for v in (1,) * 4 + (2,) * 4 + (3,) * 4)
    observed, _ = run_trace_amaranth(make_array(cfg, "os", rows, cols), trace)
    assert compare_trace(trace, observed) == (set(), None)


def test_os_unstructured_tile_lasts_as_long_as_its_most_loaded_column():
    cfg, rows, cols = PEConfig("unstructured", lanes=1, index_bits=3), 2, 3
    W = np.zeros((3, 8), dtype=np.int64)
    W[0, [1, 5]] = [3, -4]            # 2 nonzeros
    W[1, [0, 2, 3, 6, 7]] = 1         # 5 nonzeros: the most loaded column
    A = np.arange(16).reshape(2, 8) - 8
    tile = os_tile_from_matrix(cfg, rows, cols, W, A)
    writes = [e for e in tile.events if hasattr(e, "addr")]
    # only the activations some column needs are loaded (one per row per cycle): positions 0-3, 5-7
    assert [w.addr for w in writes] == [0, 1, 2, 3, 5, 6, 7]
    assert tile.beats == 5 and tile.expected == tuple(tuple(int(x) for x in r) for r in A @ W.T)


def test_block_ws_maps_only_stored_block_columns():
    cfg, rows, cols = PEConfig("block", lanes=1, index_bits=3, block_rows=2, block_cols=2), 2, 2
    K = 16                                            # 8 block columns; dense would need 8 folds
    W = np.zeros((2, K), dtype=np.int64)
    W[0, 6:8] = [5, -7]                               # block column 3
    W[1, 13] = 9                                      # block column 6
    A = np.arange(3 * K).reshape(3, K) - 20
    folds = block_ws_folds(cfg, rows, cols, W, A)
    assert len(folds) == 2                            # 2 stored block columns x 2 positions / 2 rows
    assert [f.bidx for f in folds] == [((3, 0), (3, 1)), ((6, 0), (6, 1))]
    total = np.sum([np.array(f.expected) for f in folds], axis=0)
    assert (total == A @ W.T).all()                  # the skipped blocks hold only zeros
    trace = array_trace_for(cfg, "ws", rows, cols, folds, seed=1)
    assert trace.model_results == trace.reference_results
    observed, _ = run_trace_amaranth(make_array(cfg, "ws", rows, cols), trace)
    assert compare_trace(trace, observed) == (set(), None)
    assert len(trace.first_beat_cycles[0]) == 3       # 3 pixels per fold


def test_systolic_fold_cycles():
    cfg, rows, cols = PEConfig("dense", lanes=1), 2, 3
    fold = sys_fold_from_matrix(cfg, "is", rows, cols, [[1, 2], [0, 0], [3, 4]], [[1, 1], [2, 2], [3, 3]])
    assert len(fold.vectors) == 2                     # the all-zero channel is skipped
    trace = array_trace_for(cfg, "is", rows, cols, [fold], seed=0)
    model = make_array_model(cfg, "is", rows, cols)
    assert model.cell_config.kind == "dense"
    # flat out (trial 0 has no bubbles or stalls): the last output in the fold's final cycle
    assert trace.result_cycles[0][-1] + 1 == systolic_fold_cycles(rows, cols, 2) == 2 * rows + cols + 1
    assert trace.reference_results == (((3, 6, 9), (7, 14, 21)),)


@pytest.mark.parametrize("name", ["dense", "nm-2:4", "unstructured", "block-2x2"])
def test_full_width_trials_exceed_24_bits(name):
    cfg = CFGS[name]
    pe = [job.expected for trial in full_width_pe_trials(cfg) for job in trial]
    assert max(abs(v) for v in pe) >= 1 << 24 and min(pe) < 0 < max(pe)
    tiles = full_width_array_trials(cfg, "os", 2, 2)
    sums = [v for trial in tiles for tile in trial for row in tile.expected for v in row]
    assert max(abs(v) for v in sums) >= 1 << 24 and min(sums) < 0 < max(sums)


def test_full_width_os_trials_run_on_the_rtl():
    cfg, rows, cols = CFGS["nm-2:4"], 2, 2
    trials = full_width_array_trials(cfg, "os", rows, cols)
    trace = array_trace_for(cfg, "os", rows, cols, trials, seed=4)
    assert trace.model_results == trace.reference_results
    observed, _ = run_trace_amaranth(make_array(cfg, "os", rows, cols), trace)
    assert compare_trace(trace, observed) == (set(), None)


def test_unstructured_ws_is_refused_with_the_reason():
    cfg = CFGS["unstructured"]
    assert "activation-supply rule" in array_support("unstructured", "ws")
    with pytest.raises(AccelsimInputError, match="dataflow: got 'ws'"):
        make_array(cfg, "ws", 2, 2)
    with pytest.raises(AccelsimInputError, match="activation-supply rule"):
        make_array_model(cfg, "ws", 2, 2)


def test_block_ws_lanes_must_divide_the_block_width():
    with pytest.raises(AccelsimInputError, match="lanes: got 3"):
        make_array(PEConfig("block", lanes=3, index_bits=2, block_rows=2, block_cols=4), "ws", 2, 2)


def test_ws_dense_folds_cannot_drive_the_block_array():
    from accelsim.rtl.stimulus import random_array_trials
    cfg = CFGS["block-2x2"]
    with pytest.raises(AccelsimInputError, match="block_ws_folds"):
        array_trace_for(cfg, "ws", 2, 2, random_array_trials(cfg, 2, 2, 2, seed=0))
