"""Amaranth RTL of accelsim's sparse PEs and PE arrays (WS, OS, IS): Verilog export, Verilator harness, verification.

Public entry points (see docs/rtl.md):

* :func:`accelsim.rtl.export.generate` -- Verilog per top + ``manifest.json``
* :func:`accelsim.rtl.arrays.make_array` / :func:`accelsim.rtl.arrays.make_array_model` --
  the array of a dataflow and its Python model
* :func:`accelsim.rtl.verify.verify` -- model vs RTL (Amaranth simulator or Verilator), bit and cycle exact
* :func:`accelsim.rtl.verilator.lint` -- ``verilator --lint-only`` with the documented waivers
* :func:`accelsim.rtl.stats.resource_stats` -- Yosys resource estimate
"""

from accelsim.rtl.export import generate
from accelsim.rtl.verify import Mismatch, VerifyResult, verify, verify_jobs

__all__ = ["generate", "verify", "verify_jobs", "VerifyResult", "Mismatch"]
