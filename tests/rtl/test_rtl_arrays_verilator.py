"""Array tops that no bundled architecture uses, on Verilator: emitted Verilog against the models."""

import pytest

from accelsim.spec import arch_from_dict
from accelsim.rtl.verify import verify

pytestmark = pytest.mark.verilator

COMBOS = [
    ("dense", "is", {"lanes": 2}),
    ("nm", "os", {"n": 2, "m": 4}),
    ("nm", "is", {"n": 1, "m": 4}),
    ("unstructured", "os", {"lanes": 2, "index_bits": 3}),
    ("unstructured", "is", {"index_bits": 4}),
    ("block", "os", {"block": "2x4", "lanes": 2, "index_bits": 2}),
    ("block", "is", {"block": "2x2", "index_bits": 2}),
]


@pytest.mark.parametrize("kind,dataflow,pe", COMBOS, ids=[f"{k}-{d}" for k, d, _ in COMBOS])
def test_array_verilog_matches_model(have_verilator, kind, dataflow, pe):
    arch = arch_from_dict({
        "name": f"combo-{kind}-{dataflow}", "array": {"rows": 4, "cols": 4}, "dataflow": dataflow,
        "precision": {"weight_bits": 8, "activation_bits": 8, "accumulator_bits": 32},
        "pe": {"sparsity": kind, **pe},
        "buffers": {"weight_kib": 64, "input_kib": 64, "output_kib": 64},
        "dram": {"bandwidth_bytes_per_cycle": 16}})
    result = verify(arch, trials=80, seed=21, simulator="verilator", top="array", array_shape=(2, 3))
    assert result.first_mismatch is None, str(result.first_mismatch)
    assert result.passed == 80 and result.kind == "array"
