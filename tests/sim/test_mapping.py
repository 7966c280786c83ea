"""The mapping space, its cost model and the mapper (accelsim.sim.mapping)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from accelsim.energy import per_event_energies_pj
from accelsim.sim import simulate
from accelsim.sim.mapping import (ORDERS, ROLES, candidates, evaluate, map_layer, mapping_problem,
                                  objective_values, tile_options)
from accelsim.sim.memory import LayerOperands
from accelsim.sim.schedule import build_schedule
from accelsim.sim.sparse_timing import TimingRule, weight_profile
from accelsim.workload import Layer

from simtools import make_arch


def _fc(m, k, n, groups=1):
    return Layer(name="fc", kind="linear", m=m, k=k, n=n, groups=groups)


def _problem(layer, arch, dataflow):
    """The mapper's view of a dense layer, built the way simulate builds it."""
    rows, cols = arch.array.rows, arch.array.cols
    prof = weight_profile(layer, TimingRule("dense", 1), rows, cols, dataflow, None)
    sched = build_schedule(dataflow, prof, layer.m, rows, cols, 1)
    g, m, n, k = layer.groups, layer.m, layer.n, layer.k
    ops = LayerOperands(m, n, k, g, g * n * k * 8, 0, prof.stored, prof.is_vectors, prof.is_rows,
                        prof.union.reshape(-1), g * m * k * 8, 8, 32)
    prices = per_event_energies_pj(arch)
    macs = g * m * n * k
    return mapping_problem(sched, ops, arch, prices, macs * prices["macs"], macs), sched


# ----------------------------------------------------------------------------- the space
def test_tile_options_halve_down_to_one():
    assert tile_options(1).tolist() == [1]
    assert tile_options(9).tolist() == [9, 5, 3, 2, 1]
    assert tile_options(64).tolist() == [64, 32, 16, 8, 4, 2, 1]
    assert tile_options(0).tolist() == [1]


def test_candidates_cover_the_product_of_options_orders_and_buffering():
    full = candidates(9, 4, 64, distinct=False)
    assert full.size == 5 * 3 * 7 * len(ORDERS) * 2
    combos = set(zip(full.f_row.tolist(), full.f_col.tolist(), full.tile_t.tolist(),
                     full.order.tolist(), full.double_buffered.tolist()))
    assert len(combos) == full.size
    # without equivalent orders: per tile choice, 3! orders when all three dimensions have
    # several tiles, 2 when two do, 1 otherwise
    cand = candidates(9, 4, 64)
    rows, cols, temporal = (tile_options(x).tolist() for x in (9, 4, 64))
    expected = 0
    for f_r in rows:
        for f_c in cols:
            for t in temporal:
                multi = int(-(-9 // f_r) > 1) + int(-(-4 // f_c) > 1) + int(-(-64 // t) > 1)
                expected += {0: 1, 1: 1, 2: 2, 3: 6}[multi] * 2
    assert cand.size == expected
    assert sorted(ORDERS) == sorted("".join(p) for p in itertools.permutations("mnk"))


# ----------------------------------------------------------------------------- a reference cost model
def _reference_costs(problem, f_row, f_col, tile_t, order, db):
    """The cost model of the docs written out loop by loop, for one candidate.

    Working sets are found by enumerating the iterations inside a loop and
    counting the distinct fold tiles of the operand they touch (not by the
    closed form the vectorised model uses).
    """
    row_d, col_d, t_d = problem.roles
    n = {row_d: -(-problem.folds_row // f_row), col_d: -(-problem.folds_col // f_col),
         t_d: -(-problem.extent_t // tile_t)}
    f = {row_d: f_row, col_d: f_col, t_d: 1}
    loops = [(d, n[d]) for d in ORDERS[order]] + [(col_d, f_col), (row_d, f_row)]
    caps = [c / 2 if db else c for c in problem.capacity_bits]
    operands = {"weights": (("k", "n"), problem.weight_bits, caps[0]),
                "inputs": (("m", "k"), problem.input_bits * problem.input_revisit_fraction, caps[1]),
                "outputs": (("m", "n"), problem.psum_bits, caps[2])}
    refetch = {}
    for name, (dims, size, cap) in operands.items():
        total = 0.0
        for pos, (dim, trips) in enumerate(loops):
            if dim in dims:
                continue
            prefix = math.prod(t for _, t in loops[:pos])
            inner = loops[pos + 1:]
            touched = set()
            for idx in itertools.product(*(range(t) for _, t in inner)):
                key = []
                for d in dims:
                    # global index along d: nested loops of d, outer first
                    value = 0
                    for (dd, t), i in zip(inner, idx):
                        if dd == d:
                            value = value * t + i
                    key.append(value)
                touched.add(tuple(key))
            working = len(touched) * size / ((n[dims[0]] * f[dims[0]]) * (n[dims[1]] * f[dims[1]]))
            total += prefix * (trips - 1) * max(0.0, working - cap)
        refetch[name] = total
    g = problem.groups
    weight = g * (problem.weight_bits + refetch["weights"])
    inputs = g * (problem.input_bits + refetch["inputs"])
    spill = g * refetch["outputs"]
    outputs = g * problem.output_bits
    t_opt = problem.t_options.tolist().index(tile_t)
    compute = int(problem.compute_by_t[t_opt])
    dram = weight + inputs + outputs + 2 * spill
    bw = problem.bandwidth_bits_per_cycle

    def whole(x):                       # ceil, with slack for float rounding of the shares
        return math.ceil(x - 1e-6)

    if math.isinf(bw):
        stall = 0
    elif db:
        # first fold: the schedule's first fold (memory-model shares), first temporal tile;
        # last fold: the remainders
        t_share = min(tile_t, problem.extent_t) / problem.extent_t
        fill = (problem.first_weight_bits * (t_share if t_d in ("k", "n") else 1)
                + problem.first_input_bits * (t_share if t_d in ("m", "k") else 1))
        rest = {row_d: (problem.extent_row - (problem.folds_row - 1) * problem.rows) / problem.extent_row,
                col_d: (problem.extent_col - (problem.folds_col - 1) * problem.cols) / problem.extent_col,
                t_d: (problem.extent_t - (n[t_d] - 1) * tile_t) / problem.extent_t}
        drain = problem.output_bits * rest["m"] * rest["n"]
        fold_cycles = compute + problem.active_groups       # before SCALE-Sim's "- 1" per group
        stall = (whole(fill / bw) + max(0, whole(max(dram - fill - drain, 0) / bw) - fold_cycles)
                 + whole(drain / bw))
    else:
        stall = whole(dram / bw)
    cycles = compute + stall
    # energy: every priced event; the SRAM reads the array needs, plus what the split and
    # the DRAM traffic add (reload of the stationary operand, spills through the output SRAM)
    p = problem.prices
    stationary = float(problem.stationary_sram_by_t[t_opt])
    sram = dict(problem.sram_base)
    sram["weight_sram_write"] = weight
    sram["input_sram_write"] = inputs
    level = problem.stationary_level
    if level == "output_sram":
        sram["output_sram_read"] += stationary / 2
        sram["output_sram_write"] += stationary / 2
    else:
        sram[f"{level}_read"] += stationary
    sram["output_sram_read"] += spill
    sram["output_sram_write"] += spill
    idle = max(problem.pes * cycles - problem.busy_pe_cycles, 0)
    energy = (problem.fixed_energy_pj + p["pe_idle_cycles"] * idle
              + p["dram_read_bits"] * (weight + inputs + spill) + p["dram_write_bits"] * (outputs + spill)
              + sum(p[f"{key}_bits"] * value for key, value in sram.items()))
    return {"weights": weight, "inputs": inputs, "spill": spill, "compute": compute,
            "cycles": cycles, "energy": energy}


_SMALL = [
    # (m, k, n, groups, rows, cols, dataflow, weight_kib, input_kib, output_kib, bandwidth)
    (20, 24, 12, 1, 4, 4, "ws", 0.25, 0.125, 0.5, 4),
    (9, 40, 20, 1, 4, 4, "os", 0.125, 0.25, 0.25, 2),
    (30, 17, 9, 1, 4, 4, "is", 0.0625, 0.5, 0.125, 8),
    (16, 32, 8, 2, 4, 4, "ws", 0.125, 0.0625, 0.0625, "unlimited"),
    (12, 20, 20, 1, 2, 4, "os", 0.03125, 0.03125, 0.0625, 1),
]


@pytest.mark.parametrize("case", _SMALL, ids=lambda c: f"{c[6]}-{c[0]}x{c[1]}x{c[2]}g{c[3]}")
def test_vectorised_costs_equal_the_loop_by_loop_reference(case):
    m, k, n, g, rows, cols, df, wk, ik, ok, bw = case
    arch = make_arch(rows, cols, df, bandwidth=bw, weight_kib=wk, input_kib=ik, output_kib=ok,
                     mapping="auto")
    problem, _ = _problem(_fc(m, k, n, g), arch, df)
    cand = candidates(problem.folds_row, problem.folds_col, problem.extent_t, problem.roles,
                      distinct=False)
    costs = evaluate(problem, cand)
    for i in range(cand.size):
        ref = _reference_costs(problem, int(cand.f_row[i]), int(cand.f_col[i]), int(cand.tile_t[i]),
                               int(cand.order[i]), bool(cand.double_buffered[i]))
        assert costs.weight_dram_bits[i] == pytest.approx(ref["weights"])
        assert costs.input_dram_bits[i] == pytest.approx(ref["inputs"])
        assert costs.psum_spill_bits[i] == pytest.approx(ref["spill"], abs=1e-6)
        assert int(costs.compute_cycles[i]) == ref["compute"]
        assert int(costs.cycles[i]) == ref["cycles"]
        assert float(costs.energy_pj[i]) == pytest.approx(ref["energy"], rel=1e-12)


@pytest.mark.parametrize("objective", ["latency", "energy", "edp"])
@pytest.mark.parametrize("case", _SMALL, ids=lambda c: f"{c[6]}-{c[0]}x{c[1]}x{c[2]}g{c[3]}")
def test_mapper_choice_is_the_brute_force_optimum(case, objective):
    m, k, n, g, rows, cols, df, wk, ik, ok, bw = case
    arch = make_arch(rows, cols, df, bandwidth=bw, weight_kib=wk, input_kib=ik, output_kib=ok,
                     mapping="auto")
    layer = _fc(m, k, n, g)
    problem, _ = _problem(layer, arch, df)
    mapping, best, costs, cand = map_layer(problem, objective, {"m": m, "n": n, "k": k})
    # brute force: the whole space (equivalent loop orders included), one candidate at a
    # time through the loop-by-loop reference, keeping the best objective
    full = candidates(problem.folds_row, problem.folds_col, problem.extent_t, problem.roles,
                      distinct=False)
    best_value = math.inf
    for i in range(full.size):
        ref = _reference_costs(problem, int(full.f_row[i]), int(full.f_col[i]), int(full.tile_t[i]),
                               int(full.order[i]), bool(full.double_buffered[i]))
        value = {"latency": ref["cycles"], "energy": ref["energy"],
                 "edp": ref["cycles"] * ref["energy"]}[objective]
        best_value = min(best_value, value)
    chosen = float(objective_values(costs, objective)[best])
    assert chosen == pytest.approx(best_value, rel=1e-12)
    assert mapping.order == ORDERS[int(cand.order[best])]
    assert cand.size < full.size                      # equivalent orders were not searched twice
    # the simulated layer reports the chosen candidate's cycles and energy
    result = simulate(layer, arch, objective=objective).layers[0]
    assert result.cycles == int(costs.cycles[best])
    assert result.energy_pj["total"] == pytest.approx(float(costs.energy_pj[best]), rel=1e-9, abs=1e-3)
    assert result.mapping.to_dict() == mapping.to_dict()


def test_single_tile_candidate_reproduces_scalesim_compute_cycles():
    for df in ("ws", "os", "is"):
        arch = make_arch(8, 8, df, mapping="auto")
        layer = _fc(50, 70, 30, 2)
        problem, sched = _problem(layer, arch, df)
        assert int(problem.compute_by_t[0]) == sched.compute_cycles     # one temporal tile


def test_partial_refetch_grows_smoothly_as_the_input_buffer_shrinks():
    # Issue 9: 16 KiB and 1 KiB input buffers gave identical traffic. Here, for one fixed
    # mapping (SCALE-Sim's shape: whole M streamed, column folds revisiting the inputs),
    # every halving of the buffer re-reads more, and never all or nothing.
    reads = []
    for kib in (128, 64, 32, 16, 8, 4, 2, 1):
        arch = make_arch(8, 8, "ws", bandwidth=16, input_kib=kib, mapping="auto")
        problem, _ = _problem(_fc(1024, 64, 64), arch, "ws")
        cand = candidates(problem.folds_row, problem.folds_col, problem.extent_t)
        pick = np.flatnonzero((cand.f_row == problem.folds_row) & (cand.f_col == problem.folds_col)
                              & (cand.tile_t == problem.extent_t) & (cand.order == 0)
                              & (cand.double_buffered == 1))[0]
        reads.append(float(evaluate(problem, cand).input_dram_bits[pick]))
    once = 1024 * 64 * 8
    assert reads[0] == once                                   # 128 KiB: 64 KiB of inputs fit in half
    assert all(a < b for a, b in zip(reads, reads[1:]))       # strictly more as it shrinks
    assert reads[-1] < 8 * once                               # 8 column folds, not all re-read


def test_roles_follow_scalesim():
    assert ROLES == {"ws": ("k", "n", "m"), "os": ("m", "n", "k"), "is": ("k", "m", "n")}


def test_map_layer_is_deterministic_and_checks_the_objective():
    arch = make_arch(4, 4, "ws", bandwidth=2, weight_kib=0.125, input_kib=0.125, output_kib=0.125,
                     mapping="auto")
    problem, _ = _problem(_fc(20, 24, 12), arch, "ws")
    first = map_layer(problem, "edp", {"m": 20, "n": 12, "k": 24})
    second = map_layer(problem, "edp", {"m": 20, "n": 12, "k": 24})
    assert first[0] == second[0] and first[1] == second[1]
    with pytest.raises(ValueError, match="objective must be latency, energy or edp"):
        map_layer(problem, "speed", {"m": 20, "n": 12, "k": 24})
