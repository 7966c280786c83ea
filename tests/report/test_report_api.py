"""accelsim.compare and ComparisonResult: the public API, its figures of merit, exports and guarantees."""

import dataclasses
import inspect
import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

import accelsim
from accelsim.errors import AccelsimInputError
from accelsim.report import ComparisonResult
from accelsim.report.records import layer_limiter, layer_records, winners
from accelsim.sim import simulate

ARCHS = ["dense-ws-32x32", "unstructured-os-32x32"]


@pytest.fixture(scope="module")
def small():
    return accelsim.compare("tiny-cnn", ARCHS, dataflows=["ws", "os"], prunes=["unstructured:0.8", "nm:2:4"])


def test_compare_is_the_public_api(small):
    assert "compare" in dir(accelsim) and "ComparisonResult" in dir(accelsim)
    assert accelsim.compare is accelsim.report.compare
    assert isinstance(small, ComparisonResult)
    params = inspect.signature(accelsim.compare).parameters
    for name in ("workload", "archs", "dataflows", "prunes", "formats", "seed", "mapping"):
        assert name in params


def test_what_runs(small):
    assert [s["config"] for s in small.configs] == [
        "dense-ws-32x32/WS/unpruned/dense", "dense-ws-32x32/OS/unpruned/dense",
        "unstructured-os-32x32/WS/unpruned/dense", "unstructured-os-32x32/WS/unstructured:0.8/csr",
        "unstructured-os-32x32/WS/nm:2:4/csr", "unstructured-os-32x32/OS/unpruned/dense",
        "unstructured-os-32x32/OS/unstructured:0.8/csr", "unstructured-os-32x32/OS/nm:2:4/csr"]
    assert sorted(c.label for c, _ in small.skipped) == [
        "dense-ws-32x32/OS/nm:2:4/dense", "dense-ws-32x32/OS/unstructured:0.8/dense",
        "dense-ws-32x32/WS/nm:2:4/dense", "dense-ws-32x32/WS/unstructured:0.8/dense"]


def test_figures_of_merit_follow_from_the_simulator(small):
    runs = {run.config.label: run.result for run in small.comparison.runs}
    base = {(s["arch"], s["dataflow"]): runs[s["config"]] for s in small.configs if s["baseline"]}
    for s in small.configs:
        total = runs[s["config"]].total
        clock_hz = small.archs[s["arch"]].clock_mhz * 1e6
        latency = total.cycles / clock_hz
        assert s["cycles"] == total.cycles
        assert s["latency_s"] == pytest.approx(latency)
        assert s["inferences_per_s"] == pytest.approx(1 / latency)
        assert s["effective_tops"] == pytest.approx(2 * total.macs_dense / latency / 1e12)
        assert s["tops_per_w"] == pytest.approx(2 * total.macs_dense / total.energy_pj)
        assert s["pj_per_mac"] == pytest.approx(total.energy_pj / total.macs_dense)
        assert sum(s[f"pj_per_mac_{p}"] for p in ("mac", "pe_idle", "index_decode", "weight_sram", "input_sram",
                                                  "output_sram", "dram")) == pytest.approx(s["pj_per_mac"])
        b = base[(s["arch"], s["dataflow"])].total
        assert s["speedup_vs_dense"] == pytest.approx(b.cycles / total.cycles)
        assert s["energy_saving_vs_dense"] == pytest.approx(1 - total.energy_pj / b.energy_pj)
        assert s["dram_bytes_total"] == total.bytes["dram"]["total"]
        assert sum(s["limiter_share"].values()) == pytest.approx(1.0)
        assert s["limited_by"] == max(s["limiter_share"], key=s["limiter_share"].get)


def test_per_layer_speedup_against_the_baseline_layer(small):
    runs = {run.config.label: run.result for run in small.comparison.runs}
    for row in small.layers:
        base = runs[f"{row['arch']}/{row['dataflow'].upper()}/unpruned/dense"][row["layer"]]
        assert row["speedup_vs_dense"] == pytest.approx(base.cycles / row["cycles"])


def test_dense_format_of_pruned_weights_is_the_baseline_again():
    """Why a pruned run in the dense format is listed as "same as the baseline" instead of run."""
    net = accelsim.load_workload("tiny-cnn")
    for scheme in ("unstructured:0.8", "nm:2:4", "block:4x4:0.5:pad"):
        pruned = accelsim.prune(net, scheme)
        for name in ("dense-ws-32x32", "nm24-ws-32x32", "unstructured-os-32x32", "block4x4-ws-32x32"):
            arch = accelsim.load_arch(name)
            for df in ("ws", "os", "is"):
                a = simulate(net, arch, dataflow=df, format="dense")
                b = simulate(pruned, arch, dataflow=df, format="dense")
                assert (a.total.cycles, a.total.energy_pj) == (b.total.cycles, b.total.energy_pj), (scheme, name, df)


def test_to_dataframe(small):
    frame = small.to_dataframe()
    assert len(frame) == len(small.configs)
    for column in ("config", "latency_s", "inferences_per_s", "effective_tops", "tops_per_w", "pj_per_mac",
                   "energy_pj_dram", "speedup_vs_dense", "limited_by", "limiter_share_dram_bandwidth"):
        assert column in frame.columns, column
    assert list(frame["cycles"]) == [s["cycles"] for s in small.configs]
    layers = small.to_dataframe("layer")
    assert len(layers) == len(small.layers) == 4 * len(small.configs)
    assert set(layers["limiter"]) <= {"compute", "dram_bandwidth", "sram_bandwidth", "load_imbalance"}
    with pytest.raises(AccelsimInputError, match="level"):
        small.to_dataframe("arch")


def _no_plots(monkeypatch):
    """Plots are not what these tests are about (tests/report/test_report_plots.py is): skip drawing them."""
    import accelsim.report.writer as writer

    monkeypatch.setattr(writer, "make_plots", lambda result: [])


def test_to_dict_is_what_results_json_holds(small, tmp_path, monkeypatch):
    _no_plots(monkeypatch)
    files = small.write_report(tmp_path / "r")
    assert json.loads(files["results.json"].read_text()) == json.loads(json.dumps(small.to_dict()))
    data = small.to_dict()
    assert data["schema"] == "accelsim-compare/2"
    assert {"provenance", "archs", "configs", "layers", "skipped", "pareto_front", "winners", "storage"} <= set(data)


def test_same_inputs_same_results():
    a = accelsim.compare("tiny-cnn", ["nm24-ws-32x32"], prunes=["nm:2:4"]).to_dict()
    b = accelsim.compare("tiny-cnn", ["nm24-ws-32x32"], prunes=["nm:2:4"]).to_dict()
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_workload_hash_follows_the_weights():
    def hashes(seed):
        r = accelsim.compare("tiny-cnn", ["dense-ws-32x32"], seed=seed)
        return {i["kind"]: i["sha256"] for i in r.provenance.inputs}

    zero, one = hashes(0), hashes(1)
    assert zero["workload content"] != one["workload content"]
    assert zero["workload file"] == one["workload file"]
    assert zero == hashes(0)


def test_write_report_replaces_the_folder_whole(small, tmp_path, monkeypatch):
    _no_plots(monkeypatch)
    out = tmp_path / "review"
    small.write_report(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    import accelsim.report.writer as writer

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(writer, "render_html", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        small.write_report(out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["review"]  # no staging folder left behind


def test_write_report_refuses_a_folder_of_someone_elses_files(small, tmp_path):
    (tmp_path / "thesis").mkdir()
    (tmp_path / "thesis" / "chapter1.tex").write_text("x")
    with pytest.raises(AccelsimInputError, match="did not write"):
        small.write_report(tmp_path / "thesis")
    assert (tmp_path / "thesis" / "chapter1.tex").read_text() == "x"


def test_mapping_goes_to_the_simulator_only_when_given(monkeypatch):
    import accelsim.sim

    calls = []

    def recording(workload, arch, *, dataflow=None, format=None, seed=0, mapping=None, **kw):
        calls.append(mapping)
        return simulate(workload, arch, dataflow=dataflow, format=format, seed=seed)

    recording_kwargs = []

    def strict(workload, arch, **kwargs):
        recording_kwargs.append(sorted(kwargs))
        return simulate(workload, arch, **kwargs)

    monkeypatch.setattr(accelsim.sim, "simulate", strict)
    accelsim.compare("tiny-cnn", ["dense-ws-32x32"])
    assert recording_kwargs == [["dataflow", "format", "seed"]]
    monkeypatch.setattr(accelsim.sim, "simulate", recording)
    r = accelsim.compare("tiny-cnn", ["dense-ws-32x32"], mapping="scalesim")
    assert calls == ["scalesim"]
    assert r.provenance.mapping == "scalesim"
    assert r.arch_parameters()[0]["mapping"] == "scalesim (given to compare)"


@pytest.mark.parametrize("kwargs, fragment", [
    ({"archs": []}, "no architecture"),
    ({"dataflows": "ws,xs"}, "dataflows: got 'xs'"),
    ({"prunes": [3]}, "prunes"),
    ({"seed": -1}, "seed"),
    ({"archs": ["dense-ws-32x32", "dense-ws-32x32"]}, "twice"),
    ({"formats": ["csr", "nope"]}, "nope"),
])
def test_bad_arguments_are_input_errors(kwargs, fragment):
    args = {"archs": ["dense-ws-32x32"], **kwargs}
    with pytest.raises(AccelsimInputError) as info:
        accelsim.compare("tiny-cnn", **args)
    assert fragment in str(info.value)


def test_limiter_is_the_simulators():
    # the report copies LayerResult.limiter; it does not re-derive it from cycles
    assert layer_limiter(SimpleNamespace(limiter="sram_bandwidth", cycles=100, stall_cycles=90)) == "sram_bandwidth"
    arch = accelsim.load_arch("unstructured-os-32x32")
    arch = dataclasses.replace(arch, dram_bandwidth_bytes_per_cycle=math.inf)   # no DRAM stalls
    comparison = accelsim.compare("tiny-cnn", archs=[arch], prunes=["unstructured:0.9"]).comparison
    rows = layer_records(comparison)
    expected = [layer.limiter for run in comparison.runs for layer in run.result.layers]
    assert [row["limiter"] for row in rows] == expected
    assert "sram_bandwidth" in expected          # 90% unstructured on OS: activation supply binds


def test_winners_and_by_how_much():
    def summary(label, latency, energy, baseline=False, arch="a", df="ws"):
        return {"config": label, "latency_s": latency, "energy_pj_total": energy, "baseline": baseline,
                "arch": arch, "dataflow": df, "energy_delay_pj_s": latency * energy, "dram_bytes_total": 10,
                "utilization": 0.5}

    rows = [summary("a/base", 4.0, 40.0, True), summary("a/sparse", 1.0, 30.0),
            summary("b/base", 2.0, 20.0, True, arch="b"), summary("b/sparse", 1.5, 25.0, arch="b")]
    by = {w["key"]: w for w in winners(rows)}
    fast = by["latency_s"]
    assert (fast["config"], fast["runner_up"]) == ("a/sparse", "b/sparse")
    assert fast["vs_runner_up"] == pytest.approx(1.5)
    assert fast["vs_own_baseline"] == pytest.approx(4.0)
    assert (fast["best_baseline"], fast["vs_best_baseline"]) == ("b/base", pytest.approx(2.0))
    green = by["energy_pj_total"]
    assert (green["config"], green["vs_own_baseline"], green["vs_runner_up"]) == ("b/base", 1.0, 1.25)


def test_storage_counts_the_int8_zeros_the_simulator_counts():
    from accelsim.sim.quantize import quantize_symmetric
    from accelsim.workload import load_workload

    result = accelsim.compare("tiny-cnn", archs=["unstructured-os-32x32"], formats=["csr"])
    comparison = result.comparison
    (key,) = [k for k in comparison.storage if k[1] == "csr"]
    workload = load_workload("tiny-cnn")
    nonzero = sum(int(np.count_nonzero(quantize_symmetric(layer.weight, 8)[0]))
                  for layer in workload if layer.weight is not None)
    assert comparison.storage[key]["total"]["storage_bits"]["values"] == nonzero * 8
    run = [r for r in comparison.runs if r.config.format == "csr"][0]
    assert run.result.total.macs_effectual == sum(
        int(np.count_nonzero(quantize_symmetric(l.weight, 8)[0])) * l.m
        for l in workload if l.weight is not None) + sum(l.macs for l in workload if l.weight is None)
