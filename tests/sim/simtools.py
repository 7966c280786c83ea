"""Helpers shared by the simulator tests: small architectures built in code."""

from __future__ import annotations

from accelsim.spec import arch_from_dict


def make_arch(rows=8, cols=8, dataflow="ws", sparsity="dense", bandwidth="unlimited",
              weight_kib=256, input_kib=256, output_kib=128, activation="none", mapping="scalesim",
              objective="edp", input_read=None, **pe):
    """An ArchSpec from a few fields (unlimited DRAM bandwidth unless given).

    ``mapping`` defaults to ``scalesim``: most simulator tests pin SCALE-Sim's
    fixed loop order and the fold-level memory model; the mapper's tests pass
    ``mapping="auto"``. ``input_read`` sets ``buffers.input_read_bytes_per_cycle``
    (default: the arch default).
    """
    pe_section = {"sparsity": sparsity, "activation_sparsity": activation, **pe}
    buffers = {"weight_kib": weight_kib, "input_kib": input_kib, "output_kib": output_kib}
    if input_read is not None:
        buffers["input_read_bytes_per_cycle"] = input_read
    return arch_from_dict({
        "name": f"test-{sparsity}-{dataflow}-{rows}x{cols}",
        "array": {"rows": rows, "cols": cols},
        "dataflow": dataflow,
        "pe": pe_section,
        "buffers": buffers,
        "dram": {"bandwidth_bytes_per_cycle": bandwidth},
        "mapping": {"mode": mapping, "objective": objective},
    })
