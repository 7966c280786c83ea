"""`accelsim compare` and the report writer: files, consistency, embedding, determinism, errors."""

import base64
import csv
import json
import re

import pytest

from accelsim.report.plots import pareto_front
from accelsim_cli import run

ARGS = ["compare", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32", "--arch", "nm24-ws-32x32",
        "--arch", "unstructured-os-32x32", "--dataflows", "ws,os", "--prune", "nm:2:4",
        "--prune", "unstructured:0.8", "--quiet"]
PLOTS = ["cycles_per_layer.png", "energy_breakdown.png", "utilization.png", "speedup_energy_vs_dense.png",
         "storage.png", "pareto.png"]


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    r = run(*ARGS, "--out", str(out))
    assert r.returncode == 0, r.stderr
    return out


def test_all_files_present(report_dir):
    for name in ["report.md", "report.html", "results.json", "results.csv", *PLOTS]:
        path = report_dir / name
        assert path.is_file() and path.stat().st_size > 0, name
    for name in PLOTS:
        assert (report_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_csv_and_json_agree(report_dir):
    data = json.loads((report_dir / "results.json").read_text())
    with open(report_dir / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(data["layers"]) > 0
    for row, rec in zip(rows, data["layers"]):
        assert row["config"] == rec["config"] and row["layer"] == rec["layer"]
        assert int(row["cycles"]) == rec["cycles"]
        assert float(row["energy_pj_total"]) == pytest.approx(rec["energy_pj_total"])
    # each config's totals are the sums of its layers
    for cfg in data["configs"]:
        layers = [r for r in data["layers"] if r["config"] == cfg["config"]]
        assert cfg["cycles"] == sum(r["cycles"] for r in layers)
        assert cfg["energy_pj_total"] == pytest.approx(sum(r["energy_pj_total"] for r in layers))
        parts = [k for k in cfg if k.startswith("energy_pj_") and k != "energy_pj_total"]
        assert cfg["energy_pj_total"] == pytest.approx(sum(cfg[k] for k in parts))


def test_every_combination_or_a_reason(report_dir):
    data = json.loads((report_dir / "results.json").read_text())
    labels = {c["config"] for c in data["configs"]} | {s["config"] for s in data["skipped"]}
    for arch in ("dense-ws-32x32", "nm24-ws-32x32", "unstructured-os-32x32"):
        for df in ("WS", "OS"):
            assert f"{arch}/{df}/unpruned/dense" in labels
    # the N:M arch cannot run nm:2:4 on unstructured-pruned weights: skipped, with the reason
    skipped = {s["config"]: s["reason"] for s in data["skipped"]}
    assert "nm24-ws-32x32/WS/unstructured:0.8/nm:2:4" in skipped
    assert "needs weights pruned with nm:2:4" in skipped["nm24-ws-32x32/WS/unstructured:0.8/nm:2:4"]


def test_markdown_table_matches_json(report_dir):
    data = json.loads((report_dir / "results.json").read_text())
    md = (report_dir / "report.md").read_text()
    for cfg in data["configs"]:
        line = next(l for l in md.splitlines() if l.startswith(f"| {cfg['config']} "))
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells[1] == f"{cfg['cycles']:,}"
        assert cells[7] == cfg["limited_by"]
        assert (cells[8] == "yes") == (cfg["config"] in data["pareto_front"])
    for name in PLOTS:
        assert f"]({name})" in md


def test_html_is_self_contained(report_dir):
    html = (report_dir / "report.html").read_text()
    assert "http://" not in html and "https://" not in html
    uris = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", html)
    assert len(uris) == len(PLOTS)
    embedded = {base64.b64decode(u) for u in uris}
    assert embedded == {(report_dir / n).read_bytes() for n in PLOTS}


def test_pareto_front_is_non_dominated(report_dir):
    data = json.loads((report_dir / "results.json").read_text())
    pts = {c["config"]: (c["cycles"], c["energy_pj_total"]) for c in data["configs"]}
    for name in data["pareto_front"]:
        x, y = pts[name]
        assert not any(a <= x and b <= y and (a < x or b < y) for a, b in pts.values())
    for name, (x, y) in pts.items():
        if name not in data["pareto_front"]:
            assert any(a <= x and b <= y and (a < x or b < y) for a, b in pts.values())


def test_pareto_front_function():
    assert sorted(pareto_front([(1, 5), (2, 2), (3, 1), (3, 3), (1, 5)])) == [0, 1, 2, 4]


def test_same_run_twice_identical(report_dir, tmp_path):
    r = run(*ARGS, "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    for name in ["results.json", "results.csv", "report.md", *PLOTS]:
        assert (tmp_path / name).read_bytes() == (report_dir / name).read_bytes(), name


@pytest.mark.parametrize("extra, fragment", [
    (["--dataflows", "ws,rs"], "--dataflows: got 'rs'; allowed: one of ws, os, is"),
    (["--formats", "csr,zip"], "zip"),
    (["--prune", "nm:5:4"], "nm"),
])
def test_bad_input_exit_2(tmp_path, extra, fragment):
    r = run("compare", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32", "--out", str(tmp_path), *extra)
    assert r.returncode == 2, r.stdout + r.stderr
    assert fragment in r.stderr and "Traceback" not in r.stderr


def test_format_the_arch_cannot_run_is_skipped_and_said(tmp_path):
    r = run("compare", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32", "--formats", "dense,bsr:4x4",
            "--prune", "block:4x4:0.5:pad", "--quiet", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "skipped dense-ws-32x32/WS/block:4x4:0.5:pad/bsr:4x4: the dense PE of dense-ws-32x32 cannot exploit " \
           "bsr:4x4" in r.stdout
