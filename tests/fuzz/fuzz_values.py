"""The pieces every fuzz case is built from: ``Case``, the valid base files, YAML helpers and lists of bad values."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

import yaml


#: Seed of every random choice of the generator (cases and the fast subset).
SEED = 20261202


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


