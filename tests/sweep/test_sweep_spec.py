"""Sweep spec validation: every problem reported together, naming the field; exit 2 from the CLI."""

from __future__ import annotations

import pytest

from accelsim.errors import AccelsimInputError
from accelsim.sweep import load_sweep_spec, plan_sweep
from accelsim_cli import run
from sweep_helpers import TINY_POINTS, spec, write_spec


def _error(data) -> AccelsimInputError:
    with pytest.raises(AccelsimInputError) as info:
        plan_sweep(data)
    return info.value


def test_the_tiny_spec_is_valid_and_has_the_expected_number_of_points():
    assert len(plan_sweep(spec()).points) == TINY_POINTS


def test_spec_field_problems_are_reported_together():
    bad = spec(workloads=["no-such-net"], prune=["nm:5:4"], dataflows=["xs"], formats=["zip"],
               sampling={"method": "sobol"}, constraints=["__import__('os')"], objectives=["speed"])
    bad["colour"] = "red"
    err = _error(bad)
    fields = {p.field for p in err.problems}
    assert {"workloads[0]", "prune[0]", "dataflows[0]", "formats[0]", "sampling.method", "constraints[0]",
            "objectives[0]", "colour"} <= fields
    text = str(err)
    assert "no-such-net" in text and "'xs'" in text and "sobol" in text and "speed" in text
    assert "example of a valid sweep spec" in text


def test_missing_required_fields_are_named():
    err = _error({"name": "x"})
    assert {"workloads", "arch"} <= {p.field for p in err.problems}


def test_invalid_points_are_reported_together_grouped_by_problem_and_nothing_runs():
    space = {"array.rows": [0, 16, 5000], "array.cols": [8, 16, 32], "buffers.weight_kib": [32, -1]}
    err = _error(spec(space=space))
    assert "no point was run" in str(err)
    by_field = {p.field: p for p in err.problems}
    assert len(err.problems) == 2
    # rows=0 and rows=5000 are 2 of 3 row values: 12 of the 18 assignments, x 2 dataflows
    rows = by_field["arch.array.rows"]
    assert rows.value == 0
    assert "in 24 of 36 architectures; other values: 5000, first: array.rows=0, array.cols=8, " \
           "buffers.weight_kib=32" in rows.allowed
    assert by_field["arch.buffers.weight_kib"].value == -1
    assert "in 18 of 36 architectures" in by_field["arch.buffers.weight_kib"].allowed


def test_an_unknown_arch_field_in_the_space_is_named():
    err = _error(spec(space={"buffers.weight_kb": [32, 64]}))
    (problem,) = err.problems
    assert problem.field == "arch.buffers.weight_kb"
    assert "no such field" in problem.allowed


def test_a_path_through_a_value_is_refused():
    err = _error(spec(space={"array.rows.low": [1, 2]}))
    assert any("array.rows holds 32" in p.allowed for p in err.problems)


def test_a_section_and_its_field_cannot_both_be_swept():
    err = _error(spec(space={"pe": [{"sparsity": "dense"}], "pe.n": [1, 2]}))
    assert [p.field for p in err.problems] == ["space.pe.n"]


def test_a_grid_cannot_use_a_continuous_range():
    err = _error(spec(space={"buffers.weight_kib": {"min": 16, "max": 256}}))
    assert [p.field for p in err.problems] == ["space.buffers.weight_kib"]


@pytest.mark.parametrize("raw, field", [
    ({"min": 16}, "space.x.max"),
    ({"min": 16, "max": 8}, "space.x.max"),
    ({"min": 0, "max": 8, "log": True}, "space.x.min"),
    ({"min": 1, "max": 8, "step": 0}, "space.x.step"),
    ({"min": 1, "max": 8, "num": 0}, "space.x.num"),
    ({"min": 1.5, "max": 8, "integer": True}, "space.x.min"),
    ({"min": 1, "max": 8, "stride": 2}, "space.x.stride"),
    ([], "space.x"),
    ("16", "space.x"),
    ({"choices": []}, "space.x.choices"),
])
def test_bad_parameter_ranges_name_the_field(raw, field):
    err = _error(spec(space={"x": raw}, sampling={"method": "random", "samples": 2}))
    assert field in {p.field for p in err.problems}


def test_sampling_fields_are_checked():
    err = _error(spec(sampling={"method": "lhs"}))
    assert [p.field for p in err.problems] == ["sampling.samples"]
    err = _error(spec(sampling={"method": "grid", "samples": 10}))
    assert [p.field for p in err.problems] == ["sampling.samples"]
    err = _error(spec(sampling={"method": "random", "samples": 5, "seed": -1}))
    assert [p.field for p in err.problems] == ["sampling.seed"]


def test_random_sampling_cannot_ask_for_more_distinct_assignments_than_the_space_has():
    err = _error(spec(space={"array.rows": [8, 16]}, sampling={"method": "random", "samples": 3}))
    assert err.problems[0].field == "sampling.samples" and "at most 2" in err.problems[0].allowed


def test_a_sweep_too_large_is_refused_before_it_is_expanded():
    space = {f"x{i}": list(range(10)) for i in range(7)}      # 10 ** 7 assignments
    err = _error(spec(space=space))
    assert err.problems[0].field == "space" and "at most 1,000,000 points" in err.problems[0].allowed


def test_constraints_that_reject_every_point_are_an_error():
    err = _error(spec(constraints=["sram_kib > 1e9"]))
    assert "no design point is left" in str(err)
    assert err.problems[0].field == "constraints"


def test_a_constraint_that_cannot_be_evaluated_is_named():
    err = _error(spec(arch="dense-ws-32x32", prune=["none"], constraints=["rows > 0", "pe.n <= 4"]))
    (problem,) = err.problems                 # a dense PE sets no pe.n: null <= 4 cannot be evaluated
    assert problem.field == "constraints[1]" and "'<=' not supported" in problem.allowed
    err = _error(spec(constraints=["rowz > 1"]))
    assert err.problems[0].field == "constraints[0]" and "unknown name 'rowz'" in err.problems[0].allowed


def test_dataflows_and_a_swept_dataflow_field_exclude_each_other():
    err = _error(spec(space={"dataflow": ["ws", "os"]}))
    assert [p.field for p in err.problems] == ["dataflows"]


def test_formats_a_pe_cannot_run_are_skipped_with_the_reason():
    plan = plan_sweep(spec(formats=["native", "csr", "nm:2:4"]))
    reasons = dict(plan.skipped)
    assert reasons["a nm PE cannot exploit csr (it would run as dense)"] == TINY_POINTS
    assert reasons["nm:2:4 needs weights pruned with nm:2:4, not unpruned"] == TINY_POINTS // 2
    assert len(plan.points) == TINY_POINTS + TINY_POINTS // 2


def test_relative_paths_are_found_beside_the_spec(tmp_path, arch_dir):
    (tmp_path / "my-arch.yaml").write_text((arch_dir / "dense-ws-32x32.yaml").read_text())
    path = write_spec(tmp_path, spec(arch="my-arch.yaml"))
    assert load_sweep_spec(path).base_arch_source == str(tmp_path / "my-arch.yaml")


def test_cli_reports_bad_points_with_exit_2_and_writes_nothing(tmp_path):
    path = write_spec(tmp_path, spec(space={"array.rows": [0, 16]}))
    r = run("sweep", str(path), "--out", str(tmp_path / "out"))
    assert r.returncode == 2, r.stderr
    assert "arch.array.rows: got 0" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out" / "sweep.sqlite").exists()


def test_cli_reports_bad_spec_fields_with_exit_2(tmp_path):
    path = write_spec(tmp_path, spec(sampling={"method": "sobol"}))
    r = run("sweep", str(path), "--out", str(tmp_path / "out"))
    assert r.returncode == 2
    assert "sampling.method: got 'sobol'; allowed: one of grid, random, lhs" in r.stderr


@pytest.mark.parametrize("args, text", [
    (["--workers", "0"], "--workers/-j: expected an integer from 1 to 4,096; got '0'"),
    (["--scheduler", "not an address"], "invalid --scheduler"),
    (["--scheduler", "tcp://127.0.0.1:1", "--workers", "2"], "exclude each other"),
    ([], "needs --out DIR"),
])
def test_cli_rejects_bad_run_options(tmp_path, args, text):
    path = write_spec(tmp_path, spec())
    out = [] if not args else ["--out", str(tmp_path / "out")]
    r = run("sweep", str(path), *out, *args)
    assert r.returncode == 2, r.stderr
    assert text in r.stderr


def test_cli_rejects_an_output_folder_that_is_a_file(tmp_path):
    path = write_spec(tmp_path, spec())
    (tmp_path / "file").write_text("x")
    r = run("sweep", str(path), "--out", str(tmp_path / "file"))
    assert r.returncode == 2 and "--out" in r.stderr


def test_cli_check_validates_and_counts(tmp_path):
    path = write_spec(tmp_path, spec())
    r = run("sweep", str(path), "--check")
    assert r.returncode == 0, r.stderr
    assert f"{TINY_POINTS} valid design points" in r.stdout


@pytest.mark.parametrize("name", ["resnet50-1000", "tiny-grid", "nm-ratios"])
def test_bundled_example_specs_are_valid(name):
    plan = plan_sweep(name)
    assert plan.points
    if name == "resnet50-1000":
        assert len(plan.points) == 1000


def test_a_scheme_that_cannot_prune_a_workload_is_refused_before_any_point_runs(tmp_path):
    # tiny-cnn's conv1 is an 8 x 27 matrix: 4x4 blocks do not tile it
    path = write_spec(tmp_path, spec(prune=["none", "block:4x4:0.5", "nm:2:4"]))
    for args in (["--check"], ["--out", str(tmp_path / "out")]):
        r = run("sweep", str(path), *args)
        assert r.returncode == 2, r.stderr
        assert "prune block:4x4:0.5 of workload 'tiny-cnn' (seed 0)" in r.stderr
        assert "no point was run" in r.stderr
    from accelsim.sweep import ResultStore

    with ResultStore.open(tmp_path / "out") as store:
        assert store.count() == 0 and store.meta() == {}
    # the corrected spec can use the same folder
    fixed = write_spec(tmp_path, spec(prune=["none"], space={"array.rows": [8]}, dataflows=["ws"]))
    r = run("sweep", str(fixed), "--out", str(tmp_path / "out"), "--no-report", "-q")
    assert r.returncode == 0, r.stderr


def test_an_empty_pruning_scheme_is_refused_while_none_means_unpruned():
    err = _error(spec(prune=["none", "", "nm:2:4"]))
    assert [p.field for p in err.problems] == ["prune[1]"]
    assert "empty scheme is refused" in err.problems[0].allowed
    assert plan_sweep(spec(prune=["none", None, "nm:2:4"])) is not None
