"""Amaranth weight-stationary systolic PE array top (dense, N:M and block cells).

The Python reference is :class:`accelsim.sim.pe_model.WSArrayModel`; both use
the latency ``rows + cols`` (cycles from an input vector's acceptance to its
output vector being valid, inclusive).

Ports (packed vectors: element ``i`` at bits ``[i*width, (i+1)*width)``):

==========  ===  =============================================================
``w_we``    in   write stationary weight row ``w_row``
``w_row``   in   weight row address
``w_data``  in   ``cols`` cells x ``lanes`` weights for that row (cell-major)
``w_idx``   in   N:M only: ``cols`` cells x N indices for that row
``a_valid`` in   an input vector is presented
``a_ready`` out  ``not (o_valid and not o_ready)``
``a_data``  in   ``rows`` payloads (``lanes`` activations, or ``M`` for N:M) per vector
``o_valid`` out  ``o_data`` holds an output vector
``o_ready`` in   the consumer takes ``o_data`` this cycle
``o_data``  out  ``cols`` signed partial sums (``accumulator_bits`` each)
==========  ===  =============================================================
"""

from __future__ import annotations

from amaranth import Cat, Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from accelsim.sim.pe_model import PEConfig, WSArrayModel, array_latency_cycles
from accelsim.rtl.mac import adder_tree, lane_products

__all__ = ["WSArray", "array_signature_members", "array_latency_cycles"]


def _cell_config(cfg: PEConfig) -> PEConfig:
    # validates kind and shape exactly like the model, and gives block cells their dense config
    return WSArrayModel(cfg, 1, 1).cell_config


def array_signature_members(cfg: PEConfig, rows: int, cols: int) -> dict:
    """Signature members of the ``rows x cols`` array for ``cfg``."""
    WSArrayModel(cfg, rows, cols)  # argument checks
    cell = _cell_config(cfg)
    members = {
        "w_we": In(1), "w_row": In(range(max(rows, 2))),
        "w_data": In(cols * cell.lanes * cell.weight_bits),
    }
    if cell.kind == "nm":
        members["w_idx"] = In(cols * cell.lanes * cell.index_bits)
    members.update({
        "a_valid": In(1), "a_ready": Out(1),
        "a_data": In(rows * cell.acts_per_beat * cell.activation_bits),
        "o_valid": Out(1), "o_ready": In(1),
        "o_data": Out(cols * cell.accumulator_bits),
    })
    return members


class WSArray(wiring.Component):
    """Weight-stationary ``rows x cols`` systolic array of sparse MAC cells.

    Cell ``(r, c)`` holds one beat of stationary weights; activations move right,
    partial sums move down, one register per cell; row ``r`` inputs are skewed by
    ``r`` registers and column ``c`` outputs deskewed by ``cols - 1 - c``.
    Latency: ``rows + cols`` cycles (input accepted in cycle ``t`` -> output valid
    in cycle ``t + rows + cols - 1``); a fold of ``V`` vectors after loading
    ``rows`` weight rows lasts ``2*rows + cols + V - 1`` cycles.
    """

    def __init__(self, cfg: PEConfig, rows: int, cols: int):
        try:
            members = array_signature_members(cfg, rows, cols)
        except Exception:
            self._MustUse__silence = True     # not elaborated because it was never built
            raise
        self.cfg, self.rows, self.cols = cfg, rows, cols
        self.cell = _cell_config(cfg)
        super().__init__(members)

    def elaborate(self, platform):
        cell, rows, cols = self.cell, self.rows, self.cols
        wbits = cell.lanes * cell.weight_bits
        ibits = cell.lanes * (cell.index_bits or 0)
        abits = cell.acts_per_beat * cell.activation_bits
        accb = cell.accumulator_bits
        m = Module()

        stall = Signal()
        m.d.comb += [stall.eq(self.o_valid & ~self.o_ready), self.a_ready.eq(~stall)]

        w_reg = [[Signal(wbits, name=f"w_{r}_{c}") for c in range(cols)] for r in range(rows)]
        i_reg = [[Signal(ibits, name=f"idx_{r}_{c}") for c in range(cols)] for r in range(rows)] \
            if ibits else None
        for r in range(rows):
            with m.If(self.w_we & (self.w_row == r)):
                for c in range(cols):
                    m.d.sync += w_reg[r][c].eq(self.w_data.word_select(c, wbits))
                    if ibits:
                        m.d.sync += i_reg[r][c].eq(self.w_idx.word_select(c, ibits))

        act = [[Signal(abits, name=f"a_{r}_{c}") for c in range(cols)] for r in range(rows)]
        psum = [[Signal(signed(accb), name=f"psum_{r}_{c}") for c in range(cols)] for r in range(rows)]
        skew = [[Signal(abits, name=f"skew_{r}_{k}") for k in range(r)] for r in range(rows)]
        deskew = [[Signal(signed(accb), name=f"deskew_{c}_{k}") for k in range(cols - 1 - c)]
                  for c in range(cols)]
        valid = [Signal(name=f"valid_{k}") for k in range(rows + cols - 1)]

        with m.If(~stall):
            for r in range(rows):
                row_in = self.a_data.word_select(r, abits)
                if r:
                    m.d.sync += skew[r][0].eq(row_in)
                    m.d.sync += [skew[r][k].eq(skew[r][k - 1]) for k in range(1, r)]
                left = row_in if r == 0 else skew[r][-1]
                for c in range(cols):
                    a_in = left if c == 0 else act[r][c - 1]
                    prods = lane_products(cell, w_reg[r][c], a_in, i_reg[r][c] if ibits else None)
                    above = 0 if r == 0 else psum[r - 1][c]
                    m.d.sync += [act[r][c].eq(a_in), psum[r][c].eq(above + adder_tree(prods))]
            for c in range(cols):
                chain = deskew[c]
                if chain:
                    m.d.sync += chain[0].eq(psum[rows - 1][c])
                    m.d.sync += [chain[k].eq(chain[k - 1]) for k in range(1, len(chain))]
            m.d.sync += valid[0].eq(self.a_valid)
            m.d.sync += [valid[k].eq(valid[k - 1]) for k in range(1, len(valid))]

        outs = [deskew[c][-1] if deskew[c] else psum[rows - 1][c] for c in range(cols)]
        m.d.comb += [self.o_valid.eq(valid[-1]), self.o_data.eq(Cat(*outs))]
        return m
