"""Bundled energy tables load, carry units and sources, and bad tables are rejected."""

from pathlib import Path

import pytest
import yaml

from accelsim.energy import EnergyTable, bundled_table_names, energy_table_from_dict, load_energy_table
from accelsim.errors import AccelsimInputError

TABLE_DIR = Path(__file__).resolve().parents[2] / "accelsim" / "energy" / "tables"
ENERGY_UNITS = {"fJ", "pJ", "nJ"}


def _raw(name="horowitz45"):
    return yaml.safe_load((TABLE_DIR / f"{name}.yaml").read_text())


def test_bundled_tables_listed():
    names = bundled_table_names()
    assert "horowitz45" in names
    assert len(names) >= 2


@pytest.mark.parametrize("name", sorted(p.stem for p in TABLE_DIR.glob("*.yaml")))
def test_every_bundled_table_loads_and_every_value_has_a_unit_and_source(name):
    table = load_energy_table(name)
    assert isinstance(table, EnergyTable)
    assert table.name == name
    raw = _raw(name)
    assert "Horowitz" in raw["source"]
    for entry, body in raw["entries"].items():
        assert body.get("unit") in ENERGY_UNITS | {"ratio"}, entry
        assert isinstance(body.get("source"), str) and body["source"].strip(), entry
        if body["unit"] != "ratio":
            assert body.get("per") in {"operation", "access", "bit"}, entry
            if body["per"] == "access":
                assert isinstance(body.get("access_bits"), int), entry


def test_horowitz45_holds_the_published_numbers():
    # Horowitz, ISSCC 2014, 45 nm: 8b mult 0.2 pJ, 32b mult 3.1 pJ, 8b add 0.03 pJ,
    # 32b add 0.1 pJ, 64-bit SRAM 10/20/100 pJ at 8 KB/32 KB/1 MB, DRAM 1.3-2.6 nJ.
    t = load_energy_table("horowitz45")
    assert t.int_multiply_pj == ((8, 0.2), (32, 3.1))
    assert t.int_add_pj == ((8, 0.03), (32, 0.1))
    assert t.sram_read_pj == ((8.0, 10.0), (32.0, 20.0), (1024.0, 100.0))
    assert t.sram_access_bits == 64
    assert t.fp_multiply_pj == ((16, 1.1), (32, 3.7))
    assert 1300.0 <= t.dram_access_pj <= 2600.0
    assert t.dram_access_pj == pytest.approx(1950.0)  # the midpoint, in pJ (table says 1.95 nJ)
    assert t.dram_access_bits == 64


def test_sensitivity_tables_differ_from_the_default_only_where_they_say():
    base, heavy, low = (load_energy_table(n) for n in ("horowitz45", "sram-heavy45", "horowitz45-dram-low"))
    assert heavy.sram_read_pj == tuple((k, 2 * v) for k, v in base.sram_read_pj)
    assert heavy.int_multiply_pj == base.int_multiply_pj and heavy.dram_access_pj == base.dram_access_pj
    assert low.dram_access_pj == pytest.approx(1300.0)
    assert low.sram_read_pj == base.sram_read_pj and low.int_add_pj == base.int_add_pj


def test_load_by_path_and_passthrough(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text((TABLE_DIR / "horowitz45.yaml").read_text())
    t = load_energy_table(path)
    assert t.path == str(path)
    assert load_energy_table(t) is t


def test_units_are_converted_to_pj():
    raw = _raw()
    raw["entries"]["int_add"] = {"unit": "fJ", "per": "operation", "by_bits": {8: 30, 32: 100}, "source": "x"}
    raw["entries"]["dram_access"] = {"unit": "pJ", "per": "access", "access_bits": 64, "value": 1950,
                                     "source": "x"}
    t = energy_table_from_dict(raw)
    assert t.int_add_pj == ((8, pytest.approx(0.03)), (32, pytest.approx(0.1)))
    assert t.dram_access_pj == 1950.0


def test_unknown_table_name():
    with pytest.raises(AccelsimInputError) as info:
        load_energy_table("nosuchtable")
    assert str(info.value) == (
        "energy table 'nosuchtable' does not exist\n"
        "bundled tables: " + ", ".join(bundled_table_names()) + "; or give a path to a YAML table")


def test_not_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("entries: [1, 2\n")
    with pytest.raises(AccelsimInputError, match=r"is not valid YAML at line 2"):
        load_energy_table(path)


def test_empty_document():
    with pytest.raises(AccelsimInputError) as info:
        energy_table_from_dict(None, source="t.yaml")
    assert str(info.value).splitlines()[0] == (
        "invalid energy table t.yaml: the document is empty, not a mapping of fields")


def test_all_problems_reported_together_with_pinned_messages():
    raw = _raw()
    raw["schema"] = "v0"
    del raw["source"]
    raw["colour"] = "blue"
    e = raw["entries"]
    del e["int_add"]
    e["int_multiply"]["by_bits"] = {8: 0.2, 32: 0.1}          # decreasing
    e["int_multiply"]["unit"] = "mJ"
    e["sram_read"]["access_bits"] = 0
    e["gated_mac_fraction"]["value"] = 1.5
    e["register_read"]["value"] = -1
    e["dram_access"]["range"] = [2.0, 2.6]                     # value 1.95 outside
    e["mux2_select"].pop("source")
    e["leakage"] = {"unit": "pJ"}
    with pytest.raises(AccelsimInputError) as info:
        energy_table_from_dict(raw, source="t.yaml")
    lines = str(info.value).splitlines()
    assert lines[0] == "invalid energy table t.yaml"
    problems = [line for line in lines if line.startswith("  - ")]
    assert problems == [
        "  - colour: got 'blue'; allowed: no such field; known fields: description, entries, name, "
        "scaling, schema, source, supply_v, technology_nm",
        "  - schema: got 'v0'; allowed: accelsim-energy-table/1",
        "  - source: got None; allowed: a non-empty string citing where the numbers come from",
        "  - entries.leakage: got {'unit': 'pJ'}; allowed: no such entry; known entries: dram_access, "
        "fp_add, fp_multiply, gated_mac_fraction, idle_pe_cycle_fraction, int_add, int_multiply, "
        "mux2_select, register_read, sram_read, sram_write_over_read",
        "  - entries.int_multiply.unit: got 'mJ'; allowed: one of fJ, pJ, nJ",
        "  - entries.int_multiply.by_bits[32]: got 0.1; allowed: an energy >= 0.2 (the value at 8): "
        "energy may not decrease as width grows",
        "  - entries.int_add: got None; allowed: a required entry (it is missing)",
        "  - entries.sram_read.access_bits: got 0; allowed: an integer from 1 to 65536 (bits per access)",
        "  - entries.dram_access.range: got [2.0, 2.6]; allowed: [low, high] in nJ with low <= value "
        "(1.95) <= high",
        "  - entries.register_read.value: got -1; allowed: an energy > 0 and at most 1e9 pJ (1 mJ) per event",
        "  - entries.mux2_select.source: got None; allowed: a non-empty string citing where the number "
        "comes from",
        "  - entries.gated_mac_fraction.value: got 1.5; allowed: a number from 0 to 1",
    ]
    assert "example of a valid energy table" in str(info.value)


def test_bad_point_keys_and_values():
    raw = _raw()
    raw["entries"]["int_add"]["by_bits"] = {"eight": 0.03, 32: 0}
    raw["entries"]["sram_read"]["by_size_kib"] = {}
    raw["entries"]["sram_write_over_read"]["unit"] = "pJ"
    with pytest.raises(AccelsimInputError) as info:
        energy_table_from_dict(raw)
    problems = [line for line in str(info.value).splitlines() if line.startswith("  - ")]
    assert problems == [
        "  - entries.int_add.by_bits key: got 'eight'; allowed: an integer number of bits from 1 to 128",
        "  - entries.int_add.by_bits[32]: got 0; allowed: an energy > 0 and at most 1e9 pJ (1 mJ) per event",
        "  - entries.sram_read.by_size_kib: got {}; allowed: a non-empty mapping of KiB -> energy, "
        "e.g. {8: 0.2, 32: 3.1}",
        "  - entries.sram_write_over_read.unit: got 'pJ'; allowed: ratio",
    ]


def test_table_is_immutable():
    t = load_energy_table("horowitz45")
    with pytest.raises(AttributeError):
        t.gated_mac_fraction = 0.5
