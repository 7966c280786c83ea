"""Verilog export, manifest contents and Verilator lint of every generated top."""

import hashlib
import json

import pytest

from accelsim.errors import AccelsimInputError
from accelsim.spec import load_arch
from accelsim.rtl.export import MANIFEST_SCHEMA, generate
from accelsim.rtl.verilator import LINT_WAIVED_WARNINGS, lint, module_names


def _ports(top):
    return {p["name"]: (p["direction"], p["width"], p["signed"]) for p in top["ports"]}


def test_manifest_of_nm24(archs, tmp_path):
    manifest = generate(archs["nm"], tmp_path, array_shape=(4, 4))
    assert manifest == json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["schema"] == MANIFEST_SCHEMA
    pe, arr = manifest["tops"]
    assert (pe["name"], pe["kind"], arr["kind"]) == ("accelsim_nm24_ws_32x32_pe", "pe", "array")
    # widths by hand: 2 weights x 8 b, 4 activations x 8 b, 2 indices x 2 b, 32-b accumulator
    assert _ports(pe) == {
        "in_valid": ("in", 1, False), "in_ready": ("out", 1, False), "in_last": ("in", 1, False),
        "in_w": ("in", 16, False), "in_a": ("in", 32, False), "in_idx": ("in", 4, False),
        "out_valid": ("out", 1, False), "out_ready": ("in", 1, False), "out_data": ("out", 32, True),
        "clk": ("in", 1, False), "rst": ("in", 1, False)}
    # 4x4 array: w_data = 4 cols x 2 x 8, w_idx = 4 x 2 x 2, a_data = 4 rows x 4 x 8, o_data = 4 x 32
    ap = _ports(arr)
    assert (ap["w_data"][1], ap["w_idx"][1], ap["a_data"][1], ap["o_data"][1], ap["w_row"][1]) == \
        (64, 16, 128, 128, 2)
    assert pe["latency"]["formula"] == "max(beats, 1) + 2" and pe["latency"]["beats"] == "ceil(K / M)"
    assert arr["latency"]["formula"] == "rows + cols" and arr["latency"]["value_cycles"] == 8
    assert pe["parameters"] == {"kind": "nm", "weight_bits": 8, "activation_bits": 8,
                                "accumulator_bits": 32, "lanes": 2, "n": 2, "m": 4, "index_bits": 2}
    for top in manifest["tops"]:
        text = (tmp_path / top["file"]).read_text()
        assert hashlib.sha256(text.encode()).hexdigest() == top["sha256"]
        assert module_names(text) == [top["name"]]          # one module per file
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["manifest.json", pe["file"], arr["file"]])         # no temporary files left


def test_unstructured_os_arch_gets_an_os_array(archs, tmp_path):
    manifest = generate(archs["unstructured"], tmp_path, array_shape=(4, 4))
    assert [t["kind"] for t in manifest["tops"]] == ["pe", "array"]
    pe, arr = manifest["tops"]
    assert pe["parameters"]["window_words"] == 256
    assert _ports(pe)["act_addr"] == ("in", 8, False) and _ports(pe)["act_data"] == ("in", 8, True)
    assert arr["parameters"]["dataflow"] == "os" == manifest["arch"]["dataflow"]
    # compressed weights: 4 columns x (value 8 b, window index 8 b); one activation per row per cycle
    ap = _ports(arr)
    assert (ap["w_data"][1], ap["w_idx"][1], ap["act_data"][1], ap["act_addr"][1]) == (32, 32, 32, 8)
    assert "a_data" not in ap and arr["latency"]["formula"] == "max(beats, 1) + rows"


def test_eyeriss_gets_an_os_array_and_says_so(tmp_path):
    manifest = generate(load_arch("eyeriss-12x14"), tmp_path)
    arr = manifest["tops"][1]
    assert manifest["arch"]["dataflow"] == "os" and arr["parameters"]["dataflow"] == "os"
    assert (arr["parameters"]["rows"], arr["parameters"]["cols"]) == (12, 14)
    ap = _ports(arr)
    # OS ports: one beat = 12 rows x 16-b activations and 14 columns x 16-b weights
    assert (ap["a_data"][1], ap["w_data"][1], ap["o_data"][1]) == (12 * 16, 14 * 16, 14 * 32)
    assert "w_we" not in ap and "in_last" in ap


def test_every_bundled_arch_gets_an_array_of_its_dataflow(tmp_path):
    for name in ARCHS:
        arch = load_arch(name)
        manifest = generate(arch, tmp_path / name, array_shape=(2, 2))
        arr = manifest["tops"][1]
        assert arr["parameters"]["dataflow"] == arch.dataflow
        assert arr["parameters"]["kind"] == arch.sparsity.kind


def test_generation_is_deterministic(archs, tmp_path):
    a = generate(archs["block"], tmp_path / "a", array_shape=(2, 2))
    b = generate(archs["block"], tmp_path / "b", array_shape=(2, 2))
    assert [t["sha256"] for t in a["tops"]] == [t["sha256"] for t in b["tops"]]


def test_output_path_must_be_a_directory(archs, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(AccelsimInputError, match="not a directory"):
        generate(archs["dense"], f)


ARCHS = ["dense-ws-32x32", "nm24-ws-32x32", "unstructured-os-32x32", "block4x4-ws-32x32", "eyeriss-12x14"]


@pytest.mark.verilator
@pytest.mark.parametrize("name", ARCHS)
def test_every_generated_top_lints_clean(have_verilator, tmp_path, name):
    manifest = generate(load_arch(name), tmp_path, array_shape=(4, 4))
    for top in manifest["tops"]:
        result = lint(tmp_path / top["file"], top["name"])
        assert result.ok, result.output[-2000:]


@pytest.mark.verilator
def test_lint_reports_real_problems(have_verilator, archs, tmp_path):
    manifest = generate(archs["dense"], tmp_path, array_shape=(2, 2))
    path = tmp_path / manifest["tops"][0]["file"]
    text = path.read_text().replace("endmodule", "  assign out_valid = in_w[0];\nendmodule")
    path.write_text(text)
    result = lint(path, manifest["tops"][0]["name"])
    assert not result.ok and "CONTASSINIT" in result.warnings
    assert set(LINT_WAIVED_WARNINGS) == {"WIDTHTRUNC", "WIDTHEXPAND", "UNUSEDSIGNAL", "PROCASSINIT"}


@pytest.mark.slow
@pytest.mark.verilator
def test_full_size_array_generates_and_lints(have_verilator, archs, tmp_path):
    manifest = generate(archs["nm"], tmp_path)           # 16 x 32 cells x 2 multipliers = 32 x 32
    arr = manifest["tops"][1]
    # the arch's 32 rows count multipliers; a 2:4 cell has 2, so 16 rows of cells, each taking 4 activations
    assert arr["parameters"]["rows"] == 16 and arr["parameters"]["cols"] == 32
    assert _ports(arr)["a_data"][1] == 16 * 4 * 8
    assert lint(tmp_path / arr["file"], arr["name"]).ok
