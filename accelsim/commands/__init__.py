"""Implementations of the CLI subcommands (one module each, imported lazily)."""

from __future__ import annotations

import importlib

__all__ = ["run_arch", "run_encode", "run_simulate", "run_compare", "run_rtl", "run_verify", "run_demo"]

_MODULES = {
    "run_arch": "accelsim.commands.arch_cmd",
    "run_encode": "accelsim.commands.encode_cmd",
    "run_simulate": "accelsim.commands.simulate_cmd",
    "run_compare": "accelsim.commands.compare_cmd",
    "run_rtl": "accelsim.commands.rtl_cmd",
    "run_verify": "accelsim.commands.verify_cmd",
    "run_demo": "accelsim.commands.demo_cmd",
}


def __getattr__(name: str):
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(importlib.import_module(module), name)
