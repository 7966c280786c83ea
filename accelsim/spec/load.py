"""Read architecture YAML files into validated, frozen :class:`ArchSpec` values."""

from __future__ import annotations

import math
import re
from pathlib import Path

from accelsim.errors import AccelsimInputError, ProblemCollector
from accelsim.yamlio import read_yaml_file
from accelsim.spec.arch import (ACTIVATION_SPARSITY_MODES, DATAFLOWS, MAPPING_MODES,
                                MAPPING_OBJECTIVES, SPARSE_KINDS, ArchSpec, ArraySpec, BufferSpec,
                                MappingSpec, PrecisionSpec, SparseSupport)

__all__ = ["load_arch", "arch_from_dict", "EXAMPLE_ARCH_YAML", "bundled_arch_dir", "BUFFER_KIB_RANGE",
           "BANDWIDTH_RANGE", "CLOCK_MHZ_RANGE", "MAX_BLOCK_SIDE"]

EXAMPLE_ARCH_YAML = """\
name: nm24-32x32
array: {rows: 32, cols: 32}
dataflow: ws                 # ws | os | is
precision: {weight_bits: 8, activation_bits: 8, accumulator_bits: 32}
pe:
  sparsity: nm               # dense | nm | unstructured | block
  n: 2
  m: 4
buffers: {weight_kib: 256, input_kib: 256, output_kib: 128}
dram: {bandwidth_bytes_per_cycle: 16}   # or: unlimited
clock_mhz: 1000
energy_table: horowitz45
mapping: {mode: auto, objective: edp}   # mode: auto | scalesim; objective: latency | energy | edp"""

_HINT = "example of a valid architecture file:\n" + EXAMPLE_ARCH_YAML

_TOP_KEYS = {"name", "description", "array", "dataflow", "precision", "pe", "buffers", "dram",
             "clock_mhz", "energy_table", "mapping"}
_PE_KEYS = {"sparsity", "n", "m", "index_bits", "block", "lanes", "activation_sparsity"}


#: Allowed ranges of the real-valued fields: ``(low, high, what the message says)``. They keep every
#: derived count (stall cycles, bytes, latency) far from float64/int64 overflow (docs/limits.md).
BUFFER_KIB_RANGE = (2.0 ** -10, 2.0 ** 30, "a size in KiB from 0.0009765625 (1 byte) to 1073741824 (1 TiB)")
BANDWIDTH_RANGE = (1e-3, 1e6, 'a number of bytes/cycle from 0.001 to 1000000, or "unlimited"')
CLOCK_MHZ_RANGE = (1e-3, 1e6, "a clock in MHz from 0.001 to 1000000")
#: Largest side of a sparse block (``pe.block``).
MAX_BLOCK_SIDE = 4096


def bundled_arch_dir() -> Path:
    """Folder holding the example architecture files (``workloads/arch``)."""
    from accelsim.bundled_data import bundled_dir

    return bundled_dir() / "arch"


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


class _Reader:
    """Typed access to a nested mapping that records problems instead of raising."""

    def __init__(self, problems: ProblemCollector):
        self.problems = problems

    def section(self, data: dict, key: str, path: str, required: bool = True) -> dict:
        value = data.get(key)
        if value is None:
            if required:
                self.problems.add(path, None, "a mapping (section is missing)")
            return {}
        if not isinstance(value, dict):
            self.problems.add(path, value, "a mapping")
            return {}
        return value

    def unknown(self, data: dict, allowed: set, path: str) -> None:
        for key in data:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.problems.add(where, data[key], "no such field; known fields: "
                                  + ", ".join(sorted(allowed)))

    def integer(self, data: dict, key: str, path: str, default=None, minimum: int = 1,
                maximum: int | None = None):
        value = data.get(key, default)
        if value is None:
            self.problems.add(path, None, f"an integer >= {minimum} (field is missing)")
            return None
        ok = _is_int(value) and value >= minimum and (maximum is None or value <= maximum)
        if not ok:
            rng = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
            self.problems.add(path, value, f"an integer {rng}")
            return None
        return value

    def number(self, data: dict, key: str, path: str, default=None, bounds=None):
        """A finite number in ``bounds`` (``(low, high, text)``; default: any number > 0)."""
        value = data.get(key, default)
        low, high, allowed = bounds or (0.0, math.inf, "a number > 0")
        if value is None:
            self.problems.add(path, None, f"{allowed} (field is missing)")
            return None
        if not _is_number(value) or not (value > 0 and low <= value <= high):
            self.problems.add(path, value, allowed)
            return None
        return float(value)

    def choice(self, data: dict, key: str, path: str, choices, default=None):
        value = data.get(key, default)
        if isinstance(value, str):
            value = value.strip().lower()
        if value not in choices:
            self.problems.add(path, data.get(key, default), "one of " + ", ".join(choices))
            return None
        return value


def _bandwidth(data: dict, key: str, path: str, reader: _Reader):
    """A bandwidth in bytes/cycle: a number > 0 or ``"unlimited"`` (``math.inf``); None if bad."""
    raw = data.get(key)
    if isinstance(raw, str) and raw.strip().lower() in ("unlimited", "inf", "calc"):
        return math.inf
    return reader.number(data, key, path, bounds=BANDWIDTH_RANGE)


def _parse_block(value, reader: _Reader, path: str):
    """Accept ``"4x4"``, ``[4, 4]`` or ``{rows: 4, cols: 4}`` (ASCII digits, each side 1 to 4096)."""
    shape = None
    if isinstance(value, str):
        match = re.fullmatch(r"\s*([0-9]{1,9})\s*x\s*([0-9]{1,9})\s*", value)
        if match:
            shape = int(match.group(1)), int(match.group(2))
    elif isinstance(value, (list, tuple)) and len(value) == 2 and all(_is_int(v) for v in value):
        shape = int(value[0]), int(value[1])
    elif isinstance(value, dict) and set(value) == {"rows", "cols"}:
        r, c = value["rows"], value["cols"]
        if _is_int(r) and _is_int(c):
            shape = r, c
    if shape is not None and all(1 <= v <= MAX_BLOCK_SIDE for v in shape):
        return shape
    reader.problems.add(path, value, 'a block shape such as "4x4", [4, 4] or {rows: 4, cols: 4} '
                                     f"(rows and cols integers from 1 to {MAX_BLOCK_SIDE})")
    return None


def _parse_sparsity(pe: dict, reader: _Reader, problems: ProblemCollector) -> SparseSupport | None:
    reader.unknown(pe, _PE_KEYS, "pe")
    kind = reader.choice(pe, "sparsity", "pe.sparsity", SPARSE_KINDS, default="dense")
    activation = reader.choice(pe, "activation_sparsity", "pe.activation_sparsity",
                               ACTIVATION_SPARSITY_MODES, default="none")
    if kind is None:
        return None
    n = m = index_bits = block_rows = block_cols = None
    lanes_default = 1
    if kind == "nm":
        m = reader.integer(pe, "m", "pe.m", minimum=2, maximum=16)
        n = reader.integer(pe, "n", "pe.n", minimum=1, maximum=15)
        if n is not None and m is not None and n >= m:
            problems.add("pe.n", n, f"an integer from 1 to m - 1 = {m - 1} (N:M needs N < M)")
            n = None
        if m is not None:
            need = max(1, math.ceil(math.log2(m)))
            index_bits = reader.integer(pe, "index_bits", "pe.index_bits", default=need,
                                        minimum=need, maximum=32)
        lanes_default = n if n is not None else 1
    elif kind == "unstructured":
        index_bits = reader.integer(pe, "index_bits", "pe.index_bits", default=8, minimum=1, maximum=32)
    elif kind == "block":
        if "block" not in pe:
            problems.add("pe.block", None, 'a block shape such as "4x4" (required when pe.sparsity is block)')
        else:
            shape = _parse_block(pe["block"], reader, "pe.block")
            if shape:
                block_rows, block_cols = shape
        index_bits = reader.integer(pe, "index_bits", "pe.index_bits", default=8, minimum=1, maximum=32)
    for key in ("n", "m", "block"):
        if key in pe and not (kind == "nm" and key in ("n", "m")) and not (kind == "block" and key == "block"):
            problems.add(f"pe.{key}", pe[key], f"absent: only used when pe.sparsity is "
                         f"{'block' if key == 'block' else 'nm'} (it is {kind})")
    if kind == "dense" and "index_bits" in pe:
        problems.add("pe.index_bits", pe["index_bits"], "absent: a dense PE stores no indices")
    lanes = reader.integer(pe, "lanes", "pe.lanes", default=lanes_default, minimum=1, maximum=64)
    if kind == "nm" and lanes is not None and n is not None and lanes != n:
        problems.add("pe.lanes", lanes, f"{n} (an N:M PE has N = {n} multipliers)")
    if problems:
        return None
    return SparseSupport(kind=kind, n=n, m=m, index_bits=index_bits, block_rows=block_rows,
                         block_cols=block_cols, lanes=lanes, activation=activation)


def _check_energy_table(table: str, source: str, problems: ProblemCollector) -> None:
    """Load the arch's energy table (cached), turning its problems into ``energy_table`` problems.

    A relative path is looked up as the simulator does (:func:`accelsim.energy.model`): from the
    working directory, else next to the arch file.
    """
    from accelsim.energy.table import load_energy_table

    try:
        where = table
        if source and (table.endswith((".yaml", ".yml")) or "/" in table) and not Path(table).is_absolute():
            beside = Path(source).resolve().parent / table
            if not Path(table).exists() and beside.exists():
                where = str(beside)
        load_energy_table(where)
    except AccelsimInputError as exc:
        if exc.problems:
            for p in exc.problems:
                problems.add(f"energy_table ({table}): {p.field}", p.value, p.allowed)
        else:
            problems.add("energy_table", table, exc.summary.splitlines()[0] + (
                f"; {exc.hint.splitlines()[0]}" if exc.hint else ""))
    except OSError as exc:  # e.g. a name too long for the file system
        problems.add("energy_table", table if len(table) <= 80 else table[:77] + "...",
                     f"an energy table name or a readable YAML file ({exc.strerror or exc})")


def arch_from_dict(data, source: str = "", *, check_energy_table: bool = True) -> ArchSpec:
    """Validate a mapping (parsed YAML) and build an :class:`ArchSpec`.

    Every problem is collected and raised together in one
    :class:`~accelsim.errors.AccelsimInputError`. The energy table the arch
    names is loaded and checked too (``check_energy_table=False`` skips that;
    a relative path is taken from the working directory).
    """
    where = f" {source}" if source else ""
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a YAML {type(data).__name__}"
        raise AccelsimInputError(f"invalid architecture file{where}: the document is {kind}, "
                                 "not a mapping of fields", hint=_HINT)
    problems = ProblemCollector()
    reader = _Reader(problems)
    reader.unknown(data, _TOP_KEYS, "")

    name = data.get("name", Path(source).stem if source else "arch")
    if not isinstance(name, str) or not name.strip():
        problems.add("name", name, "a non-empty string")
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.add("description", description, "a string")

    array = reader.section(data, "array", "array")
    reader.unknown(array, {"rows", "cols"}, "array")
    has_array = isinstance(data.get("array"), dict)
    rows = reader.integer(array, "rows", "array.rows", minimum=1, maximum=4096) if has_array else None
    cols = reader.integer(array, "cols", "array.cols", minimum=1, maximum=4096) if has_array else None

    dataflow = reader.choice(data, "dataflow", "dataflow", DATAFLOWS)

    precision = reader.section(data, "precision", "precision", required=False)
    reader.unknown(precision, {"weight_bits", "activation_bits", "accumulator_bits"}, "precision")
    weight_bits = reader.integer(precision, "weight_bits", "precision.weight_bits", default=8, minimum=2, maximum=32)
    act_bits = reader.integer(precision, "activation_bits", "precision.activation_bits", default=8, minimum=2, maximum=32)
    acc_bits = reader.integer(precision, "accumulator_bits", "precision.accumulator_bits", default=32, minimum=2, maximum=64)
    if weight_bits and act_bits and acc_bits and acc_bits < weight_bits + act_bits:
        problems.add("precision.accumulator_bits", acc_bits,
                     f"an integer >= weight_bits + activation_bits = {weight_bits + act_bits}")

    pe = reader.section(data, "pe", "pe", required=False)
    sparsity = _parse_sparsity(pe, reader, problems)

    buffers = reader.section(data, "buffers", "buffers")
    reader.unknown(buffers, {"weight_kib", "input_kib", "output_kib", "input_read_bytes_per_cycle"},
                   "buffers")
    sizes = {}
    if isinstance(data.get("buffers"), dict):
        for key in ("weight_kib", "input_kib", "output_kib"):
            sizes[key] = reader.number(buffers, key, f"buffers.{key}", bounds=BUFFER_KIB_RANGE)
        if "input_read_bytes_per_cycle" in buffers:
            sizes["input_read_bytes_per_cycle"] = _bandwidth(
                buffers, "input_read_bytes_per_cycle", "buffers.input_read_bytes_per_cycle", reader)

    dram = reader.section(data, "dram", "dram")
    reader.unknown(dram, {"bandwidth_bytes_per_cycle"}, "dram")
    bandwidth = None
    if isinstance(data.get("dram"), dict):
        bandwidth = _bandwidth(dram, "bandwidth_bytes_per_cycle", "dram.bandwidth_bytes_per_cycle", reader)

    clock = reader.number(data, "clock_mhz", "clock_mhz", default=1000.0, bounds=CLOCK_MHZ_RANGE)
    table = data.get("energy_table", "horowitz45")
    if not isinstance(table, str) or not table.strip():
        problems.add("energy_table", table, "the name of an energy table (e.g. horowitz45) or a path")
    elif check_energy_table:
        _check_energy_table(table.strip(), source, problems)

    mapping = parse_mapping_section(data.get("mapping"), problems)

    problems.raise_if_any(f"invalid architecture file{where}", _HINT)
    return ArchSpec(
        name=name.strip(), array=ArraySpec(rows, cols), dataflow=dataflow,
        precision=PrecisionSpec(weight_bits, act_bits, acc_bits), sparsity=sparsity,
        buffers=BufferSpec(**sizes), dram_bandwidth_bytes_per_cycle=bandwidth,
        clock_mhz=clock, energy_table=table.strip(), description=description, source=source,
        mapping=mapping,
    )


def parse_mapping_section(section, problems: ProblemCollector, path: str = "mapping",
                          default: MappingSpec = MappingSpec()) -> MappingSpec:
    """Validate an arch file's ``mapping:`` section (absent: ``default``).

    Accepts a mapping ``{mode: auto|scalesim, objective: latency|energy|edp}``
    or just the mode as a string. Problems are added to ``problems``.
    """
    if section is None:
        return default
    if isinstance(section, str):
        section = {"mode": section}
    if not isinstance(section, dict):
        problems.add(path, section, "a mapping such as {mode: auto, objective: edp}, or auto / scalesim")
        return default
    _Reader(problems).unknown(section, {"mode", "objective"}, path)
    mode = section.get("mode", default.mode)
    objective = section.get("objective", default.objective)
    ok = True
    if not isinstance(mode, str) or mode.strip().lower() not in MAPPING_MODES:
        problems.add(f"{path}.mode", mode, "one of " + ", ".join(MAPPING_MODES))
        ok = False
    if not isinstance(objective, str) or objective.strip().lower() not in MAPPING_OBJECTIVES:
        problems.add(f"{path}.objective", objective, "one of " + ", ".join(MAPPING_OBJECTIVES))
        ok = False
    if not ok:
        return default
    return MappingSpec(mode.strip().lower(), objective.strip().lower())


def load_arch(path) -> ArchSpec:
    """Load and validate an architecture file.

    Parameters
    ----------
    path : str or os.PathLike
        A YAML architecture file, the name of a bundled one (e.g.
        ``"dense-ws-32x32"``) or a SCALE-Sim ``.cfg`` file.

    Raises
    ------
    AccelsimInputError
        If the file is missing, unreadable, not YAML, not a mapping, or any
        field is invalid (all problems reported together).
    """
    p = Path(path)
    if not p.exists() and not p.suffix:
        candidate = bundled_arch_dir() / f"{p.name}.yaml"
        if candidate.exists():
            p = candidate
    if not p.exists():
        bundled = sorted(f.stem for f in bundled_arch_dir().glob("*.yaml"))
        raise AccelsimInputError(
            f"architecture file {str(path)!r} does not exist",
            hint="bundled architectures: " + ", ".join(bundled) if bundled else None)
    if p.is_dir():
        raise AccelsimInputError(f"architecture path {str(path)!r} is a directory, not a file")
    if p.suffix.lower() == ".cfg":
        from accelsim.spec.scalesim_cfg import load_scalesim_cfg
        return load_scalesim_cfg(p)
    data = read_yaml_file(p, "architecture file", _HINT)
    return arch_from_dict(data, source=str(p))
