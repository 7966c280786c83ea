"""Cycle traces: drive stimulus through the Python model, recording port values and expected outputs.

A :class:`Trace` is simulator-neutral: per cycle, the packed value of every
input port (what a testbench drives) and of every output port (what the model
produced). The driver obeys valid/ready: a presented beat or vector is held
until accepted; bubbles and output back-pressure are inserted at random
(seeded); unused data inputs carry random garbage, which a correct design
ignores. Trials run one after another without reset; the driver waits for all
results of a trial before starting the next.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass

from accelsim.sim.pe_model import (ArrayInputs, Beat, PEConfig, PEInputs, PEModel, WSArrayModel,
                                   pack_lanes)
from accelsim.rtl.stimulus import Fold, Job, WindowWrite

__all__ = ["Trace", "pe_trace", "array_trace", "StallPattern", "DEFAULT_PATTERNS",
           "pattern_probabilities"]


@dataclass(frozen=True)
class StallPattern:
    """Probabilities of an input bubble before a beat and of ``out_ready`` being low in a cycle."""

    bubble: float = 0.0
    stall: float = 0.0


DEFAULT_PATTERNS = (StallPattern(0.0, 0.0), StallPattern(0.3, 0.0), StallPattern(0.0, 0.4),
                    StallPattern(0.25, 0.25))
"""Cycled over trials: trial ``i`` uses ``DEFAULT_PATTERNS[i % 4]`` (every fourth trial runs flat out)."""


def pattern_probabilities(patterns=DEFAULT_PATTERNS):
    """The ``bubble`` and ``stall`` probabilities of ``patterns`` as two float64 arrays.

    The form the Numba trace kernels take (trial or fold ``i`` uses entry ``i % len``).
    """
    import numpy as np
    return (np.array([p.bubble for p in patterns], dtype=np.float64),
            np.array([p.stall for p in patterns], dtype=np.float64))


@dataclass(frozen=True)
class Trace:
    """Per-cycle port values of a run.

    Attributes
    ----------
    top : {"pe", "array"}
    in_ports, out_ports : tuple of str
    widths : dict
        Port name -> width in bits.
    inputs, expected : tuple of tuple of int
        ``inputs[cycle][i]`` is ``in_ports[i]``'s value; ``expected[cycle][j]`` is
        ``out_ports[j]``'s model value.
    qualifiers : dict
        Output port -> output port whose expected value 1 makes it compared
        (``out_data`` is only compared when ``out_valid`` is expected).
    trial_starts : tuple of int
        First cycle of each trial.
    model_results : tuple of tuple
        Per trial, the results the model delivered (for the reference check).
    reference_results : tuple of tuple
        Per trial, the independently computed expected results.
    first_beat_cycles, result_cycles : tuple of tuple of int
        Per trial, the cycle of each output's first accepted beat/vector and the
        cycle its result was valid (PE: the formula check uses these).
    """

    top: str
    in_ports: tuple
    out_ports: tuple
    widths: dict
    inputs: tuple
    expected: tuple
    qualifiers: dict
    trial_starts: tuple
    model_results: tuple
    reference_results: tuple
    first_beat_cycles: tuple
    result_cycles: tuple

    @property
    def cycles(self) -> int:
        """Number of cycles in the trace."""
        return len(self.inputs)

    def trial_of(self, cycle: int) -> int:
        """Index of the trial containing ``cycle``."""
        return bisect.bisect_right(self.trial_starts, cycle) - 1


def _rand_bits(rng: random.Random, bits: int) -> int:
    return rng.getrandbits(bits)


def _pe_ports(cfg: PEConfig):
    from accelsim.rtl.mac import pe_signature_members  # local: keeps this module light for readers
    members = pe_signature_members(cfg)
    widths = {name: _width(member) for name, member in members.items()}
    ins = tuple(n for n, mem in members.items() if mem.flow.name == "In")
    outs = tuple(n for n, mem in members.items() if mem.flow.name == "Out")
    return ins, outs, widths


def _width(member) -> int:
    from amaranth import Shape
    return Shape.cast(member.shape).width


def pe_trace(cfg: PEConfig, trials: list[list[Job]], seed: int = 0,
             patterns=DEFAULT_PATTERNS, max_cycles_per_trial: int = 1_000_000) -> Trace:
    """Run PE trials through :class:`PEModel` and record the trace."""
    rng = random.Random(seed)
    ins, outs, widths = _pe_ports(cfg)
    model = PEModel(cfg)
    wb, ab, ib = cfg.weight_bits, cfg.activation_bits, cfg.index_bits or 1
    inputs, expected, starts = [], [], []
    model_results, ref_results, firsts, dones = [], [], [], []
    garbage = {n: widths[n] for n in ins}
    acc_mask = (1 << cfg.accumulator_bits) - 1

    for t, jobs in enumerate(trials):
        pat = patterns[t % len(patterns)]
        starts.append(len(inputs))
        events = [e for job in jobs for e in job.events]
        beat_owner = []
        for j, job in enumerate(jobs):
            beat_owner += [j] * sum(isinstance(e, Beat) for e in job.events)
        pos, beat_no, presenting = 0, 0, False
        got, first, done = [], [None] * len(jobs), [None] * len(jobs)
        limit = len(inputs) + max_cycles_per_trial
        while len(got) < len(jobs):
            cycle = len(inputs)
            if cycle > limit:
                raise RuntimeError("PE trace did not finish (model deadlock)")
            v = {n: _rand_bits(rng, w) for n, w in garbage.items()}
            v["in_valid"] = 0
            if "act_we" in v:
                v["act_we"] = 0
            out_ready = rng.random() >= pat.stall
            v["out_ready"] = int(out_ready)
            write = None
            beat = None
            if pos < len(events):
                ev = events[pos]
                if isinstance(ev, WindowWrite):
                    write = (ev.addr, ev.value)
                    v.update(act_we=1, act_addr=ev.addr, act_data=ev.value & ((1 << ab) - 1))
                    pos += 1
                elif presenting or rng.random() >= pat.bubble:
                    presenting, beat = True, ev
                    v.update(in_valid=1, in_last=int(ev.last), in_w=pack_lanes(ev.weights, wb))
                    if "in_a" in v:
                        v["in_a"] = pack_lanes(ev.acts, ab)
                    if "in_idx" in v:
                        v["in_idx"] = pack_lanes(ev.indices, ib)
                    if "in_sub" in v:
                        v["in_sub"] = ev.sub
            o = model.step(PEInputs(in_valid=beat is not None, beat=beat, out_ready=out_ready,
                                    act_write=write))
            if beat is not None and o.in_ready:
                owner = beat_owner[beat_no]
                if first[owner] is None:
                    first[owner] = cycle
                pos, beat_no, presenting = pos + 1, beat_no + 1, False
            if o.out_valid:
                if len(got) < len(done) and done[len(got)] is None:
                    done[len(got)] = cycle
                if out_ready:
                    got.append(o.out_data)
            inputs.append(tuple(v[n] for n in ins))
            e = {"in_ready": int(o.in_ready), "out_valid": int(o.out_valid),
                 "out_data": o.out_data & acc_mask}
            expected.append(tuple(e[n] for n in outs))
        model_results.append(tuple(got))
        ref_results.append(tuple(job.expected for job in jobs))
        firsts.append(tuple(first))
        dones.append(tuple(done))
    return Trace("pe", ins, outs, widths, tuple(inputs), tuple(expected),
                 {"out_data": "out_valid"}, tuple(starts), tuple(model_results), tuple(ref_results),
                 tuple(firsts), tuple(dones))


def array_trace(cfg: PEConfig, rows: int, cols: int, folds: list[Fold], seed: int = 0,
                patterns=DEFAULT_PATTERNS, max_cycles_per_trial: int = 1_000_000) -> Trace:
    """Run array folds through :class:`WSArrayModel` and record the trace (one fold per trial)."""
    from accelsim.rtl.array import array_signature_members
    rng = random.Random(seed)
    members = array_signature_members(cfg, rows, cols)
    widths = {n: _width(mem) for n, mem in members.items()}
    ins = tuple(n for n, mem in members.items() if mem.flow.name == "In")
    outs = tuple(n for n, mem in members.items() if mem.flow.name == "Out")
    model = WSArrayModel(cfg, rows, cols)
    cell = model.cell_config
    wb, ab, ib = cell.weight_bits, cell.activation_bits, cell.index_bits or 1
    accb = cell.accumulator_bits
    acc_mask = (1 << accb) - 1
    inputs, expected, starts = [], [], []
    model_results, ref_results, firsts, dones = [], [], [], []

    for t, fold in enumerate(folds):
        pat = patterns[t % len(patterns)]
        starts.append(len(inputs))
        vec, presenting, row = 0, False, 0
        got, first, done = [], [], []
        limit = len(inputs) + max_cycles_per_trial
        while len(got) < len(fold.vectors):
            cycle = len(inputs)
            if cycle > limit:
                raise RuntimeError("array trace did not finish (model deadlock)")
            v = {n: _rand_bits(rng, widths[n]) for n in ins}
            v.update(w_we=0, a_valid=0)
            out_ready = rng.random() >= pat.stall
            v["o_ready"] = int(out_ready)
            ww, acts = None, None
            if row < rows:
                cells = fold.weights[row]
                ww = (row, cells)
                v.update(w_we=1, w_row=row,
                         w_data=pack_lanes([x for w, _ in cells for x in w], wb))
                if "w_idx" in v:
                    v["w_idx"] = pack_lanes([x for _, i in cells for x in i], ib)
                row += 1
            elif vec < len(fold.vectors) and (presenting or rng.random() >= pat.bubble):
                presenting, acts = True, fold.vectors[vec]
                v.update(a_valid=1, a_data=pack_lanes([x for a in acts for x in a], ab))
            if acts is None:
                # the port carries garbage; the model sees the same garbage
                per = cell.acts_per_beat
                flat = [((v["a_data"] >> (i * ab)) & ((1 << ab) - 1)) for i in range(rows * per)]
                flat = [x - (1 << ab) if x >> (ab - 1) else x for x in flat]
                model_acts = tuple(tuple(flat[r * per:(r + 1) * per]) for r in range(rows))
            else:
                model_acts = acts
            o = model.step(ArrayInputs(a_valid=acts is not None, acts=model_acts, o_ready=out_ready,
                                       weight_write=ww))
            if acts is not None and o.a_ready:
                first.append(cycle)
                vec, presenting = vec + 1, False
            if o.o_valid:
                if len(done) == len(got):
                    done.append(cycle)
                if out_ready:
                    got.append(o.o_data)
            inputs.append(tuple(v[n] for n in ins))
            e = {"a_ready": int(o.a_ready), "o_valid": int(o.o_valid),
                 "o_data": pack_lanes([x & acc_mask for x in o.o_data], accb)}
            expected.append(tuple(e[n] for n in outs))
        model_results.append(tuple(got))
        ref_results.append(fold.expected)
        firsts.append(tuple(first))
        dones.append(tuple(done))
    return Trace("array", ins, outs, widths, tuple(inputs), tuple(expected),
                 {"o_data": "o_valid"}, tuple(starts), tuple(model_results), tuple(ref_results),
                 tuple(firsts), tuple(dones))
