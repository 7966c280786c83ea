"""Fast reference of one PE: the trace driver and :class:`~accelsim.sim.pe_model.PEModel` in Numba.

:func:`accelsim.rtl.trace.pe_trace` (Python objects, one ``PEModel.step`` per
cycle, 20-70 k cycles/s) is the specification. :func:`fast_pe_trace` does
the same per cycle -- drive the valid/ready stream with seeded input bubbles
and output back-pressure (the four :data:`~accelsim.rtl.trace.DEFAULT_PATTERNS`),
random garbage on every unused input, the two-stage pipeline, the activation
window and the accumulator wrap -- on flat integer arrays, and returns packed
port words (:class:`PEWordTrace`) ready for Verilator. Its random streams come
from an inline xorshift64* generator rather than Python's ``random``, so its
stimulus differs from ``pe_trace``'s; ``tests/rtl/test_rtl_fast_reference.py`` replays its inputs
through ``PEModel`` and requires identical outputs in every cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from accelsim.sim.pe_model import PEConfig
from accelsim.rtl.fast_array import _bits, _seeded_state, _signed, _uniform, pack_words
from accelsim.rtl.stimulus import WindowWrite
from accelsim.rtl.trace import DEFAULT_PATTERNS, pattern_probabilities

__all__ = ["PEWordTrace", "fast_pe_trace", "encode_jobs"]

_KIND_CODE = {"dense": 0, "nm": 1, "unstructured": 2, "block": 3}


@dataclass(frozen=True)
class PEWordTrace:
    """Packed per-cycle port words of a PE run (see :class:`accelsim.rtl.fast_array.WordTrace`).

    ``inputs`` / ``expected`` map port names to ``(cycles, words)`` uint32;
    ``out_valid`` is the expected ``out_valid`` per cycle; ``trial_starts`` the
    first cycle of each trial; ``model_results`` / ``reference_results`` the
    model's accepted outputs and the jobs' independent expected values.
    """

    inputs: dict
    expected: dict
    widths: dict
    out_valid: np.ndarray
    trial_starts: np.ndarray
    model_results: np.ndarray
    reference_results: np.ndarray
    result_cycles: np.ndarray

    @property
    def cycles(self) -> int:
        """Cycles in the trace."""
        return int(self.out_valid.shape[0])


def encode_jobs(cfg: PEConfig, trials) -> dict:
    """Flatten PE trials (lists of :class:`~accelsim.rtl.stimulus.Job`) into event arrays."""
    lanes = cfg.lanes
    ni, na = max(cfg.indices_per_beat, 1), max(cfg.acts_per_beat, 1)
    events = [e for jobs in trials for job in jobs for e in job.events]
    n = len(events)
    is_write = np.fromiter((type(e) is WindowWrite for e in events), dtype=bool, count=n)
    typ = is_write.astype(np.int64)
    w = np.zeros((n, lanes), dtype=np.int64)
    idx = np.zeros((n, ni), dtype=np.int64)
    acts = np.zeros((n, na), dtype=np.int64)
    sub = np.zeros(n, dtype=np.int64)
    last = np.zeros(n, dtype=np.int64)
    addr = np.zeros(n, dtype=np.int64)
    val = np.zeros(n, dtype=np.int64)
    bi, wi = np.flatnonzero(~is_write), np.flatnonzero(is_write)
    beats = [events[i] for i in bi]
    if beats:
        w[bi] = np.array([e.weights for e in beats], dtype=np.int64).reshape(len(beats), lanes)
        if cfg.indices_per_beat:
            idx[bi] = np.array([e.indices for e in beats], dtype=np.int64).reshape(len(beats), ni)
        if cfg.acts_per_beat:
            acts[bi] = np.array([e.acts for e in beats], dtype=np.int64).reshape(len(beats), na)
        sub[bi] = np.fromiter((e.sub for e in beats), dtype=np.int64, count=len(beats))
        last[bi] = np.fromiter((e.last for e in beats), dtype=np.int64, count=len(beats))
    if wi.size:
        writes = [events[i] for i in wi]
        addr[wi] = np.fromiter((e.addr for e in writes), dtype=np.int64, count=len(writes))
        val[wi] = np.fromiter((e.value for e in writes), dtype=np.int64, count=len(writes))
    starts = np.zeros(len(trials) + 1, dtype=np.int64)
    outs = np.zeros(len(trials), dtype=np.int64)
    pos = 0
    for t, jobs in enumerate(trials):
        pos += sum(len(job.events) for job in jobs)
        starts[t + 1] = pos
        outs[t] = len(jobs)
    refs = np.array([job.expected for jobs in trials for job in jobs], dtype=np.int64)
    return dict(typ=typ, w=w, idx=idx, acts=acts, sub=sub, last=last, addr=addr, val=val,
                starts=starts, outs=outs, refs=refs)


@numba.njit(cache=True)
def _pe_kernel(kind, m_group, block_cols, acc_bits, act_bits, window_words,
               typ, ev_w, ev_idx, ev_acts, ev_sub, ev_last, ev_addr, ev_val, starts, outs,
               bubble, stall, seed,
               g_in, in_valid, in_last, in_w, in_idx, in_a, in_sub, act_we, act_addr, act_data,
               out_ready, e_in_ready, e_out_valid, e_out_data, trial_starts, results, result_cycles):
    # g_in: garbage widths of in_last, in_w lane, in_idx lane, in_a lane, in_sub, act_addr, act_data.
    # Returns the number of cycles written, or -1 if the output arrays are too short.
    rs = _seeded_state(seed)
    cap = in_valid.shape[0]
    lanes = ev_w.shape[1]
    n_idx = in_idx.shape[1]
    n_act = in_a.shape[1]
    shift = 64 - acc_bits
    ashift = 64 - act_bits
    window = np.zeros(max(window_words, 1), dtype=np.int64)
    p_valid = False
    p_last = False
    p_sum = np.int64(0)
    clear = True
    acc = np.int64(0)
    o_valid = False
    o_data = np.int64(0)
    cyc = 0
    res_i = 0
    n_trials = outs.shape[0]
    for t in range(n_trials):
        trial_starts[t] = cyc
        bub = bubble[t % bubble.shape[0]]
        stl = stall[t % stall.shape[0]]
        pos = starts[t]
        end = starts[t + 1]
        presenting = False
        got = 0
        done_mark = 0
        while got < outs[t]:
            if cyc >= cap:
                return -1
            # garbage on every input
            in_last[cyc] = _bits(rs, 1)
            for j in range(lanes):
                in_w[cyc, j] = _signed(rs, g_in[1])
            for j in range(n_idx):
                in_idx[cyc, j] = _bits(rs, g_in[2])
            for j in range(n_act):
                in_a[cyc, j] = _signed(rs, g_in[3])
            in_sub[cyc] = _bits(rs, g_in[4])
            act_addr[cyc] = _bits(rs, g_in[5])
            act_data[cyc] = _signed(rs, g_in[6])
            in_valid[cyc] = 0
            act_we[cyc] = 0
            ready_out = _uniform(rs) >= stl
            out_ready[cyc] = 1 if ready_out else 0
            write = False
            beat = False
            if pos < end:
                if typ[pos] == 1:
                    write = True
                    act_we[cyc] = 1
                    act_addr[cyc] = ev_addr[pos]
                    act_data[cyc] = ev_val[pos]
                    pos += 1
                elif presenting or _uniform(rs) >= bub:
                    presenting = True
                    beat = True
                    in_valid[cyc] = 1
                    in_last[cyc] = ev_last[pos]
                    for j in range(lanes):
                        in_w[cyc, j] = ev_w[pos, j]
                    for j in range(n_idx):
                        in_idx[cyc, j] = ev_idx[pos, j]
                    for j in range(n_act):
                        in_a[cyc, j] = ev_acts[pos, j]
                    in_sub[cyc] = ev_sub[pos]
            # ------------------------------------------------------------ the PE (PEModel.step)
            stalled = o_valid and not ready_out
            e_in_ready[cyc] = 0 if stalled else 1
            e_out_valid[cyc] = 1 if o_valid else 0
            e_out_data[cyc] = o_data
            cur_valid = o_valid
            cur_data = o_data
            if not stalled:
                if p_valid:
                    base_acc = np.int64(0) if clear else acc
                    acc = ((base_acc + p_sum) << shift) >> shift
                    clear = p_last
                    if p_last:
                        o_data = acc
                o_valid = p_valid and p_last
                if beat:
                    s = np.int64(0)
                    if kind == 0:
                        for j in range(lanes):
                            s += ev_w[pos, j] * ev_acts[pos, j]
                    elif kind == 1:
                        for j in range(lanes):
                            k = ev_idx[pos, j]
                            if k < m_group:
                                s += ev_w[pos, j] * ev_acts[pos, k]
                    elif kind == 2:
                        for j in range(lanes):
                            s += ev_w[pos, j] * window[ev_idx[pos, j]]
                    else:
                        base = ev_idx[pos, 0] * block_cols
                        for j in range(lanes):
                            off = ev_sub[pos] * lanes + j
                            if off < block_cols:
                                s += ev_w[pos, j] * window[base + off]
                    p_sum = s
                    p_last = ev_last[pos] != 0
                p_valid = beat
            if write:
                window[act_addr[cyc]] = (act_data[cyc] << ashift) >> ashift
            if beat and not stalled:
                pos += 1
                presenting = False
            if cur_valid:
                if done_mark == got:
                    result_cycles[res_i + got] = cyc
                    done_mark = got + 1
                if ready_out:
                    results[res_i + got] = cur_data
                    got += 1
            cyc += 1
        res_i += outs[t]
    return cyc


def fast_pe_trace(cfg: PEConfig, trials, seed: int = 0, patterns=DEFAULT_PATTERNS) -> PEWordTrace:
    """Run PE trials (lists of :class:`~accelsim.rtl.stimulus.Job`) through the fast model.

    Same protocol as :func:`accelsim.rtl.trace.pe_trace`; returns packed port words.
    ``trials`` may also be event arrays: :func:`encode_jobs` (Jobs encoded once) or
    :func:`accelsim.rtl.fast_stimulus.random_pe_events` (random trials drawn in Numba,
    no Python object per beat).
    """
    from accelsim.rtl.trace import _pe_ports

    ins, outs_, widths = _pe_ports(cfg)
    ev = trials if isinstance(trials, dict) else encode_jobs(cfg, trials)
    n_trials = len(ev["outs"])
    lanes = cfg.lanes
    ni, na = max(cfg.indices_per_beat, 1), max(cfg.acts_per_beat, 1)
    ib = cfg.index_bits or 1
    g_in = np.array([1, cfg.weight_bits, ib, cfg.activation_bits, widths.get("in_sub", 1),
                     widths.get("act_addr", 1), cfg.activation_bits], dtype=np.int64)
    bubble, stall = pattern_probabilities(patterns)
    n_out = int(ev["outs"].sum())
    cap = max(64, 3 * (len(ev["typ"]) + 3 * n_out + 4 * n_trials))
    # a working PE needs well under 3 cycles per event even at the worst stall pattern; a trace
    # 16 x longer than that is a model that never delivers (a deadlock), not a long run
    give_up = 4 * cap
    while True:
        # the kernel writes every column of every cycle it returns: no zeroing needed
        a = dict(in_valid=np.empty(cap, np.int64), in_last=np.empty(cap, np.int64),
                 in_w=np.empty((cap, lanes), np.int64), in_idx=np.empty((cap, ni), np.int64),
                 in_a=np.empty((cap, na), np.int64), in_sub=np.empty(cap, np.int64),
                 act_we=np.empty(cap, np.int64), act_addr=np.empty(cap, np.int64),
                 act_data=np.empty(cap, np.int64), out_ready=np.empty(cap, np.int64),
                 in_ready=np.empty(cap, np.int64), out_valid=np.empty(cap, np.int64),
                 out_data=np.empty(cap, np.int64))
        starts = np.zeros(n_trials, np.int64)
        results = np.zeros(n_out, np.int64)
        rcycles = np.zeros(n_out, np.int64)
        n = _pe_kernel(_KIND_CODE[cfg.kind], int(cfg.m or 0), int(cfg.block_cols or 0),
                       cfg.accumulator_bits, cfg.activation_bits, cfg.window_words,
                       ev["typ"], ev["w"], ev["idx"], ev["acts"], ev["sub"], ev["last"], ev["addr"],
                       ev["val"], ev["starts"], ev["outs"], bubble, stall, int(seed) & 0x7FFFFFFF,
                       g_in, a["in_valid"], a["in_last"], a["in_w"], a["in_idx"], a["in_a"],
                       a["in_sub"], a["act_we"], a["act_addr"], a["act_data"], a["out_ready"],
                       a["in_ready"], a["out_valid"], a["out_data"], starts, results, rcycles)
        if n >= 0:
            break
        if cap >= give_up:
            raise RuntimeError(f"fast PE trace did not finish in {cap:,} cycles (model deadlock)")
        cap *= 2
    cut = {k: v[:n] for k, v in a.items()}
    lane_bits = {"in_valid": 1, "in_last": 1, "in_w": cfg.weight_bits, "in_idx": ib,
                 "in_a": cfg.activation_bits, "in_sub": widths.get("in_sub", 1), "act_we": 1,
                 "act_addr": widths.get("act_addr", 1), "act_data": cfg.activation_bits,
                 "out_ready": 1, "in_ready": 1, "out_valid": 1, "out_data": cfg.accumulator_bits}
    words = {name: pack_words(cut[name], lane_bits[name], widths[name]) for name in ins + outs_}
    return PEWordTrace({n_: words[n_] for n_ in ins}, {n_: words[n_] for n_ in outs_}, widths,
                       cut["out_valid"].copy(), starts, results, ev["refs"], rcycles)

