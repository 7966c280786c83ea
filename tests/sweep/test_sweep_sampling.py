"""Sampling: grid order, and random / Latin-hypercube draws that depend only on the seed."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from accelsim.sweep import plan_sweep
from accelsim.sweep.space import lhs_unit_rows
from sweep_helpers import spec

RANGES = {"buffers.weight_kib": {"min": 16, "max": 2048, "log": True},
          "buffers.input_kib": {"min": 64.0, "max": 512.0},
          "array.rows": {"min": 4, "max": 100, "integer": True},
          "array.cols": [8, 16, 32, 64],
          "clock_mhz": {"min": 200, "max": 1000, "step": 200}}


def _sampled(method, seed, samples=40):
    return plan_sweep(spec(space=RANGES, prune=["none"], dataflows=["ws"],
                           sampling={"method": method, "samples": samples, "seed": seed}))


def test_grid_is_the_cartesian_product_with_the_last_parameter_fastest():
    plan = plan_sweep(spec(prune=["none"], dataflows=["ws"]))
    expected = list(itertools.product([8, 16], [8, 16, 32], [32, 128]))
    assert [p.values for p in plan.points] == expected
    assert [p.index for p in plan.points] == list(range(len(expected)))


def test_dataflows_and_prunes_are_crossed_in_documented_order():
    plan = plan_sweep(spec(space={"array.rows": [8, 16]}))
    got = [(p.prune, p.values, p.dataflow) for p in plan.points]
    assert got == [(pr, (r,), d) for pr in (None, "nm:2:4") for r in (8, 16) for d in ("ws", "os")]


@pytest.mark.parametrize("method", ["random", "lhs"])
def test_the_same_seed_gives_the_same_points_and_another_seed_other_points(method):
    a, b, c = _sampled(method, 7), _sampled(method, 7), _sampled(method, 8)
    assert [p.key for p in a.points] == [p.key for p in b.points]
    assert [p.values for p in a.points] == [p.values for p in b.points]
    assert [p.values for p in a.points] != [p.values for p in c.points]
    assert len(a.points) == 40


@pytest.mark.parametrize("method", ["random", "lhs"])
def test_sampled_values_respect_their_ranges_and_types(method):
    for p in _sampled(method, 3).points:
        wkib, ikib, rows, cols, clock = p.values
        assert 16 <= wkib <= 2048 and isinstance(wkib, float)
        assert 64 <= ikib <= 512
        assert 4 <= rows <= 100 and isinstance(rows, int)
        assert cols in (8, 16, 32, 64)
        assert clock in (200, 400, 600, 800, 1000)


def test_random_points_are_distinct():
    plan = plan_sweep(spec(space={"array.rows": [8, 16, 32], "array.cols": [8, 16]}, prune=["none"],
                           dataflows=["ws"], sampling={"method": "random", "samples": 6, "seed": 1}))
    assert sorted(p.values for p in plan.points) == sorted(itertools.product([8, 16, 32], [8, 16]))


@pytest.mark.parametrize("count, dims", [(1, 3), (10, 2), (97, 5)])
def test_latin_hypercube_uses_every_stratum_of_every_column_once(count, dims):
    rows = lhs_unit_rows(np.random.default_rng(0), count, dims)
    assert rows.shape == (count, dims)
    for d in range(dims):
        assert sorted(np.floor(rows[:, d] * count).astype(int)) == list(range(count))


def test_latin_hypercube_points_cover_a_continuous_range_stratum_by_stratum():
    n = 25
    plan = plan_sweep(spec(space={"buffers.input_kib": {"min": 100.0, "max": 600.0}}, prune=["none"],
                           dataflows=["ws"], sampling={"method": "lhs", "samples": n, "seed": 4}))
    strata = sorted(int((p.values[0] - 100.0) / 500.0 * n) for p in plan.points)
    assert strata == list(range(n))


def test_log_ranges_are_log_uniform_under_lhs():
    n = 20
    plan = plan_sweep(spec(space={"buffers.weight_kib": {"min": 1.0, "max": 1e4, "log": True}}, prune=["none"],
                           dataflows=["ws"], sampling={"method": "lhs", "samples": n, "seed": 9}))
    strata = sorted(int(np.log10(p.values[0]) / 4 * n) for p in plan.points)
    assert strata == list(range(n))


def test_ranges_with_step_or_num_expand_to_finite_values():
    plan = plan_sweep(spec(space={"clock_mhz": {"min": 100, "max": 1000, "num": 4, "log": True},
                                  "array.rows": {"min": 8, "max": 40, "step": 16}},
                           prune=["none"], dataflows=["ws"]))
    clocks = sorted({p.values[0] for p in plan.points})
    assert clocks == pytest.approx([100, 215.443, 464.159, 1000], rel=1e-5)
    assert sorted({p.values[1] for p in plan.points}) == [8, 24, 40]


def test_sampling_is_the_same_in_another_process_with_another_hash_seed():
    code = ("import json; from accelsim.sweep import plan_sweep; import sys; "
            "print(json.dumps([p.key for p in plan_sweep(json.loads(sys.argv[1])).points]))")
    data = spec(space=RANGES, sampling={"method": "lhs", "samples": 12, "seed": 5})
    keys = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        r = subprocess.run([sys.executable, "-c", code, json.dumps(data)], capture_output=True, text=True, env=env,
                           check=True)
        keys.append(json.loads(r.stdout))
    assert keys[0] == keys[1] == [p.key for p in plan_sweep(data).points]
