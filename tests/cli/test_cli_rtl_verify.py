"""`accelsim rtl` and `accelsim verify` from the command line: files, pass, caught breakage, errors."""

import json

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
