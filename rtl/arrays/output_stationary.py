"""Amaranth output-stationary (OS) array top for dense, N:M, unstructured and block PEs.

The Python reference is :class:`accelsim.sim.array_model.OSArrayModel`: cell
``(r, c)`` accumulates output (pixel ``r``, channel ``c``); every cell advances on
the same accepted beat (one registered stage); a ``last`` beat moves the
``rows x cols`` results into result registers, which drain one row per cycle
(row 0 first) while the next tile accumulates. Latency: a tile of ``T`` beats
accepted from cycle ``t0`` (no bubbles, no back-pressure) gives result row ``r``
in cycle ``t0 + T + r``, i.e. ``T + rows`` cycles from the first beat to the last
row, inclusive.

Ports (packed vectors: element ``i`` at bits ``[i*width, (i+1)*width)``):

============  ===  ============================================================
``in_valid``  in   a beat is presented
``in_ready``  out  ``not (in_last and busy)``, busy = more than the row being
                   taken this cycle left to drain
``in_last``   in   last beat of the tile's reduction
``a_data``    in   dense / N:M: ``rows`` payloads (``lanes`` or ``M`` activations)
``w_data``    in   ``cols`` columns x ``lanes`` weights (column-major)
``w_idx``     in   N:M: ``cols`` x N indices; unstructured: ``cols`` x ``lanes``
                   window addresses; block: ``cols`` block-column indices
``w_sub``     in   block: ``cols`` segment numbers
``act_we``    in   unstructured / block: write word ``act_addr`` of every row's window
``act_addr``  in   window address (shared by the rows)
``act_data``  in   ``rows`` activations, one per row's window
``o_valid``   out  ``o_data`` holds a result row
``o_ready``   in   the consumer takes ``o_data`` this cycle
``o_data``    out  ``cols`` signed results (``accumulator_bits`` each) of one array row
============  ===  ============================================================
"""

from __future__ import annotations

from amaranth import Cat, Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from accelsim.sim.array_model import check_array
from accelsim.sim.pe_model import PEConfig
from accelsim.rtl.mac import adder_tree, lane_products

__all__ = ["OSArray", "os_signature_members"]


def os_signature_members(cfg: PEConfig, rows: int, cols: int) -> dict:
    """Signature members of the ``rows x cols`` OS array for ``cfg``."""
    check_array(cfg, "os", rows, cols)
    members = {"in_valid": In(1), "in_ready": Out(1), "in_last": In(1)}
    if cfg.acts_per_beat:
        members["a_data"] = In(rows * cfg.acts_per_beat * cfg.activation_bits)
    members["w_data"] = In(cols * cfg.lanes * cfg.weight_bits)
    if cfg.indices_per_beat:
        members["w_idx"] = In(cols * cfg.indices_per_beat * cfg.index_bits)
    if cfg.kind == "block":
        members["w_sub"] = In(cols * cfg.sub_bits)
    if cfg.window_words:
        members["act_we"] = In(1)
        members["act_addr"] = In(cfg.window_addr_bits)
        members["act_data"] = In(rows * cfg.activation_bits)
    members.update({"o_valid": Out(1), "o_ready": In(1),
                    "o_data": Out(cols * cfg.accumulator_bits)})
    return members


class OSArray(wiring.Component):
    """Output-stationary ``rows x cols`` array (see the module docstring for timing and ports)."""

    def __init__(self, cfg: PEConfig, rows: int, cols: int):
        try:
            members = os_signature_members(cfg, rows, cols)
        except Exception:
            self._MustUse__silence = True     # not elaborated because it was never built
            raise
        self.cfg, self.rows, self.cols = cfg, rows, cols
        super().__init__(members)

    def _window_products(self, m, mems, r, w, idx, sub) -> list:
        """Lane products of a cell reading row ``r``'s window (unstructured / block)."""
        cfg = self.cfg
        prods = []
        for j in range(cfg.lanes):
            rp = mems[r].read_port(domain="comb")
            wj = w.word_select(j, cfg.weight_bits).as_signed()
            if cfg.kind == "unstructured":
                m.d.comb += rp.addr.eq(idx.word_select(j, cfg.index_bits))
                prods.append(wj * rp.data)
                continue
            c = cfg.block_cols
            offset = sub * cfg.lanes + j
            lane_ok = offset < c
            m.d.comb += rp.addr.eq(Mux(lane_ok, idx * c + offset, 0))
            prods.append(Mux(lane_ok, wj * rp.data, 0))
        return prods

    def elaborate(self, platform):
        cfg, rows, cols = self.cfg, self.rows, self.cols
        accb = cfg.accumulator_bits
        m = Module()

        left = Signal(range(rows + 1))
        take = Signal()
        busy = Signal()
        accept = Signal()
        m.d.comb += [
            self.o_valid.eq(left != 0),
            take.eq(self.o_valid & self.o_ready),
            busy.eq((left > 1) | ((left == 1) & ~self.o_ready)),
            self.in_ready.eq(~(self.in_last & busy)),
            accept.eq(self.in_valid & self.in_ready),
        ]

        mems = None
        if cfg.window_words:
            mems = []
            for r in range(rows):
                mem = Memory(shape=signed(cfg.activation_bits), depth=cfg.window_words, init=[])
                m.submodules[f"window_{r}"] = mem
                wp = mem.write_port()
                m.d.comb += [wp.en.eq(self.act_we), wp.addr.eq(self.act_addr),
                             wp.data.eq(self.act_data.word_select(r, cfg.activation_bits))]
                mems.append(mem)

        wbits = cfg.lanes * cfg.weight_bits
        ibits = cfg.indices_per_beat * (cfg.index_bits or 0)
        abits = cfg.acts_per_beat * cfg.activation_bits
        clear = Signal(init=1)
        acc = [[Signal(signed(accb), name=f"acc_{r}_{c}") for c in range(cols)] for r in range(rows)]
        res = [[Signal(signed(accb), name=f"res_{r}_{c}") for c in range(cols)] for r in range(rows)]
        nxt = [[Signal(signed(accb), name=f"acc_next_{r}_{c}") for c in range(cols)]
               for r in range(rows)]
        for r in range(rows):
            a_row = self.a_data.word_select(r, abits) if abits else None
            for c in range(cols):
                w = self.w_data.word_select(c, wbits)
                idx = self.w_idx.word_select(c, ibits) if ibits else None
                if cfg.kind in ("dense", "nm"):
                    prods = lane_products(cfg, w, a_row, idx)
                else:
                    sub = self.w_sub.word_select(c, cfg.sub_bits) if cfg.kind == "block" else None
                    prods = self._window_products(m, mems, r, w, idx, sub)
                # assignment to the accumulator width is the two's-complement wrap
                m.d.comb += nxt[r][c].eq(Mux(clear, 0, acc[r][c]) + adder_tree(prods))

        with m.If(take):
            m.d.sync += left.eq(left - 1)
            for r in range(rows):
                for c in range(cols):
                    m.d.sync += res[r][c].eq(res[r + 1][c] if r + 1 < rows else 0)
        with m.If(accept):
            m.d.sync += clear.eq(self.in_last)
            for r in range(rows):
                for c in range(cols):
                    m.d.sync += acc[r][c].eq(nxt[r][c])
            with m.If(self.in_last):
                m.d.sync += left.eq(rows)
                for r in range(rows):
                    for c in range(cols):
                        m.d.sync += res[r][c].eq(nxt[r][c])
        m.d.comb += self.o_data.eq(Cat(*res[0]))
        return m
