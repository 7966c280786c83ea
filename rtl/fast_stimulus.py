"""Seeded random PE stimulus drawn straight into flat event arrays by a Numba kernel.

:func:`accelsim.rtl.stimulus.random_pe_trials` builds Python
:class:`~accelsim.rtl.stimulus.Job` objects (the readable specification of the
stimulus); :func:`random_pe_events` draws from the same distribution into the
arrays :func:`accelsim.rtl.fast_pe.encode_jobs` produces, so
:func:`accelsim.rtl.fast_pe.fast_pe_trace` can run them without any Python
object per beat:

* per trial 1..``max_outputs`` outputs, each of length ``k`` uniform in
  ``1..max_k`` (the same per-mode default ``max_k``);
* a density drawn from ``{0, 0.15, 0.5, 0.85, 1}`` per row (all-zero rows
  included); N:M rows keep a random ``0..N`` of every ``M`` (exactly ``N`` at
  density 1), block rows store each block with probability ``density`` and
  zero 20 % of the stored values;
* weights uniform over the full signed range with 10 % extremes (half the
  minimum, half the maximum), activations the same with 30 % zeros;
* unused lanes: zero weights and random indices; block lanes past the block
  width: random weights; an output with no beat streams one empty beat with
  random indices (and ``in_sub``);
* unstructured/block window writes before the beats that read them, exactly
  as :func:`~accelsim.rtl.stimulus.job_from_row` orders them.

:func:`rows_events` encodes given rows with the same kernel code (the
directed full-width rows, for instance) and :func:`pe_verify_events` is the
PE stimulus of ``verify(..., simulator="verilator")``: those directed rows,
then random trials.

The expected result of each output is ``wrap(sum(w * a))`` over the dense row
and activation vector (int64 arithmetic wraps modulo ``2**64``, so the wrap to
``accumulator_bits <= 64`` is exact), computed before the row is encoded into
beats. The random stream is xorshift64* (seeded; a stream separate from the
trace driver's), so the draws differ from ``random_pe_trials``' but follow the
same distribution.
"""

from __future__ import annotations

import numba
import numpy as np

from accelsim.errors import AccelsimInputError
from accelsim.sim.pe_model import PEConfig
from accelsim.rtl.fast_array import _next, _seeded_state, _signed, _uniform
from accelsim.rtl.stimulus import _default_max_k

__all__ = ["random_pe_events", "rows_events", "pe_verify_events", "concat_events", "event_count"]

_KIND_CODE = {"dense": 0, "nm": 1, "unstructured": 2, "block": 3}
_DENSITIES = np.array([0.0, 0.15, 0.5, 0.85, 1.0])
_STIMULUS_STREAM = 0x5DEECE66D
"""Mixed into the seed so the stimulus and the trace driver (same seed) draw independent streams."""


@numba.njit(cache=True)
def _below(rs, n):
    """A random integer in ``[0, n)`` (``n >= 1``)."""
    return np.int64((_next(rs) >> np.uint64(11)) % np.uint64(n))


@numba.njit(cache=True)
def _operand(rs, bits, zero_fraction):
    """A ``bits``-wide signed operand (``bits <= 32``): uniform, 10 % extremes, ``zero_fraction`` zeros.

    One 64-bit draw: the top ``bits`` bits are the value, bits 0-14 decide an
    extreme (``< 3277 / 2**15``), bit 15 its sign, bits 16-31 a zero.
    """
    x = _next(rs)
    v = np.int64(x >> np.uint64(64 - bits))
    if v >> (bits - 1):
        v -= np.int64(1) << bits
    low = np.int64(x & np.uint64(0xFFFFFFFF))
    if (low & 0x7FFF) < 3277:
        v = -(np.int64(1) << (bits - 1)) if (low >> 15) & 1 else (np.int64(1) << (bits - 1)) - 1
    if zero_fraction > 0.0 and np.float64(low >> 16) * (1.0 / 65536.0) < zero_fraction:
        v = 0
    return v


@numba.njit(cache=True)
def _random_row(rs, kind, wbits, n_keep, m_group, block_cols, k, densities, w, stored, perm):
    """Fill ``w[:k]`` with a random row obeying the sparsity; block: ``stored[b]`` per block."""
    density = densities[_below(rs, densities.shape[0])]
    for j in range(k):
        w[j] = _operand(rs, wbits, 0.0)
    if kind == 1:
        for g in range(0, k, m_group):
            size = min(m_group, k - g)
            full = min(n_keep, size)
            keep = _below(rs, full + 1) if density < 1.0 else full
            for j in range(size):
                perm[j] = j
            for j in range(keep):               # partial Fisher-Yates: the first keep are kept
                r = j + _below(rs, size - j)
                perm[j], perm[r] = perm[r], perm[j]
            for j in range(keep, size):
                w[g + perm[j]] = 0
    elif kind == 3:
        nblocks = (k + block_cols - 1) // block_cols
        for b in range(nblocks):
            stored[b] = _uniform(rs) < density
        for j in range(k):
            if not stored[j // block_cols] or _uniform(rs) < 0.2:
                w[j] = 0
    else:
        for j in range(k):
            if _uniform(rs) >= density:
                w[j] = 0


@numba.njit(cache=True)
def _encode_row(rs, kind, wbits, acc_bits, index_bits, m_group, block_cols, window_words, sub_bits,
                k, w, a, stored, nz, pos, typ, ev_w, ev_idx, ev_acts, ev_sub, ev_last, ev_addr, ev_val):
    """Events of one output (``job_from_row``'s encoding) from ``pos``; returns (next pos, expected).

    ``w`` / ``a`` hold the row and activations, zero past ``k`` for at least
    ``block_cols + lanes`` elements; ``stored[b]``: block ``b`` is stored.
    """
    lanes = ev_w.shape[1]
    n_idx = ev_idx.shape[1]
    garbage_idx_bits = min(index_bits, 30)
    s = np.int64(0)
    for j in range(k):
        s += w[j] * a[j]
    ref = (s << (64 - acc_bits)) >> (64 - acc_bits)
    nblocks = (k + block_cols - 1) // block_cols if kind == 3 else 0
    first = pos
    if kind == 0:
        for s0 in range(0, k, lanes):
            typ[pos] = 0
            for j in range(lanes):
                ev_w[pos, j] = w[s0 + j]
                ev_acts[pos, j] = a[s0 + j]
            pos += 1
    elif kind == 1:
        for g in range(0, k, m_group):
            cnt = 0
            for j in range(m_group):
                if w[g + j] != 0:
                    nz[cnt] = j
                    cnt += 1
            typ[pos] = 0
            for j in range(lanes):
                if j < cnt:
                    ev_w[pos, j] = w[g + nz[j]]
                    ev_idx[pos, j] = nz[j]
                else:
                    ev_w[pos, j] = 0
                    ev_idx[pos, j] = np.int64(_next(rs) >> np.uint64(64 - garbage_idx_bits))
            for j in range(m_group):
                ev_acts[pos, j] = a[g + j]
            pos += 1
    elif kind == 2:
        for base in range(0, k, window_words):
            cnt = 0
            for j in range(base, min(k, base + window_words)):
                if w[j] != 0:
                    nz[cnt] = j
                    cnt += 1
                    typ[pos] = 1
                    ev_addr[pos] = j - base
                    ev_val[pos] = a[j]
                    pos += 1
            for s0 in range(0, cnt, lanes):
                typ[pos] = 0
                for j in range(lanes):
                    if s0 + j < cnt:
                        ev_w[pos, j] = w[nz[s0 + j]]
                        ev_idx[pos, j] = nz[s0 + j] - base
                    else:
                        ev_w[pos, j] = 0
                        ev_idx[pos, j] = np.int64(_next(rs) >> np.uint64(64 - garbage_idx_bits))
                pos += 1
    else:
        per_window = np.int64(1) << index_bits
        bpb = (block_cols + lanes - 1) // lanes
        seg = -1
        for b in range(nblocks):
            if not stored[b]:
                continue
            if b // per_window != seg:
                # load every stored block of this window segment before its beats
                seg = b // per_window
                for bb in range(b, min(nblocks, (seg + 1) * per_window)):
                    if stored[bb]:
                        for j in range(block_cols):
                            typ[pos] = 1
                            ev_addr[pos] = (bb % per_window) * block_cols + j
                            ev_val[pos] = a[bb * block_cols + j]
                            pos += 1
            for sub in range(bpb):
                typ[pos] = 0
                for j in range(lanes):
                    off = sub * lanes + j
                    ev_w[pos, j] = w[b * block_cols + off] if off < block_cols \
                        else _signed(rs, wbits)
                ev_idx[pos, 0] = b % per_window
                ev_sub[pos] = sub
                pos += 1
    last = -1
    for e in range(first, pos):
        if typ[e] == 0:
            last = e
    if last < 0:                        # no beat: one empty beat ends the output
        typ[pos] = 0
        for j in range(lanes):
            ev_w[pos, j] = 0
        for j in range(n_idx):
            ev_idx[pos, j] = np.int64(_next(rs) >> np.uint64(64 - garbage_idx_bits))
        ev_sub[pos] = np.int64(_next(rs) >> np.uint64(64 - sub_bits)) if kind == 3 else np.int64(0)
        last = pos
        pos += 1
    ev_last[last] = 1
    return pos, ref


@numba.njit(cache=True)
def _job_room(kind, k, lanes, m_group, block_cols):
    """Upper bound of the events (beats and window writes) of one output of length ``k``."""
    if kind == 0:
        return (k + lanes - 1) // lanes + 1
    if kind == 1:
        return (k + m_group - 1) // m_group + 1
    if kind == 2:
        return 2 * k + 2
    return (k + block_cols - 1) // block_cols * (block_cols + (block_cols + lanes - 1) // lanes) + 1


@numba.njit(cache=True)
def _draw_kernel(kind, wbits, abits, acc_bits, index_bits, n_keep, m_group, block_cols,
                 window_words, sub_bits, max_outputs, max_k, seed, densities,
                 typ, ev_w, ev_idx, ev_acts, ev_sub, ev_last, ev_addr, ev_val, starts, outs, refs):
    # Returns the number of events written, or -1 if the event arrays are too short.
    rs = _seeded_state(seed)
    cap = typ.shape[0]
    lanes = ev_w.shape[1]
    pad = max(block_cols, m_group, 1) + lanes
    nbmax = (max_k + max(block_cols, 1) - 1) // max(block_cols, 1) + 1
    w = np.zeros(max_k + pad, dtype=np.int64)
    a = np.zeros(max_k + pad, dtype=np.int64)
    stored = np.zeros(nbmax, dtype=np.bool_)
    perm = np.zeros(max(m_group, 1), dtype=np.int64)
    nz = np.zeros(max(window_words, m_group, 1), dtype=np.int64)
    pos = 0
    res = 0
    for t in range(outs.shape[0]):
        starts[t] = pos
        n_jobs = 1 + _below(rs, max_outputs)
        outs[t] = n_jobs
        for _ in range(n_jobs):
            k = 1 + _below(rs, max_k)
            _random_row(rs, kind, wbits, n_keep, m_group, block_cols, k, densities, w, stored, perm)
            for j in range(k):
                a[j] = _operand(rs, abits, 0.3)
            for j in range(k, k + pad):         # zero padding past the row
                w[j] = 0
                a[j] = 0
            if pos + _job_room(kind, k, lanes, m_group, block_cols) > cap:
                return -1
            pos, refs[res] = _encode_row(rs, kind, wbits, acc_bits, index_bits, m_group, block_cols,
                                         window_words, sub_bits, k, w, a, stored, nz, pos, typ, ev_w,
                                         ev_idx, ev_acts, ev_sub, ev_last, ev_addr, ev_val)
            res += 1
    starts[outs.shape[0]] = pos
    return pos


@numba.njit(cache=True)
def _rows_kernel(kind, wbits, acc_bits, index_bits, m_group, block_cols, window_words, sub_bits, seed,
                 wmat, amat, lengths, typ, ev_w, ev_idx, ev_acts, ev_sub, ev_last, ev_addr, ev_val, refs):
    # One output per row: row t is wmat[t, :lengths[t]]; block rows store their nonzero blocks.
    # Returns the number of events written, or -1 if the event arrays are too short.
    rs = _seeded_state(seed)
    lanes = ev_w.shape[1]
    pad = max(block_cols, m_group, 1) + lanes
    width = wmat.shape[1]
    w = np.zeros(width + pad, dtype=np.int64)
    a = np.zeros(width + pad, dtype=np.int64)
    stored = np.zeros(width // max(block_cols, 1) + 2, dtype=np.bool_)
    nz = np.zeros(max(window_words, m_group, 1), dtype=np.int64)
    pos = 0
    for t in range(wmat.shape[0]):
        k = lengths[t]
        if pos + _job_room(kind, k, lanes, m_group, block_cols) > typ.shape[0]:
            return -1
        for j in range(k + pad):
            w[j] = wmat[t, j] if j < k else 0
            a[j] = amat[t, j] if j < k else 0
        if kind == 3:
            for b in range((k + block_cols - 1) // block_cols):
                stored[b] = False
                for j in range(b * block_cols, min(k, (b + 1) * block_cols)):
                    if w[j] != 0:
                        stored[b] = True
        pos, refs[t] = _encode_row(rs, kind, wbits, acc_bits, index_bits, m_group, block_cols,
                                   window_words, sub_bits, k, w, a, stored, nz, pos, typ, ev_w,
                                   ev_idx, ev_acts, ev_sub, ev_last, ev_addr, ev_val)
    return pos


def _event_arrays(cfg: PEConfig, cap: int) -> dict:
    lanes, ni, na = cfg.lanes, max(cfg.indices_per_beat, 1), max(cfg.acts_per_beat, 1)
    return dict(typ=np.zeros(cap, np.int64), w=np.zeros((cap, lanes), np.int64),
                idx=np.zeros((cap, ni), np.int64), acts=np.zeros((cap, na), np.int64),
                sub=np.zeros(cap, np.int64), last=np.zeros(cap, np.int64),
                addr=np.zeros(cap, np.int64), val=np.zeros(cap, np.int64))


def _cfg_args(cfg: PEConfig) -> tuple:
    """(kind, wbits, acc_bits, index_bits, m_group, block_cols, window_words, sub_bits) for the kernels."""
    return (_KIND_CODE[cfg.kind], cfg.weight_bits, cfg.accumulator_bits, int(cfg.index_bits or 1),
            int(cfg.m or 0), int(cfg.block_cols or 0), cfg.window_words,
            int(cfg.sub_bits) if cfg.kind == "block" else 1)


def _check_count(name: str, value, lo: int) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not lo <= value < 2 ** 63:
        raise AccelsimInputError(f"invalid {name}: got {value!r}; allowed an integer from {lo} to 2**63 - 1")


def random_pe_events(cfg: PEConfig, trials: int, seed: int = 0, *, max_outputs: int = 4,
                     max_k: int | None = None) -> dict:
    """Seeded random PE trials as flat event arrays (the format of :func:`~accelsim.rtl.fast_pe.encode_jobs`).

    Parameters
    ----------
    cfg : PEConfig
    trials : int
        Trials (each 1..``max_outputs`` outputs), ``>= 0``.
    seed : int
        Seeds the draws (``0 <= seed < 2**63``).
    max_outputs, max_k : int
        As :func:`accelsim.rtl.stimulus.random_pe_trials`.

    Returns
    -------
    dict
        ``typ`` (0 beat, 1 window write), ``w``, ``idx``, ``acts``, ``sub``,
        ``last``, ``addr``, ``val`` per event; ``starts`` (trial ``t``'s events
        are ``starts[t]:starts[t+1]``), ``outs`` (outputs per trial) and
        ``refs`` (expected result of every output).
    """
    for name, v, lo in (("trials", trials, 0), ("max_outputs", max_outputs, 1),
                        ("max_k", 1 if max_k is None else max_k, 1), ("seed", seed, 0)):
        _check_count(name, v, lo)
    max_k = int(max_k or _default_max_k(cfg))
    kind, wbits, acc_bits, ibits, m_group, block_cols, window_words, sub_bits = _cfg_args(cfg)
    mixed = (int(seed) ^ _STIMULUS_STREAM) & 0xFFFFFFFFFFFFFFFF
    # room for the mean output length; the kernel reports overflow and the arrays double
    room = _job_room(kind, (max_k + 1) // 2, cfg.lanes, max(m_group, 1), max(block_cols, 1))
    cap = max(256, int(1.25 * trials * (max_outputs + 1) / 2 * room))
    while True:
        ev = _event_arrays(cfg, cap)
        starts = np.zeros(trials + 1, np.int64)
        outs = np.zeros(trials, np.int64)
        refs = np.zeros(trials * max_outputs, np.int64)
        n = _draw_kernel(kind, wbits, cfg.activation_bits, acc_bits, ibits, int(cfg.n or 0), m_group,
                         block_cols, window_words, sub_bits, int(max_outputs), max_k,
                         np.uint64(mixed), _DENSITIES, ev["typ"], ev["w"], ev["idx"], ev["acts"],
                         ev["sub"], ev["last"], ev["addr"], ev["val"], starts, outs, refs)
        if n >= 0:
            break
        cap *= 2
    out = {name: arr[:n] for name, arr in ev.items()}
    out.update(starts=starts, outs=outs, refs=refs[:int(outs.sum())])
    return out


def rows_events(cfg: PEConfig, rows, seed: int = 0) -> dict:
    """Encode given ``(weight row, activation row)`` pairs as events, one output per trial.

    The encoding is :func:`~accelsim.rtl.stimulus.job_from_row`'s (block rows
    store their nonzero blocks; unused lanes get random indices seeded by
    ``seed``), without a Python object per beat. Rows must already obey the
    PE's sparsity and operand ranges (this is for generated rows, e.g. the
    directed full-width ones; ``job_from_row`` checks user data).
    """
    _check_count("seed", seed, 0)
    rows = [(np.asarray(w, dtype=np.int64), np.asarray(a, dtype=np.int64)) for w, a in rows]
    lengths = np.array([len(w) for w, _ in rows], dtype=np.int64)
    width = int(lengths.max()) if len(rows) else 1
    wmat = np.zeros((len(rows), width), np.int64)
    amat = np.zeros((len(rows), width), np.int64)
    for t, (w, a) in enumerate(rows):
        if len(a) != len(w):
            raise AccelsimInputError(f"row {t}: {len(w)} weights but {len(a)} activations")
        wmat[t, :len(w)], amat[t, :len(a)] = w, a
    args = _cfg_args(cfg)
    cap = int(sum(_job_room(args[0], int(k), cfg.lanes, max(args[4], 1), max(args[5], 1))
                  for k in lengths)) + 1
    ev = _event_arrays(cfg, cap)
    refs = np.zeros(len(rows), np.int64)
    n = _rows_kernel(*args, np.uint64((int(seed) ^ _STIMULUS_STREAM) & 0xFFFFFFFFFFFFFFFF), wmat, amat,
                     lengths, ev["typ"], ev["w"], ev["idx"], ev["acts"], ev["sub"], ev["last"],
                     ev["addr"], ev["val"], refs)
    if n < 0:                                   # pragma: no cover - the capacity is an upper bound
        raise RuntimeError("rows_events: event capacity underestimated")
    out = {name: arr[:n] for name, arr in ev.items()}
    ends = np.flatnonzero((out["typ"] == 0) & (out["last"] == 1)) + 1
    out.update(starts=np.concatenate([[0], ends]).astype(np.int64), outs=np.ones(len(rows), np.int64),
               refs=refs)
    return out


def event_count(ev: dict) -> int:
    """Events (beats and window writes) in an event dict."""
    return int(ev["typ"].shape[0])


def concat_events(*evs: dict) -> dict:
    """Trials of several event dicts one after another (e.g. directed trials, then random ones)."""
    if not evs:
        raise AccelsimInputError("concat_events needs at least one event dict")
    out = {name: np.concatenate([e[name] for e in evs])
           for name in ("typ", "w", "idx", "acts", "sub", "last", "addr", "val", "outs", "refs")}
    starts, base = [np.zeros(1, np.int64)], 0
    for e in evs:
        starts.append(e["starts"][1:] + base)
        base += event_count(e)
    out["starts"] = np.concatenate(starts)
    return out


def pe_verify_events(cfg: PEConfig, trials: int, seed: int = 0, *, full_width: bool = True) -> dict:
    """The PE stimulus of ``verify(..., simulator="verilator")``: directed trials first, then random ones.

    The directed full-width trials are the rows of
    :func:`accelsim.rtl.arrays.stimulus.full_width_pe_trials` (maximum-magnitude
    operands of both signs, reductions crossing ``2**24``), encoded by
    :func:`rows_events`; they count towards ``trials``; the rest come from
    :func:`random_pe_events`.
    """
    from accelsim.rtl.arrays.stimulus import _directed_rows, _long_k

    _check_count("trials", trials, 0)
    directed = _directed_rows(cfg, _long_k(cfg, False))[:trials] if full_width else []
    return concat_events(rows_events(cfg, directed, seed=1),
                         random_pe_events(cfg, trials - len(directed), seed))
