"""The WS array top against the array model, cycle by cycle, in the Amaranth simulator."""

import numpy as np
import pytest

from accelsim.errors import AccelsimInputError
from accelsim.sim.pe_model import PEConfig, array_latency_cycles
from accelsim.rtl.amaranth_sim import run_trace_amaranth
from accelsim.rtl.array import WSArray
from accelsim.rtl.stimulus import fold_from_matrix, random_array_trials
from accelsim.rtl.trace import StallPattern, array_trace
from accelsim.rtl.verify import compare_trace

CASES = [
    (PEConfig("dense", lanes=1), 1, 1),
    (PEConfig("dense", lanes=2, accumulator_bits=17), 2, 3),
    (PEConfig("nm", lanes=2, n=2, m=4, index_bits=2), 3, 2),
    (PEConfig("nm", lanes=3, n=3, m=8, index_bits=4), 2, 2),
    # the block WS array (compacted block-column slots, a_addr) is tested in test_rtl_arrays.py
]


@pytest.mark.parametrize("cfg,rows,cols", CASES, ids=lambda v: getattr(v, "kind", str(v)))
def test_array_matches_model(cfg, rows, cols):
    folds = random_array_trials(cfg, rows, cols, 12, seed=31)
    trace = array_trace(cfg, rows, cols, folds, seed=32)
    assert trace.model_results == trace.reference_results
    observed, _ = run_trace_amaranth(WSArray(cfg, rows, cols), trace)
    failed, first = compare_trace(trace, observed)
    assert first is None, str(first)


def test_array_latency_is_rows_plus_cols():
    cfg, rows, cols = PEConfig("dense", lanes=1), 3, 2
    W = np.array([[1, 2, 3], [4, 5, 6]])        # (cols, K = rows)
    A = np.array([[1, 0, -1], [2, 2, 2]])
    fold = fold_from_matrix(cfg, rows, cols, W, A)
    trace = array_trace(cfg, rows, cols, [fold], patterns=(StallPattern(),))
    assert trace.first_beat_cycles == ((3, 4),)      # after 3 weight-row writes
    assert trace.result_cycles == ((3 + 5 - 1, 4 + 5 - 1),)
    assert array_latency_cycles(rows, cols) == 5
    assert trace.reference_results == (tuple(tuple(int(x) for x in r) for r in A @ W.T),)
    observed, _ = run_trace_amaranth(WSArray(cfg, rows, cols), trace)
    assert compare_trace(trace, observed) == (set(), None)


def test_array_rejects_unstructured_and_bad_shape():
    with pytest.raises(AccelsimInputError, match="unstructured"):
        WSArray(PEConfig("unstructured", index_bits=4), 2, 2)
    with pytest.raises(AccelsimInputError, match="rows"):
        WSArray(PEConfig("dense"), 0, 2)
