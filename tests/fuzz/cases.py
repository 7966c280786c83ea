"""Bad inputs for every subcommand, input file and option: a seeded, deterministic generator.

Every case is something a user could write by mistake (or a hostile file) and
must be refused cleanly: exit status 2, a message naming the field (one of
``Case.fields`` must appear on standard error), no traceback, no "internal
error", within 20 s. :func:`all_cases` is the full set (``make fuzz``);
:func:`fast_cases` a fixed sample of it that ``make test`` runs.

The cases target the interface as it is; new fields and options are added by
extending the tables below (``ARCH_FIELDS``, ``OPTION_CASES``...).
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import random
import struct
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

import yaml

__all__ = ["Case", "all_cases", "fast_cases", "cases_by_id"]

SEED = 20261202
#: Share of the generated cases (besides those marked ``core``) that the fast subset keeps.
FAST_SHARE = 0.2


@dataclass(frozen=True)
class Case:
    """One bad input.

    Attributes
    ----------
    id : str
        Stable, unique name (``group/what``).
    argv : tuple of str
        Arguments of ``accelsim`` (run in a fresh folder holding ``files``).
    fields : tuple of str
        The message must name at least one of these (case-insensitive).
    files : dict or callable
        ``{name: str or bytes}``, or a function returning it (built when the case runs).
    env : dict
        Environment variables set for the case.
    core : bool
        Always in the fast subset.
    """

    id: str
    argv: tuple
    fields: tuple
    files: object = field(default_factory=dict)
    env: dict = field(default_factory=dict)
    core: bool = False

    def materialise(self) -> dict:
        """The input files of the case."""
        files = self.files() if callable(self.files) else dict(self.files)
        return {name: (content.text() if isinstance(content, _Yaml) else content) for name, content in files.items()}


class _Yaml:
    """A YAML document to write when the case runs (dumping 2,000 documents up front is slow)."""

    def __init__(self, data):
        self.data = data

    def text(self) -> str:
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        return yaml.dump(self.data, Dumper=dumper, sort_keys=False, allow_unicode=True)


def _dump(data) -> _Yaml:
    return _Yaml(data)


# ----------------------------------------------------------------------------- base inputs
BASE_ARCH = {
    "name": "fuzz-nm",
    "array": {"rows": 8, "cols": 8},
    "dataflow": "ws",
    "precision": {"weight_bits": 8, "activation_bits": 8, "accumulator_bits": 32},
    "pe": {"sparsity": "nm", "n": 2, "m": 4},
    "buffers": {"weight_kib": 64, "input_kib": 64, "output_kib": 32},
    "dram": {"bandwidth_bytes_per_cycle": 16},
    "clock_mhz": 1000,
    "energy_table": "horowitz45",
}

BASE_WORKLOAD = {
    "name": "fuzz-net",
    "layers": [
        {"name": "conv1", "type": "conv", "in_channels": 3, "in_h": 8, "in_w": 8, "out_channels": 8,
         "kernel": 3, "padding": 1},
        {"name": "fc", "type": "linear", "in_features": 512, "out_features": 10, "tokens": 1},
        {"name": "scores", "type": "matmul", "m": 16, "k": 8, "n": 16, "repeats": 2},
    ],
}

BASE_CSV = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
            "Conv1, 16, 16, 3, 3, 3, 8, 1,\n"
            "FC, 1, 1, 1, 1, 64, 10, 1,\n")
BASE_GEMM_CSV = "Layer, M, N, K,\nQKV, 16, 32, 24,\nOut, 16, 24, 32,\n"

BASE_CFG = {
    "general": {"run_name": "fuzz_cfg"},
    "architecture_presets": {"ArrayHeight": "8", "ArrayWidth": "8", "IfmapSramSzkB": "64",
                             "FilterSramSzkB": "64", "OfmapSramSzkB": "32", "Dataflow": "ws",
                             "Bandwidth": "16"},
    "run_presets": {"InterfaceBandwidth": "USER"},
}

BASE_SWEEP = {
    "name": "fuzz-sweep",
    "workloads": ["tiny-cnn"],
    "prune": ["none"],
    "arch": "nm24-ws-32x32",
    "dataflows": ["ws"],
    "space": {"array.rows": [8, 16]},
}


@lru_cache(maxsize=1)
def _base_table() -> dict:
    from accelsim.energy.table import bundled_table_dir

    return yaml.safe_load((bundled_table_dir() / "horowitz45.yaml").read_text(encoding="utf-8"))


def _cfg_text(data: dict) -> str:
    lines = []
    for section, values in data.items():
        lines.append(f"[{section}]")
        lines += [f"{k} : {v}" for k, v in values.items()]
        lines.append("")
    return "\n".join(lines)


def _set(data, path: str, value, delete: bool = False):
    """Copy of ``data`` with the dotted ``path`` set to ``value`` (or removed)."""
    out = copy.deepcopy(data)
    node = out
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    elif delete:
        node.pop(last, None)
    else:
        node[last] = value
    return out


# ----------------------------------------------------------------------------- value pools
HUGE = 10 ** 24
LONG_INT_TEXT = "9" * 5000          # over Python's 4,300-digit int conversion limit
NOT_INT = [None, "abc", "", "8x", "٣", "²", "８", 1.5, True, [], {}, [1, 2], {"a": 1}, "1e3", "0x10"]
BAD_POS_INT = [0, -1, -(2 ** 63), HUGE] + NOT_INT
NOT_NUMBER = [None, "abc", "", "٣", "1.0.0", True, [], {}, [1], {"v": 1}, float("nan"), float("inf"), "nan"]
BAD_POS_NUMBER = [0, -1, -1e-9, 1e308, -1e308] + NOT_NUMBER
NOT_TEXT = [None, 16, 1.5, True, [], {}, ["a"], {"a": "b"}]


def _no_pairs(values) -> list:
    """``values`` without the two-integer lists (a valid kernel or stride)."""
    return [v for v in values if not (isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) for x in v))]


def _tag(value) -> str:
    raw = repr(value)
    return hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()[:6]


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


# ----------------------------------------------------------------------------- CLI options
SIM = ("simulate", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32")
ENC = ("encode", "--workload", "tiny-cnn")
CMP = ("compare", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32", "--out", "out", "--quiet")
RTL = ("rtl", "--arch", "nm24-ws-32x32")
VER = ("verify", "--arch", "nm24-ws-32x32", "--simulator", "amaranth")
COP = ("copruning", "--task", "digits", "--arch", "nm24-ws-32x32", "--out", "out", "--quiet")
SWP = ("sweep", "tiny-grid")

LONG_NAME = "x" * 300
LONG_PATH = "/".join(["d" * 200] * 30)
BAD_SCHEMES = ["", ":", "nm", "nm:2", "nm:²:4", "nm:٣:4", "nm:2:٤", "nm:4:2", "nm:2:4:x", "nm:0:4", "nm:2:17",
               "nm:99999999999999999999999:4", "unstructured", "unstructured:1", "unstructured:1.5",
               "unstructured:-0.1", "unstructured:nan", "unstructured:inf", "unstructured:٠.٥", "unstructured:0.5:x",
               "unstructured:150%", "block:4x4", "block:0x4:0.5", "block:٣x4:0.5", "block:100000000000x4:0.5",
               "block:4x4:2", "channel:0.5:l3", "channel:0.5:l1:l2", "kernel:x", "bogus:0.5", "2:", "²:4",
               "nm:2:4:" + "x" * 500]
BAD_FORMATS = ["", "nosuch", "csr:4", "bsr", "bsr:4", "bsr:٣x4", "bsr:4x²", "bsr:0x4", "bsr:100000x100000",
               "bsr:99999999999999999999x4", "nm:²:4", "nm:2:4:loose", "nm:5:4", "nm:2:99", "bsr:4x4x4", "dense:1",
               "bsr:-4x4", "bsr: 4x4"]
BAD_INTS = ["", "x", "1.5", "1e23", "-1", "٣", "²", "99999999999999999999999", LONG_INT_TEXT, "1_0", "0x10",
            "nan", " "]


def _option_cases() -> list[Case]:
    cases = []

    def add(group, base, option, values, fields_=None, extra=(), core_first=True):
        for j, value in enumerate(values):
            argv = (*base, option, value, *extra) if option else (*base, value, *extra)
            cases.append(Case(f"option/{group}/{_tag(value)}", argv, fields_ or (option,),
                              core=core_first and j == 0))

    # pruning schemes and formats everywhere they are accepted
    add("simulate-prune", SIM, "--prune", BAD_SCHEMES, ("--prune", "scheme", "nm", "unstructured", "block",
                                                        "channel", "kernel"))
    add("encode-prune", ENC, "--prune", BAD_SCHEMES[::3], ("--prune", "scheme", "nm", "unstructured", "block",
                                                           "channel", "kernel"))
    add("compare-prune", CMP, "--prune", BAD_SCHEMES[4::4], ("--prune", "scheme", "nm", "unstructured",
                                                            "block", "channel", "kernel"))
    add("encode-format", ENC, "--format", BAD_FORMATS, ("--format", "format"))
    add("simulate-format", SIM, "--format", BAD_FORMATS[::2], ("--format", "format"))
    add("compare-formats", CMP, "--formats", BAD_FORMATS[::3] + [",", "csr,,", "csr,nosuch"],
        ("--formats", "format"))
    # integers
    add("encode-index-bits", ENC, "--index-bits", BAD_INTS + ["0", "65", "1000"], ("--index-bits",))
    add("encode-value-bits", ENC, "--value-bits", BAD_INTS + ["0", "65"], ("--value-bits",))
    for base, name in ((SIM, "simulate"), (ENC, "encode"), (CMP, "compare")):
        add(f"{name}-tokens", base, "--tokens", BAD_INTS + ["0", str(10 ** 18), str(2 ** 31)], ("--tokens",))
        add(f"{name}-seed", base, "--seed", BAD_INTS + [str(2 ** 64)], ("--seed",))
    add("verify-trials", VER, "--trials", BAD_INTS + ["0", str(10 ** 23), str(10 ** 9)], ("--trials",))
    add("verify-seed", VER, "--seed", BAD_INTS + [str(2 ** 64)], ("--seed",))
    add("sweep-workers", (*SWP, "--out", "out"), "--workers", BAD_INTS + ["0", str(10 ** 9)], ("--workers",))
    add("sweep-chunk", (*SWP, "--out", "out"), "--chunk-size", BAD_INTS + ["0"], ("--chunk-size",))
    add("copruning-seed", COP, "--seed", BAD_INTS[:6], ("--seed",))
    add("copruning-refine", COP, "--refine-steps", BAD_INTS[:6] + [str(10 ** 9)], ("--refine-steps",))
    add("copruning-pretrain", COP, "--pretrain-epochs", BAD_INTS[:6] + ["-5", str(10 ** 9)], ("--pretrain-epochs",))
    add("copruning-finetune", COP, "--finetune-epochs", BAD_INTS[:6] + [str(10 ** 9)], ("--finetune-epochs",))
    # reals
    bad_reals = ["", "x", "nan", "inf", "-inf", "٣", "1e400", "-1"]
    add("copruning-drop", COP, "--max-accuracy-drop", bad_reals + ["101"], ("--max-accuracy-drop",))
    add("copruning-energy", COP, "--target-energy", bad_reals + ["0"], ("--target-energy",))
    add("copruning-latency", COP, "--target-latency", bad_reals + ["0"], ("--target-latency",))
    add("copruning-margin", COP, "--margin-se", bad_reals, ("--margin-se",))
    add("copruning-objective", COP, "--objective", ["", "speed", "ENERGYY", "1"], ("--objective", "objective"))
    add("copruning-task", ("copruning", "--arch", "nm24-ws-32x32", "--out", "out"), "--task",
        ["", "nosuch", "../digits", LONG_NAME], ("--task", "task"))
    # choices and names
    add("simulate-dataflow", SIM, "--dataflow", ["", "xs", "ws,os", "٣", "all"], ("--dataflow", "dataflow"))
    add("compare-dataflows", CMP, "--dataflows", ["", "xs", "ws,,os", "ws,xs", ",", "alll"],
        ("--dataflows", "dataflow"))
    add("simulate-activation", SIM, "--activation-sparsity",
        ["", "x", "assume:", "assume:x", "assume:1.5", "assume:-1", "assume:nan", "assume:٠.٥", "assume:inf"],
        ("--activation-sparsity", "activation"))
    add("compare-mapping", CMP, "--mapping", ["", "nosuch", "٣"], ("--mapping", "mapping"))
    add("simulate-mapping", SIM, "--mapping", ["", "nosuch", "auto:speed", "٣", "scalesim:edp:x"],
        ("--mapping", "mapping"))
    add("simulate-objective", SIM, "--objective", ["", "speed", "٣", "EDPP"], ("--objective", "objective"))
    add("simulate-workload", ("simulate", "--arch", "dense-ws-32x32"), "--workload",
        ["", "nosuch", "nosuch.yaml", "/etc", "/etc/passwd", "x.txt", LONG_NAME, LONG_NAME + ".yaml", LONG_PATH,
         "/proc/self/mem", "/dev/null"], ("--workload", "workload"))
    add("encode-workload", ("encode",), "--workload", ["", "nosuch", "/etc", LONG_NAME, "/dev/null"],
        ("--workload", "workload"))
    add("simulate-arch", ("simulate", "--workload", "tiny-cnn"), "--arch",
        ["", "nosuch", "/etc", "/etc/passwd", LONG_NAME, LONG_NAME + ".yaml", LONG_PATH, "/dev/null", "x.cfg"],
        ("--arch", "arch"))
    add("arch-file", ("arch",), None, ["", "nosuch", "/etc", "/etc/passwd", LONG_NAME, LONG_PATH, "/dev/null",
                                       "/proc/self/mem"], ("arch", "FILE"))
    add("rtl-arch", ("rtl", "--out", "out"), "--arch", ["", "nosuch", LONG_NAME, "/etc/passwd"], ("--arch", "arch"))
    add("verify-arch", ("verify",), "--arch", ["", "nosuch", LONG_NAME], ("--arch", "arch"))
    add("compare-arch", ("compare", "--workload", "tiny-cnn", "--out", "out"), "--arch",
        ["", "nosuch", LONG_NAME, "/etc/passwd"], ("--arch", "arch"))
    add("copruning-arch", ("copruning", "--task", "digits", "--out", "out"), "--arch", ["", "nosuch", LONG_NAME],
        ("--arch", "arch"))
    add("verify-top", VER, "--top", ["", "nosuch", "PE", " pe", LONG_NAME], ("--top", "top"))
    add("verify-verilog", VER, "--verilog", ["", "nosuch.v", "/etc", LONG_NAME], ("--verilog", "verilog", "Verilog"))
    add("verify-shape", VER, "--shape", ["", "0x4", "٣x4", "4x²", "100000x100000", "4", "fullx", "-4x4",
                                         "99999999999999999999x4"], ("--shape", "shape"))
    add("verify-layer", (*VER, "--workload", "tiny-cnn"), "--layer", ["", "nosuch", LONG_NAME],
        ("--layer", "layer"))
    add("verify-layer-prune", (*VER, "--workload", "tiny-cnn", "--layer", "conv1"), "--prune",
        ["nm:٣:4", "bogus", "nm:2:17"], ("--prune", "scheme", "nm"))
    add("verify-simulator", ("verify", "--arch", "nm24-ws-32x32"), "--simulator", ["", "iverilog", "AMARANTH"],
        ("--simulator",))
    add("simulate-topology", ("simulate", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32"), "--topology",
        ["resnet18", "", LONG_NAME], ("--topology", "topology"))
    add("sweep-spec", ("sweep", "--check"), None, ["", "nosuch", "/etc", "/etc/passwd", LONG_NAME, LONG_PATH],
        ("spec", "sweep"))
    add("sweep-scheduler", (*SWP, "--out", "out"), "--scheduler", ["", "nosuch://x", "tcp://"],
        ("--scheduler", "scheduler"))
    # output paths, checked before any work
    outs = ["", "/proc/x.json", "/etc/passwd/x.json", "/etc", ".", LONG_NAME + ".json", LONG_PATH + "/x.json",
            "/dev/full/x", "/sys/x.json"]
    add("simulate-json", SIM, "--json", outs, ("--json",))
    add("encode-json", ENC, "--json", outs, ("--json",))
    dirs = ["", "/proc/out", "/etc/passwd", "/etc/passwd/sub", LONG_NAME, LONG_PATH, "/sys/out", "/dev/null"]
    add("compare-out", CMP[:-3], "--out", dirs, ("--out",), extra=("--quiet",))
    add("rtl-out", RTL, "--out", dirs, ("--out",))
    add("demo-out", ("demo", "--quick"), "--out", dirs, ("--out",))
    add("sweep-out", SWP, "--out", dirs, ("--out",), extra=("--quiet",))
    add("copruning-out", COP[:-3], "--out", dirs, ("--out",), extra=("--quiet",))
    add("sweep-export", ("sweep", "--export"), None, ["x.txt", "", LONG_NAME + ".csv"],
        ("--export", "export", "sweep folder", "sweep.sqlite"), extra=("nosuchdir",))
    # combinations the commands refuse
    cases.append(Case("option/sweep-no-out", SWP, ("--out",), core=True))
    cases.append(Case("option/sweep-export-and-report", ("sweep", "--export", "x.csv", "--report", "d"),
                      ("--export", "--report")))
    cases.append(Case("option/sweep-report-nosuch", ("sweep", "--report", "nosuchdir"), ("nosuchdir", "sweep")))
    cases.append(Case("option/simulate-dense-table-missing", (*SIM, "--energy-table", "nosuch"),
                      ("energy table", "--energy-table")))
    # unknown and missing options
    for base in (("arch", "x.yaml"), ENC, SIM, CMP, (*SWP, "--out", "out"), COP, (*RTL, "--out", "out"), VER,
                 ("demo",)):
        cases.append(Case(f"option/{base[0]}-unknown", (*base, "--bogus-option", "1"), ("--bogus-option",),
                          core=True))
    for argv, name in ((("simulate", "--workload", "tiny-cnn"), "--arch"), (("encode",), "--workload"),
                       (("compare", "--workload", "tiny-cnn", "--arch", "x"), "--out"), (("rtl", "--out", "o"), "--arch"),
                       (("verify",), "--arch"), (("copruning", "--arch", "x", "--out", "o"), "--task"), (("arch",), "FILE")):
        cases.append(Case(f"option/{argv[0]}-missing-{name.strip('-')}", argv, (name,)))
    return cases


# ----------------------------------------------------------------------------- limits: rtl/verify sizes
def _size_cases() -> list[Case]:
    cases = []
    for rows, cols in ((256, 256), (64, 64), (4096, 4096), (1, 4096)):
        arch = _dump({**BASE_ARCH, "array": {"rows": rows, "cols": cols}})
        cases.append(Case(f"size/rtl-{rows}x{cols}", ("rtl", "--arch", "arch.yaml", "--out", "out"),
                          ("array", "max_rtl_cells"), {"arch.yaml": arch}, core=rows == 256))
    cases.append(Case("size/verify-trials-1e9", (*VER, "--trials", str(10 ** 9)), ("--trials", "max_verify_trials")))
    big = _dump({**BASE_ARCH, "array": {"rows": 256, "cols": 256}})
    cases.append(Case("size/verify-shape-full-256x256", ("verify", "--arch", "arch.yaml", "--simulator", "amaranth",
                                                         "--shape", "full", "--trials", "1"),
                      ("max_verify_cells", "--shape", "shape"), {"arch.yaml": big}, core=True))
    cases.append(Case("size/limit-env-bad", SIM, ("ACCELSIM_LIMIT_MAX_LAYERS",),
                      env={"ACCELSIM_LIMIT_MAX_LAYERS": "lots"}, core=True))
    cases.append(Case("size/limit-env-low", SIM, ("max_layers",), env={"ACCELSIM_LIMIT_MAX_LAYERS": "2"}, core=True))
    return cases


# ----------------------------------------------------------------------------- the sets
@lru_cache(maxsize=1)
def all_cases() -> tuple:
    """Every case, in a fixed order (ids are unique)."""
    cases = (_arch_cases() + _cfg_cases() + _table_cases() + _workload_cases() + _csv_cases()
             + _checkpoint_cases() + _sweep_cases() + _option_cases() + _size_cases())
    seen = {}
    unique = []
    for case in cases:
        cid = case.id
        if cid in seen:
            seen[cid] += 1
            case = Case(f"{cid}~{seen[cid]}", case.argv, case.fields, case.files, case.env, case.core)
        else:
            seen[cid] = 0
        unique.append(case)
    return tuple(unique)


@lru_cache(maxsize=1)
def fast_cases() -> tuple:
    """The ``core`` cases and a seeded sample of the others (the subset ``make test`` runs)."""
    rng = random.Random(SEED)
    return tuple(c for c in all_cases() if c.core or rng.random() < FAST_SHARE)


def cases_by_id() -> dict:
    """``{id: Case}`` of :func:`all_cases`."""
    return {c.id: c for c in all_cases()}
