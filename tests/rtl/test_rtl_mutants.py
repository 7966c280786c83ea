"""Mutants of the emitted Verilog are caught by verify (Verilator), in every mode, for PEs and arrays.

Five faults (``verilog_mutants``): the accumulating adder subtracts, the
accumulator keeps 24 bits (sign-extended, so only sums past ``2**23`` show it),
the product sum loses its sign extension, the outputs leave one cycle late,
two index lanes trade places. Each is planted in the generated Verilog of a
top and ``verify`` -- with its default full-width directed trials first -- must
report a mismatch. Where a mode has no index lanes (dense; the block PE's one
block index per beat), there is nothing to swap. With 8-bit operands a 2-row
WS/IS partial sum never exceeds ``2 * 2**14``, so a 24-bit partial-sum chain is
not a fault there; those arrays get the 24-bit mutant at 16-bit operands.
"""

import dataclasses

import pytest
import verilog_mutants as vm

from accelsim.rtl.export import generate
from accelsim.rtl.verify import verify
from accelsim.spec import arch_from_dict, load_arch

pytestmark = pytest.mark.verilator


def _arch(name, kind, dataflow, bits=8, **pe):
    return arch_from_dict({
        "name": name, "array": {"rows": 4, "cols": 4}, "dataflow": dataflow,
        "precision": {"weight_bits": bits, "activation_bits": bits, "accumulator_bits": 32},
        "pe": {"sparsity": kind, **pe},
        "buffers": {"weight_kib": 64, "input_kib": 64, "output_kib": 64},
        "dram": {"bandwidth_bytes_per_cycle": 16}})


def _bundled(name):
    return lambda: load_arch(name)


def _wide(arch):
    """The same arch at 16-bit operands (for the 24-bit partial-sum mutant of WS/IS arrays)."""
    return dataclasses.replace(arch, precision=dataclasses.replace(arch.precision, weight_bits=16,
                                                                    activation_bits=16))


# (id, arch factory, top, index-lane swap: (signal, bits) or None, arrays summing over rows only)
TOPS = [
    ("pe-dense", _bundled("dense-ws-32x32"), "pe", None, False),
    ("pe-nm", _bundled("nm24-ws-32x32"), "pe", ("in_idx", 2), False),
    ("pe-unstructured", lambda: _arch("u2", "unstructured", "os", lanes=2, index_bits=4), "pe",
     ("in_idx", 4), False),
    ("pe-block", _bundled("block4x4-ws-32x32"), "pe", None, False),
    ("array-dense-ws", _bundled("dense-ws-32x32"), "array", None, True),
    ("array-nm-ws", _bundled("nm24-ws-32x32"), "array", ("idx_0_0", 2), True),
    ("array-block-ws", _bundled("block4x4-ws-32x32"), "array", ("bidx", 0), True),
    ("array-unstructured-os", _bundled("unstructured-os-32x32"), "array", ("w_idx", 8), False),
    ("array-dense-os", _bundled("eyeriss-12x14"), "array", None, False),
    ("array-dense-os-8b", lambda: _arch("d8", "dense", "os"), "array", None, False),
    ("array-nm-is", lambda: _arch("n4", "nm", "is", n=2, m=4), "array", ("w_idx", 2), True),
]

# eyeriss: a 16 x 16-bit product is as wide as the 32-bit accumulator, so dropping its sign
# extension changes nothing modulo 2**32 (an equivalent mutant); the 8-bit dense OS array has it
EQUIVALENT = {("array-dense-os", "sign extension dropped")}
CASES = [(t, m) for t in TOPS for m in vm.MUTANTS
         if not (m == "index lanes swapped" and t[3] is None) and (t[0], m) not in EQUIVALENT]


def _mutate(mutant, text, top, swap):
    if mutant == "adder->subtractor":
        return vm.accumulate_subtracts(text, top)
    if mutant == "accumulator 24 bits":
        return vm.narrow_accumulator(text, top)
    if mutant == "sign extension dropped":
        return vm.drop_sign_extension(text, top)
    if mutant == "extra latency":
        return vm.extra_latency(text, top)
    signal, bits = swap
    if signal == "bidx":          # block WS: rows 0 and 1 use each other's block-column index
        a, b = "bidx_0 * ", "bidx_1 * "
        if a not in text or b not in text:
            raise LookupError("block WS row address computation not found")
        return text.replace(a, "\0").replace(b, a).replace("\0", b)
    return vm.swap_index_lanes(text, top, signal, bits)


@pytest.mark.parametrize("spec,mutant", CASES, ids=[f"{t[0]}:{m}" for t, m in CASES])
def test_mutant_is_caught(have_verilator, tmp_path, spec, mutant):
    name, make_arch, kind, swap, row_sums = spec
    arch = make_arch()
    if mutant == "accumulator 24 bits" and row_sums:
        arch = _wide(arch)
    manifest = generate(arch, tmp_path, array_shape=(2, 2))
    top = manifest["tops"][0 if kind == "pe" else 1]
    text = (tmp_path / top["file"]).read_text()
    # the unmutated design passes the same run
    clean = verify(arch, trials=12, seed=5, simulator="verilator", verilog=tmp_path / top["file"])
    assert clean.ok and clean.kind == kind, str(clean.first_mismatch)
    broken = tmp_path / f"mutant_{top['name']}.v"
    broken.write_text(_mutate(mutant, text, top["name"], swap))
    result = verify(arch, trials=12, seed=5, simulator="verilator", verilog=broken, top=top["name"])
    assert result.kind == kind
    assert not result.ok and result.first_mismatch is not None, f"{name}: {mutant} not caught"


def test_24_bit_accumulator_needs_the_full_width_trials(have_verilator, tmp_path):
    """Random trials alone miss a 24-bit PE accumulator; the directed full-width trials catch it."""
    arch = load_arch("dense-ws-32x32")
    manifest = generate(arch, tmp_path, array_shape=(2, 2))
    top = manifest["tops"][0]
    broken = tmp_path / "narrow.v"
    broken.write_text(vm.narrow_accumulator((tmp_path / top["file"]).read_text(), top["name"]))
    random_only = verify(arch, trials=40, seed=3, simulator="verilator", verilog=broken, full_width=False)
    assert random_only.ok
    directed = verify(arch, trials=40, seed=3, simulator="verilator", verilog=broken)
    assert not directed.ok and directed.first_mismatch.signal == "out_data"
