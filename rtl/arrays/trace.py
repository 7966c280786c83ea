"""Cycle traces of the OS, IS and block WS arrays: drive their models, record ports and expected outputs.

Same conventions as :mod:`accelsim.rtl.trace` (whose ``array_trace`` drives
the dense/N:M WS array): the driver obeys valid/ready, inserts seeded bubbles
and back-pressure (:data:`~accelsim.rtl.trace.DEFAULT_PATTERNS`), puts random
garbage on every data input not in use, and waits for all results of a trial
before the next. Block WS vectors are fetched by the driver at the addresses
the array reports on ``a_addr`` (compared every cycle).
"""

from __future__ import annotations

import random

from accelsim.errors import AccelsimInputError
from accelsim.sim.array_model import OSArrayModel, OSInputs, SystolicArrayModel, SystolicInputs
from accelsim.sim.pe_model import PEConfig, pack_lanes
from accelsim.rtl.arrays.stimulus import OSBeat, OSTile, RowWrite, SysFold
from accelsim.rtl.trace import DEFAULT_PATTERNS, Trace, _width

__all__ = ["os_trace", "systolic_trace", "array_trace_for"]


def _ports(cfg, dataflow, rows, cols):
    from accelsim.rtl.arrays import array_signature_members
    members = array_signature_members(cfg, dataflow, rows, cols)
    widths = {n: _width(mem) for n, mem in members.items()}
    ins = tuple(n for n, mem in members.items() if mem.flow.name == "In")
    outs = tuple(n for n, mem in members.items() if mem.flow.name == "Out")
    return ins, outs, widths


def os_trace(cfg: PEConfig, rows: int, cols: int, trials: list[list[OSTile]], seed: int = 0,
             patterns=DEFAULT_PATTERNS, max_cycles_per_trial: int = 5_000_000) -> Trace:
    """Run OS trials (lists of tiles) through :class:`OSArrayModel` and record the trace."""
    rng = random.Random(seed)
    ins, outs, widths = _ports(cfg, "os", rows, cols)
    model = OSArrayModel(cfg, rows, cols)
    wb, ab, ib, accb = cfg.weight_bits, cfg.activation_bits, cfg.index_bits or 1, cfg.accumulator_bits
    acc_mask = (1 << accb) - 1
    inputs, expected, starts = [], [], []
    model_results, ref_results, firsts, dones = [], [], [], []
    for t, tiles in enumerate(trials):
        pat = patterns[t % len(patterns)]
        starts.append(len(inputs))
        events = [e for tile in tiles for e in tile.events]
        owner = [i for i, tile in enumerate(tiles) for e in tile.events if isinstance(e, OSBeat)]
        want = rows * len(tiles)
        pos, beat_no, presenting = 0, 0, False
        got, first, done = [], [None] * len(tiles), [None] * len(tiles)
        limit = len(inputs) + max_cycles_per_trial
        while len(got) < want:
            cycle = len(inputs)
            if cycle > limit:
                raise RuntimeError("OS array trace did not finish (model deadlock)")
            v = {n: rng.getrandbits(widths[n]) for n in ins}
            v["in_valid"] = 0
            if "act_we" in v:
                v["act_we"] = 0
            out_ready = rng.random() >= pat.stall
            v["o_ready"] = int(out_ready)
            write, beat = None, None
            if pos < len(events):
                ev = events[pos]
                if isinstance(ev, RowWrite):
                    write = (ev.addr, ev.values)
                    v.update(act_we=1, act_addr=ev.addr, act_data=pack_lanes(ev.values, ab))
                    pos += 1
                elif presenting or rng.random() >= pat.bubble:
                    presenting, beat = True, ev
                    v.update(in_valid=1, in_last=int(ev.last),
                             w_data=pack_lanes([x for w, _, _ in ev.columns for x in w], wb))
                    if "a_data" in v:
                        v["a_data"] = pack_lanes([x for a in ev.acts for x in a], ab)
                    if "w_idx" in v:
                        v["w_idx"] = pack_lanes([x for _, i, _ in ev.columns for x in i], ib)
                    if "w_sub" in v:
                        v["w_sub"] = pack_lanes([s for _, _, s in ev.columns], cfg.sub_bits)
            o = model.step(OSInputs(valid=beat is not None, last=bool(v["in_last"]),
                                    acts=beat.acts if beat else None,
                                    columns=beat.columns if beat else None, o_ready=out_ready,
                                    act_write=write))
            if beat is not None and o.in_ready:
                k = owner[beat_no]
                if first[k] is None:
                    first[k] = cycle
                pos, beat_no, presenting = pos + 1, beat_no + 1, False
            if o.o_valid and out_ready:
                got.append(o.o_data)
                if len(got) % rows == 0:
                    done[len(got) // rows - 1] = cycle
            inputs.append(tuple(v[n] for n in ins))
            e = {"in_ready": int(o.in_ready), "o_valid": int(o.o_valid),
                 "o_data": pack_lanes([x & acc_mask for x in o.o_data], accb)}
            expected.append(tuple(e[n] for n in outs))
        model_results.append(tuple(got))
        ref_results.append(tuple(row for tile in tiles for row in tile.expected))
        firsts.append(tuple(first))
        dones.append(tuple(done))
    return Trace("array", ins, outs, widths, tuple(inputs), tuple(expected), {"o_data": "o_valid"},
                 tuple(starts), tuple(model_results), tuple(ref_results), tuple(firsts), tuple(dones))


def systolic_trace(cfg: PEConfig, dataflow: str, rows: int, cols: int, folds: list[SysFold],
                   seed: int = 0, patterns=DEFAULT_PATTERNS,
                   max_cycles_per_trial: int = 1_000_000) -> Trace:
    """Run IS or block WS folds through :class:`SystolicArrayModel` and record the trace."""
    rng = random.Random(seed)
    ins, outs, widths = _ports(cfg, dataflow, rows, cols)
    model = SystolicArrayModel(cfg, rows, cols, dataflow)
    cell = model.cell_config
    wb, ab, ib, accb = cell.weight_bits, cell.activation_bits, cell.index_bits or 1, cell.accumulator_bits
    acc_mask = (1 << accb) - 1
    ws = dataflow == "ws"
    valid_port = "a_valid" if ws else "w_valid"
    we, row_port, data_port = ("w_we", "w_row", "w_data") if ws else ("x_we", "x_row", "x_data")
    addr_bits = widths["a_addr"] // rows if "a_addr" in widths else 0
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
            v = {n: rng.getrandbits(widths[n]) for n in ins}
            v.update({we: 0, valid_port: 0})
            out_ready = rng.random() >= pat.stall
            v["o_ready"] = int(out_ready)
            load, stream = None, None
            if row < rows:
                cells = fold.stationary[row]
                load = (row, cells, fold.bidx[row])
                v.update({we: 1, row_port: row})
                if ws:
                    v[data_port] = pack_lanes([x for w, _ in cells for x in w], wb)
                    if "w_bidx" in v:
                        v["w_bidx"], v["w_boff"] = fold.bidx[row]
                else:
                    v[data_port] = pack_lanes([x for a in cells for x in a], ab)
                row += 1
            elif vec < len(fold.vectors) and (presenting or rng.random() >= pat.bubble):
                presenting = True
                if ws:        # block WS: read each row's lanes at the address the array reports
                    seg = fold.vectors[vec]
                    stream = tuple(tuple(seg[a + j] for j in range(cell.lanes)) for a in model.a_addr())
                    v["a_data"] = pack_lanes([x for a in stream for x in a], ab)
                else:
                    stream = fold.vectors[vec]
                    v["w_data"] = pack_lanes([x for w, _ in stream for x in w], wb)
                    if "w_idx" in v:
                        v["w_idx"] = pack_lanes([x for _, i in stream for x in i], ib)
                v[valid_port] = 1
            o = model.step(SystolicInputs(valid=stream is not None, stream=stream, o_ready=out_ready,
                                          load=load))
            if stream is not None and o.ready:
                first.append(cycle)
                vec, presenting = vec + 1, False
            if o.o_valid:
                if len(done) == len(got):
                    done.append(cycle)
                if out_ready:
                    got.append(o.o_data)
            inputs.append(tuple(v[n] for n in ins))
            e = {"a_ready": int(o.ready), "w_ready": int(o.ready), "o_valid": int(o.o_valid),
                 "o_data": pack_lanes([x & acc_mask for x in o.o_data], accb)}
            if addr_bits:
                e["a_addr"] = pack_lanes(o.a_addr, addr_bits)
            expected.append(tuple(e[n] for n in outs))
        model_results.append(tuple(got))
        ref_results.append(fold.expected)
        firsts.append(tuple(first))
        dones.append(tuple(done))
    return Trace("array", ins, outs, widths, tuple(inputs), tuple(expected), {"o_data": "o_valid"},
                 tuple(starts), tuple(model_results), tuple(ref_results), tuple(firsts), tuple(dones))


def array_trace_for(cfg: PEConfig, dataflow: str, rows: int, cols: int, stim, seed: int = 0) -> Trace:
    """The trace of any array top: OS tiles, IS / block WS folds, or dense/N:M WS folds."""
    expect = OSTile if dataflow == "os" else (SysFold if dataflow == "is" or cfg.kind == "block" else None)
    for trial in stim:
        first = trial[0] if dataflow == "os" and isinstance(trial, (list, tuple)) and trial else trial
        if expect is not None and not isinstance(first, expect):
            where = ("random_os_trials / os_tile_from_matrix" if dataflow == "os" else
                     "block_ws_folds" if dataflow == "ws" else "random_sys_trials / sys_fold_from_matrix")
            raise AccelsimInputError(
                f"stimulus of type {type(first).__name__} does not drive the {dataflow.upper()} "
                f"{cfg.kind} array", hint=f"build it with accelsim.rtl.arrays.stimulus.{where}")
    if dataflow == "os":
        return os_trace(cfg, rows, cols, stim, seed)
    if dataflow == "is" or cfg.kind == "block":
        return systolic_trace(cfg, dataflow, rows, cols, stim, seed)
    from accelsim.rtl.trace import array_trace
    return array_trace(cfg, rows, cols, stim, seed)
