"""Verification: the same stimulus into the Python PE/array model and into the RTL, compared bit for bit.

The model produces a :class:`~accelsim.rtl.trace.Trace` (inputs and expected outputs
per cycle); the RTL -- the Amaranth component in the Amaranth simulator, or
Verilog (generated, or given by the user) under Verilator -- replays the
inputs. Every output port is compared in every cycle (``in_ready``/``a_ready``
and ``out_valid``/``o_valid`` always, the data when valid), so outputs and
cycle counts must agree exactly. The model's results are also checked against
an independent reference (dense dot products with Python integers).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from accelsim.errors import AccelsimInputError, Problem, ProblemCollector
from accelsim.sim.array_model import array_cell_config, array_support
from accelsim.sim.pe_model import PEConfig
from accelsim.rtl.stimulus import Fold, random_pe_trials
from accelsim.rtl.trace import pe_trace

__all__ = ["Mismatch", "VerifyResult", "verify", "verify_jobs", "compare_trace", "SIMULATORS",
           "DEFAULT_VERIFY_ARRAY"]

SIMULATORS = ("amaranth", "verilator")
DEFAULT_VERIFY_ARRAY = 4
"""Arrays are verified at ``min(rows, 4) x min(cols, 4)`` unless a shape or a Verilog file says otherwise."""


@dataclass(frozen=True)
class Mismatch:
    """First disagreement between the model and the RTL (or the model and the reference)."""

    trial: int
    cycle: int
    global_cycle: int
    signal: str
    expected: int
    got: int

    def __str__(self) -> str:
        return (f"trial {self.trial}, cycle {self.cycle} (global {self.global_cycle}): "
                f"{self.signal} expected {self.expected:#x}, got {self.got:#x}")


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a verification run.

    Attributes
    ----------
    top : str
        Verilog module name (or generated top name) that was checked.
    kind : {"pe", "array"}
    simulator : {"amaranth", "verilator"}
    trials, passed, failed : int
        A trial fails if any of its cycles mismatches.
    first_mismatch : Mismatch or None
    cycles : int
        Clock cycles simulated.
    seconds : float
        Wall time of the whole run (stimulus, model, build, simulation, comparison).
    sim_seconds, build_seconds : float
        RTL simulation time and Verilator build time (0 when cached / Amaranth).
    array_shape : (rows, cols) or None
        Cells of the array top that was checked (None for a PE).
    """

    top: str
    kind: str
    simulator: str
    trials: int
    passed: int
    failed: int
    first_mismatch: Mismatch | None
    cycles: int
    seconds: float
    sim_seconds: float = 0.0
    build_seconds: float = 0.0
    array_shape: tuple | None = None

    @property
    def ok(self) -> bool:
        """True if every trial passed."""
        return self.failed == 0

    @property
    def cycles_per_second(self) -> float:
        """Simulated cycles per second of RTL simulation time."""
        return self.cycles / self.sim_seconds if self.sim_seconds > 0 else float("inf")

    def summary(self) -> str:
        """One paragraph for the CLI."""
        head = (f"{self.top} ({self.kind}) on {self.simulator}: {self.passed}/{self.trials} trials "
                f"passed, {self.cycles} cycles in {self.seconds:.2f} s")
        if self.first_mismatch is not None:
            head += f"\nFIRST MISMATCH: {self.first_mismatch}"
        return head


def compare_trace(trace, observed) -> tuple[set, Mismatch | None]:
    """Compare observed outputs with the trace's expected outputs; also check model vs reference.

    Returns the set of failing trial indices and the first mismatch (lowest cycle).
    """
    failed, first = set(), None
    outs = trace.out_ports
    qual = [outs.index(trace.qualifiers[p]) if p in trace.qualifiers else None for p in outs]
    starts = trace.trial_starts
    for cycle, (exp, got) in enumerate(zip(trace.expected, observed)):
        if exp == got:
            continue
        for j, name in enumerate(outs):
            q = qual[j]
            if q is not None and not exp[q]:
                continue
            if exp[j] != got[j]:
                t = trace.trial_of(cycle)
                failed.add(t)
                if first is None:
                    first = Mismatch(t, cycle - starts[t], cycle, name, exp[j], got[j])
                break
    if len(observed) < trace.cycles and first is None:
        t = trace.trial_of(len(observed))
        failed.add(t)
        first = Mismatch(t, len(observed) - starts[t], len(observed), "<simulation ended>", 1, 0)
    for t, (model, ref) in enumerate(zip(trace.model_results, trace.reference_results)):
        if tuple(model) != tuple(ref):
            failed.add(t)
            k = next(i for i, (a, b) in enumerate(zip(model, ref)) if a != b)
            cyc = trace.result_cycles[t][k]
            mm = Mismatch(t, cyc - starts[t], cyc, f"model result {k} vs reference",
                          _flat(ref[k]), _flat(model[k]))
            if first is None or mm.global_cycle < first.global_cycle:
                first = mm
    return failed, first


def _flat(v) -> int:
    if isinstance(v, tuple):
        return sum((x & 0xFFFFFFFFFFFFFFFF) << (64 * i) for i, x in enumerate(v))
    return v


def _check_args(trials, seed, simulator, verilog) -> None:
    from accelsim.limits import current, limit_problem

    p = ProblemCollector()
    if not isinstance(trials, int) or isinstance(trials, bool) or trials < 1:
        p.add("trials", trials, "an integer >= 1")
    elif trials > current().max_verify_trials:
        p.problems.append(limit_problem("max_verify_trials", "trials", trials, "trials"))
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2 ** 63:
        p.add("seed", seed, "an integer from 0 to 2**63 - 1")
    if simulator not in SIMULATORS:
        p.add("simulator", simulator, "one of " + ", ".join(SIMULATORS))
    elif verilog is not None and simulator != "verilator":
        p.add("simulator", simulator, '"verilator" when a Verilog file is given '
              "(the Amaranth simulator runs Amaranth components only)")
    if verilog is not None and not Path(verilog).is_file():
        p.add("verilog", str(verilog), "an existing Verilog file")
    p.raise_if_any("invalid verification request")


def _check_size(resolved) -> None:
    """Refuse an array over the ``max_verify_cells`` limit before building its stimulus or RTL."""
    from accelsim.limits import check_limit

    kind, _, rows, cols = resolved
    if kind == "array":
        check_limit("max_verify_cells", rows * cols, f"array ({rows} x {cols} PE cells)",
                    "PE cells in a verified array", "array too large to verify")


def _resolve_top(arch, cfg: PEConfig, top, verilog_text, array_shape):
    """Return (kind, module_name, rows, cols)."""
    from accelsim.rtl.export import top_name
    from accelsim.rtl.verilator import module_names, parse_ports
    kind = top if top in ("pe", "array") else None
    module = None if top in (None, "pe", "array") else top
    if module is not None and (not isinstance(module, str) or not module.strip()):
        raise AccelsimInputError("invalid top", [Problem("top", module, '"pe", "array" or a module name')])
    if module is not None and verilog_text is None:
        raise AccelsimInputError("invalid top", [Problem("top", module, '"pe" or "array" (a module name only '
                                                                         "with a Verilog file)")])
    if verilog_text is not None:
        names = module_names(verilog_text)
        if module is not None and module not in names:
            raise AccelsimInputError("invalid top", [Problem("top", module, "a module of the Verilog file: "
                                                             + (", ".join(names) or "(it has none)"))])
        if module is None:
            wanted = top_name(arch, kind) if kind else None
            if wanted in names:
                module = wanted
            elif len(names) == 1:
                module = names[0]
            else:
                marked = [n for n in names if _is_marked_top(verilog_text, n)]
                if len(marked) != 1:
                    raise AccelsimInputError("cannot tell which module of the Verilog file to verify",
                                             hint="pass top=<module name>; modules: " + ", ".join(names))
                module = marked[0]
        ports = {p.name: p for p in parse_ports(verilog_text, module)}
        inferred = "array" if "o_data" in ports else "pe"
        if kind and kind != inferred:
            raise AccelsimInputError(f"module {module!r} looks like a {inferred} top, not a {kind} top")
        kind = inferred
        if kind == "array" and array_shape is None and array_support(cfg.kind, arch.dataflow) is None:
            array_shape = _infer_shape(cfg, arch.dataflow, ports)
    kind = kind or "pe"
    if kind == "array":
        reason = array_support(cfg.kind, arch.dataflow)
        if reason is not None:
            raise AccelsimInputError(f"no {arch.dataflow.upper()} array top for a {cfg.kind} PE",
                                     hint=reason + "; verify the PE top (top='pe')")
        if array_shape is None:
            array_shape = (min(arch.array.rows, DEFAULT_VERIFY_ARRAY),
                           min(arch.array.cols, DEFAULT_VERIFY_ARRAY))
        rows, cols = array_shape
    else:
        rows = cols = 0
    if module is None:
        module = top_name(arch, kind)
    return kind, module, rows, cols


def _infer_shape(cfg: PEConfig, dataflow: str, ports) -> tuple[int, int]:
    """Array rows x cols from the port widths of a Verilog array top."""
    cell = array_cell_config(cfg, dataflow)
    cols = ports["o_data"].width // cell.accumulator_bits
    if dataflow == "is":
        rows = ports["w_data"].width // (cell.lanes * cell.weight_bits) if "w_data" in ports else 0
    elif "a_data" in ports:
        rows = ports["a_data"].width // (cell.acts_per_beat * cell.activation_bits)
    else:
        rows = ports["act_data"].width // cell.activation_bits if "act_data" in ports else 0
    return rows, cols


def _is_marked_top(text: str, name: str) -> bool:
    i = text.find(f"module {name}(")
    return i > 0 and "top =  1" in text[max(0, i - 80):i]


def verify_jobs(arch, trials, *, seed: int = 0, simulator: str = "amaranth", verilog=None,
                top=None, array_shape=None) -> VerifyResult:
    """Verify given stimulus: PE trials (lists of :class:`~accelsim.rtl.stimulus.Job`) or array folds.

    Parameters as :func:`verify`; ``trials`` replaces the random stimulus.
    """
    t0 = time.perf_counter()
    _check_args(max(len(trials), 1), seed, simulator, verilog)
    cfg = PEConfig.from_arch(arch)
    verilog_text = Path(verilog).read_text(encoding="utf-8", errors="replace") if verilog else None
    is_array = bool(trials) and _is_array_stimulus(trials[0])
    resolved = _resolve_top(arch, cfg, top or ("array" if is_array else None), verilog_text,
                            array_shape)
    _check_size(resolved)
    return _run(cfg, list(trials), resolved, seed, simulator, verilog_text, t0, arch.dataflow)


def _word_value(row) -> int:
    return sum(int(w) << (32 * i) for i, w in enumerate(row))


def compare_words(trace, observed) -> tuple[set, Mismatch | None]:
    """:func:`compare_trace` for a packed :class:`~accelsim.rtl.fast_pe.PEWordTrace`.

    ``in_ready`` and ``out_valid`` are compared in every cycle, ``out_data``
    where ``out_valid`` is expected; the model's results are checked against
    the jobs' independent reference values.
    """
    starts = trace.trial_starts
    first = None
    bad_cycles = []
    for name in trace.expected:
        diff = np.any(trace.expected[name] != observed[name], axis=1)
        if name == "out_data":
            diff &= trace.out_valid.astype(bool)
        idx = np.flatnonzero(diff)
        bad_cycles.append(idx)
        if idx.size and (first is None or idx[0] < first.global_cycle):
            c = int(idx[0])
            t = int(np.searchsorted(starts, c, side="right") - 1)
            first = Mismatch(t, c - int(starts[t]), c, name, _word_value(trace.expected[name][c]),
                             _word_value(observed[name][c]))
    failed = set(int(v) for v in np.searchsorted(starts, np.concatenate(bad_cycles), side="right") - 1)
    wrong = np.flatnonzero(trace.model_results != trace.reference_results)
    if wrong.size:
        outs_per_trial = np.diff(np.append(_result_trial_starts(trace), len(trace.model_results)))
        owner = np.repeat(np.arange(len(starts)), outs_per_trial)
        for k in wrong:
            failed.add(int(owner[k]))
        k = int(wrong[0])
        cyc = int(trace.result_cycles[k])
        t = int(owner[k])
        mm = Mismatch(t, cyc - int(starts[t]), cyc, f"model result {k} vs reference",
                      int(trace.reference_results[k]), int(trace.model_results[k]))
        if first is None or mm.global_cycle < first.global_cycle:
            first = mm
    return failed, first


def _result_trial_starts(trace) -> np.ndarray:
    # index of each trial's first result: results are in trial order, one per job
    return np.searchsorted(trace.result_cycles, trace.trial_starts)


def _run_fast_pe(cfg, stim, module, seed, verilog_text, t0) -> VerifyResult:
    from accelsim.rtl import verilator as vl
    from accelsim.rtl.export import Top, verilog_source
    from accelsim.rtl.fast_pe import fast_pe_trace
    trace = fast_pe_trace(cfg, stim, seed=seed)      # Job lists or event arrays
    text = verilog_text if verilog_text is not None else verilog_source(Top("pe", module, cfg))
    built = vl.build(text, module)
    by_name = {p.name: p for p in built.ports}
    problems = []
    for name, width in trace.widths.items():
        port = by_name.get(name)
        direction = "in" if name in trace.inputs else "out"
        if port is None or port.width != width or port.direction != direction:
            got = "missing" if port is None else f"{port.direction} [{port.width - 1}:0]"
            problems.append(f"{name}: expected {direction} [{width - 1}:0], got {got}")
    if problems:
        raise AccelsimInputError(f"the Verilog module {module!r} does not have the ports of this "
                                 "architecture's pe:\n  " + "\n  ".join(problems),
                                 hint="generate it for the same architecture file (accelsim rtl ...)")
    observed, sim_seconds = vl.run_words(built, trace.inputs)
    failed, first = compare_words(trace, observed)
    n = len(trace.trial_starts)
    return VerifyResult(module, "pe", "verilator", n, n - len(failed), len(failed), first,
                        trace.cycles, time.perf_counter() - t0, sim_seconds, built.build_seconds, None)


def _is_array_stimulus(trial) -> bool:
    """A WS fold, an IS / block WS fold, or an OS trial (a list of tiles)."""
    from accelsim.rtl.arrays.stimulus import OSTile, SysFold
    return isinstance(trial, (Fold, SysFold)) or \
        (isinstance(trial, (list, tuple)) and bool(trial) and isinstance(trial[0], OSTile))


def _run(cfg, stim, resolved, seed, simulator, verilog_text, t0, dataflow="ws") -> VerifyResult:
    kind, module, rows, cols = resolved
    if kind == "pe" and simulator == "verilator":
        return _run_fast_pe(cfg, stim, module, seed, verilog_text, t0)
    if kind == "array":
        from accelsim.rtl.arrays.trace import array_trace_for
        trace = array_trace_for(cfg, dataflow, rows, cols, stim, seed=seed)
    else:
        trace = pe_trace(cfg, stim, seed=seed)
    build_seconds = 0.0
    from accelsim.rtl.export import Top
    if simulator == "amaranth":
        from accelsim.rtl.amaranth_sim import run_trace_amaranth
        component = Top(kind, module, cfg, rows, cols, dataflow).component()
        observed, sim_seconds = run_trace_amaranth(component, trace)
    else:
        from accelsim.rtl import verilator as vl
        from accelsim.rtl.export import verilog_source
        text = verilog_text if verilog_text is not None else \
            verilog_source(Top(kind, module, cfg, rows, cols, dataflow))
        built = vl.build(text, module)
        build_seconds = built.build_seconds
        observed, sim_seconds = vl.run_trace(built, trace)
    failed, first = compare_trace(trace, observed)
    n = len(trace.trial_starts)
    return VerifyResult(module, kind, simulator, n, n - len(failed), len(failed), first,
                        trace.cycles, time.perf_counter() - t0, sim_seconds, build_seconds,
                        (rows, cols) if kind == "array" else None)


def verify(arch, *, trials: int = 100, seed: int = 0, simulator: str = "amaranth", verilog=None,
           top=None, array_shape=None, full_width: bool | None = None) -> VerifyResult:
    """Drive seeded random streams into the model and the RTL and compare them cycle by cycle.

    Parameters
    ----------
    arch : ArchSpec
    trials : int
        Random trials (PE: 1-4 outputs each; array: one fold each).
    seed : int
        Seeds the stimulus and the bubble/back-pressure pattern.
    simulator : {"amaranth", "verilator"}
        ``verilator`` builds the generated Verilog, or ``verilog`` if given.
    verilog : path, optional
        A Verilog file to check instead of the generated design (Verilator only).
    top : {"pe", "array"} or str, optional
        Which top, or a module name in ``verilog``; default the PE (or the
        only/marked module of ``verilog``, its kind inferred from its ports).
    array_shape : (rows, cols), optional
        Array size (default ``min(4, rows) x min(4, cols)``, or inferred from
        the Verilog's port widths).
    full_width : bool, optional
        Start with the directed full-width trials
        (:func:`accelsim.rtl.arrays.stimulus.full_width_pe_trials` /
        ``full_width_array_trials``: maximum-magnitude operands of both signs,
        reductions crossing ``2**24``); they count towards ``trials``. Default:
        on for Verilator, off for the (slow) Amaranth simulator.

    Returns
    -------
    VerifyResult
    """
    t0 = time.perf_counter()
    _check_args(trials, seed, simulator, verilog)
    if full_width not in (None, True, False):
        raise AccelsimInputError("invalid verification request",
                                 hint=f"full_width: got {full_width!r}; allowed: None, True or False")
    cfg = PEConfig.from_arch(arch)
    verilog_text = Path(verilog).read_text(encoding="utf-8", errors="replace") if verilog else None
    resolved = _resolve_top(arch, cfg, top, verilog_text, array_shape)
    _check_size(resolved)
    kind, _, rows, cols = resolved
    from accelsim.rtl.arrays import stimulus as astim
    if full_width is None:
        full_width = simulator == "verilator"
    if kind == "array":
        directed = astim.full_width_array_trials(cfg, arch.dataflow, rows, cols) if full_width else []
        rest = trials - min(len(directed), trials)
        stim = directed[:trials] + (astim.random_array_stimulus(cfg, arch.dataflow, rows, cols, rest, seed)
                                    if rest else [])
    elif simulator == "verilator":
        # fast path end to end: random trials drawn straight into event arrays
        from accelsim.rtl.fast_stimulus import pe_verify_events
        stim = pe_verify_events(cfg, trials, seed, full_width=full_width)
    else:
        directed = astim.full_width_pe_trials(cfg) if full_width else []
        rest = trials - min(len(directed), trials)
        stim = directed[:trials] + (random_pe_trials(cfg, rest, seed) if rest else [])
    return _run(cfg, stim, resolved, seed, simulator, verilog_text, t0, arch.dataflow)
