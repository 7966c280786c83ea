"""Emitted Verilog under Verilator against the model: every sparse mode, arrays, broken designs."""

import numpy as np
import pytest

from accelsim.errors import AccelsimInputError
from accelsim.rtl.export import generate
from accelsim.rtl.verilator import build, harness_source, parse_ports, run_trace
from accelsim.rtl.verify import verify

pytestmark = pytest.mark.verilator

PE_TRIALS = 600          # cheap under Verilator: the Python model is the slow side
ARRAY_TRIALS = 150


@pytest.mark.parametrize("kind", ["dense", "nm", "unstructured", "block"])
def test_pe_verilog_matches_model(have_verilator, archs, kind):
    result = verify(archs[kind], trials=PE_TRIALS, seed=100, simulator="verilator")
    assert result.first_mismatch is None, str(result.first_mismatch)
    assert result.passed == PE_TRIALS and result.failed == 0
    assert result.cycles > PE_TRIALS * 3


@pytest.mark.parametrize("name", ["dense-ws-32x32", "nm24-ws-32x32", "block4x4-ws-32x32",
                                  "unstructured-os-32x32", "eyeriss-12x14"])
def test_array_verilog_matches_model(have_verilator, name):
    # every bundled arch's own array (its dataflow and sparse mode) at 4x4; N:M packs
    # 4 x 4 x 8 = 128-bit a_data (Verilator VlWide ports); the first trials are full width
    from accelsim.spec import load_arch
    result = verify(load_arch(name), trials=ARRAY_TRIALS, seed=200, simulator="verilator", top="array")
    assert result.first_mismatch is None, str(result.first_mismatch)
    assert result.passed == ARRAY_TRIALS and result.kind == "array"


def test_user_verilog_file_is_verified_and_cached(have_verilator, archs, tmp_path):
    manifest = generate(archs["nm"], tmp_path, array_shape=(4, 4))
    pe_file = tmp_path / manifest["tops"][0]["file"]
    arr_file = tmp_path / manifest["tops"][1]["file"]
    r1 = verify(archs["nm"], trials=50, seed=100, simulator="verilator", verilog=pe_file)
    assert r1.ok and r1.kind == "pe"
    r2 = verify(archs["nm"], trials=50, seed=100, simulator="verilator", verilog=pe_file)
    assert r2.ok and r2.build_seconds == 0.0            # same Verilog + harness: cache hit
    r3 = verify(archs["nm"], trials=20, seed=1, simulator="verilator", verilog=arr_file)
    assert r3.ok and r3.kind == "array"                 # kind and 4x4 shape inferred from ports


MUTATIONS = [
    ("operator", ") + $signed(", ") - $signed("),               # accumulate subtracts
    ("constant", "clear ? 32'd0 : acc", "clear ? 32'd1 : acc"),  # accumulator cleared to 1
    ("signedness", "$signed(in_w) * $signed(in_a)", "in_w * in_a"),   # unsigned multiply
    ("handshake", "assign in_ready = ~ stall;", "assign in_ready = 1'h1;"),
]


@pytest.mark.parametrize("name,old,new", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_broken_verilog_is_caught(have_verilator, archs, tmp_path, name, old, new):
    manifest = generate(archs["dense"], tmp_path, array_shape=(2, 2))
    path = tmp_path / manifest["tops"][0]["file"]
    text = path.read_text()
    assert old in text, f"mutation site {old!r} not found"
    broken = tmp_path / "broken.v"
    broken.write_text(text.replace(old, new, 1))
    result = verify(archs["dense"], trials=40, seed=7, simulator="verilator", verilog=broken)
    assert not result.ok and result.failed > 0 and result.passed + result.failed == 40
    mm = result.first_mismatch
    assert mm is not None and mm.expected != mm.got and mm.cycle >= 0
    expected_signal = "in_ready" if name == "handshake" else "out_data"
    assert mm.signal == expected_signal
    assert "FIRST MISMATCH" in result.summary()


def test_verilog_of_another_arch_is_rejected(have_verilator, archs, tmp_path):
    manifest = generate(archs["dense"], tmp_path, array_shape=(2, 2))
    path = tmp_path / manifest["tops"][0]["file"]
    with pytest.raises(AccelsimInputError, match="in_a"):
        verify(archs["nm"], trials=5, simulator="verilator", verilog=path)


def test_harness_handles_wide_ports():
    v = "module w(clk, a, b, c);\n input clk;\n input [99:0] a;\n output [40:0] b;\n output c;\nendmodule\n"
    ports = parse_ports(v, "w")
    assert [(p.name, p.direction, p.width, p.words) for p in ports] == [
        ("clk", "in", 1, 1), ("a", "in", 100, 4), ("b", "out", 41, 2), ("c", "out", 1, 1)]
    src = harness_source("w", ports, reset=None)
    assert "top->a[3] = w[3];" in src and "o[1] = (uint32_t)((uint64_t)top->b >> 32);" in src
    with pytest.raises(AccelsimInputError, match="not found"):
        parse_ports(v, "nope")


def test_wide_passthrough_roundtrip(have_verilator):
    """A tiny hand-written design checks the harness's word packing of 1..100-bit ports."""
    from accelsim.rtl.trace import Trace
    v = ("module pass(clk, rst, a, b, x, y);\n input clk;\n input rst;\n input [99:0] a;\n"
         " input [40:0] b;\n output [99:0] x;\n output [40:0] y;\n"
         " assign x = a + 100'd1;\n assign y = ~b;\nendmodule\n")
    built = build(v, "pass")
    rng = np.random.default_rng(0)
    a = [int.from_bytes(rng.bytes(13), "little") & ((1 << 100) - 1) for _ in range(50)] + [(1 << 100) - 1]
    b = [int(rng.integers(0, 1 << 41)) for _ in range(51)]
    exp = [((x + 1) & ((1 << 100) - 1), (~y) & ((1 << 41) - 1)) for x, y in zip(a, b)]
    trace = Trace("pe", ("a", "b"), ("x", "y"), {"a": 100, "b": 41, "x": 100, "y": 41},
                  tuple(zip(a, b)), tuple(exp), {}, (0,), ((),), ((),), ((),), ((),))
    observed, _ = run_trace(built, trace)
    assert [tuple(o) for o in observed] == exp
