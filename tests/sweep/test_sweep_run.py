"""Running sweeps: results equal direct simulate calls, the store, resume, export, report, the API."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from filelock import FileLock

import accelsim
from accelsim.errors import AccelsimInputError
from accelsim.spec import arch_from_dict, load_arch
from accelsim.sweep import ResultStore, build_report, load_results, plan_sweep, run_sweep
from accelsim.sweep.runner import PointRunner, SweepContext
from accelsim.workload.loaders import load_workload
from accelsim_cli import run
from sweep_helpers import TINY_POINTS, results, spec, write_spec

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class _Run:
    folder: object
    planned: int
    computed: int
    stdout: str
    stderr: str


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, worker_id):
    """The TINY sweep run once from the command line on 2 local workers, shared by every xdist worker
    (the first to take the lock runs it; the tests below only read it)."""
    root = tmp_path_factory.getbasetemp()
    folder = (root if worker_id == "master" else root.parent) / "sweep-tiny-run"
    with FileLock(f"{folder}.lock"):
        if not (folder / "cli.json").exists():
            folder.mkdir(exist_ok=True)
            path = write_spec(folder, spec())
            r = run("sweep", str(path), "--out", str(folder / "out"), "--workers", "2")
            assert r.returncode == 0, r.stderr
            (folder / "cli.json").write_text(json.dumps({"stdout": r.stdout, "stderr": r.stderr}))
    cli = json.loads((folder / "cli.json").read_text())
    frame = load_results(folder / "out")
    return _Run(folder / "out", TINY_POINTS, len(frame), cli["stdout"], cli["stderr"]), frame


def test_every_point_is_stored_once_in_plan_order(tiny_run):
    outcome, frame = tiny_run
    assert outcome.computed == len(frame) == TINY_POINTS
    assert frame["key"].is_unique
    assert frame["index"].tolist() == list(range(TINY_POINTS))
    assert (frame["status"] == "ok").all()
    with ResultStore.open(outcome.folder) as store:
        assert store.duplicate_keys() == 0 and store.integrity() == "ok"


def test_records_equal_direct_simulate_calls(tiny_run):
    """A handful of points recomputed from scratch: arch written out by hand, then accelsim.simulate."""
    _, frame = tiny_run
    base = load_arch("nm24-ws-32x32")
    for _, row in frame.iloc[[0, 7, 13, 30, 47]].iterrows():
        arch = arch_from_dict({
            "array": {"rows": int(row["array.rows"]), "cols": int(row["array.cols"])},
            "dataflow": row["dataflow"], "pe": {"sparsity": "nm", "n": 2, "m": 4},
            "buffers": {"weight_kib": row["buffers.weight_kib"], "input_kib": base.buffers.input_kib,
                        "output_kib": base.buffers.output_kib},
            "dram": {"bandwidth_bytes_per_cycle": base.dram_bandwidth_bytes_per_cycle},
            "clock_mhz": base.clock_mhz})
        prune = None if row["prune"] == "none" else row["prune"]
        result = accelsim.simulate(load_workload("tiny-cnn", seed=0), arch, prune=prune, seed=0)
        t = result.total
        assert row["cycles"] == t.cycles
        assert row["energy_pj"] == t.energy_pj
        assert row["latency_s"] == t.latency_s
        assert row["utilization"] == t.utilization
        assert row["dram_bytes"] == t.bytes["dram"]["total"]
        assert row["multipliers"] == arch.array.rows * arch.array.cols * 2
        assert row["sram_kib"] == row["buffers.weight_kib"] + 256 + 128


def test_one_worker_gives_the_same_records_as_two(tiny_run, tmp_path):
    _, frame = tiny_run
    run_sweep(spec(), tmp_path / "one", workers=1, quiet=True, report=False)
    pd.testing.assert_frame_equal(results(load_results(tmp_path / "one")), results(frame))


def test_the_api_is_a_callable_package_returning_a_dataframe(tiny_run):
    _, frame = tiny_run
    table = accelsim.sweep(spec(), workers=1)
    assert isinstance(table, pd.DataFrame)
    pd.testing.assert_frame_equal(results(table), results(frame))
    assert accelsim.sweep.load_sweep_spec is not None and accelsim.sweep.plan_sweep is plan_sweep


def test_rerun_without_resume_is_refused_and_resume_runs_nothing(tiny_run, tmp_path):
    outcome, _ = tiny_run
    path = write_spec(tmp_path, spec())
    r = run("sweep", str(path), "--out", str(outcome.folder), "-q")
    assert r.returncode == 2 and "--resume" in r.stderr
    r = run("sweep", str(path), "--out", str(outcome.folder), "-q", "--resume", "--no-report")
    assert r.returncode == 0, r.stderr
    assert f"all {TINY_POINTS} points of the sweep were already stored" in r.stdout


def test_a_store_of_another_sweep_is_not_resumed(tiny_run, tmp_path):
    outcome, _ = tiny_run
    path = write_spec(tmp_path, spec(prune=["none"]))
    r = run("sweep", str(path), "--out", str(outcome.folder), "--resume")
    assert r.returncode == 2 and "holds another sweep" in r.stderr


def test_resume_runs_only_the_missing_points(tmp_path):
    small = spec(prune=["none"])
    run_sweep(small, tmp_path / "out", workers=1, quiet=True, report=False)
    with ResultStore.open(tmp_path / "out") as store:
        store._db.execute("DELETE FROM points WHERE idx % 3 = 0")
        left = store.count()
    outcome = run_sweep(small, tmp_path / "out", resume=True, workers=2, quiet=True, report=False)
    assert outcome.already_stored == left and outcome.computed == TINY_POINTS // 2 - left
    frame = load_results(tmp_path / "out")
    assert frame["index"].tolist() == list(range(TINY_POINTS // 2)) and frame["key"].is_unique


def test_export_csv_and_parquet_have_one_row_per_point_with_its_key(tiny_run, tmp_path):
    outcome, frame = tiny_run
    r = run("sweep", "--export", str(tmp_path / "points.csv"), str(outcome.folder))
    assert r.returncode == 0, r.stderr
    csv = pd.read_csv(tmp_path / "points.csv")
    assert csv["key"].tolist() == frame["key"].tolist()
    assert csv["cycles"].tolist() == frame["cycles"].tolist()
    assert csv["energy_pj"].tolist() == frame["energy_pj"].tolist()      # floats written exactly
    r = run("sweep", "--export", str(tmp_path / "points.parquet"), str(outcome.folder))
    assert r.returncode == 0, r.stderr
    parquet = pd.read_parquet(tmp_path / "points.parquet")
    assert parquet["key"].tolist() == frame["key"].tolist()
    assert parquet["energy_pj"].tolist() == frame["energy_pj"].tolist()
    assert list(parquet.columns) == list(frame.columns)


@pytest.mark.parametrize("args, text", [
    (["--export", "points.txt"], "allowed: a file ending in .csv or .parquet"),
    (["--export", "points.csv", "--resume"], "--export does not take --resume"),
    (["--report", "--export", "x.csv"], "exclude each other"),
])
def test_export_and_report_options_are_checked(tiny_run, tmp_path, args, text):
    outcome, _ = tiny_run
    args = [str(tmp_path / a) if a.endswith((".txt", ".csv")) else a for a in args]
    r = run("sweep", *args, str(outcome.folder))
    assert r.returncode == 2 and text in r.stderr


def test_report_and_export_of_a_folder_without_a_store_exit_2(tmp_path):
    for args in (["--report"], ["--export", str(tmp_path / "x.csv")]):
        r = run("sweep", *args, str(tmp_path))
        assert r.returncode == 2 and "holds no sweep results" in r.stderr


def test_the_report_is_rebuilt_identically_from_the_store(tiny_run):
    outcome, _ = tiny_run
    report = outcome.folder / "report"
    before = {p.name: p.read_bytes() for p in report.iterdir()}
    assert {"report.html", "report.md", "pareto.png", "pareto.csv", "summary.json",
            "sensitivity_array_rows.png", "sensitivity_dataflow.png", "sensitivity_prune.png"} <= set(before)
    assert build_report(outcome.folder) == report / "report.html"
    after = {p.name: p.read_bytes() for p in report.iterdir()}
    assert after == before


def test_the_report_front_is_the_brute_force_front_of_the_stored_points(tiny_run):
    outcome, frame = tiny_run
    objectives = ["energy_pj", "latency_s", "multipliers", "sram_kib"]
    rows = frame[objectives].to_numpy().tolist()
    front = {frame["key"][i] for i, a in enumerate(rows)
             if not any(all(y <= x for x, y in zip(a, b)) and any(y < x for x, y in zip(a, b)) for b in rows)}
    reported = set(pd.read_csv(outcome.folder / "report" / "pareto.csv")["key"])
    assert reported == front and front
    summary = json.loads((outcome.folder / "report" / "summary.json").read_text())
    assert {p["key"] for p in summary["pareto_front"]} == front


def test_a_worker_refuses_a_point_whose_key_it_computes_differently():
    plan = plan_sweep(spec())
    s = plan.spec
    context = SweepContext(s.sha256(), "0.0.0-other", s.base_arch_json, s.base_arch_source,
                           tuple(p.path for p in s.parameters), s.workloads)
    with pytest.raises(AccelsimInputError, match="another key on this worker"):
        PointRunner(context).run(plan.points[0])


def test_a_local_sweep_never_imports_dask(tmp_path):
    code = ("import sys, accelsim; import sys; sys.path.insert(0, sys.argv[2]); from sweep_helpers import spec; "
            "accelsim.sweep(spec(prune=['none'], space={'array.rows': [8, 16]}, dataflows=['ws']), workers=2); "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')); "
            "assert not bad, bad")
    import pathlib
    r = subprocess.run([sys.executable, "-c", code, "x", str(pathlib.Path(__file__).parent)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr


def test_cli_run_prints_where_the_results_are(tiny_run):
    outcome, _ = tiny_run
    assert f"{TINY_POINTS} points simulated" in outcome.stdout and "2 local worker processes" in outcome.stdout
    assert f"report: {outcome.folder / 'report' / 'report.html'}" in outcome.stdout
    assert f"sweep: {TINY_POINTS}/{TINY_POINTS} points" in outcome.stderr
    assert "points/s" in outcome.stderr and "ETA" in outcome.stderr and "best EDP" in outcome.stderr


def test_the_report_command_rebuilds_a_missing_report(tmp_path):
    run_sweep(spec(prune=["none"], space={"array.rows": [8, 16]}, dataflows=["ws"]), tmp_path / "out",
              workers=1, quiet=True, report=False)
    r = run("sweep", "--report", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "out" / "report" / "report.html").read_text()
    assert "Pareto front" in html and "data:image/png;base64," in html


def test_a_point_the_simulator_refuses_is_stored_as_an_error_and_not_rerun(tmp_path, monkeypatch):
    """The refusal is provoked (no valid point makes simulate refuse today): its record, export and report."""
    import accelsim.sim

    real = accelsim.sim.simulate

    def refuse_os(workload, arch, **kwargs):
        if kwargs["dataflow"] == "os":
            raise AccelsimInputError("refused for the test", [])
        return real(workload, arch, **kwargs)

    monkeypatch.setattr(accelsim.sim, "simulate", refuse_os)
    small = spec(prune=["none"], space={"array.rows": [8, 16]})
    outcome = run_sweep(small, tmp_path / "out", workers=1, quiet=True)
    assert outcome.computed == 4 and outcome.errors == 2
    frame = load_results(tmp_path / "out")
    assert frame["status"].tolist() == ["ok", "error", "ok", "error"]
    assert frame.loc[frame["status"] == "error", "error"].tolist() == ["refused for the test"] * 2
    assert frame.loc[frame["status"] == "error", "cycles"].isna().all()
    assert "Points the simulator refused" in (tmp_path / "out" / "report" / "report.md").read_text()
    monkeypatch.setattr(accelsim.sim, "simulate", real)
    again = run_sweep(small, tmp_path / "out", resume=True, workers=1, quiet=True, report=False)
    assert again.computed == 0


def test_seeds_are_crossed_and_each_seed_gives_its_own_synthetic_weights(tmp_path):
    data = spec(arch="unstructured-os-32x32", prune=["unstructured:0.8"], seeds=[0, 3], dataflows=["os"],
                space={"array.rows": [8]})
    frame = accelsim.sweep(data, workers=1)
    assert frame["seed"].tolist() == [0, 3]
    arch = arch_from_dict({**yaml.safe_load((REPO / "workloads/arch/unstructured-os-32x32.yaml").read_text()),
                           "array": {"rows": 8, "cols": 32}})
    for _, row in frame.iterrows():
        seed = int(row["seed"])
        direct = accelsim.simulate(load_workload("tiny-cnn", seed=seed), arch, prune="unstructured:0.8", seed=seed)
        assert (row["cycles"], row["energy_pj"]) == (direct.total.cycles, direct.total.energy_pj)
    assert frame["energy_pj"][0] != frame["energy_pj"][1]      # other weights, other zeros


@pytest.mark.parametrize("code", [
    "import accelsim; assert callable(accelsim.sweep); accelsim.sweep.plan_sweep('tiny-grid')",
    "import accelsim.sweep.api; import accelsim; assert callable(accelsim.sweep) and accelsim.sweep.check_sweep",
    "from accelsim.sweep import load_sweep_spec; import accelsim; assert accelsim.sweep.load_sweep_spec is load_sweep_spec",
])
def test_sweep_is_a_function_and_a_package_in_any_import_order(code):
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_a_torch_pruned_checkpoint_is_swept_with_its_own_weights(tmp_path):
    """What users bring: a state dict pruned by torch.nn.utils.prune (weight_orig/weight_mask pairs, -0.0 zeros)."""
    import torch
    from torch import nn
    from torch.nn.utils import prune as torch_prune

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 16, 3, padding=1),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
    for module in (model[0], model[2], model[5]):
        torch_prune.l1_unstructured(module, "weight", amount=0.7)
    path = tmp_path / "pruned.pt"
    torch.save(model.state_dict(), path)
    data = spec(workloads=[{"workload": str(path), "input_shape": [3, 16, 16]}], prune=["none"],
                arch="unstructured-os-32x32", dataflows=["os"], space={"array.rows": [8, 16]})
    with pytest.warns(UserWarning):
        frame = accelsim.sweep(data, workers=1)
    assert frame["status"].tolist() == ["ok", "ok"]
    with pytest.warns(UserWarning):
        workload = load_workload(path, input_shape=(3, 16, 16))
    base = yaml.safe_load((REPO / "workloads/arch/unstructured-os-32x32.yaml").read_text())
    for _, row in frame.iterrows():
        arch = arch_from_dict({**base, "array": {"rows": int(row["array.rows"]), "cols": 32}})
        direct = accelsim.simulate(workload, arch)
        assert (row["cycles"], row["energy_pj"]) == (direct.total.cycles, direct.total.energy_pj)
    # the pruned weights are skipped: fewer effectual MACs than dense ones
    assert (frame["macs_effectual"] < frame["macs_dense"]).all()


def test_the_mapping_objective_is_a_sweepable_arch_field(tmp_path):
    data = spec(prune=["none"], dataflows=["ws"],
                space={"buffers.input_kib": [1, 64], "mapping.objective": ["latency", "energy", "edp"]})
    outcome = run_sweep(data, tmp_path / "obj", workers=1, quiet=True, report=False)
    assert outcome.computed == 6
    frame = load_results(tmp_path / "obj")
    assert sorted(set(frame["mapping.objective"])) == ["edp", "energy", "latency"]
    assert frame["key"].is_unique
    base = yaml.safe_load(Path(load_arch("nm24-ws-32x32").source).read_text())
    workload = load_workload("tiny-cnn")
    for _, row in frame.iterrows():
        data = copy.deepcopy(base)
        data["buffers"]["input_kib"] = row["buffers.input_kib"]
        data["mapping"] = {"mode": "auto", "objective": row["mapping.objective"]}
        direct = accelsim.simulate(workload, arch_from_dict(data), dataflow="ws")
        assert row["cycles"] == direct.total.cycles
    bad = spec(prune=["none"], space={"mapping.objective": ["latency", "area"]})
    with pytest.raises(AccelsimInputError, match="mapping.objective"):
        plan_sweep(bad)
