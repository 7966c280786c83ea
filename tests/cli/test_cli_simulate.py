"""`accelsim simulate`: table, the JSON contract of DESIGN.md, and bad input."""

import json

import pytest

from accelsim_cli import run


def test_simulate_json_contract(tmp_path):
    out = tmp_path / "sim.json"
    r = run("simulate", "--workload", "tiny-cnn", "--arch", "nm24-ws-32x32", "--prune", "nm:2:4",
            "--json", str(out))
    assert r.returncode == 0, r.stderr
    assert "TOTAL" in r.stdout and "versus dense" in r.stdout
    data = json.loads(out.read_text())
    names = [l["name"] for l in data["layers"]]
    assert names == ["conv1", "conv2", "conv3", "fc"]
    for layer in data["layers"]:
        assert isinstance(layer["cycles"], int) and layer["cycles"] > 0
        assert 0 < layer["utilization"] <= 1
        parts = {k: v for k, v in layer["energy_pj"].items() if k != "total"}
        assert layer["energy_pj"]["total"] == pytest.approx(sum(parts.values()))
    assert data["total"]["cycles"] == sum(l["cycles"] for l in data["layers"])
    assert data["total"]["energy_pj"] == pytest.approx(sum(l["energy_pj"]["total"] for l in data["layers"]))
    # pruned 2:4 on the 2:4 PE is faster than the dense baseline written beside it
    assert data["total"]["cycles"] < data["dense_baseline"]["total"]["cycles"]


def test_simulate_same_run_twice_same_json(tmp_path):
    outs = []
    for i in range(2):
        out = tmp_path / f"s{i}.json"
        r = run("simulate", "--workload", "tiny-cnn", "--arch", "unstructured-os-32x32",
                "--prune", "unstructured:0.7", "--json", str(out))
        assert r.returncode == 0, r.stderr
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


def test_scalesim_cfg_accepted_as_arch(tmp_path):
    cfg = tmp_path / "tpu.cfg"
    cfg.write_text("[general]\nrun_name = t\n\n[architecture_presets]\nArrayHeight: 8\nArrayWidth: 8\n"
                   "IfmapSramSzkB: 64\nFilterSramSzkB: 64\nOfmapSramSzkB: 32\nIfmapOffset: 0\n"
                   "FilterOffset: 10000000\nOfmapOffset: 20000000\nDataflow: os\nBandwidth: 10\n"
                   "MemoryBanks: 1\n\n[run_presets]\nInterfaceBandwidth: CALC\n")
    r = run("simulate", "--workload", "tiny-cnn", "--arch", str(cfg))
    assert r.returncode == 0, r.stderr
    assert "dataflow OS" in r.stdout
    assert "mapping scalesim" in r.stdout          # .cfg inputs keep SCALE-Sim's loop order


def test_simulate_mapping_options_and_json(tmp_path):
    outs = {}
    for mapping in ("auto", "scalesim"):
        out = tmp_path / f"{mapping}.json"
        r = run("simulate", "--workload", "resnet18", "--arch", "dense-ws-32x32", "--mapping", mapping,
                "--mapping-detail", "--json", str(out))
        assert r.returncode == 0, r.stderr
        assert "x compulsory" in r.stdout
        outs[mapping] = json.loads(out.read_text())
    auto, fixed = outs["auto"], outs["scalesim"]
    assert auto["mapping"] == "auto (edp)" and fixed["mapping"] == "scalesim"
    for layer in auto["layers"]:
        mp = layer["mapping"]
        assert mp["mode"] == "auto" and mp["objective"] == "edp"
        assert set(mp["order"]) == set("mnk")
        assert set(mp["dram_bits"]) == {"weights", "inputs", "outputs", "psum_spill"}
        dram = layer["bytes"]["dram"]["total"]
        assert layer["compulsory_ratio"] == pytest.approx(dram / layer["compulsory_dram_bytes"])
    assert auto["compulsory_dram_bytes"] == fixed["compulsory_dram_bytes"]
    assert auto["total"]["cycles"] < fixed["total"]["cycles"]
    r = run("simulate", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32", "--objective", "latency")
    assert r.returncode == 0 and "mapping auto (latency)" in r.stdout


@pytest.mark.parametrize("args, fragment", [
    (["--dataflow", "rs"], "rs"),
    (["--format", "bsr:3"], "format.block: got '3'"),
    (["--activation-sparsity", "assume:2"], "--activation-sparsity"),
    (["--arch", "/nonexistent/arch.yaml"], "does not exist"),
    (["--mapping", "greedy"], "mapping: got 'greedy'; allowed: None (the arch's mapping), 'auto', 'scalesim'"),
    (["--objective", "area"], "objective: got 'area'; allowed: one of latency, energy, edp"),
    (["--mapping", "scalesim", "--objective", "energy"], "None when the mapping is scalesim"),
])
def test_simulate_bad_input_exit_2(args, fragment):
    argv = ["simulate", "--workload", "tiny-cnn"]
    if "--arch" not in args:
        argv += ["--arch", "dense-ws-32x32"]
    r = run(*argv, *args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert fragment in r.stderr and "Traceback" not in r.stderr
