"""The verification API the CLI calls: argument checks, result value, determinism."""

import dataclasses

import pytest

from accelsim.errors import AccelsimInputError
from accelsim.rtl.verify import Mismatch, VerifyResult, verify


def test_bad_arguments_are_all_reported(archs, tmp_path):
    with pytest.raises(AccelsimInputError) as err:
        verify(archs["dense"], trials=0, seed="x", simulator="iverilog")
    msg = str(err.value)
    assert "trials: got 0" in msg and "seed: got 'x'" in msg and "simulator: got 'iverilog'" in msg


def test_verilog_needs_verilator_and_an_existing_file(archs, tmp_path):
    f = tmp_path / "pe.v"
    f.write_text("module x(clk); input clk; endmodule\n")
    with pytest.raises(AccelsimInputError, match='"verilator" when a Verilog file is given'):
        verify(archs["dense"], simulator="amaranth", verilog=f)
    with pytest.raises(AccelsimInputError, match="an existing Verilog file"):
        verify(archs["dense"], simulator="verilator", verilog=tmp_path / "missing.v")


def test_no_ws_array_top_for_unstructured(archs):
    arch = dataclasses.replace(archs["unstructured"], dataflow="ws")
    with pytest.raises(AccelsimInputError, match="no WS array top for a unstructured PE") as err:
        verify(arch, top="array", trials=2)
    assert "activation-supply rule" in str(err.value)


def test_unstructured_os_array_verifies(archs):
    r = verify(archs["unstructured"], top="array", trials=6, seed=2)
    assert r.ok and r.kind == "array" and r.trials == 6


def test_result_is_frozen_and_deterministic(archs):
    a = verify(archs["block"], trials=8, seed=4)
    b = verify(archs["block"], trials=8, seed=4)
    c = verify(archs["block"], trials=8, seed=5)
    assert isinstance(a, VerifyResult) and a.ok and a.cycles == b.cycles
    assert a.cycles != c.cycles
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.passed = 0
    assert "8/8 trials passed" in a.summary()


def test_mismatch_text():
    m = Mismatch(trial=2, cycle=7, global_cycle=107, signal="out_data", expected=5, got=4)
    assert str(m) == "trial 2, cycle 7 (global 107): out_data expected 0x5, got 0x4"


def test_array_default_shape_is_at_most_4x4(archs):
    r = verify(archs["dense"], top="array", trials=3, seed=1)
    assert r.ok and r.kind == "array" and r.top == "accelsim_dense_ws_32x32_array"


def test_full_width_must_be_a_bool(archs):
    with pytest.raises(AccelsimInputError, match="full_width: got 'yes'"):
        verify(archs["dense"], trials=2, full_width="yes")


def test_full_width_trials_come_first_and_count_towards_trials(archs):
    r = verify(archs["nm"], trials=6, seed=1, full_width=True)
    assert r.ok and r.trials == 6
    # four directed outputs of K = 2 * 1026 (2:4 keeps half): at least that many beats
    assert r.cycles >= 4 * (2 * 1026 // 4)
