"""Bad input files: arch YAML, SCALE-Sim .cfg and CSV, energy tables, workloads, checkpoints, sweep specs."""

from __future__ import annotations

import copy
import io
import json
import struct
from typing import Callable

from tests.fuzz.fuzz_values import (
    SEED, BAD_POS_INT, BAD_POS_NUMBER, BASE_ARCH, BASE_CFG, BASE_CSV, BASE_GEMM_CSV, BASE_SWEEP, BASE_WORKLOAD,
    Case, HUGE, LONG_INT_TEXT, NOT_TEXT, _base_table, _cfg_text, _dump, _no_pairs, _set, _tag
)


# ----------------------------------------------------------------------------- arch files
#: field path -> (bad values, names any of which the message must contain)
ARCH_FIELDS = {
    "name": (NOT_TEXT + ["", "   "], ("name",)),
    "description": ([16, [], {}, True], ("description",)),
    "array": ([None, [], "8x8", 8, {}, {"rows": 8}, {"cols": 8}, {"rows": 8, "cols": 8, "depth": 2}], ("array",)),
    "array.rows": (BAD_POS_INT + [4097, 100000], ("array.rows",)),
    "array.cols": (BAD_POS_INT + [4097, 100000], ("array.cols",)),
    "dataflow": ([None, "", "xs", "WSX", 1, [], {}, ["ws"], "ws,os"], ("dataflow",)),
    "precision": ([[], "8", 8, {"weight_bits": 8, "bogus": 1}], ("precision",)),
    "precision.weight_bits": (BAD_POS_INT + [1, 33, 64], ("precision.weight_bits",)),
    "precision.activation_bits": (BAD_POS_INT + [1, 33], ("precision.activation_bits",)),
    "precision.accumulator_bits": (BAD_POS_INT + [1, 15, 65, 128], ("precision.accumulator_bits",)),
    "pe": ([[], "nm", 4, {"sparsity": "nm"}, {"sparsity": "dense", "n": 2}], ("pe",)),
    "pe.sparsity": ([None, "", "sparse", 2, [], {}, ["nm"]], ("pe.sparsity",)),
    "pe.n": (BAD_POS_INT + [4, 5, 16], ("pe.n",)),
    "pe.m": (BAD_POS_INT + [1, 17, 1000], ("pe.m", "pe.n")),
    "pe.index_bits": (BAD_POS_INT + [1, 33, 1000], ("pe.index_bits",)),
    "pe.lanes": (BAD_POS_INT + [3, 65], ("pe.lanes",)),
    "pe.activation_sparsity": ([None, "", "maybe", 1, [], {}], ("pe.activation_sparsity",)),
    "buffers": ([None, [], "64", 64, {}, {"weight_kib": 64}], ("buffers",)),
    "buffers.weight_kib": (BAD_POS_NUMBER + [1e-20, 2.0 ** 40], ("buffers.weight_kib",)),
    "buffers.input_kib": (BAD_POS_NUMBER + [1e-20, 2.0 ** 40], ("buffers.input_kib",)),
    "buffers.output_kib": (BAD_POS_NUMBER + [1e-20, 2.0 ** 40], ("buffers.output_kib",)),
    "dram": ([None, [], "16", 16, {}, {"bandwidth": 16}], ("dram",)),
    "dram.bandwidth_bytes_per_cycle": (BAD_POS_NUMBER + [1e-14, 1e-15, 1e-16, 1e-20, 1e300, "fast", "CALCULATED"],
                                       ("dram.bandwidth_bytes_per_cycle",)),
    "clock_mhz": (BAD_POS_NUMBER + [1e-30, 1e30], ("clock_mhz",)),
    "buffers.input_read_bytes_per_cycle": (BAD_POS_NUMBER + [1e-20, 1e300, "fast"],
                                           ("buffers.input_read_bytes_per_cycle",)),
    "mapping": ([1, [], "nosuch", {"mode": "nosuch"}, {"objective": "speed"}, {"mode": "auto", "bogus": 1},
                 {"mode": []}, "auto:٣"], ("mapping",)),
    "energy_table": (NOT_TEXT + ["", "abc", "16", "/etc/passwd", "/etc", "/nonexistent/table.yaml", "tables",
                                 "x" * 300, "table.yaml"], ("energy_table",)),
}

UNUSED_FOR_KIND = {  # fields that are not allowed for the base PE (2:4)
    "pe.block": ["4x4", [4, 4]],
}


def _arch_cases() -> list[Case]:
    cases = []
    for path, (values, names) in ARCH_FIELDS.items():
        for value in values:
            text = _dump(_set(BASE_ARCH, path, value))
            cid = f"arch-file/{path}/{_tag(value)}"
            files = {"arch.yaml": text}
            if value == "table.yaml":
                files["table.yaml"] = "schema: 1\n"
            if value == "tables":
                files["tables/x.yaml"] = "a: 1\n"
            cases.append(Case(cid, ("arch", "arch.yaml"), names, files))
        if "." in path:  # a missing required field
            section, key = path.split(".", 1)
            if path in ("array.rows", "array.cols", "buffers.weight_kib", "buffers.input_kib",
                        "buffers.output_kib", "dram.bandwidth_bytes_per_cycle"):
                cases.append(Case(f"arch-file/{path}/missing", ("arch", "arch.yaml"), names,
                                  {"arch.yaml": _dump(_set(BASE_ARCH, path, None, delete=True))}, core=True))
    for key in ("array", "dataflow", "buffers", "dram"):
        cases.append(Case(f"arch-file/{key}/missing", ("arch", "arch.yaml"), (key,),
                          {"arch.yaml": _dump(_set(BASE_ARCH, key, None, delete=True))}))
    # the block field of a block PE
    block_base = _set(BASE_ARCH, "pe", {"sparsity": "block", "block": "4x4"})
    for value in ["", "4", "4x", "x4", "0x4", "4x0", "٣x4", "4x²", "4×4", [4], [4, 0], [0, 4], [4, 4, 4],
                  {"rows": 4}, {"rows": 4, "cols": "4"}, None, 16, "100000000000x4", [4.5, 4]]:
        cases.append(Case(f"arch-file/pe.block/{_tag(value)}", ("arch", "arch.yaml"), ("pe.block",),
                          {"arch.yaml": _dump(_set(block_base, "pe.block", value))}))
    for path, values in UNUSED_FOR_KIND.items():
        for value in values:
            cases.append(Case(f"arch-file/{path}/unused-{_tag(value)}", ("arch", "arch.yaml"), (path,),
                              {"arch.yaml": _dump(_set(BASE_ARCH, path, value))}))
    # whole-document problems
    docs = {
        "empty": "", "null": "null\n", "list": "- 1\n- 2\n", "scalar": "42\n", "text": "hello\n",
        "syntax": "array: {rows: 8\n", "tab-indent": "array:\n\trows: 8\n", "binary": b"\x00\x01\xff\xfe",
        "latin1": "name: caf\xe9\n".encode("latin-1"), "unknown-key": _dump({**BASE_ARCH, "bogus": 1}),
        "dup-anchor-cycle": "a: &a [*a]\n", "long-int": f"name: x\narray: {{rows: {LONG_INT_TEXT}, cols: 8}}\n",
        "deep": "[" * 20000 + "]" * 20000 + "\n", "deep-map": "a: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
        "alias-bomb": _alias_bomb("array"), "utf16": _dump(BASE_ARCH).text().encode("utf-16"),
    }
    for name, text in docs.items():
        cases.append(Case(f"arch-file/document/{name}", ("arch", "arch.yaml"),
                          ("arch.yaml", "architecture", "YAML"), {"arch.yaml": text}, core=True))
    # the same bad arch files through every subcommand that reads an arch
    for i, (path, value) in enumerate([("array.rows", 0), ("dram.bandwidth_bytes_per_cycle", None),
                                       ("dram", {}), ("buffers", {}), ("array", {}), ("energy_table", "abc"),
                                       ("pe.n", "٣"), ("dram.bandwidth_bytes_per_cycle", 1e-16),
                                       ("clock_mhz", 1e308)]):
        text = _dump(_set(BASE_ARCH, path, value))
        field_names = ARCH_FIELDS.get(path, ((), (path,)))[1]
        for cmd in (("simulate", "--workload", "tiny-cnn", "--arch", "arch.yaml"),
                    ("compare", "--workload", "tiny-cnn", "--arch", "arch.yaml", "--out", "out"),
                    ("rtl", "--arch", "arch.yaml", "--out", "out"),
                    ("verify", "--arch", "arch.yaml", "--trials", "1", "--simulator", "amaranth")):
            cases.append(Case(f"arch-via-{cmd[0]}/{path}/{_tag(value)}", cmd, field_names, {"arch.yaml": text},
                              core=i < 3))
    return cases


def _alias_bomb(where: str, levels: int = 12) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines.append(f"{where}: *a{levels - 1}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- SCALE-Sim cfg
CFG_FIELDS = {
    ("architecture_presets", "ArrayHeight"): ["0", "-1", "abc", "", "٣", "²", "1e3", "4097", str(HUGE),
                                              LONG_INT_TEXT, "8.5", "1_0"],
    ("architecture_presets", "ArrayWidth"): ["0", "abc", "٣", str(HUGE), "1_0", "nan"],
    ("architecture_presets", "IfmapSramSzkB"): ["0", "-5", "abc", "nan", "inf", "1e308", "٣", "1e-30"],
    ("architecture_presets", "FilterSramSzkB"): ["0", "abc", "inf", "٣٣"],
    ("architecture_presets", "OfmapSramSzkB"): ["0", "abc", "-inf", "1e400"],
    ("architecture_presets", "Dataflow"): ["", "xs", "1", "weight"],
    ("architecture_presets", "Bandwidth"): ["0", "-1", "abc", "nan", "inf", "1e-20", "1e-16", "٣", "1e300"],
    ("run_presets", "InterfaceBandwidth"): ["", "MAYBE", "1"],
}


def _cfg_cases() -> list[Case]:
    cases = []
    for (section, key), values in CFG_FIELDS.items():
        for value in values:
            data = copy.deepcopy(BASE_CFG)
            data[section][key] = value
            cases.append(Case(f"cfg/{key}/{_tag(value)}", ("arch", "arch.cfg"), (key,),
                              {"arch.cfg": _cfg_text(data)}))
        data = copy.deepcopy(BASE_CFG)
        del data[section][key]
        cases.append(Case(f"cfg/{key}/missing", ("arch", "arch.cfg"), (key,), {"arch.cfg": _cfg_text(data)}))
    for name, text in {"empty": "", "no-section": "ArrayHeight: 8\n", "binary": b"\xff\xfe\x00",
                       "only-general": "[general]\nrun_name = x\n"}.items():
        cases.append(Case(f"cfg/document/{name}", ("arch", "arch.cfg"), ("arch.cfg", "config", "section"),
                          {"arch.cfg": text}, core=True))
    bad = copy.deepcopy(BASE_CFG)
    bad["architecture_presets"]["ArrayHeight"] = "٣"
    for cmd in (("simulate", "--workload", "tiny-cnn", "--arch", "arch.cfg"),
                ("rtl", "--arch", "arch.cfg", "--out", "out")):
        cases.append(Case(f"cfg-via-{cmd[0]}/ArrayHeight", cmd, ("ArrayHeight",), {"arch.cfg": _cfg_text(bad)}))
    return cases


# ----------------------------------------------------------------------------- energy tables
TABLE_FIELDS = {
    "schema": ([None, "accelsim-energy-table/2", 1, []], ("schema",)),
    "name": (NOT_TEXT + [""], ("name",)),
    "source": (NOT_TEXT + [""], ("source",)),
    "technology_nm": (BAD_POS_NUMBER, ("technology_nm",)),
    "supply_v": (BAD_POS_NUMBER, ("supply_v",)),
    "entries": ([None, [], "x", 1, {}], ("entries",)),
    "entries.int_multiply": ([None, [], "0.2", 0.2], ("entries.int_multiply",)),
    "entries.int_multiply.unit": ([None, [], {}, "J", "pj ", 1, ["pJ"]], ("entries.int_multiply.unit",)),
    "entries.int_multiply.per": ([None, "bit", []], ("entries.int_multiply.per",)),
    "entries.int_multiply.by_bits": ([None, [], {}, {8: -1}, {8: 0}, {8: 1e308}, {8: "x"}, {0: 0.2}, {129: 1},
                                      {8: 3.0, 32: 1.0}, {8: float("nan")}, {"8": 0.2}, {8: [1]}],
                                     ("entries.int_multiply.by_bits",)),
    "entries.int_add.by_bits": ([{8: 1e308}, {8: -0.03}, {8: float("inf")}], ("entries.int_add.by_bits",)),
    "entries.sram_read.by_size_kib": ([None, {}, {0: 10}, {-8: 10}, {8: 1e308}, {8: 10, 32: 5},
                                       {1e308: 10}], ("entries.sram_read.by_size_kib",)),
    "entries.sram_read.access_bits": (BAD_POS_INT, ("entries.sram_read.access_bits",)),
    "entries.dram_access.value": (BAD_POS_NUMBER + [1e200], ("entries.dram_access.value",)),
    "entries.dram_access.unit": ([[], {}, "kJ", None], ("entries.dram_access.unit",)),
    "entries.dram_access.range": ([[1], [3, 1], "1-2", [1, "x"], [0.1, 0.2]], ("entries.dram_access.range",)),
    "entries.register_read.value": ([1e308, -1, 0, "x", None], ("entries.register_read.value",)),
    "entries.mux2_select.value": ([1e308, 0, []], ("entries.mux2_select.value",)),
    "entries.sram_write_over_read.value": ([0, -1, 1e308, "x", None], ("entries.sram_write_over_read.value",)),
    "entries.gated_mac_fraction.value": ([-0.1, 1.5, "x", None], ("entries.gated_mac_fraction.value",)),
    "entries.idle_pe_cycle_fraction.unit": (["pJ", [], None], ("entries.idle_pe_cycle_fraction.unit",)),
    "entries.int_add.source": (["", None, 1, []], ("entries.int_add.source",)),
}


def _table_cases() -> list[Case]:
    cases = []
    base = _base_table()
    for path, (values, names) in TABLE_FIELDS.items():
        for value in values:
            text = _dump(_set(base, path, value))
            arch = _dump(_set(BASE_ARCH, "energy_table", "table.yaml"))
            files = {"arch.yaml": arch, "table.yaml": text}
            cases.append(Case(f"energy-table/{path}/{_tag(value)}", ("arch", "arch.yaml"), names, files))
            if value in (1e308, None):
                cases.append(Case(f"energy-table-via-simulate/{path}/{_tag(value)}",
                                  ("simulate", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32",
                                   "--energy-table", "table.yaml"), names, {"table.yaml": text}))
    for name in ("int_multiply", "sram_read", "dram_access", "register_read"):
        text = _dump(_set(base, f"entries.{name}", None, delete=True))
        cases.append(Case(f"energy-table/entries.{name}/missing", ("arch", "arch.yaml"), (f"entries.{name}",),
                          {"arch.yaml": _dump(_set(BASE_ARCH, "energy_table", "table.yaml")), "table.yaml": text}))
    for value in ("abc", "", "/etc/passwd", "/etc", "/nonexistent.yaml", "x" * 300, "a/" * 3000 + "t.yaml"):
        cases.append(Case(f"energy-table-option/{_tag(value)}",
                          ("simulate", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32", "--energy-table",
                           value), ("energy table", "--energy-table", "energy_table"), core=value == "abc"))
    return cases


# ----------------------------------------------------------------------------- workload YAML
LAYER_FIELDS = {
    "conv1": {
        "in_channels": BAD_POS_INT + [2 ** 40],
        "in_h": BAD_POS_INT + [10 ** 20, 2 ** 31],
        "in_w": BAD_POS_INT + [10 ** 9],
        "out_channels": BAD_POS_INT + [2 ** 40],
        "kernel": _no_pairs(BAD_POS_INT) + [[3], [3, 3, 3], [0, 3], [3, "3"], 100, [10 ** 12, 3]],
        "stride": _no_pairs(BAD_POS_INT) + [[1, 0], 10 ** 18],
        "padding": [-1, "a", None, [], 1.5, [1, -1], 10 ** 18],
        "dilation": [0, -1, "x", 10 ** 12],
        "groups": [0, -1, 2, 5, "x", None, 10 ** 20],
        "type": [None, "", "Conv", "dense", 1, [], {}, ["conv"], {"conv": 1}],
        "name": [None, "", "  ", 1, [], {}, "fc"],
        "input_density": [-0.1, 1.5, "x", float("nan"), [], True],
        "bogus": [1, "x"],
    },
    "fc": {
        "in_features": BAD_POS_INT + [2 ** 40],
        "out_features": BAD_POS_INT + [2 ** 33],
        "tokens": BAD_POS_INT + [10 ** 18],
        "type": [[], "linear2"],
    },
    "scores": {
        "m": BAD_POS_INT + [10 ** 12, "tokenz"],
        "k": BAD_POS_INT + [10 ** 12],
        "n": BAD_POS_INT + ["tokens x"],
        "repeats": BAD_POS_INT + [10 ** 15],
    },
}
_LAYER_INDEX = {"conv1": 0, "fc": 1, "scores": 2}


def _workload_cases() -> list[Case]:
    cases = []
    for layer, fields_ in LAYER_FIELDS.items():
        i = _LAYER_INDEX[layer]
        for key, values in fields_.items():
            for value in values:
                wl = _set(BASE_WORKLOAD, f"layers.{i}.{key}", value)
                names = (f"layers[{i}]", key) if key not in ("type", "name") else (f"layers[{i}]",)
                names = (f"layers[{i}]({layer}).{key}", f"layers[{i}].{key}") if key not in ("name",) else \
                    (f"layers[{i}]",)
                if isinstance(value, int) and not isinstance(value, bool) and value > 10 ** 6:
                    names += (f"layers[{i}]({layer}).",)  # a size limit may name a derived field (m, macs)
                if key == "name" and value == "fc":
                    names = ("unique", "fc")
                cases.append(Case(f"workload-yaml/{layer}.{key}/{_tag(value)}",
                                  ("encode", "--workload", "wl.yaml"), names, {"wl.yaml": _dump(wl)}))
    # top-level fields
    for key, values in {"name": NOT_TEXT + [""], "layers": [None, [], {}, "x", 1, [1], [[]]],
                        "seed": [-1, "x", 1.5, [], HUGE * -1], "input_shape": ["x", [0], [-1, 2], {}, [[]]],
                        "sequential": ["yes", 1, [], None], "source": [1, [], {}], "bogus": [1]}.items():
        for value in values:
            wl = {**BASE_WORKLOAD, key: value}
            cases.append(Case(f"workload-yaml/{key}/{_tag(value)}", ("encode", "--workload", "wl.yaml"),
                              (key,), {"wl.yaml": _dump(wl)}))
    # sizes that cannot fit and repeats that expand too far
    one = {"name": "l", "type": "linear", "in_features": 4, "out_features": 4}
    many = [{**one, "name": f"l{i}"} for i in range(20000)]
    blocks = {
        "repeat-1e8": {"name": "r", "layers": [{"repeat": 10 ** 8, "name": "b", "layers": [one]}]},
        "repeat-huge": {"name": "r", "layers": [{"repeat": HUGE, "name": "b", "layers": [one]}]},
        "repeat-zero": {"name": "r", "layers": [{"repeat": 0, "name": "b", "layers": [one]}]},
        "repeat-text": {"name": "r", "layers": [{"repeat": "12", "name": "b", "layers": [one]}]},
        "repeat-no-layers": {"name": "r", "layers": [{"repeat": 2, "name": "b"}]},
        "repeat-empty-layers": {"name": "r", "layers": [{"repeat": 2, "name": "b", "layers": []}]},
        "repeat-nested": {"name": "r", "layers": [_nested_repeat(6, 100, one)]},
        "repeat-nested-deep": {"name": "r", "layers": [_nested_repeat(20, 1, one)]},
        "layers-20000": {"name": "r", "layers": many},
        "tokens-1e9": {"name": "r", "layers": [{**one, "tokens": 10 ** 9, "in_features": 4096,
                                                "out_features": 4096}]},
        "matmul-1e12": {"name": "r", "layers": [{"name": "mm", "type": "matmul", "m": 10 ** 6, "k": 10 ** 6,
                                                 "n": 10 ** 6}]},
        "weights-too-many": {"name": "r", "layers": [{"name": "big", "type": "linear", "in_features": 10 ** 5,
                                                      "out_features": 10 ** 5}]},
        "conv-huge-map": {"name": "r", "layers": [{"name": "c", "type": "conv", "in_channels": 3,
                                                   "in_h": 10 ** 6, "in_w": 10 ** 6, "out_channels": 8,
                                                   "kernel": 3}]},
    }
    for name, wl in blocks.items():
        for cmd in ("encode", "simulate"):
            argv = ("encode", "--workload", "wl.yaml") if cmd == "encode" else \
                ("simulate", "--workload", "wl.yaml", "--arch", "dense-ws-32x32")
            names = {"layers-20000": ("max_layers",), "repeat-1e8": ("max_layers", "repeat"),
                     "repeat-huge": ("repeat",), "repeat-nested": ("max_layers", "repeat"),
                     "repeat-nested-deep": ("max_repeat_depth",), "tokens-1e9": ("max_", "tokens"),
                     "matmul-1e12": ("max_layer_macs", "macs"), "weights-too-many": ("max_weight_elements",),
                     "conv-huge-map": ("max_", "in_h")}.get(name, ("repeat", "layers"))
            cases.append(Case(f"workload-size/{name}/{cmd}", argv, names, {"wl.yaml": _dump(wl)}, core=True))
    tiny = _dump({**BASE_ARCH, "array": {"rows": 1, "cols": 1}, "pe": {"sparsity": "dense"}})
    for name, wl, dataflow in (
            ("matmul-folds-os", {"name": "r", "layers": [{"name": "mm", "type": "matmul", "m": 10 ** 5, "k": 1,
                                                          "n": 10 ** 4}]}, "os"),
            ("matmul-groups", {"name": "r", "layers": [{"name": "mm", "type": "matmul", "m": 2, "k": 2, "n": 2,
                                                        "repeats": 10 ** 8}]}, "ws"),
            ("tokens-folds-os", {"name": "r", "layers": [{**one, "tokens": 10 ** 9}]}, "os"),
            ("conv-folds-is", {"name": "r", "layers": [{"name": "c", "type": "conv", "in_channels": 1,
                                                        "in_h": 20000, "in_w": 20000, "out_channels": 1,
                                                        "kernel": 1}]}, "is")):
        cases.append(Case(f"workload-size/{name}", ("simulate", "--workload", "wl.yaml", "--arch", "arch.yaml",
                                                    "--dataflow", dataflow), ("max_folds",),
                          {"wl.yaml": _dump(wl), "arch.yaml": tiny}, core=True))
    docs = {
        "empty": "", "null": "null\n", "list": "- a\n", "syntax": "layers: [\n", "binary": b"\x00\xff",
        "alias-bomb": "name: x\n" + _alias_bomb("layers"), "deep": "name: x\nlayers: " + "[" * 20000 + "]" * 20000,
        "long-int": f"name: x\nlayers:\n  - {{name: a, type: linear, in_features: {LONG_INT_TEXT}, out_features: 2}}\n",
        "recursive": "name: x\nlayers: &l\n  - {name: a, repeat: 2, layers: *l}\n",
        "alias-repeat-bomb": _repeat_alias_bomb(),
    }
    for name, text in docs.items():
        cases.append(Case(f"workload-yaml/document/{name}", ("encode", "--workload", "wl.yaml"),
                          ("wl.yaml", "workload"), {"wl.yaml": text}, core=True))
    return cases


def _nested_repeat(depth: int, count: int, leaf: dict) -> dict:
    node = {"repeat": count, "name": f"r{depth}", "layers": [leaf]}
    for d in range(depth - 1, 0, -1):
        node = {"repeat": count, "name": f"r{d}", "layers": [node]}
    return node


def _repeat_alias_bomb() -> str:
    lines = ["name: x", "b0: &b0 [{name: l, type: linear, in_features: 4, out_features: 4}]"]
    for i in range(1, 10):
        lines.append(f"b{i}: &b{i} [{{repeat: 10, name: r{i}, layers: *b{i - 1}}}]")
    lines.append("layers: *b9")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- SCALE-Sim topology CSV
CSV_COLUMNS = ("IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels", "Num Filter", "Strides")
CSV_BAD = ["0", "-1", "abc", "", "٣", "²", "1e20", "1.5", "1_0", str(10 ** 20), LONG_INT_TEXT, "nan", "0x10",
           "３"]


def _csv_cases() -> list[Case]:
    cases = []
    lines = BASE_CSV.splitlines()
    for col_index, col in enumerate(CSV_COLUMNS, start=1):
        for value in CSV_BAD:
            cells = [c.strip() for c in lines[1].split(",")]
            cells[col_index] = value
            text = "\n".join([lines[0], ", ".join(cells), lines[2]]) + "\n"
            cases.append(Case(f"csv/{col}/{_tag(value)}", ("encode", "--workload", "topo.csv"), (col,),
                              {"topo.csv": text}))
    gl = BASE_GEMM_CSV.splitlines()
    for col_index, col in enumerate(("M", "N", "K"), start=1):
        for value in ["0", "abc", "٣", str(10 ** 12), "1e9", LONG_INT_TEXT]:
            cells = [c.strip() for c in gl[1].split(",")]
            cells[col_index] = value
            text = "\n".join([gl[0], ", ".join(cells), gl[2]]) + "\n"
            cases.append(Case(f"csv-gemm/{col}/{_tag(value)}", ("encode", "--workload", "topo.csv"),
                              (f".{col}",), {"topo.csv": text}))
    docs = {"empty": "", "header-only": lines[0] + "\n", "bad-header": "a, b, c\n1, 2, 3\n",
            "short-row": lines[0] + "\nConv1, 16, 16\n", "binary": b"\xff\xfe\x00\x01",
            "filter-too-big": lines[0] + "\nConv1, 4, 4, 5, 5, 3, 8, 1,\n",
            "sparsity-bad": lines[0].rstrip(",") + ", Sparsity,\nConv1, 16, 16, 3, 3, 3, 8, 1, 5:4,\n",
            "huge-map": lines[0] + f"\nConv1, {10 ** 7}, {10 ** 7}, 3, 3, 3, 8, 1,\n",
            "many-rows": lines[0] + "\n" + "".join(f"L{i}, 4, 4, 1, 1, 1, 1, 1,\n" for i in range(20000))}
    for name, text in docs.items():
        names = {"huge-map": ("max_",), "many-rows": ("max_layers",), "filter-too-big": ("Filter",),
                 "sparsity-bad": ("Sparsity",)}.get(name, ("topo.csv", "topology", "SCALE-Sim"))
        cases.append(Case(f"csv/document/{name}", ("encode", "--workload", "topo.csv"), names, {"topo.csv": text},
                          core=True))
    return cases


# ----------------------------------------------------------------------------- checkpoints
def _safetensors(tensors: dict, metadata: dict | None = None, header_patch: Callable | None = None) -> bytes:
    import numpy as np

    header, blobs, offset = {}, [], 0
    for name, arr in tensors.items():
        arr = np.ascontiguousarray(arr)
        dtype = {np.dtype("float32"): "F32", np.dtype("float16"): "F16", np.dtype("int8"): "I8",
                 np.dtype("float64"): "F64", np.dtype("int64"): "I64"}[arr.dtype]
        data = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata is not None:
        header["__metadata__"] = metadata
    if header_patch is not None:
        header = header_patch(header)
    raw = json.dumps(header).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + b"".join(blobs)


def _checkpoint_cases() -> list[Case]:
    import numpy as np

    rng = np.random.default_rng(SEED)
    w = rng.standard_normal((8, 16)).astype(np.float32)
    cases = []

    def st(name, fields_, tensors=None, metadata=None, patch=None, extra_args=(), raw=None, core=False):
        def files():
            data = raw if raw is not None else _safetensors(tensors if tensors is not None else {"fc.weight": w},
                                                             metadata, patch)
            return {"model.safetensors": data}
        for cmd in (("encode",), ("simulate", "--arch", "dense-ws-32x32")):
            cases.append(Case(f"checkpoint-st/{name}/{cmd[0]}", (*cmd, "--workload", "model.safetensors",
                                                                  *extra_args), fields_, files, core=core))

    nan_w = w.copy()
    nan_w[0, 0] = np.nan
    inf_w = w.copy()
    inf_w[1, 2] = np.inf
    st("nan", ("fc.weight",), {"fc.weight": nan_w}, core=True)
    st("inf", ("fc.weight",), {"fc.weight": inf_w})
    st("no-weights", ("weight", "linear"), {"fc.bias": np.zeros(8, np.float32)})
    st("empty", ("weight", "linear", "tensor"), {})
    st("truncated", ("model.safetensors", "safetensors"), raw=_safetensors({"fc.weight": w})[:40])
    st("header-huge", ("model.safetensors", "safetensors", "header"), raw=struct.pack("<Q", 2 ** 60) + b"{}")
    st("header-not-json", ("model.safetensors", "safetensors", "header"), raw=struct.pack("<Q", 4) + b"abcd")
    st("header-list", ("model.safetensors", "safetensors", "header"), raw=struct.pack("<Q", 8) + b"[1,2,3] ")
    st("tiny-file", ("model.safetensors", "safetensors"), raw=b"\x01\x02")
    deep = b"[" * 100000 + b"]" * 100000
    st("header-deep", ("model.safetensors", "safetensors", "header"), raw=struct.pack("<Q", len(deep)) + deep)
    long_int = b'{"a": ' + LONG_INT_TEXT.encode() + b"}"
    st("header-long-int", ("model.safetensors", "safetensors", "header"),
       raw=struct.pack("<Q", len(long_int)) + long_int)
    st("offsets-out-of-range", ("fc.weight", "offset", "model.safetensors"),
       patch=lambda h: {**h, "fc.weight": {**h["fc.weight"], "data_offsets": [0, 10 ** 12]}})
    st("shape-mismatch", ("fc.weight", "shape", "model.safetensors"),
       patch=lambda h: {**h, "fc.weight": {**h["fc.weight"], "shape": [1000, 1000]}})
    st("shape-huge", ("fc.weight", "shape", "model.safetensors", "max_"),
       patch=lambda h: {**h, "fc.weight": {**h["fc.weight"], "shape": [10 ** 10, 10 ** 10]}})
    st("shape-negative", ("fc.weight", "shape", "model.safetensors"),
       patch=lambda h: {**h, "fc.weight": {**h["fc.weight"], "shape": [-8, -16]}})
    st("dtype-bogus", ("fc.weight", "dtype", "model.safetensors"),
       patch=lambda h: {**h, "fc.weight": {**h["fc.weight"], "dtype": "Q7"}})
    st("metadata-bad-yaml", ("accelsim", "workload", "metadata"), metadata={"accelsim.workload": "layers: ["})
    st("metadata-alias-bomb", ("accelsim", "workload", "metadata", "values"),
       metadata={"accelsim.workload": "name: x\n" + _alias_bomb("layers")})
    st("metadata-not-text", ("accelsim", "workload", "metadata", "__metadata__"),
       patch=lambda h: {**h, "__metadata__": {"accelsim.workload": [1, 2]}})
    st("tokens-huge", ("--tokens",), extra_args=("--tokens", str(10 ** 18)), core=True)
    big = rng.standard_normal((4096, 4096)).astype(np.float32)
    st("tokens-macs", ("max_layer_macs",), {"fc.weight": big}, extra_args=("--tokens", str(10 ** 9)))
    conv = rng.standard_normal((8, 3, 3, 3)).astype(np.float32)
    st("conv-no-shape", ("--input-shape", "input_shape"), {"conv.weight": conv})
    for shape in ("0,8,8", "3,8,8,8", "٣,8,8", "3,1e9,8", "3,99999999999,8", "", "a,b,c", "-3,8,8"):
        for cmd in (("encode",), ("simulate", "--arch", "dense-ws-32x32")):
            cases.append(Case(f"checkpoint-st/input-shape-{_tag(shape)}/{cmd[0]}",
                              (*cmd, "--workload", "model.safetensors", "--input-shape", shape),
                              ("--input-shape", "input_shape", "input shape"),
                              lambda: {"model.safetensors": _safetensors({"conv.weight": conv})}))
    for name, data in {"pt-garbage": b"not a pickle at all", "pt-empty-zip": b"PK\x05\x06" + b"\x00" * 18,
                       "pt-text": "hello\n".encode()}.items():
        for ext in (".pt", ".bin"):
            cases.append(Case(f"checkpoint-pt/{name}{ext}", ("encode", "--workload", f"model{ext}"),
                              (f"model{ext}", "checkpoint", "state dict"), {f"model{ext}": data}))
    for name, builder in _torch_builders().items():
        for cmd in (("encode",), ("simulate", "--arch", "nm24-ws-32x32")):
            cases.append(Case(f"checkpoint-torch/{name}/{cmd[0]}", (*cmd, "--workload", "model.pt"),
                              builder[1], (lambda b=builder[0]: {"model.pt": b()}), core=name == "nan"))
    return cases


def _torch_builders() -> dict:
    def save(obj) -> bytes:
        import torch
        buf = io.BytesIO()
        torch.save(obj, buf)
        return buf.getvalue()

    def nan():
        import torch
        w = torch.randn(8, 16, generator=torch.Generator().manual_seed(1))
        w[0, 0] = float("nan")
        return save({"fc.weight": w})

    def meta():
        import torch
        return save({"fc.weight": torch.empty(8, 16, device="meta")})

    def not_dict():
        import torch
        return save([torch.randn(8, 16)])

    def scalar():
        return save(42)

    def int_weights():
        import torch
        return save({"fc.weight": torch.zeros(8, 16, dtype=torch.int64)})

    def prune_mask_only():
        import torch
        return save({"fc.weight_mask": torch.ones(8, 16)})

    def prune_mismatch():
        import torch
        return save({"fc.weight_orig": torch.randn(8, 16), "fc.weight_mask": torch.ones(4, 4)})

    return {"nan": (nan, ("fc.weight",)), "meta": (meta, ("fc.weight",)),
            "not-a-dict": (not_dict, ("model.pt", "state dict")), "scalar": (scalar, ("model.pt", "state dict")),
            "int-weights": (int_weights, ("fc.weight", "linear", "weight")),
            "prune-mask-only": (prune_mask_only, ("fc.weight", "weight_mask", "weight_orig")),
            "prune-mismatch": (prune_mismatch, ("fc.weight", "weight_mask", "weight_orig"))}


# ----------------------------------------------------------------------------- sweep specs
SWEEP_FIELDS = {
    "name": NOT_TEXT + [""],
    "workloads": [None, [], "x", 1, [1], ["nosuch"], [{"workload": "tiny-cnn", "tokens": 0}],
                  [{"workload": "tiny-cnn", "bogus": 1}], ["tiny-cnn", "tiny-cnn"]],
    "prune": [[], "x", ["nm:٣:4"], ["nm:2:4:x"], ["bogus:1"], [1]],
    "arch": [None, "", 1, [], "nosuch", {"array": {"rows": 0}}],
    "dataflows": [[], ["xs"], "xs", [1]],
    "space": ["x", [], {"array.rows": []}, {"array.rows": "x"}, {"bogus.field": [1, 2]},
              {"array.rows": [0, 8]}, {"array.rows": {"min": 1, "max": 10 ** 30, "log": True}},
              {"dram.bandwidth_bytes_per_cycle": [1e-20]}],
    "sampling": ["x", {"method": "nosuch"}, {"method": "random", "samples": 0},
                 {"method": "random", "samples": 10 ** 12}, {"method": "lhs", "samples": "x"},
                 {"method": "random", "samples": 5, "seed": -1}],
    "constraints": ["x", [1], ["sram_kib <="], ["__import__('os')"], ["nosuch > 1"]],
    "formats": [["bsr:٣x4"], ["nosuch"], "csr"],
    "objectives": [["nosuch"], "nosuch"],
    "seeds": [[-1], ["x"], 1.5],
    "bogus": [1],
}


def _sweep_cases() -> list[Case]:
    cases = []
    for key, values in SWEEP_FIELDS.items():
        for value in values:
            spec = {**BASE_SWEEP, key: value}
            for argv in (("sweep", "spec.yaml", "--check"), ("sweep", "spec.yaml", "--out", "out", "--quiet")):
                names = (key, "arch.") if key == "space" else (key,)
                cases.append(Case(f"sweep/{key}/{_tag(value)}/{argv[2]}", argv, names,
                                  {"spec.yaml": _dump(spec)}))
    for name, text in {"empty": "", "list": "- 1\n", "syntax": "name: [\n", "alias-bomb": _alias_bomb("workloads"),
                       "deep": "[" * 20000 + "]" * 20000}.items():
        cases.append(Case(f"sweep/document/{name}", ("sweep", "spec.yaml", "--check"),
                          ("spec.yaml", "sweep spec"), {"spec.yaml": text}, core=True))
    return cases

