"""SCALE-Sim .cfg files (v2 and v3 forms) load into ArchSpec; bad files list every problem."""

import math

import pytest

from accelsim.errors import AccelsimInputError
from accelsim.spec import load_arch
from accelsim.spec.scalesim_cfg import load_scalesim_cfg, parse_scalesim_cfg

# v2 form (as scale-sim-v2 configs/google.cfg): no [layout]/[sparsity], CALC bandwidth
V2 = """[general]
run_name = GoogleTPU_v1_ws

[architecture_presets]
ArrayHeight:    256
ArrayWidth:     128
IfmapSramSzkB:    6144
FilterSramSzkB:   4096
OfmapSramSzkB:    2048
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Dataflow : ws
Bandwidth : 10
MemoryBanks: 1

[run_presets]
InterfaceBandwidth: CALC
SRAM_row_size: 2
"""

# v3 form (as scale-sim-v3 configs/scale.cfg) with USER bandwidth
V3 = """[general]
run_name = scale_example_run_32x32_os

[architecture_presets]
ArrayHeight:    32
ArrayWidth:     16
IfmapSramSzkB:   64
FilterSramSzkB:  32
OfmapSramSzkB:   16
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Bandwidth : 24
Dataflow : os
MemoryBanks:   1
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 100

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block

[run_presets]
InterfaceBandwidth: USER
UseRamulatorTrace: False
"""


def test_v2_config(tmp_path):
    path = tmp_path / "google.cfg"
    path.write_text(V2)
    arch = load_scalesim_cfg(path)
    assert arch.name == "GoogleTPU_v1_ws"
    assert (arch.array.rows, arch.array.cols) == (256, 128)        # ArrayHeight = rows
    assert arch.dataflow == "ws"
    assert (arch.buffers.input_kib, arch.buffers.weight_kib, arch.buffers.output_kib) == (6144, 4096, 2048)
    assert math.isinf(arch.dram_bandwidth_bytes_per_cycle)          # CALC = unlimited
    assert arch.sparsity.kind == "dense"
    assert load_arch(path) == arch                                  # load_arch dispatches .cfg


def test_v3_config_with_user_bandwidth():
    arch = parse_scalesim_cfg(V3)
    assert (arch.array.rows, arch.array.cols, arch.dataflow) == (32, 16, "os")
    assert arch.buffers.weight_bytes == 32 * 1024
    assert arch.dram_bandwidth_bytes_per_cycle == 24.0


def test_missing_and_bad_fields_are_listed_together():
    text = V3.replace("ArrayWidth:     16\n", "").replace("Dataflow : os", "Dataflow : rs") \
             .replace("FilterSramSzkB:  32", "FilterSramSzkB:  lots").replace("Bandwidth : 24\n", "")
    with pytest.raises(AccelsimInputError) as info:
        parse_scalesim_cfg(text, source="bad.cfg")
    fields = {p.field for p in info.value.problems}
    assert fields == {"[architecture_presets] ArrayWidth", "[architecture_presets] Dataflow",
                      "[architecture_presets] FilterSramSzkB", "[architecture_presets] Bandwidth"}
    assert "bad.cfg" in str(info.value)


def test_missing_sections_and_non_ini_text():
    with pytest.raises(AccelsimInputError) as info:
        parse_scalesim_cfg("[general]\nrun_name = x\n")
    assert {p.field for p in info.value.problems} == {"[architecture_presets]", "[run_presets]"}
    with pytest.raises(AccelsimInputError, match="not a valid INI"):
        parse_scalesim_cfg("ArrayHeight: 32\n")
    with pytest.raises(AccelsimInputError) as info:
        parse_scalesim_cfg(V2.replace("CALC", "FAST"))
    assert info.value.problems[0].field == "[run_presets] InterfaceBandwidth"


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(AccelsimInputError, match="cannot read"):
        load_scalesim_cfg(tmp_path / "nope.cfg")
