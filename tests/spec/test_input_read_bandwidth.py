"""``buffers.input_read_bytes_per_cycle``: default, explicit values, "unlimited", validation, summary."""

import math

import pytest
import yaml

from accelsim.errors import AccelsimInputError
from accelsim.spec import arch_from_dict, load_arch
from accelsim.spec.load import EXAMPLE_ARCH_YAML


def _arch(**buffers):
    data = yaml.safe_load(EXAMPLE_ARCH_YAML)
    data["buffers"].update(buffers)
    return data


def test_default_is_one_activation_per_row():
    arch = load_arch("dense-ws-32x32")
    assert arch.buffers.input_read_bytes_per_cycle is None
    assert arch.input_read_activations_per_cycle == 32          # 32 rows
    assert arch.input_read_bits_per_cycle == 32 * 8             # 256 bits/cycle, the figure


def test_default_of_nm_pe_is_m_over_n_per_row():
    # a 2:4 PE is 2 array rows and muxes 4 activations: 2 activations per array row
    assert load_arch("nm24-ws-32x32").input_read_activations_per_cycle == 64


def test_default_scales_with_lanes_and_activation_width():
    data = yaml.safe_load(EXAMPLE_ARCH_YAML)
    data["pe"] = {"sparsity": "unstructured", "lanes": 2}
    data["precision"] = {"weight_bits": 8, "activation_bits": 16, "accumulator_bits": 40}
    arch = arch_from_dict(data)
    assert arch.input_read_activations_per_cycle == 64          # 32 rows x 2 lanes
    assert arch.input_read_bits_per_cycle == 64 * 16


def test_explicit_and_unlimited():
    arch = arch_from_dict(_arch(input_read_bytes_per_cycle=96))
    assert arch.input_read_bits_per_cycle == 768
    assert arch.input_read_activations_per_cycle == 96
    assert "96 B/cycle" in arch.summary() and "default" not in arch.summary().split("input reads")[1].split("\n")[0]
    free = arch_from_dict(_arch(input_read_bytes_per_cycle="unlimited"))
    assert math.isinf(free.input_read_bits_per_cycle)
    assert "input reads   unlimited" in free.summary()


def test_summary_names_the_default():
    line = [ln for ln in load_arch("dense-ws-32x32").summary().splitlines() if ln.startswith("input reads")]
    assert line == ["input reads   32 B/cycle from the input SRAM (32 activations/cycle; default: one per array row)"]


@pytest.mark.parametrize("bad", [0, -3, "fast", True, float("nan"), 1e-20, 1e300])
def test_bad_values_are_reported_with_the_others(bad):
    data = _arch(input_read_bytes_per_cycle=bad)
    data["array"]["rows"] = 0                                   # a second problem, reported together
    with pytest.raises(AccelsimInputError) as info:
        arch_from_dict(data)
    fields = [p.field for p in info.value.problems]
    assert fields == ["array.rows", "buffers.input_read_bytes_per_cycle"]
    assert info.value.problems[1].allowed == 'a number of bytes/cycle from 0.001 to 1000000, or "unlimited"'


def test_scalesim_cfg_gets_the_default(tmp_path):
    cfg = tmp_path / "x.cfg"
    cfg.write_text("[general]\nrun_name = t\n[architecture_presets]\nArrayHeight: 8\nArrayWidth: 16\n"
                   "IfmapSramSzkB: 64\nFilterSramSzkB: 64\nOfmapSramSzkB: 64\nIfmapOffset: 0\n"
                   "FilterOffset: 10000000\nOfmapOffset: 20000000\nDataflow: ws\n"
                   "Bandwidth: 10\n[run_presets]\nInterfaceBandwidth: CALC\n")
    arch = load_arch(cfg)
    assert arch.input_read_activations_per_cycle == 8
