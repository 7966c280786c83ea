"""Architecture files: loading the bundled examples and pinned validation messages."""

import math
import textwrap

import pytest
import yaml

from accelsim.errors import AccelsimInputError
from accelsim.spec import ArchSpec, arch_from_dict, load_arch
from accelsim.spec.load import EXAMPLE_ARCH_YAML

BUNDLED = ["dense-ws-32x32", "nm24-ws-32x32", "unstructured-os-32x32", "block4x4-ws-32x32", "eyeriss-12x14"]


def valid():
    return yaml.safe_load(EXAMPLE_ARCH_YAML)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_archs_load(arch_dir, name):
    arch = load_arch(arch_dir / f"{name}.yaml")
    assert isinstance(arch, ArchSpec)
    assert arch.name == name
    assert load_arch(name).name == name  # bundled name resolves too


def test_bundled_arch_fields(arch_dir):
    nm = load_arch(arch_dir / "nm24-ws-32x32.yaml")
    assert (nm.array.rows, nm.array.cols, nm.dataflow) == (32, 32, "ws")
    assert (nm.sparsity.kind, nm.sparsity.n, nm.sparsity.m, nm.sparsity.index_bits, nm.sparsity.lanes) == ("nm", 2, 4, 2, 2)
    assert nm.sparsity.native_format == "nm:2:4"
    eye = load_arch(arch_dir / "eyeriss-12x14.yaml")
    assert (eye.array.rows, eye.array.cols, eye.precision.weight_bits, eye.clock_mhz) == (12, 14, 16, 200.0)
    blk = load_arch(arch_dir / "block4x4-ws-32x32.yaml")
    assert blk.sparsity.native_format == "bsr:4x4"
    assert load_arch(arch_dir / "unstructured-os-32x32.yaml").sparsity.formats == ("csr", "csc", "bitmap")


def test_example_in_hint_is_valid():
    arch = arch_from_dict(valid())
    assert arch.buffers.weight_bytes == 256 * 1024
    assert arch.dram_bandwidth_bytes_per_cycle == 16.0


def test_spec_is_frozen():
    arch = arch_from_dict(valid())
    with pytest.raises(AttributeError):
        arch.dataflow = "os"


def test_unlimited_bandwidth():
    d = valid()
    d["dram"] = {"bandwidth_bytes_per_cycle": "unlimited"}
    arch = arch_from_dict(d)
    assert math.isinf(arch.dram_bandwidth_bytes_per_cycle) and arch.unlimited_bandwidth


def test_all_errors_reported_together():
    d = valid()
    d["array"] = {"rows": 0, "cols": "32"}
    d["dataflow"] = "rs"
    d["pe"] = {"sparsity": "nm", "n": 4, "m": 4}
    d["buffers"]["input_kib"] = -1
    d["dram"] = {"bandwidth_bytes_per_cycle": "fast"}
    d["colour"] = "red"
    with pytest.raises(AccelsimInputError) as info:
        arch_from_dict(d, source="bad.yaml")
    lines = str(info.value).splitlines()
    assert lines[0] == "invalid architecture file bad.yaml"
    problems = lines[1:8]
    assert problems == [
        "  - colour: got 'red'; allowed: no such field; known fields: array, buffers, clock_mhz, "
        "dataflow, description, dram, energy_table, mapping, name, pe, precision",
        "  - array.rows: got 0; allowed: an integer from 1 to 4096",
        "  - array.cols: got '32'; allowed: an integer from 1 to 4096",
        "  - dataflow: got 'rs'; allowed: one of ws, os, is",
        "  - pe.n: got 4; allowed: an integer from 1 to m - 1 = 3 (N:M needs N < M)",
        "  - buffers.input_kib: got -1; allowed: a size in KiB from 0.0009765625 (1 byte) to 1073741824 (1 TiB)",
        "  - dram.bandwidth_bytes_per_cycle: got 'fast'; allowed: a number of bytes/cycle from 0.001 to "
        "1000000, or \"unlimited\"",
    ]
    assert lines[8] == "example of a valid architecture file:"
    assert len(info.value.problems) == 7


def test_missing_sections_and_sparse_params():
    d = {"name": "x", "dataflow": "ws", "pe": {"sparsity": "block"}}
    with pytest.raises(AccelsimInputError) as info:
        arch_from_dict(d)
    fields = [p.field for p in info.value.problems]
    assert fields == ["array", "pe.block", "buffers", "dram"]


def test_params_of_other_modes_rejected():
    d = valid()
    d["pe"] = {"sparsity": "dense", "n": 2, "index_bits": 4}
    with pytest.raises(AccelsimInputError) as info:
        arch_from_dict(d)
    assert [str(p) for p in info.value.problems] == [
        "pe.n: got 2; allowed: absent: only used when pe.sparsity is nm (it is dense)",
        "pe.index_bits: got 4; allowed: absent: a dense PE stores no indices",
    ]


def test_accumulator_must_hold_a_product():
    d = valid()
    d["precision"] = {"weight_bits": 8, "activation_bits": 8, "accumulator_bits": 12}
    with pytest.raises(AccelsimInputError, match=r"precision.accumulator_bits: got 12; allowed: an integer >= "
                                                 r"weight_bits \+ activation_bits = 16"):
        arch_from_dict(d)


def test_nm_index_bits_must_fit_m():
    d = valid()
    d["pe"] = {"sparsity": "nm", "n": 1, "m": 8, "index_bits": 2}
    with pytest.raises(AccelsimInputError, match=r"pe.index_bits: got 2; allowed: an integer from 3 to 32"):
        arch_from_dict(d)


@pytest.mark.parametrize("block", ["4x4", [2, 8], {"rows": 1, "cols": 16}])
def test_block_shape_forms(block):
    d = valid()
    d["pe"] = {"sparsity": "block", "block": block}
    s = arch_from_dict(d).sparsity
    assert (s.block_rows, s.block_cols) == ({"4x4": (4, 4)}.get(block) if isinstance(block, str)
                                            else tuple(block) if isinstance(block, list) else (1, 16))


@pytest.mark.parametrize("text, message", [
    ("", "invalid architecture file {p}: the document is empty, not a mapping of fields"),
    ("- 1\n- 2\n", "invalid architecture file {p}: the document is a YAML list, not a mapping of fields"),
    ("just words", "invalid architecture file {p}: the document is a YAML str, not a mapping of fields"),
    ("a: [1, 2\n", "architecture file '{p}' is not valid YAML at line 2, column 1"),
])
def test_bad_documents(tmp_path, text, message):
    p = tmp_path / "a.yaml"
    p.write_text(text)
    with pytest.raises(AccelsimInputError) as info:
        load_arch(p)
    assert str(info.value).startswith(message.format(p=p))


def test_missing_file_lists_bundled(tmp_path):
    with pytest.raises(AccelsimInputError) as info:
        load_arch(tmp_path / "nope.yaml")
    msg = str(info.value)
    assert msg.startswith(f"architecture file '{tmp_path / 'nope.yaml'}' does not exist")
    assert "dense-ws-32x32" in msg


def test_binary_file(tmp_path):
    p = tmp_path / "a.yaml"
    p.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(AccelsimInputError, match="cannot read architecture file"):
        load_arch(p)


def test_summary_mentions_key_fields(arch_dir):
    text = load_arch(arch_dir / "nm24-ws-32x32.yaml").summary()
    assert "32 x 32 = 1024 PEs" in text
    assert "N:M 2:4" in text
    assert "16 B/cycle" in text


def test_mapping_defaults_to_auto_edp_for_yaml_archs():
    data = yaml.safe_load(EXAMPLE_ARCH_YAML)
    data.pop("mapping")
    arch = arch_from_dict(data)
    assert (arch.mapping.mode, arch.mapping.objective) == ("auto", "edp")
    assert "mapping       auto (edp)" in arch.summary()


@pytest.mark.parametrize("section, expected", [
    ("scalesim", ("scalesim", "edp")),
    ({"mode": "auto", "objective": "latency"}, ("auto", "latency")),
    ({"objective": "Energy"}, ("auto", "energy")),
])
def test_mapping_section_forms(section, expected):
    data = yaml.safe_load(EXAMPLE_ARCH_YAML)
    data["mapping"] = section
    arch = arch_from_dict(data)
    assert (arch.mapping.mode, arch.mapping.objective) == expected


def test_bad_mapping_section_names_each_field():
    data = yaml.safe_load(EXAMPLE_ARCH_YAML)
    data["mapping"] = {"mode": "greedy", "objective": "area", "budget": 3}
    with pytest.raises(AccelsimInputError) as info:
        arch_from_dict(data, source="m.yaml")
    lines = str(info.value).splitlines()
    assert lines[0] == "invalid architecture file m.yaml"
    assert lines[1:4] == [
        "  - mapping.budget: got 3; allowed: no such field; known fields: mode, objective",
        "  - mapping.mode: got 'greedy'; allowed: one of auto, scalesim",
        "  - mapping.objective: got 'area'; allowed: one of latency, energy, edp",
    ]
    data["mapping"] = [1, 2]
    with pytest.raises(AccelsimInputError, match="mapping: got \\[1, 2\\]; allowed: a mapping such as"):
        arch_from_dict(data)
