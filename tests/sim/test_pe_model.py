"""Tests of the bit-true PE / array model and its timing rule (hand-computed and NumPy references)."""

import numpy as np
import pytest

from accelsim.errors import AccelsimInputError
from accelsim.sim.pe_model import (PIPELINE_DEPTH, ArrayInputs, Beat, PEConfig, PEInputs, PEModel,
                                   WSArrayModel, array_fold_cycles, pack_lanes, pe_beats, pe_cycles,
                                   pe_stream_cycles, unpack_lanes, wrap_signed)
from accelsim.spec import load_arch


# ----------------------------------------------------------------------------- helpers
def test_wrap_signed_hand_values():
    assert wrap_signed(127, 8) == 127
    assert wrap_signed(128, 8) == -128
    assert wrap_signed(255, 8) == -1
    assert wrap_signed(-129, 8) == 127
    assert wrap_signed(2**31, 32) == -2**31
    assert wrap_signed(-(2**40) - 5, 32) == -5


def test_pack_lanes_layout_and_roundtrip():
    # lane 0 in the low byte: -1 -> 0xff, 1 -> 0x01
    assert pack_lanes([-1, 1], 8) == 0x01FF
    assert pack_lanes([3, -2, 0], 4) == 0x0E3
    assert unpack_lanes(0x01FF, 8, 2) == (-1, 1)
    vals = (-128, 127, 0, -1, 5)
    assert unpack_lanes(pack_lanes(vals, 8), 8, 5) == vals


# ----------------------------------------------------------------------------- timing rule
def test_pe_beats_contract_values():
    assert pe_beats("dense", lanes=4, k=10) == 3          # ceil(10/4)
    assert pe_beats("dense", lanes=1, k=576) == 576
    assert pe_beats("nm", lanes=2, k=10, m=4) == 3        # ceil(10/4), trailing group zero-padded
    assert pe_beats("nm", lanes=2, k=576, m=4) == 144
    assert pe_beats("unstructured", lanes=2, nnz=5) == 3
    assert pe_beats("unstructured", lanes=1, nnz=0) == 0
    assert pe_beats("block", lanes=3, nonzero_blocks=3, block_cols=4) == 6   # 3 * ceil(4/3)


def test_pe_cycles_and_stream_cycles():
    assert PIPELINE_DEPTH == 2
    assert pe_cycles("dense", lanes=4, k=10) == 3 + 2
    assert pe_cycles("unstructured", lanes=1, nnz=0) == 1 + 2   # the empty beat carrying `last`
    assert pe_stream_cycles([3, 0, 2]) == 3 + 1 + 2 + 2
    assert pe_stream_cycles([]) == 0


def test_pe_cycles_accepts_numpy_arrays():
    nnz = np.array([0, 1, 5, 8])
    np.testing.assert_array_equal(pe_cycles("unstructured", lanes=2, nnz=nnz), [3, 3, 5, 6])
    np.testing.assert_array_equal(pe_beats("block", lanes=2, nonzero_blocks=nnz, block_cols=3),
                                  [0, 2, 10, 16])


def test_pe_beats_rejects_missing_counts():
    with pytest.raises(AccelsimInputError, match="nnz"):
        pe_beats("unstructured", lanes=1)
    with pytest.raises(AccelsimInputError, match="kind"):
        pe_beats("sparse", k=3)


# ----------------------------------------------------------------------------- configuration
def test_config_from_bundled_archs():
    cfg = PEConfig.from_arch(load_arch("nm24-ws-32x32"))
    assert (cfg.kind, cfg.n, cfg.m, cfg.lanes, cfg.index_bits) == ("nm", 2, 4, 2, 2)
    assert cfg.acts_per_beat == 4 and cfg.indices_per_beat == 2
    cfg = PEConfig.from_arch(load_arch("unstructured-os-32x32"))
    assert cfg.window_words == 256 and cfg.window_addr_bits == 8
    cfg = PEConfig.from_arch(load_arch("block4x4-ws-32x32"))
    assert cfg.window_words == 256 * 4 and cfg.beats_per_block == 4


def test_config_collects_every_problem():
    with pytest.raises(AccelsimInputError) as err:
        PEConfig("nm", weight_bits=1, lanes=3, n=2, m=4, index_bits=2)
    msg = str(err.value)
    assert "weight_bits: got 1" in msg and "lanes: got 3" in msg


def test_config_rejects_huge_window():
    with pytest.raises(AccelsimInputError, match="at most 4096 words"):
        PEConfig("unstructured", index_bits=13)


# ----------------------------------------------------------------------------- cycle behaviour
def _run(model, inputs):
    return [model.step(i) for i in inputs]


def test_single_output_hand_timeline():
    # K = 3, one lane: 2*5 + (-3)*6 + 4*(-7) = -36; beats in cycles 0..2,
    # product stage 1 cycle, result valid in cycle 0 + 3 + 2 - 1 = 4
    model = PEModel(PEConfig("dense", lanes=1))
    beats = [Beat((2,), acts=(5,)), Beat((-3,), acts=(6,)), Beat((4,), acts=(-7,), last=True)]
    outs = _run(model, [PEInputs(True, b) for b in beats] + [PEInputs()] * 3)
    assert [o.out_valid for o in outs] == [False, False, False, False, True, False]
    assert outs[4].out_data == -36
    assert all(o.in_ready for o in outs)


def test_back_to_back_outputs_clear_the_accumulator():
    model = PEModel(PEConfig("dense", lanes=2))
    seq = [Beat((1, 2), acts=(3, 4)), Beat((5, 0), acts=(6, 9), last=True),   # 3+8+30 = 41
           Beat((-1, -1), acts=(7, 7), last=True)]                            # -14
    outs = _run(model, [PEInputs(True, b) for b in seq] + [PEInputs()] * 3)
    valid = [i for i, o in enumerate(outs) if o.out_valid]
    assert valid == [3, 4]                  # 2 + 2 - 1 = 3; then 3 + 1
    assert [outs[i].out_data for i in valid] == [41, -14]


def test_back_pressure_holds_result_and_input():
    model = PEModel(PEConfig("dense", lanes=1))
    b = Beat((3,), acts=(3,), last=True)
    outs = _run(model, [PEInputs(True, b), PEInputs(), PEInputs(out_ready=False),
                        PEInputs(True, b, out_ready=False), PEInputs(True, b, out_ready=True),
                        PEInputs(), PEInputs(), PEInputs()])
    # cycle 2: result valid, consumer not ready -> in_ready low in cycles 2 and 3
    assert [o.out_valid for o in outs[:5]] == [False, False, True, True, True]
    assert [o.in_ready for o in outs[:5]] == [True, True, False, False, True]
    # the beat held in cycle 3 is only taken in cycle 4: its result is valid in cycle 6
    assert [o.out_valid for o in outs[5:]] == [False, True, False]
    assert outs[6].out_data == 9


def test_accumulator_wraps_like_numpy():
    cfg = PEConfig("dense", lanes=3, accumulator_bits=16)
    rng = np.random.default_rng(5)
    w = rng.integers(-128, 128, 300)
    a = rng.integers(-128, 128, 300)
    model = PEModel(cfg)
    beats = []
    for s in range(0, 300, 3):
        beats.append(Beat(tuple(int(x) for x in w[s:s + 3]), acts=tuple(int(x) for x in a[s:s + 3]),
                          last=s + 3 >= 300))
    outs = _run(model, [PEInputs(True, b) for b in beats] + [PEInputs()] * 2)
    total = int(np.dot(w.astype(np.int64), a.astype(np.int64)))
    expected = (total + 2**15) % 2**16 - 2**15
    assert outs[-1].out_valid and outs[-1].out_data == expected
    assert abs(total) > 2**15     # the test really wraps


def test_nm_index_selects_activation_and_out_of_range_is_zero():
    cfg = PEConfig("nm", lanes=2, n=2, m=4, index_bits=3)
    model = PEModel(cfg)
    acts = (10, 20, 30, 40)
    outs = _run(model, [PEInputs(True, Beat((1, 2), indices=(3, 1), acts=acts, last=True)),
                        PEInputs(True, Beat((1, 5), indices=(0, 6), acts=acts, last=True)),
                        PEInputs(), PEInputs()])
    assert outs[2].out_data == 40 + 40
    assert outs[3].out_data == 10          # index 6 >= M selects 0


def test_unstructured_window_is_written_at_the_clock_edge():
    cfg = PEConfig("unstructured", lanes=1, index_bits=2)
    model = PEModel(cfg)
    outs = _run(model, [PEInputs(act_write=(2, 7)),
                        PEInputs(True, Beat((3,), indices=(2,), last=True), act_write=(2, 100)),
                        PEInputs(), PEInputs()])
    assert outs[3].out_valid and outs[3].out_data == 21     # read 7, the write of 100 lands after
    assert model.window == (0, 0, 100, 0)


def test_block_lanes_past_block_width_are_masked():
    cfg = PEConfig("block", lanes=3, index_bits=1, block_rows=1, block_cols=4)
    model = PEModel(cfg)
    writes = [PEInputs(act_write=(4 + j, j + 1)) for j in range(4)]     # block column 1 = 1,2,3,4
    beats = [Beat((1, 1, 1), indices=(1,), sub=0), Beat((1, 99, 99), indices=(1,), sub=1, last=True)]
    outs = _run(model, writes + [PEInputs(True, b) for b in beats] + [PEInputs()] * 2)
    assert outs[-1].out_valid and outs[-1].out_data == 1 + 2 + 3 + 4


# ----------------------------------------------------------------------------- array model
def test_array_hand_example_2x3():
    cfg = PEConfig("dense", lanes=1)
    rows, cols = 2, 3
    model = WSArrayModel(cfg, rows, cols)
    W = np.array([[1, -2, 3], [4, 5, -6]])          # W[k, n]
    A = np.array([[1, 2], [3, -1], [0, 7], [-5, 2]])  # 4 vectors of K = 2
    ins = [ArrayInputs(weight_write=(r, tuple(((int(W[r, c]),), ()) for c in range(cols))))
           for r in range(rows)]
    ins += [ArrayInputs(True, tuple((int(v),) for v in A[i])) for i in range(4)]
    ins += [ArrayInputs()] * 6
    outs = [model.step(i) for i in ins]
    valid = [i for i, o in enumerate(outs) if o.o_valid]
    # vector i enters in cycle 2 + i and leaves in cycle 2 + i + rows + cols - 1
    assert valid == [6, 7, 8, 9]
    assert len(outs[:valid[-1] + 1]) == array_fold_cycles(rows, cols, 4) == 10
    np.testing.assert_array_equal([outs[i].o_data for i in valid], A @ W)


def test_array_rejects_unstructured():
    with pytest.raises(AccelsimInputError, match="unstructured"):
        WSArrayModel(PEConfig("unstructured", index_bits=4), 2, 2)


# ----------------------------------------------------------------------------- bulk, vs reference
MODES = [PEConfig("dense", lanes=1), PEConfig("dense", lanes=4, accumulator_bits=18),
         PEConfig("nm", lanes=2, n=2, m=4, index_bits=2), PEConfig("nm", lanes=3, n=3, m=8, index_bits=4),
         PEConfig("nm", lanes=5, n=5, m=16, index_bits=4), PEConfig("nm", lanes=1, n=1, m=2, index_bits=1),
         PEConfig("unstructured", lanes=1, index_bits=4), PEConfig("unstructured", lanes=3, index_bits=3),
         PEConfig("block", lanes=2, index_bits=2, block_rows=2, block_cols=3),
         PEConfig("block", lanes=4, index_bits=1, block_rows=4, block_cols=4),
         PEConfig("dense", lanes=2, weight_bits=4, activation_bits=6, accumulator_bits=10)]


@pytest.mark.parametrize("cfg", MODES, ids=lambda c: f"{c.kind}-l{c.lanes}-acc{c.accumulator_bits}")
def test_model_matches_reference_on_random_streams(cfg):
    from accelsim.rtl.stimulus import random_pe_trials
    from accelsim.rtl.trace import pe_trace
    trials = random_pe_trials(cfg, 150, seed=11)
    trace = pe_trace(cfg, trials, seed=12)
    assert trace.model_results == trace.reference_results


@pytest.mark.parametrize("cfg", MODES[:2] + MODES[2:4] + MODES[6:10],
                         ids=lambda c: f"{c.kind}-l{c.lanes}")
def test_latency_matches_formula_without_stalls(cfg):
    from accelsim.rtl.stimulus import WindowWrite, random_pe_trials
    from accelsim.rtl.trace import StallPattern, pe_trace
    trials = random_pe_trials(cfg, 60, seed=3, max_outputs=3)
    trace = pe_trace(cfg, trials, seed=4, patterns=(StallPattern(0.0, 0.0),))
    checked = 0
    for jobs, firsts, dones in zip(trials, trace.first_beat_cycles, trace.result_cycles):
        for job, first, done in zip(jobs, firsts, dones):
            events = list(job.events)
            first_beat = next(i for i, e in enumerate(events) if isinstance(e, Beat))
            # window writes after the first beat (reload between segments) each add one cycle,
            # and with lanes > 1 a segment's partial last beat adds beats over ceil(nnz/lanes)
            extra = sum(isinstance(e, WindowWrite) for e in events[first_beat:])
            assert done - first + 1 == max(job.stream_beats, 1) + PIPELINE_DEPTH + extra
            if extra == 0:
                assert done - first + 1 == max(job.beats, 1) + PIPELINE_DEPTH
                checked += 1
    assert checked > 20
