"""Replay a :class:`~accelsim.rtl.trace.Trace` on an Amaranth component with the Amaranth (Python) simulator."""

from __future__ import annotations

import time

from amaranth.sim import Simulator

__all__ = ["run_trace_amaranth"]


def run_trace_amaranth(component, trace, *, max_cycles: int | None = None):
    """Drive ``trace.inputs`` into ``component`` cycle by cycle; return observed outputs.

    Each cycle the testbench sets every input port, reads every output port
    after combinational settling (so ``in_ready``, which depends on
    ``out_ready``, is seen as the driver sees it) and then waits for the
    clock edge. The simulation starts from the registers' reset values.

    Returns
    -------
    (outputs, seconds) : (list of tuple of int, float)
        ``outputs[cycle][j]`` is the value of ``trace.out_ports[j]`` (unsigned view).
    """
    n = trace.cycles if max_cycles is None else min(trace.cycles, max_cycles)
    in_sigs = [getattr(component, p) for p in trace.in_ports]
    out_sigs = [getattr(component, p) for p in trace.out_ports]
    in_raw = [s.as_value() if hasattr(s, "as_value") else s for s in in_sigs]
    out_raw = [s.as_value() if hasattr(s, "as_value") else s for s in out_sigs]
    masks = [(1 << len(s)) - 1 for s in out_raw]
    observed = []
    inputs = trace.inputs

    async def testbench(ctx):
        for cycle in range(n):
            for sig, value in zip(in_raw, inputs[cycle]):
                ctx.set(sig, _signed_view(sig, value))
            observed.append(tuple(ctx.get(s) & m for s, m in zip(out_raw, masks)))
            await ctx.tick()

    sim = Simulator(component)
    sim.add_clock(1e-8)
    sim.add_testbench(testbench)
    t0 = time.perf_counter()
    sim.run()
    return observed, time.perf_counter() - t0


def _signed_view(sig, value: int) -> int:
    """Convert an unsigned bit pattern to the signal's value range."""
    if sig.shape().signed and value >> (len(sig) - 1):
        return value - (1 << len(sig))
    return value
