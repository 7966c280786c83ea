"""Read SCALE-Sim ``.cfg`` architecture files (v2 and v3 forms) into an :class:`ArchSpec`.

A SCALE-Sim config is an INI file. The fields used (section ``[architecture_presets]``
unless noted; names are case-insensitive, ``:`` or ``=`` separate key and value):

==================================== ===============================================
SCALE-Sim field                      accelsim
==================================== ===============================================
``ArrayHeight``, ``ArrayWidth``      ``array.rows``, ``array.cols``
``IfmapSramSzkB``                    ``buffers.input_kib`` (SCALE-Sim's kB are 1024 B)
``FilterSramSzkB``                   ``buffers.weight_kib``
``OfmapSramSzkB``                    ``buffers.output_kib``
``Dataflow``                         ``dataflow`` (ws / os / is)
``[run_presets] InterfaceBandwidth`` ``CALC``: unlimited DRAM bandwidth (``math.inf``);
                                     ``USER``: ``Bandwidth`` (words/cycle, 1-byte
                                     words; the first value of a list) in bytes/cycle
``[general] run_name``               ``name``
==================================== ===============================================

Everything else (offsets, banks, request buffers, ``[layout]``, Ramulator) is
not modelled and ignored; a ``[sparsity]`` section with ``SparsitySupport: true``
is noted in the description but not mapped (use an accelsim arch YAML for
sparse PEs). SCALE-Sim's words are 1 byte: precision is 8-bit weights and
activations with 32-bit accumulators, the PE is dense, the clock 1000 MHz.
"""

from __future__ import annotations

import configparser
import math
from pathlib import Path

from accelsim.errors import AccelsimInputError, ProblemCollector
from accelsim.numbers import parse_float, parse_int
from accelsim.spec.load import BANDWIDTH_RANGE, BUFFER_KIB_RANGE
from accelsim.spec.arch import ArchSpec, ArraySpec, BufferSpec, MappingSpec, PrecisionSpec, SparseSupport

__all__ = ["load_scalesim_cfg", "parse_scalesim_cfg", "EXAMPLE_SCALESIM_CFG"]

EXAMPLE_SCALESIM_CFG = """\
[general]
run_name = tpu_like_32x32

[architecture_presets]
ArrayHeight:    32
ArrayWidth:     32
IfmapSramSzkB:  256
FilterSramSzkB: 256
OfmapSramSzkB:  128
Dataflow:       ws
Bandwidth:      16

[run_presets]
InterfaceBandwidth: USER     # or CALC (unlimited)"""

_HINT = "example of a valid SCALE-Sim config:\n" + EXAMPLE_SCALESIM_CFG
_ARCH = "architecture_presets"
_RUN = "run_presets"


def _get(parser, section: str, key: str):
    if not parser.has_section(section) or not parser.has_option(section, key):
        return None
    return parser.get(section, key).split("#", 1)[0].split(";", 1)[0].strip()


def _int_field(parser, key: str, problems: ProblemCollector, maximum: int = 4096):
    raw = _get(parser, _ARCH, key)
    where = f"[{_ARCH}] {key}"
    if raw is None:
        problems.add(where, None, f"an integer from 1 to {maximum} (field is missing)")
        return None
    value = parse_int(raw)
    if value is None or not 1 <= value <= maximum:
        problems.add(where, raw, f"an integer from 1 to {maximum}")
        return None
    return value


def _size_field(parser, key: str, problems: ProblemCollector):
    raw = _get(parser, _ARCH, key)
    where = f"[{_ARCH}] {key}"
    if raw is None:
        problems.add(where, None, "a size in kB > 0 (field is missing)")
        return None
    value = parse_float(raw)
    low, high, _ = BUFFER_KIB_RANGE
    if value is None or not (value > 0 and low <= value <= high):
        problems.add(where, raw, f"a size in kB from {low:g} to {high:g}")
        return None
    return value


def _bandwidth(parser, problems: ProblemCollector):
    mode = _get(parser, _RUN, "InterfaceBandwidth")
    if mode is None:
        problems.add(f"[{_RUN}] InterfaceBandwidth", None, "CALC (unlimited) or USER (field is missing)")
        return None
    if mode.upper() == "CALC":
        return math.inf
    if mode.upper() != "USER":
        problems.add(f"[{_RUN}] InterfaceBandwidth", mode, "CALC (unlimited) or USER")
        return None
    raw = _get(parser, _ARCH, "Bandwidth")
    where = f"[{_ARCH}] Bandwidth"
    if raw is None:
        problems.add(where, None, "a number of words/cycle > 0 (required when InterfaceBandwidth is USER)")
        return None
    value = parse_float(raw.split(",")[0])
    low, high, _ = BANDWIDTH_RANGE
    if value is None or not (value > 0 and low <= value <= high):
        problems.add(where, raw, f"a number of words/cycle from {low:g} to {high:g} (or a comma-separated "
                                 "list of them)")
        return None
    return value


def parse_scalesim_cfg(text: str, source: str = "") -> ArchSpec:
    """Parse the text of a SCALE-Sim config; see the module docstring for the mapping.

    Raises
    ------
    AccelsimInputError
        If the text is not an INI file or any used field is missing or bad
        (all problems listed together).
    """
    where = f" {source}" if source else ""
    parser = configparser.ConfigParser(inline_comment_prefixes=("#", ";"), strict=False,
                                       interpolation=None)
    try:
        parser.read_string(text, source=source or "<cfg>")
    except configparser.Error as exc:
        first = str(exc).splitlines()[0]
        raise AccelsimInputError(f"SCALE-Sim config{where} is not a valid INI file: {first}",
                                 hint=_HINT) from None
    problems = ProblemCollector()
    if not parser.has_section(_ARCH):
        problems.add(f"[{_ARCH}]", None, "a section with ArrayHeight, ArrayWidth, IfmapSramSzkB, "
                     "FilterSramSzkB, OfmapSramSzkB and Dataflow (section is missing)")
    if not parser.has_section(_RUN):
        problems.add(f"[{_RUN}]", None, "a section with InterfaceBandwidth (section is missing)")
    rows = cols = ifmap = filt = ofmap = dataflow = bandwidth = None
    if parser.has_section(_ARCH):
        rows = _int_field(parser, "ArrayHeight", problems)
        cols = _int_field(parser, "ArrayWidth", problems)
        ifmap = _size_field(parser, "IfmapSramSzkB", problems)
        filt = _size_field(parser, "FilterSramSzkB", problems)
        ofmap = _size_field(parser, "OfmapSramSzkB", problems)
        raw_df = _get(parser, _ARCH, "Dataflow")
        dataflow = raw_df.lower() if raw_df else None
        if dataflow not in ("ws", "os", "is"):
            problems.add(f"[{_ARCH}] Dataflow", raw_df, "one of ws, os, is")
    if parser.has_section(_RUN):
        bandwidth = _bandwidth(parser, problems)
    problems.raise_if_any(f"invalid SCALE-Sim config{where}", _HINT)

    name = _get(parser, "general", "run_name") or (Path(source).stem if source else "scalesim")
    description = f"SCALE-Sim config {rows}x{cols} {dataflow.upper()}"
    sparse = _get(parser, "sparsity", "SparsitySupport")
    if sparse is not None and sparse.lower() == "true":
        description += " (its [sparsity] section is not mapped: dense PE)"
    return ArchSpec(
        name=name, array=ArraySpec(rows, cols), dataflow=dataflow,
        precision=PrecisionSpec(8, 8, 32), sparsity=SparseSupport(),
        buffers=BufferSpec(weight_kib=filt, input_kib=ifmap, output_kib=ofmap),
        dram_bandwidth_bytes_per_cycle=bandwidth, clock_mhz=1000.0, energy_table="horowitz45",
        description=description, source=source, mapping=MappingSpec("scalesim"))


def load_scalesim_cfg(path) -> ArchSpec:
    """Load a SCALE-Sim ``.cfg`` file (v2 or v3 form) as an :class:`ArchSpec`.

    Parameters
    ----------
    path : str or os.PathLike

    Raises
    ------
    AccelsimInputError
        Missing/unreadable file, not an INI file, or missing/bad fields (all
        problems listed together).
    """
    from accelsim.yamlio import read_text_file

    text = read_text_file(path, "SCALE-Sim config")
    return parse_scalesim_cfg(text, source=str(path))
