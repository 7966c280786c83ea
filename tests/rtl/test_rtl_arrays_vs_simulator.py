"""The array tops' timing against the timing simulator's folds (docs/rtl.md, "Agreement with the simulator").

The beats an RTL tile or fold streams come from the stimulus (which the
RTL is verified on, cycle by cycle); the simulator's folds come from
``accelsim.sim.schedule``. Relations checked:

* OS: a tile streams ``fold - (rows + cols - 2)`` beats, the simulator's
  ``T = max over the column group of the channels' beats`` (dense, unstructured
  with ``K <= window``, block); the RTL's tile lasts ``T + rows`` cycles.
* IS: a fold streams the simulator's ``T`` (the channels with a stored weight).
* Block WS: the RTL maps the block columns some channel of the column group
  stores; the simulator assumes per-channel compaction, so the RTL needs at
  least the simulator's row folds, exactly as many when the group's channels
  share one block row.
"""

import numpy as np
import pytest

from accelsim.formats.spec import parse_format
from accelsim.sim.pe_model import PEConfig
from accelsim.sim.schedule import build_schedule
from accelsim.sim.sparse_timing import raw_bits_view, timing_rule, weight_profile
from accelsim.spec import arch_from_dict
from accelsim.workload import linear_layer
from accelsim.rtl.arrays.stimulus import block_ws_folds, os_tile_from_matrix, sys_fold_from_matrix


def _arch(kind, dataflow, rows, cols, **pe):
    return arch_from_dict({
        "name": f"agree-{kind}-{dataflow}", "array": {"rows": rows, "cols": cols}, "dataflow": dataflow,
        "precision": {"weight_bits": 8, "activation_bits": 8, "accumulator_bits": 32},
        "pe": {"sparsity": kind, **pe},
        "buffers": {"weight_kib": 64, "input_kib": 64, "output_kib": 64},
        "dram": {"bandwidth_bytes_per_cycle": "unlimited"}})


def _schedule(arch, w, pixels):
    layer = linear_layer("fc", in_features=w.shape[1], out_features=w.shape[0], tokens=pixels, weight=w)
    rule, _ = timing_rule(arch, parse_format(arch.sparsity.native_format))
    profile = weight_profile(layer, rule, arch.array.rows, arch.array.cols, arch.dataflow,
                             raw_bits_view(layer.weight_matrix(), layer.name))
    return build_schedule(arch.dataflow, profile, pixels, arch.array.rows, arch.array.cols, rule.lanes)


def _weights(rng, kind, n, k, block=None):
    w = rng.integers(-128, 128, size=(n, k))
    w[w == 0] = 1
    if kind == "unstructured":
        w[rng.random((n, k)) < rng.choice([0.2, 0.6, 0.9], size=(n, 1))] = 0
    if kind == "block":
        br, bc = block
        grid = rng.random((-(-n // br), -(-k // bc))) < 0.4
        w[~np.kron(grid, np.ones((br, bc), dtype=bool))[:n, :k]] = 0
    return w


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("kind,pe", [("dense", {}), ("unstructured", {"index_bits": 6}),
                                     ("block", {"block": "2x2", "index_bits": 4})])
def test_os_tile_beats_are_the_simulators_stream(kind, pe, seed):
    rng = np.random.default_rng(seed)
    rows, cols, k, pixels = 3, 4, int(rng.integers(8, 33)), 3
    arch = _arch(kind, "os", rows, cols, **pe)
    cfg = PEConfig.from_arch(arch)
    w = _weights(rng, kind, cols, k, (2, 2))
    sched = _schedule(arch, w, pixels)
    a = rng.integers(-128, 128, size=(pixels, k))
    stored = None
    if kind == "block":   # BSR stores a block when any row of its block row has a nonzero in it
        stored = [[b for b in range(-(-k // 2)) if np.any(w[(c // 2) * 2:(c // 2) * 2 + 2, 2 * b:2 * b + 2])]
                  for c in range(cols)]
    tile = os_tile_from_matrix(cfg, rows, cols, w, a, stored_blocks=stored)
    if sched.num_folds == 0:                      # all weights zero: the simulator skips the fold
        assert tile.beats == 1                    # the RTL streams one empty beat
        return
    assert sched.num_folds == 1
    assert tile.beats == int(sched.fold_cycles[0]) - (rows + cols - 2)


@pytest.mark.parametrize("seed", range(3))
def test_is_fold_streams_the_channels_with_a_stored_weight(seed):
    rng = np.random.default_rng(seed)
    rows, cols, n = 4, 3, 6
    arch = _arch("unstructured", "is", rows, cols, index_bits=4)
    cfg = PEConfig.from_arch(arch)
    w = _weights(rng, "unstructured", n, rows, None)
    w[int(rng.integers(0, n))] = 0                # one channel with nothing to stream
    sched = _schedule(arch, w, cols)
    fold = sys_fold_from_matrix(cfg, "is", rows, cols, w, rng.integers(-128, 128, size=(cols, rows)))
    assert len(fold.vectors) == int(sched.fold_cycles[0]) - (2 * rows + cols - 2)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("block_rows", [1, 4])
def test_block_ws_folds_against_the_simulators_row_folds(seed, block_rows):
    rng = np.random.default_rng(seed)
    rows, cols, k = 4, 4, 32
    arch = _arch("block", "ws", rows, cols, block=f"{block_rows}x2", index_bits=4)
    cfg = PEConfig.from_arch(arch)
    w = _weights(rng, "block", cols, k, (block_rows, 2))
    w[0, :2] = 5                                  # at least one stored block
    sched = _schedule(arch, w, 2)
    folds = block_ws_folds(cfg, rows, cols, w, rng.integers(-128, 128, size=(2, k)))
    assert len(folds) >= sched.num_folds
    if block_rows == cols:                        # one block row per column group: no union loss
        assert len(folds) == sched.num_folds
