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

from accelsim.errors import AccelsimInputError, Problem, ProblemCollector
from accelsim.sim.pe_model import ARRAY_KINDS, PEConfig, WSArrayModel
from accelsim.rtl.stimulus import Fold, random_array_trials, random_pe_trials
from accelsim.rtl.trace import array_trace, pe_trace

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
    p = ProblemCollector()
    from accelsim.limits import current, limit_problem

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
        inferred = "array" if "a_data" in ports else "pe"
        if kind and kind != inferred:
            raise AccelsimInputError(f"module {module!r} looks like a {inferred} top, not a {kind} top")
        kind = inferred
        if kind == "array" and array_shape is None:
            model = WSArrayModel(cfg, 1, 1).cell_config
            per_row = model.acts_per_beat * model.activation_bits
            rows = ports["a_data"].width // per_row
            cols = ports["o_data"].width // model.accumulator_bits if "o_data" in ports else 0
            array_shape = (rows, cols)
    kind = kind or "pe"
    if kind == "array":
        if cfg.kind not in ARRAY_KINDS:
            raise AccelsimInputError(f"no array top for a {cfg.kind} PE",
                                     hint="verify the PE top (top='pe')")
        if array_shape is None:
            array_shape = (min(arch.array.rows, DEFAULT_VERIFY_ARRAY),
                           min(arch.array.cols, DEFAULT_VERIFY_ARRAY))
        rows, cols = array_shape
    else:
        rows = cols = 0
    if module is None:
        module = top_name(arch, kind)
    return kind, module, rows, cols


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
    is_array = bool(trials) and isinstance(trials[0], Fold)
    resolved = _resolve_top(arch, cfg, top or ("array" if is_array else None), verilog_text,
                            array_shape)
    _check_size(resolved)
    return _run(cfg, list(trials), resolved, seed, simulator, verilog_text, t0)


def _check_size(resolved) -> None:
    from accelsim.limits import check_limit

    kind, _, rows, cols = resolved
    if kind == "array":
        check_limit("max_verify_cells", rows * cols, f"array ({rows} x {cols} PE cells)",
                    "PE cells in a verified array", "array too large to verify")


def _run(cfg, stim, resolved, seed, simulator, verilog_text, t0) -> VerifyResult:
    kind, module, rows, cols = resolved
    if kind == "array":
        trace = array_trace(cfg, rows, cols, stim, seed=seed)
    else:
        trace = pe_trace(cfg, stim, seed=seed)
    build_seconds = 0.0
    from accelsim.rtl.export import Top
    if simulator == "amaranth":
        from accelsim.rtl.amaranth_sim import run_trace_amaranth
        component = Top(kind, module, cfg, rows, cols).component()
        observed, sim_seconds = run_trace_amaranth(component, trace)
    else:
        from accelsim.rtl import verilator as vl
        from accelsim.rtl.export import verilog_source
        text = verilog_text if verilog_text is not None else \
            verilog_source(Top(kind, module, cfg, rows, cols))
        built = vl.build(text, module)
        build_seconds = built.build_seconds
        observed, sim_seconds = vl.run_trace(built, trace)
    failed, first = compare_trace(trace, observed)
    n = len(trace.trial_starts)
    return VerifyResult(module, kind, simulator, n, n - len(failed), len(failed), first,
                        trace.cycles, time.perf_counter() - t0, sim_seconds, build_seconds)


def verify(arch, *, trials: int = 100, seed: int = 0, simulator: str = "amaranth", verilog=None,
           top=None, array_shape=None) -> VerifyResult:
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

    Returns
    -------
    VerifyResult
    """
    t0 = time.perf_counter()
    _check_args(trials, seed, simulator, verilog)
    cfg = PEConfig.from_arch(arch)
    verilog_text = Path(verilog).read_text(encoding="utf-8", errors="replace") if verilog else None
    resolved = _resolve_top(arch, cfg, top, verilog_text, array_shape)
    _check_size(resolved)
    kind, _, rows, cols = resolved
    if kind == "array":
        stim = random_array_trials(cfg, rows, cols, trials, seed)
    else:
        stim = random_pe_trials(cfg, trials, seed)
    return _run(cfg, stim, resolved, seed, simulator, verilog_text, t0)
