"""`accelsim compare` as a user runs it: files, consistency, embedding, determinism, help that matches
what runs, provenance of the command line, errors."""

import base64
import csv
import fcntl
import json
import re

import pytest

from accelsim_cli import run

ARGS = ["compare", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32", "--arch", "nm24-ws-32x32",
        "--arch", "unstructured-os-32x32", "--dataflows", "ws,os", "--prune", "nm:2:4",
        "--prune", "unstructured:0.8", "--quiet"]
PLOTS = ["latency.png", "speedup_energy_vs_dense.png", "layer_speedup_heatmap.png", "energy_per_mac.png",
         "roofline.png", "utilization.png", "pareto.png", "storage.png"]


@pytest.fixture(scope="session")
def report_dir(tmp_path_factory, worker_id):
    """The report of ARGS, written once per session: the first xdist worker runs it under a file lock."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if worker_id != "master" else base
    out = root / "cli-compare-review"
    with open(root / "cli-compare-review.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "report.html").is_file():
            r = run(*ARGS, "--out", str(out))
            assert r.returncode == 0, r.stderr
    return out


def _results(report_dir):
    return json.loads((report_dir / "results.json").read_text())


def test_all_files_present(report_dir):
    for name in ["report.md", "report.html", "results.json", "results.csv", *PLOTS]:
        path = report_dir / name
        assert path.is_file() and path.stat().st_size > 0, name
    for name in PLOTS:
        assert (report_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_csv_and_json_agree(report_dir):
    data = _results(report_dir)
    with open(report_dir / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(data["layers"]) > 0
    for row, rec in zip(rows, data["layers"]):
        assert row["config"] == rec["config"] and row["layer"] == rec["layer"]
        assert int(row["cycles"]) == rec["cycles"]
        assert float(row["energy_pj_total"]) == pytest.approx(rec["energy_pj_total"])
        assert row["limiter"] == rec["limiter"] in ("compute", "dram_bandwidth", "sram_bandwidth", "load_imbalance")
        assert int(row["dram_bytes_total"]) == int(row["dram_bytes_values"]) + int(row["dram_bytes_metadata"])
    # each config's totals are the sums of its layers; the energy parts add up to the total
    for cfg in data["configs"]:
        layers = [r for r in data["layers"] if r["config"] == cfg["config"]]
        assert cfg["cycles"] == sum(r["cycles"] for r in layers)
        assert cfg["energy_pj_total"] == pytest.approx(sum(r["energy_pj_total"] for r in layers))
        parts = [k for k in cfg if k.startswith("energy_pj_") and k != "energy_pj_total"]
        assert len(parts) == 7
        assert cfg["energy_pj_total"] == pytest.approx(sum(cfg[k] for k in parts))


def test_every_combination_or_a_reason(report_dir):
    data = _results(report_dir)
    labels = [c["config"] for c in data["configs"]]
    skipped = {s["config"]: s["reason"] for s in data["skipped"]}
    for arch in ("dense-ws-32x32", "nm24-ws-32x32", "unstructured-os-32x32"):
        for df in ("WS", "OS"):
            assert f"{arch}/{df}/unpruned/dense" in labels
            for prune in ("nm:2:4", "unstructured:0.8"):
                assert sum(lbl.startswith(f"{arch}/{df}/{prune}/") for lbl in labels + list(skipped)) == 1
    # the N:M arch cannot run nm:2:4 on unstructured-pruned weights: skipped, with the reason
    assert "needs weights pruned with nm:2:4" in skipped["nm24-ws-32x32/WS/unstructured:0.8/nm:2:4"]
    # pruned weights on the dense arch run as dense: that is the baseline again, not repeated
    assert "same cycles and energy as the unpruned dense baseline" in skipped["dense-ws-32x32/WS/nm:2:4/dense"]


def test_one_dense_baseline_per_arch_and_dataflow(report_dir):
    data = _results(report_dir)
    baselines = [(c["arch"], c["dataflow"]) for c in data["configs"] if c["format"] == "dense"]
    assert len(baselines) == len(set(baselines)) == 6
    assert all(c["prune"] == "none" for c in data["configs"] if c["format"] == "dense")


def test_markdown_tables_match_json(report_dir):
    data = _results(report_dir)
    md = (report_dir / "report.md").read_text()
    section = md.split("## Cycles, traffic and limits", 1)[1].split("## Plots", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| arch")]
    assert len(rows) == len(data["configs"])
    for line, cfg in zip(rows, data["configs"]):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[:4] == [cfg["arch"], cfg["dataflow"].upper(), cfg["prune"], cfg["format"]]
        assert cells[4] == f"{cfg['cycles']:,}"
    for name in PLOTS:
        assert f"]({name})" in md


def test_html_is_self_contained(report_dir):
    html = (report_dir / "report.html").read_text()
    assert "http://" not in html and "https://" not in html and "<script" not in html
    uris = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", html)
    assert len(uris) == len(PLOTS)
    embedded = {base64.b64decode(u) for u in uris}
    assert embedded == {(report_dir / n).read_bytes() for n in PLOTS}
    assert html.count("<figcaption>") == len(PLOTS)


def test_pareto_front_is_non_dominated(report_dir):
    data = _results(report_dir)
    pts = {c["config"]: (c["latency_s"], c["energy_pj_total"]) for c in data["configs"]}
    assert data["pareto_front"]
    for name in data["pareto_front"]:
        x, y = pts[name]
        assert not any(a <= x and b <= y and (a < x or b < y) for a, b in pts.values())
    for name, (x, y) in pts.items():
        if name not in data["pareto_front"]:
            assert any(a <= x and b <= y and (a < x or b < y) for a, b in pts.values())


def test_provenance_records_the_command_line(report_dir):
    prov = _results(report_dir)["provenance"]
    assert prov["command"] == (
        "accelsim compare --workload tiny-cnn --arch dense-ws-32x32 --arch nm24-ws-32x32 "
        "--arch unstructured-os-32x32 --dataflows ws,os --prune nm:2:4 --prune unstructured:0.8 "
        f"--seed 0 --tokens 128 --out {report_dir}")
    assert "generated_at" not in prov
    assert prov["command"] in (report_dir / "report.md").read_text()


def test_same_command_twice_gives_identical_files(report_dir, tmp_path):
    before = {p.name: p.read_bytes() for p in report_dir.iterdir() if p.is_file()}
    r = run(*ARGS, "--out", str(report_dir))
    assert r.returncode == 0, r.stderr
    for name in ["results.json", "results.csv", "report.md", "report.html", *PLOTS]:
        assert (report_dir / name).read_bytes() == before[name], name


def test_dataflows_all_formats_timestamp_and_what_is_not_run(tmp_path):
    r = run("compare", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32", "--dataflows", "all",
            "--formats", "dense,bsr:4x4", "--prune", "block:4x4:0.5:pad", "--quiet", "--timestamp",
            "--out", str(tmp_path / "t"))
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "t" / "results.json").read_text())
    assert [c["config"] for c in data["configs"]] == [f"dense-ws-32x32/{df}/unpruned/dense" for df in ("WS", "OS", "IS")]
    assert "skipped dense-ws-32x32/WS/block:4x4:0.5:pad/bsr:4x4: the dense PE of dense-ws-32x32 cannot exploit " \
           "bsr:4x4" in r.stdout
    assert "skipped dense-ws-32x32/IS/block:4x4:0.5:pad/dense: same cycles and energy as the unpruned dense " \
           "baseline" in r.stdout
    assert len(data["skipped"]) == 6
    prov = data["provenance"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", prov["generated_at"])
    assert "--timestamp" in prov["command"] and "--formats dense,bsr:4x4" in prov["command"]
    assert f"written {prov['generated_at']}" in (tmp_path / "t" / "report.html").read_text()


def test_help_says_what_runs():
    r = run("compare", "--help")
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    assert "default: each arch's own dataflow only" in text
    assert "default: each arch's native format only" in text
    assert "'all'" in text and "--mapping" in text and "--timestamp" in text


def test_defaults_run_what_the_help_says(tmp_path):
    """No --dataflows: the arch's own dataflow (OS) only; no --formats: its native format (csr) only."""
    r = run("compare", "--workload", "tiny-cnn", "--arch", "unstructured-os-32x32", "--prune", "unstructured:0.8",
            "--quiet", "--out", str(tmp_path / "d"))
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "d" / "results.json").read_text())
    assert [c["config"] for c in data["configs"]] == ["unstructured-os-32x32/OS/unpruned/dense",
                                                      "unstructured-os-32x32/OS/unstructured:0.8/csr"]
    assert data["skipped"] == []


@pytest.mark.parametrize("extra, fragment", [
    (["--dataflows", "ws,rs"], "--dataflows: got 'rs'; allowed: one of ws, os, is"),
    (["--dataflows", "ws,,os"], "--dataflows"),
    (["--formats", "csr,zip"], "zip"),
    (["--prune", "nm:5:4"], "nm"),
    (["--prune", ""], "--prune: got ''; allowed: a pruning scheme such as 'nm:2:4', or 'none'"),
    (["--prune", "  "], "--prune: got '  '"),
])
def test_bad_input_exit_2(tmp_path, extra, fragment):
    r = run("compare", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32", "--out", str(tmp_path / "x"), *extra)
    assert r.returncode == 2, r.stdout + r.stderr
    assert fragment in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x").exists()


def test_out_checked_before_any_work(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("do not delete")
    r = run("compare", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32", "--quiet", "--out", str(tmp_path / "mine"))
    assert r.returncode == 2 and "--out" in r.stderr
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "do not delete"


def test_compare_area_option(tmp_path):
    out = tmp_path / "rep"
    r = run("compare", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32", "--area", "--out", str(out), "-q")
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads((out / "results.json").read_text())
    arch = data["archs"][0]
    assert 0.1 < arch["area_mm2"] < 10 and "NanGate" in arch["area_source"]
    assert data["configs"][0]["area_mm2"] == arch["area_mm2"]
    assert "--area" in data["provenance"]["command"]
    assert "area (mm^2)" in (out / "report.md").read_text()


def test_mapping_passes_through_to_every_run(tmp_path):
    results = {}
    for mapping in ("scalesim", "auto:latency"):
        out = tmp_path / mapping.replace(":", "-")
        r = run("compare", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32", "--mapping", mapping,
                "--quiet", "--out", str(out))
        assert r.returncode == 0, r.stderr
        results[mapping] = json.loads((out / "results.json").read_text())
        assert results[mapping]["provenance"]["mapping"] == mapping
        assert f"--mapping {mapping}" in results[mapping]["provenance"]["command"]
    fixed = results["scalesim"]["configs"][0]
    tuned = results["auto:latency"]["configs"][0]
    assert tuned["cycles"] <= fixed["cycles"]
    r = run("compare", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32", "--mapping", "greedy",
            "--quiet", "--out", str(tmp_path / "bad"))
    assert r.returncode == 2 and "mapping: got 'greedy'" in r.stderr and "Traceback" not in r.stderr
