"""`accelsim rtl` emits the arch's own dataflow, and refuses a combination without hardware sense."""

import json

from accelsim_cli import run

UNSTRUCTURED_WS = """\
name: unstructured-ws-4x4
array: {rows: 4, cols: 4}
dataflow: ws
precision: {weight_bits: 8, activation_bits: 8, accumulator_bits: 32}
pe: {sparsity: unstructured, index_bits: 4}
buffers: {weight_kib: 16, input_kib: 16, output_kib: 16}
dram: {bandwidth_bytes_per_cycle: 16}
"""


def test_rtl_refuses_unstructured_ws_with_exit_2(tmp_path):
    arch = tmp_path / "uws.yaml"
    arch.write_text(UNSTRUCTURED_WS)
    out = tmp_path / "out"
    r = run("rtl", "--arch", str(arch), "--out", str(out))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "no WS array top for a unstructured PE" in r.stderr
    assert "activation-supply rule" in r.stderr and "Traceback" not in r.stderr
    assert not (out / "manifest.json").exists()


def test_rtl_eyeriss_emits_an_os_array(tmp_path):
    r = run("rtl", "--arch", "eyeriss-12x14", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    arr = manifest["tops"][1]
    assert arr["kind"] == "array" and arr["parameters"]["dataflow"] == "os"
    assert manifest["arch"]["dataflow"] == "os"
    text = (tmp_path / arr["file"]).read_text()
    assert "in_last" in text and "w_we" not in text      # a beat stream, no stationary weight load
