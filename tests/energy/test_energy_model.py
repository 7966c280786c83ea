"""energy_breakdown_pj: counts x prices, hand-computed from the YAML numbers."""

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from accelsim.energy import (BREAKDOWN_KEYS, PRICED_EVENTS, energy_breakdown_pj, load_energy_table,
                             per_event_energies_pj)
from accelsim.errors import AccelsimInputError
from accelsim.spec import arch_from_dict, load_arch

TABLE_DIR = Path(__file__).resolve().parents[2] / "accelsim" / "energy" / "tables"
RAW = yaml.safe_load((TABLE_DIR / "horowitz45.yaml").read_text())["entries"]


def _arch(**pe):
    return arch_from_dict({
        "name": "t", "array": {"rows": 4, "cols": 4}, "dataflow": "ws",
        "precision": {"weight_bits": 8, "activation_bits": 8, "accumulator_bits": 32},
        "pe": pe or {"sparsity": "dense"},
        "buffers": {"weight_kib": 32, "input_kib": 8, "output_kib": 1024},
        "dram": {"bandwidth_bytes_per_cycle": 16}, "energy_table": "horowitz45",
    })


def test_hand_computed_breakdown_on_table_points():
    # Buffers sit exactly on Horowitz's 32 KB / 8 KB / 1 MB points, so no interpolation is needed.
    arch = _arch(sparsity="nm", n=2, m=4)
    mult8 = RAW["int_multiply"]["by_bits"][8]
    add32 = RAW["int_add"]["by_bits"][32]
    mac = mult8 + add32                                               # 0.2 + 0.1 pJ
    gated = RAW["gated_mac_fraction"]["value"] * mac
    idle = RAW["idle_pe_cycle_fraction"]["value"] * mac
    decode = 2 * RAW["register_read"]["value"] + 2 * 8 * RAW["mux2_select"]["value"]
    sram = RAW["sram_read"]["by_size_kib"]
    w_bit, i_bit, o_bit = sram[32] / 64, sram[8] / 64, sram[1024] / 64
    wr = RAW["sram_write_over_read"]["value"]
    dram_bit = RAW["dram_access"]["value"] * 1000 / 64                # nJ -> pJ
    events = {"macs": 1000, "macs_gated": 200, "macs_dense": 4000, "pe_idle_cycles": 50,
              "pe_busy_cycles": 600, "index_decodes": 500,
              "weight_sram_read_bits": 8000, "weight_sram_write_bits": 1000,
              "input_sram_read_bits": 6400, "output_sram_write_bits": 3200, "output_sram_read_bits": 64,
              "dram_read_bits": 640, "dram_write_bits": 128,
              "dram_read_metadata_bits": 64, "dram_read_values_bits": 576}
    got = energy_breakdown_pj(events, arch)
    expected = {
        "mac": 1000 * mac + 200 * gated,
        "pe_idle": 50 * idle,
        "index_decode": 500 * decode,
        "weight_sram": 8000 * w_bit + 1000 * w_bit * wr,
        "input_sram": 6400 * i_bit,
        "output_sram": 64 * o_bit + 3200 * o_bit * wr,
        "dram": (640 + 128) * dram_bit,
    }
    assert tuple(got) == BREAKDOWN_KEYS
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-12), key
    assert got["total"] == pytest.approx(sum(expected.values()), rel=1e-12)
    # and the numbers themselves, by hand: 1000*0.3 + 200*0.03 = 306 pJ; 768 DRAM bits * 1950/64 pJ
    assert got["mac"] == pytest.approx(306.0)
    assert got["dram"] == pytest.approx(768 * 1950 / 64)
    assert got["index_decode"] == pytest.approx(500 * 0.0375)


def test_total_is_the_sum_of_the_parts():
    arch = load_arch("unstructured-os-32x32")
    events = {k: (i + 1) * 1_000_003 for i, k in enumerate(PRICED_EVENTS)}
    got = energy_breakdown_pj(events, arch)
    assert got["total"] == sum(v for k, v in got.items() if k != "total")
    assert all(v > 0 for v in got.values())


def test_counts_times_prices():
    arch = load_arch("block4x4-ws-32x32")
    prices = per_event_energies_pj(arch)
    assert set(prices) == set(PRICED_EVENTS)
    events = {"input_sram_read_bits": 12345, "index_decodes": 7}
    got = energy_breakdown_pj(events, arch)
    assert got["input_sram"] == 12345 * prices["input_sram_read_bits"]
    assert got["index_decode"] == 7 * prices["index_decodes"]


def test_missing_keys_count_as_zero():
    got = energy_breakdown_pj({}, load_arch("dense-ws-32x32"))
    assert set(got) == set(BREAKDOWN_KEYS) and all(v == 0.0 for v in got.values())


def test_numpy_integer_counts_accepted():
    arch = load_arch("dense-ws-32x32")
    a = energy_breakdown_pj({"macs": np.int64(10)}, arch)
    b = energy_breakdown_pj({"macs": 10}, arch)
    assert a == b and isinstance(a["mac"], float)


def test_dense_pe_has_no_index_energy_and_wider_operands_cost_more():
    dense, nm = _arch(), _arch(sparsity="nm", n=2, m=4)
    assert per_event_energies_pj(dense)["index_decodes"] == 0.0
    assert per_event_energies_pj(nm)["index_decodes"] > 0.0
    wide = load_arch("eyeriss-12x14")        # 16-bit operands
    assert per_event_energies_pj(wide)["macs"] > per_event_energies_pj(dense)["macs"]


def test_bigger_buffer_costs_more_per_bit():
    p = per_event_energies_pj(_arch())
    assert p["input_sram_read_bits"] < p["weight_sram_read_bits"] < p["output_sram_read_bits"]


def test_other_table_by_name_and_object():
    arch = load_arch("dense-ws-32x32")
    events = {"weight_sram_read_bits": 1000, "dram_read_bits": 1000}
    base = energy_breakdown_pj(events, arch)
    heavy = energy_breakdown_pj(events, arch, "sram-heavy45")
    assert heavy["weight_sram"] == pytest.approx(2 * base["weight_sram"])
    assert heavy["dram"] == base["dram"]
    low = energy_breakdown_pj(events, arch, load_energy_table("horowitz45-dram-low"))
    assert low["dram"] == pytest.approx(1000 * 1300 / 64)


def test_unknown_and_bad_events_reported_together():
    with pytest.raises(AccelsimInputError) as info:
        energy_breakdown_pj({"macs": -1, "mac": 5, "dram_read_bits": 2.5, "pe_idle_cycles": True},
                            load_arch("dense-ws-32x32"))
    lines = str(info.value).splitlines()
    assert lines[0] == "invalid event counts for the energy model"
    assert lines[1] == "  - events['macs']: got -1; allowed: an integer count >= 0"
    assert lines[2].startswith("  - events['mac']: got 5; allowed: no such event; known events: macs, "
                               "macs_gated, pe_idle_cycles, index_decodes, weight_sram_read_bits")
    assert lines[3] == "  - events['dram_read_bits']: got 2.5; allowed: an integer count >= 0"
    assert lines[4] == "  - events['pe_idle_cycles']: got True; allowed: an integer count >= 0"
    assert len(lines) == 5


def test_events_must_be_a_mapping():
    with pytest.raises(AccelsimInputError, match="must be a mapping of event name -> count, not list"):
        energy_breakdown_pj([("macs", 1)], load_arch("dense-ws-32x32"))


def test_deterministic():
    arch = load_arch("nm24-ws-32x32")
    events = {"macs": 123456789, "dram_read_bits": 987654321}
    assert energy_breakdown_pj(events, arch) == energy_breakdown_pj(dict(events), arch)
    assert math.isfinite(energy_breakdown_pj(events, arch)["total"])


def test_arch_table_path_relative_to_the_arch_file(tmp_path):
    table = tmp_path / "tables" / "mine.yaml"
    table.parent.mkdir()
    table.write_text((TABLE_DIR / "sram-heavy45.yaml").read_text())
    arch_file = tmp_path / "arch.yaml"
    arch_file.write_text("name: a\narray: {rows: 2, cols: 2}\ndataflow: ws\n"
                         "buffers: {weight_kib: 8, input_kib: 8, output_kib: 8}\n"
                         "dram: {bandwidth_bytes_per_cycle: 16}\nenergy_table: tables/mine.yaml\n")
    prices = per_event_energies_pj(load_arch(arch_file))
    assert prices["weight_sram_read_bits"] == 20 / 64        # sram-heavy45: 2 x 10 pJ at 8 KiB
