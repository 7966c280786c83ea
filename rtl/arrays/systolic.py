"""Amaranth systolic array tops with a stationary operand: weight stationary (WS) and input stationary (IS).

The Python reference is :class:`accelsim.sim.array_model.SystolicArrayModel`
(same structure, same latency: ``rows + cols`` cycles from an input vector's
acceptance to its output vector being valid, inclusive; a fold of ``V``
vectors after ``rows`` load cycles lasts ``2*rows + cols + V - 1`` cycles).

Ports (packed vectors: element ``i`` at bits ``[i*width, (i+1)*width)``):

WS (dense, N:M, block)

==========  ===  =============================================================
``w_we``    in   write stationary weight row ``w_row``
``w_row``   in   weight row address
``w_data``  in   ``cols`` cells x ``lanes`` weights for that row (cell-major)
``w_idx``   in   N:M only: ``cols`` cells x N indices for that row
``w_bidx``  in   block only: block-column index of that row's ``lanes`` positions
``w_boff``  in   block only: their offset within the block column
``a_valid`` in   an input vector is presented
``a_ready`` out  ``not (o_valid and not o_ready)``
``a_data``  in   ``rows`` payloads (``lanes`` activations, or ``M`` for N:M) per vector
``a_addr``  out  block only: ``rows`` addresses, where row ``r``'s ``lanes``
                 activations are read (``bidx * C + boff`` of the row)
``o_valid`` out  ``o_data`` holds an output vector
``o_ready`` in   the consumer takes ``o_data`` this cycle
``o_data``  out  ``cols`` signed partial sums (``accumulator_bits`` each)
==========  ===  =============================================================

IS (dense, N:M; block and unstructured run on dense cells): ``x_we/x_row/x_data``
load a row of stationary activations (``cols`` pixels x payload);
``w_valid/w_ready/w_data(/w_idx)`` stream one weight vector (one output channel:
``rows`` x ``lanes`` weights, N:M: ``rows`` x N weights and indices) per cycle;
``o_data`` holds that channel's ``cols`` pixel results.
"""

from __future__ import annotations

from amaranth import Cat, Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from accelsim.sim.array_model import array_cell_config, block_offset_bits, check_array
from accelsim.sim.pe_model import PEConfig
from accelsim.rtl.mac import adder_tree, lane_products

__all__ = ["SystolicArray", "systolic_signature_members", "addr_bits"]


def addr_bits(cfg: PEConfig) -> int:
    """Width of a block WS row address (the block PE's window address width)."""
    return cfg.window_addr_bits


def systolic_signature_members(cfg: PEConfig, rows: int, cols: int, dataflow: str = "ws") -> dict:
    """Signature members of the ``rows x cols`` WS or IS array for ``cfg``."""
    check_array(cfg, dataflow, rows, cols)
    cell = array_cell_config(cfg, dataflow)
    row_range = range(max(rows, 2))
    if dataflow == "ws":
        members = {"w_we": In(1), "w_row": In(row_range),
                   "w_data": In(cols * cell.lanes * cell.weight_bits)}
        if cell.kind == "nm":
            members["w_idx"] = In(cols * cell.lanes * cell.index_bits)
        if cfg.kind == "block":
            members["w_bidx"] = In(cfg.index_bits)
            members["w_boff"] = In(block_offset_bits(cfg))
        members.update({"a_valid": In(1), "a_ready": Out(1),
                        "a_data": In(rows * cell.acts_per_beat * cell.activation_bits)})
        if cfg.kind == "block":
            members["a_addr"] = Out(rows * addr_bits(cfg))
    else:
        members = {"x_we": In(1), "x_row": In(row_range),
                   "x_data": In(cols * cell.acts_per_beat * cell.activation_bits),
                   "w_valid": In(1), "w_ready": Out(1),
                   "w_data": In(rows * cell.lanes * cell.weight_bits)}
        if cell.kind == "nm":
            members["w_idx"] = In(rows * cell.lanes * cell.index_bits)
    members.update({"o_valid": Out(1), "o_ready": In(1),
                    "o_data": Out(cols * cell.accumulator_bits)})
    return members


class SystolicArray(wiring.Component):
    """``rows x cols`` systolic array; ``dataflow="ws"`` keeps weights, ``"is"`` activations stationary.

    Cell ``(r, c)`` holds one beat of the stationary operand; the streamed
    operand moves right, partial sums move down, one register per cell; row
    ``r`` inputs are skewed by ``r`` registers and column ``c`` outputs deskewed
    by ``cols - 1 - c``. Latency ``rows + cols`` cycles. Block WS arrays are dense
    cells plus one stationary block-column index per row, reported on ``a_addr``.
    """

    def __init__(self, cfg: PEConfig, rows: int, cols: int, dataflow: str = "ws"):
        try:
            members = systolic_signature_members(cfg, rows, cols, dataflow)
        except Exception:
            self._MustUse__silence = True     # not elaborated because it was never built
            raise
        self.cfg, self.rows, self.cols, self.dataflow = cfg, rows, cols, dataflow
        self.cell = array_cell_config(cfg, dataflow)
        super().__init__(members)

    def elaborate(self, platform):
        cell, rows, cols, ws = self.cell, self.rows, self.cols, self.dataflow == "ws"
        wbits = cell.lanes * cell.weight_bits
        ibits = cell.lanes * (cell.index_bits or 0) if cell.kind == "nm" else 0
        abits = cell.acts_per_beat * cell.activation_bits
        accb = cell.accumulator_bits
        m = Module()
        if ws:
            load_we, load_row, load_data = self.w_we, self.w_row, self.w_data
            in_valid, in_ready, stream = self.a_valid, self.a_ready, self.a_data
            sbits, fbits = wbits, abits          # stationary / flowing payload widths
        else:
            load_we, load_row, load_data = self.x_we, self.x_row, self.x_data
            in_valid, in_ready, stream = self.w_valid, self.w_ready, self.w_data
            sbits, fbits = abits, wbits

        stall = Signal()
        m.d.comb += [stall.eq(self.o_valid & ~self.o_ready), in_ready.eq(~stall)]

        st = [[Signal(sbits, name=f"{'w' if ws else 'x'}_{r}_{c}") for c in range(cols)]
              for r in range(rows)]
        st_idx = [[Signal(ibits, name=f"idx_{r}_{c}") for c in range(cols)] for r in range(rows)] \
            if ibits and ws else None
        block = ws and self.cfg.kind == "block"
        bidx = [Signal(self.cfg.index_bits, name=f"bidx_{r}") for r in range(rows)] if block else None
        boff = [Signal(block_offset_bits(self.cfg), name=f"boff_{r}") for r in range(rows)] \
            if block else None
        for r in range(rows):
            with m.If(load_we & (load_row == r)):
                for c in range(cols):
                    m.d.sync += st[r][c].eq(load_data.word_select(c, sbits))
                    if st_idx:
                        m.d.sync += st_idx[r][c].eq(self.w_idx.word_select(c, ibits))
                if bidx:
                    m.d.sync += [bidx[r].eq(self.w_bidx), boff[r].eq(self.w_boff)]
        if bidx:
            cb, ab = self.cfg.block_cols, self.a_addr.shape().width // rows
            addrs = []
            for r in range(rows):
                a = Signal(ab, name=f"addr_{r}")
                m.d.comb += a.eq(bidx[r] * cb + boff[r])
                addrs.append(a)
            m.d.comb += self.a_addr.eq(Cat(*addrs))

        # the flowing payload: activations (WS) or weights + indices (IS)
        fl_bits = fbits + (ibits if not ws else 0)
        flow = [[Signal(fl_bits, name=f"{'a' if ws else 'f'}_{r}_{c}") for c in range(cols)]
                for r in range(rows)]
        psum = [[Signal(signed(accb), name=f"psum_{r}_{c}") for c in range(cols)] for r in range(rows)]
        skew = [[Signal(fl_bits, name=f"skew_{r}_{k}") for k in range(r)] for r in range(rows)]
        deskew = [[Signal(signed(accb), name=f"deskew_{c}_{k}") for k in range(cols - 1 - c)]
                  for c in range(cols)]
        valid = [Signal(name=f"valid_{k}") for k in range(rows + cols - 1)]

        with m.If(~stall):
            for r in range(rows):
                if ws:
                    row_in = stream.word_select(r, fbits)
                else:
                    row_in = stream.word_select(r, fbits)
                    if ibits:
                        row_in = Cat(row_in, self.w_idx.word_select(r, ibits))
                if r:
                    m.d.sync += skew[r][0].eq(row_in)
                    m.d.sync += [skew[r][k].eq(skew[r][k - 1]) for k in range(1, r)]
                left = row_in if r == 0 else skew[r][-1]
                for c in range(cols):
                    x = left if c == 0 else flow[r][c - 1]
                    if ws:
                        prods = lane_products(cell, st[r][c], x, st_idx[r][c] if st_idx else None)
                    else:
                        w = x[:fbits]
                        idx = x[fbits:] if ibits else None
                        prods = lane_products(cell, w, st[r][c], idx)
                    above = 0 if r == 0 else psum[r - 1][c]
                    m.d.sync += [flow[r][c].eq(x), psum[r][c].eq(above + adder_tree(prods))]
            for c in range(cols):
                chain = deskew[c]
                if chain:
                    m.d.sync += chain[0].eq(psum[rows - 1][c])
                    m.d.sync += [chain[k].eq(chain[k - 1]) for k in range(1, len(chain))]
            m.d.sync += valid[0].eq(in_valid)
            m.d.sync += [valid[k].eq(valid[k - 1]) for k in range(1, len(valid))]

        outs = [deskew[c][-1] if deskew[c] else psum[rows - 1][c] for c in range(cols)]
        m.d.comb += [self.o_valid.eq(valid[-1]), self.o_data.eq(Cat(*outs))]
        return m
