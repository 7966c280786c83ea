"""Energy tables: YAML data with units and sources -> checked -> frozen :class:`EnergyTable`."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path


from accelsim.energy import scaling
from accelsim.yamlio import read_yaml_file
from accelsim.errors import AccelsimInputError, ProblemCollector

__all__ = ["EnergyTable", "load_energy_table", "energy_table_from_dict", "bundled_table_dir",
           "bundled_table_names", "ENERGY_UNITS_TO_PJ", "TABLE_SCHEMA"]

TABLE_SCHEMA = "accelsim-energy-table/1"

ENERGY_UNITS_TO_PJ = {"fJ": 1e-3, "pJ": 1.0, "nJ": 1e3}

# entry name -> (kind, per, required)
#   kind "by_bits":   energy points keyed by operand width in bits
#   kind "by_size":   energy per access keyed by SRAM size in KiB (needs access_bits)
#   kind "access":    one energy per access of access_bits bits
#   kind "bit":       one energy per bit
#   kind "ratio":     a dimensionless number (unit must be "ratio")
_ENTRIES = {
    "int_multiply": ("by_bits", "operation", True),
    "int_add": ("by_bits", "operation", True),
    "fp_multiply": ("by_bits", "operation", False),
    "fp_add": ("by_bits", "operation", False),
    "sram_read": ("by_size", "access", True),
    "sram_write_over_read": ("ratio", None, True),
    "dram_access": ("access", "access", True),
    "register_read": ("bit", "bit", True),
    "mux2_select": ("bit", "bit", True),
    "gated_mac_fraction": ("ratio", None, True),
    "idle_pe_cycle_fraction": ("ratio", None, True),
}
_ENTRY_FIELDS = {
    "by_bits": {"unit", "per", "by_bits", "source", "note"},
    "by_size": {"unit", "per", "access_bits", "by_size_kib", "source", "note"},
    "access": {"unit", "per", "access_bits", "value", "range", "source", "note"},
    "bit": {"unit", "per", "value", "source", "note"},
    "ratio": {"unit", "value", "source", "note"},
}
_TOP_KEYS = {"schema", "name", "description", "technology_nm", "supply_v", "source", "scaling", "entries"}

EXAMPLE_TABLE_YAML = """\
schema: accelsim-energy-table/1
name: my-table
technology_nm: 45
source: where the numbers come from (paper, PDK, measurement)
entries:
  int_multiply: {unit: pJ, per: operation, by_bits: {8: 0.2, 32: 3.1}, source: ...}
  int_add: {unit: pJ, per: operation, by_bits: {8: 0.03, 32: 0.1}, source: ...}
  sram_read: {unit: pJ, per: access, access_bits: 64, by_size_kib: {8: 10, 32: 20, 1024: 100}, source: ...}
  sram_write_over_read: {unit: ratio, value: 1.0, source: ...}
  dram_access: {unit: nJ, per: access, access_bits: 64, value: 1.95, source: ...}
  register_read: {unit: pJ, per: bit, value: 0.00375, source: ...}
  mux2_select: {unit: pJ, per: bit, value: 0.001875, source: ...}
  gated_mac_fraction: {unit: ratio, value: 0.1, source: ...}
  idle_pe_cycle_fraction: {unit: ratio, value: 0.1, source: ...}"""

_HINT = "example of a valid energy table (see docs/energy.md):\n" + EXAMPLE_TABLE_YAML


def bundled_table_dir() -> Path:
    """Folder holding the bundled energy tables (``accelsim/energy/tables``)."""
    return Path(__file__).resolve().parent / "tables"


def bundled_table_names() -> tuple[str, ...]:
    """Names of the bundled energy tables, sorted."""
    return tuple(sorted(p.stem for p in bundled_table_dir().glob("*.yaml")))


@dataclass(frozen=True)
class EnergyTable:
    """A validated energy table; every energy is stored in pJ.

    Build it with :func:`load_energy_table`. The methods apply the scaling
    rules of :mod:`accelsim.energy.scaling` to the table's points.

    Attributes
    ----------
    name, source, description : str
    technology_nm : float
    path : str
        File the table was read from (empty if built from a mapping).
    int_multiply_pj, int_add_pj : tuple of (int, float)
        ``(bits, pJ per operation)`` points, sorted by bits.
    fp_multiply_pj, fp_add_pj : tuple of (int, float)
        Floating-point points (informational; accelsim's datapath is integer).
    sram_read_pj : tuple of (float, float)
        ``(size KiB, pJ per access)`` points, sorted by size.
    sram_access_bits : int
        Bits per SRAM access the ``sram_read_pj`` points refer to.
    sram_write_over_read : float
        SRAM write energy as a multiple of read energy.
    dram_access_pj : float
        Energy of one DRAM access of ``dram_access_bits`` bits (read or write).
    dram_access_bits : int
    register_read_pj_per_bit, mux2_select_pj_per_bit : float
        Energy to read one register bit / switch one bit of a 2:1 multiplexer.
    gated_mac_fraction : float
        Energy of a gated (zero-operand) MAC as a fraction of a full MAC.
    idle_pe_cycle_fraction : float
        Energy of one idle PE-cycle as a fraction of a full MAC.
    """

    name: str
    source: str
    technology_nm: float
    int_multiply_pj: tuple
    int_add_pj: tuple
    sram_read_pj: tuple
    sram_access_bits: int
    sram_write_over_read: float
    dram_access_pj: float
    dram_access_bits: int
    register_read_pj_per_bit: float
    mux2_select_pj_per_bit: float
    gated_mac_fraction: float
    idle_pe_cycle_fraction: float
    fp_multiply_pj: tuple = ()
    fp_add_pj: tuple = ()
    description: str = ""
    path: str = ""

    # ----------------------------------------------------------- scaling
    def multiply_pj(self, a_bits: int, b_bits: int | None = None) -> float:
        """Energy of one ``a_bits x b_bits`` integer multiply (see :func:`scaling.multiplier_pj`)."""
        return scaling.multiplier_pj(self.int_multiply_pj, a_bits, b_bits)

    def add_pj(self, bits: int) -> float:
        """Energy of one ``bits``-wide integer add (see :func:`scaling.adder_pj`)."""
        return scaling.adder_pj(self.int_add_pj, bits)

    def mac_pj(self, weight_bits: int, activation_bits: int, accumulator_bits: int) -> float:
        """One multiply-accumulate: ``multiply(weight_bits x activation_bits) + add(accumulator_bits)``."""
        return self.multiply_pj(weight_bits, activation_bits) + self.add_pj(accumulator_bits)

    def sram_read_pj_per_bit(self, size_kib: float) -> float:
        """Read energy per bit of an SRAM of ``size_kib`` (see :func:`scaling.sram_access_pj`)."""
        return scaling.sram_access_pj(self.sram_read_pj, size_kib) / self.sram_access_bits

    def sram_write_pj_per_bit(self, size_kib: float) -> float:
        """Write energy per bit: read energy per bit times ``sram_write_over_read``."""
        return self.sram_read_pj_per_bit(size_kib) * self.sram_write_over_read

    def dram_pj_per_bit(self) -> float:
        """DRAM energy per bit read or written."""
        return self.dram_access_pj / self.dram_access_bits

    def index_decode_pj(self, index_bits: int, operand_bits: int) -> float:
        """Decode one stored index: read the index register and steer one operand by it.

        ``index_bits * register_read + index_bits * operand_bits * mux2_select``: the
        ``index_bits``-bit register is read, and the index drives a tree of 2:1
        multiplexers ``index_bits`` levels deep (a ``2**index_bits``:1 mux) on each
        of the ``operand_bits`` bits of the selected activation.
        """
        return (index_bits * self.register_read_pj_per_bit
                + index_bits * operand_bits * self.mux2_select_pj_per_bit)


# ------------------------------------------------------------------ loading
def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


#: Largest energy of one event (operation, access or bit), in pJ: 1 mJ, some 10^5 times a DRAM
#: access; it keeps sums over any workload finite (docs/limits.md).
MAX_EVENT_PJ = 1e9
#: Largest SRAM size an energy point may be given for, in KiB (1 TiB).
MAX_SRAM_KIB = 2.0 ** 30
#: Largest SRAM write-to-read energy ratio.
MAX_WRITE_OVER_READ = 1000.0


def _energy_ok(value, scale: float) -> bool:
    return _is_number(value) and value > 0 and value * scale <= MAX_EVENT_PJ


def _energy_allowed(scale: float) -> str:
    unit = next((u for u, f in ENERGY_UNITS_TO_PJ.items() if f == scale), "pJ")
    top = f"{MAX_EVENT_PJ / scale:.0e}".replace("e+0", "e").replace("e+", "e")
    return f"an energy > 0 and at most {top} {unit} (1 mJ) per event"


def _points(raw, field: str, key_kind: str, scale: float, problems: ProblemCollector):
    """Validate a ``{key: value}`` mapping of positive points; return sorted ``(key, pJ)`` pairs."""
    if not isinstance(raw, dict) or not raw:
        what = "bits" if key_kind == "bits" else "KiB"
        problems.add(field, raw, f"a non-empty mapping of {what} -> energy, e.g. {{8: 0.2, 32: 3.1}}")
        return None
    ok = True
    pairs = []
    for key, value in raw.items():
        if key_kind == "bits":
            key_ok = _is_int(key) and 1 <= key <= 128
            allowed_key = "an integer number of bits from 1 to 128"
        else:
            key_ok = _is_number(key) and 0 < key <= MAX_SRAM_KIB
            allowed_key = f"a size in KiB > 0 and at most {MAX_SRAM_KIB:g}"
        if not key_ok:
            problems.add(f"{field} key", key, allowed_key)
            ok = False
        if not _energy_ok(value, scale):
            problems.add(f"{field}[{key}]", value, _energy_allowed(scale))
            ok = False
        if key_ok and _is_number(value):
            pairs.append((key, value))
    if not ok:
        return None
    pairs.sort()
    for (k0, v0), (k1, v1) in zip(pairs, pairs[1:]):
        if v1 < v0:
            problems.add(f"{field}[{k1}]", v1, f"an energy >= {v0} (the value at {k0}): energy may not "
                         f"decrease as {'width' if key_kind == 'bits' else 'size'} grows")
            ok = False
    if not ok:
        return None
    return tuple((k if key_kind == "bits" else float(k), float(v) * scale) for k, v in pairs)


def _read_entry(name: str, raw, problems: ProblemCollector):
    """Validate one entry; return its parsed value(s) or ``None``."""
    kind, per, _required = _ENTRIES[name]
    field = f"entries.{name}"
    if not isinstance(raw, dict):
        problems.add(field, raw, "a mapping with unit, value(s) and source")
        return None
    for key in raw:
        if key not in _ENTRY_FIELDS[kind]:
            problems.add(f"{field}.{key}", raw[key], "no such field; known fields: "
                         + ", ".join(sorted(_ENTRY_FIELDS[kind])))
    source = raw.get("source")
    if not isinstance(source, str) or not source.strip():
        problems.add(f"{field}.source", source, "a non-empty string citing where the number comes from")
    unit = raw.get("unit")
    scale = None
    if kind == "ratio":
        if unit != "ratio":
            problems.add(f"{field}.unit", unit, "ratio")
    elif not isinstance(unit, str) or unit not in ENERGY_UNITS_TO_PJ:
        problems.add(f"{field}.unit", unit, "one of " + ", ".join(ENERGY_UNITS_TO_PJ))
    else:
        scale = ENERGY_UNITS_TO_PJ[unit]
    if per is not None and raw.get("per") != per:
        problems.add(f"{field}.per", raw.get("per"), per)
    access_bits = None
    if kind in ("by_size", "access"):
        access_bits = raw.get("access_bits")
        if not _is_int(access_bits) or not 1 <= access_bits <= 65536:
            problems.add(f"{field}.access_bits", access_bits, "an integer from 1 to 65536 (bits per access)")
            access_bits = None
    if kind == "by_bits":
        pts = _points(raw.get("by_bits"), f"{field}.by_bits", "bits", scale or 1.0, problems)
        return pts if scale is not None else None
    if kind == "by_size":
        pts = _points(raw.get("by_size_kib"), f"{field}.by_size_kib", "kib", scale or 1.0, problems)
        return (pts, access_bits) if scale is not None and pts and access_bits else None
    value = raw.get("value")
    if kind == "ratio":
        if name == "sram_write_over_read":
            ok = _is_number(value) and 0 < value <= MAX_WRITE_OVER_READ
            allowed = f"a number > 0 and at most {MAX_WRITE_OVER_READ:g}"
        else:
            ok, allowed = _is_number(value) and 0 <= value <= 1, "a number from 0 to 1"
        if not ok:
            problems.add(f"{field}.value", value, allowed)
            return None
        return float(value)
    if not _energy_ok(value, scale or 1.0):
        problems.add(f"{field}.value", value, _energy_allowed(scale or 1.0))
        return None
    if "range" in raw:
        rng = raw["range"]
        if not (isinstance(rng, list) and len(rng) == 2 and all(_is_number(v) for v in rng)
                and rng[0] <= value <= rng[1]):
            problems.add(f"{field}.range", rng, f"[low, high] in {unit} with low <= value ({value}) <= high")
    if scale is None:
        return None
    if kind == "access":
        return (float(value) * scale, access_bits) if access_bits else None
    return float(value) * scale


def energy_table_from_dict(data, source: str = "") -> EnergyTable:
    """Validate a parsed YAML mapping and build an :class:`EnergyTable`.

    Every problem is collected and raised together.

    Raises
    ------
    AccelsimInputError
    """
    where = f" {source}" if source else ""
    summary = f"invalid energy table{where}"
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a YAML {type(data).__name__}"
        raise AccelsimInputError(f"{summary}: the document is {kind}, not a mapping of fields", hint=_HINT)
    problems = ProblemCollector()
    for key in data:
        if key not in _TOP_KEYS:
            problems.add(str(key), data[key], "no such field; known fields: " + ", ".join(sorted(_TOP_KEYS)))
    if data.get("schema") != TABLE_SCHEMA:
        problems.add("schema", data.get("schema"), TABLE_SCHEMA)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.add("name", name, "a non-empty string")
    source_text = data.get("source")
    if not isinstance(source_text, str) or not source_text.strip():
        problems.add("source", source_text, "a non-empty string citing where the numbers come from")
    tech = data.get("technology_nm")
    if not _is_number(tech) or not 0 < tech <= 100_000:
        problems.add("technology_nm", tech, "a number > 0 and at most 100000 (process node in nm)")
    for key in ("description", "scaling"):
        if key in data and not isinstance(data[key], str):
            problems.add(key, data[key], "a string")
    if "supply_v" in data and (not _is_number(data["supply_v"]) or not 0 < data["supply_v"] <= 100):
        problems.add("supply_v", data["supply_v"], "a number > 0 and at most 100 (volts)")

    entries = data.get("entries")
    parsed = {}
    if not isinstance(entries, dict):
        problems.add("entries", entries, "a mapping of entry name -> {unit, value(s), source}")
    else:
        for key in entries:
            if key not in _ENTRIES:
                problems.add(f"entries.{key}", entries[key],
                             "no such entry; known entries: " + ", ".join(sorted(_ENTRIES)))
        for entry, (_kind, _per, required) in _ENTRIES.items():
            if entry not in entries:
                if required:
                    problems.add(f"entries.{entry}", None, "a required entry (it is missing)")
                continue
            parsed[entry] = _read_entry(entry, entries[entry], problems)

    problems.raise_if_any(summary, _HINT)
    sram_points, sram_bits = parsed["sram_read"]
    dram_pj, dram_bits = parsed["dram_access"]
    return EnergyTable(
        name=name.strip(), source=source_text.strip(), technology_nm=float(tech),
        int_multiply_pj=parsed["int_multiply"], int_add_pj=parsed["int_add"],
        sram_read_pj=sram_points, sram_access_bits=sram_bits,
        sram_write_over_read=parsed["sram_write_over_read"],
        dram_access_pj=dram_pj, dram_access_bits=dram_bits,
        register_read_pj_per_bit=parsed["register_read"],
        mux2_select_pj_per_bit=parsed["mux2_select"],
        gated_mac_fraction=parsed["gated_mac_fraction"],
        idle_pe_cycle_fraction=parsed["idle_pe_cycle_fraction"],
        fp_multiply_pj=parsed.get("fp_multiply") or (), fp_add_pj=parsed.get("fp_add") or (),
        description=str(data.get("description", "")).strip(), path=source,
    )


@functools.lru_cache(maxsize=32)
def _load_file(path: str, mtime_ns: int) -> EnergyTable:
    data = read_yaml_file(path, "energy table", _HINT)
    return energy_table_from_dict(data, source=path)


def load_energy_table(name_or_path) -> EnergyTable:
    """Load and validate an energy table.

    Parameters
    ----------
    name_or_path : str, os.PathLike or EnergyTable
        The name of a bundled table (``"horowitz45"``; see
        :func:`bundled_table_names`), a path to a YAML table, or an
        :class:`EnergyTable` (returned unchanged).

    Returns
    -------
    EnergyTable

    Raises
    ------
    AccelsimInputError
        If the table does not exist, is not YAML, or any field is invalid
        (every problem reported together).
    """
    if isinstance(name_or_path, EnergyTable):
        return name_or_path
    if not isinstance(name_or_path, (str, Path)) or not str(name_or_path).strip():
        raise AccelsimInputError("energy table must be a bundled table name or a path to a YAML file, "
                                 f"not {name_or_path!r}",
                                 hint="bundled tables: " + ", ".join(bundled_table_names()))
    try:
        return _load_named(name_or_path)
    except OSError as exc:  # a name too long, a path through a regular file, ...
        raise AccelsimInputError(f"cannot read energy table {_short(str(name_or_path))!r}: "
                                 f"{exc.strerror or exc}") from None


def _short(text: str, width: int = 120) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def _load_named(name_or_path) -> EnergyTable:
    p = Path(name_or_path)
    if not p.exists() and not p.suffix and p.name == str(name_or_path):
        candidate = bundled_table_dir() / f"{p.name}.yaml"
        if candidate.exists():
            p = candidate
    if not p.exists():
        raise AccelsimInputError(f"energy table {str(name_or_path)!r} does not exist",
                                 hint="bundled tables: " + ", ".join(bundled_table_names())
                                 + "; or give a path to a YAML table")
    if p.is_dir():
        raise AccelsimInputError(f"energy table path {str(name_or_path)!r} is a directory, not a file")
    return _load_file(str(p), p.stat().st_mtime_ns)
