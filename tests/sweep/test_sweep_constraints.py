"""Constraints: a safe expression subset, evaluated on each architecture; counts against a brute force."""

from __future__ import annotations

import itertools

import pytest

from accelsim.sweep import plan_sweep
from accelsim.sweep.constraints import ConstraintError, compile_constraint
from sweep_helpers import spec

ARCH = {"array": {"rows": 16, "cols": 8}, "pe": {"sparsity": "nm", "n": 2, "m": 4},
        "mapping": {"objective": "energy"}}
DERIVED = {"rows": 16, "cols": 8, "multipliers": 256, "sram_kib": 300.0, "n": 2, "sparsity": "nm"}


@pytest.mark.parametrize("text, expected", [
    ("multipliers == 256", True),
    ("sram_kib <= 256", False),
    ("rows * cols * 2 == multipliers", True),
    ("array.rows >= array.cols and not (n == 1)", True),
    ("sparsity in ('dense', 'nm')", True),
    ("mapping.objective == 'latency' or rows < 32", True),
    ("pe.block == None", True),                      # an unset path is null
    ("max(rows, cols) / min(rows, cols) <= 2", True),
    ("log2(multipliers) == 8", True),
    ("1 < rows <= 16 < 3 * cols", True),
])
def test_constraints_evaluate(text, expected):
    assert compile_constraint(text).holds(ARCH, DERIVED) is expected


@pytest.mark.parametrize("text", ["__import__('os')", "open('x')", "rows.__class__", "(lambda: 1)()", "x = 1",
                                  "[r for r in rows]", "rows if 1 else 2", "", 42])
def test_unsafe_or_invalid_constraints_are_refused(text):
    with pytest.raises(ConstraintError):
        compile_constraint(text)


def test_an_unknown_name_is_an_error_when_evaluated():
    with pytest.raises(ConstraintError, match="unknown name 'rowz'"):
        compile_constraint("rowz > 1").holds(ARCH, DERIVED)


def test_comparing_null_is_an_error_when_evaluated():
    with pytest.raises(ConstraintError):
        compile_constraint("pe.block > 1").holds(ARCH, DERIVED)


def test_planned_points_are_exactly_those_meeting_the_constraints():
    rows, cols, wkib = [4, 8, 16, 32], [8, 16, 32, 64], [32, 64, 128, 256]
    data = spec(prune=["none"], dataflows=["ws"],
                space={"array.rows": rows, "array.cols": cols, "buffers.weight_kib": wkib},
                constraints=["multipliers == 1024", "sram_kib <= 500"])
    plan = plan_sweep(data)
    # the nm24 base arch: 2 multipliers per PE, input 256 KiB + output 128 KiB beside the weight buffer
    expected = [(r, c, w) for r, c, w in itertools.product(rows, cols, wkib)
                if r * c * 2 == 1024 and w + 256 + 128 <= 500]
    assert [p.values for p in plan.points] == expected
    assert plan.rejected == len(rows) * len(cols) * len(wkib) - len(expected)


def test_random_sampling_draws_until_enough_points_meet_the_constraints():
    data = spec(prune=["none"], dataflows=["ws"], constraints=["rows * cols <= 256"],
                space={"array.rows": {"min": 4, "max": 64, "integer": True},
                       "array.cols": {"min": 4, "max": 64, "integer": True}},
                sampling={"method": "random", "samples": 30, "seed": 11})
    plan = plan_sweep(data)
    assert len(plan.points) == 30
    assert all(r * c <= 256 for r, c in (p.values for p in plan.points))
    assert plan.rejected > 0
