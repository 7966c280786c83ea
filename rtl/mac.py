"""Amaranth sparse PE components (dense, N:M, unstructured, block) with a valid/ready stream.

Every PE has the same pipeline and handshake; only the lane products differ.
The bit-true Python reference is :class:`accelsim.sim.pe_model.PEModel`, with
the same latency formula.

Ports (from each component's signature; packed vectors put lane ``i`` at bits
``[i*width, (i+1)*width)``):

=============  ===  ==========================================================
``in_valid``   in   a beat is presented
``in_ready``   out  the PE takes the beat this cycle (``not (out_valid and not out_ready)``)
``in_last``    in   last beat of the current output's reduction
``in_w``       in   ``lanes`` signed weights (``weight_bits`` each)
``in_a``       in   dense: ``lanes`` activations; N:M: the group's ``M`` activations
``in_idx``     in   N:M: N lane indices; unstructured: ``lanes`` window addresses;
                    block: the block-column index (``index_bits`` each)
``in_sub``     in   block: segment of the block row (``ceil(C/lanes)`` segments)
``act_we``     in   unstructured/block: write ``act_data`` to window word ``act_addr``
``out_valid``  out  ``out_data`` holds a finished output
``out_ready``  in   the consumer takes ``out_data`` this cycle
``out_data``   out  signed accumulator (``accumulator_bits``, two's-complement wrap)
=============  ===  ==========================================================

Latency (all modes): ``pe_cycles = max(beats, 1) + PIPELINE_DEPTH`` with
``PIPELINE_DEPTH = 2`` -- the result of an output whose first beat is accepted
in cycle ``c0`` is valid in cycle ``c0 + max(beats, 1) + 1`` when no bubbles or
stalls occur; each bubble or stall cycle adds one.
"""

from __future__ import annotations

from amaranth import Module, Mux, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from accelsim.sim.pe_model import PIPELINE_DEPTH, PEConfig

__all__ = ["DensePE", "NMPE", "UnstructuredPE", "BlockPE", "make_pe", "pe_signature_members",
           "lane_products", "adder_tree", "PIPELINE_DEPTH"]


def pe_signature_members(cfg: PEConfig) -> dict:
    """Signature members (name -> In/Out) of the PE for ``cfg``; also used for the manifest."""
    wb, ab = cfg.weight_bits, cfg.activation_bits
    members = {
        "in_valid": In(1), "in_ready": Out(1), "in_last": In(1),
        "in_w": In(cfg.lanes * wb),
    }
    if cfg.acts_per_beat:
        members["in_a"] = In(cfg.acts_per_beat * ab)
    if cfg.indices_per_beat:
        members["in_idx"] = In(cfg.indices_per_beat * cfg.index_bits)
    if cfg.kind == "block":
        members["in_sub"] = In(cfg.sub_bits)
    if cfg.window_words:
        members["act_we"] = In(1)
        members["act_addr"] = In(cfg.window_addr_bits)
        members["act_data"] = In(signed(ab))
    members.update({"out_valid": Out(1), "out_ready": In(1),
                    "out_data": Out(signed(cfg.accumulator_bits))})
    return members


def adder_tree(values):
    """Balanced sum of Amaranth values (widths grow, nothing is truncated)."""
    values = list(values)
    if not values:
        return 0
    while len(values) > 1:
        nxt = [values[i] + values[i + 1] for i in range(0, len(values) - 1, 2)]
        if len(values) % 2:
            nxt.append(values[-1])
        values = nxt
    return values[0]


def lane_products(cfg: PEConfig, w, a, idx=None) -> list:
    """Exact signed lane products of a dense or N:M beat (shared by the PE and the array cell).

    ``w``, ``a`` and ``idx`` are packed vectors. N:M lanes pick their activation
    with an M:1 multiplexer built from ``word_select`` (an index ``>= M`` selects 0).
    """
    wb, ab = cfg.weight_bits, cfg.activation_bits
    prods = []
    for j in range(cfg.lanes):
        wj = w.word_select(j, wb).as_signed()
        if cfg.kind == "nm":
            aj = a.word_select(idx.word_select(j, cfg.index_bits), ab).as_signed()
        else:
            aj = a.word_select(j, ab).as_signed()
        prods.append(wj * aj)
    return prods


class _StreamPE(wiring.Component):
    """Pipeline shared by all PEs: product registers, accumulator, result register."""

    def __init__(self, cfg: PEConfig):
        self.cfg = cfg
        super().__init__(pe_signature_members(cfg))

    def _products(self, m: Module) -> list:  # pragma: no cover - overridden
        raise NotImplementedError

    def elaborate(self, platform):
        cfg = self.cfg
        m = Module()
        prods = self._products(m)

        stall = Signal()
        m.d.comb += [stall.eq(self.out_valid & ~self.out_ready), self.in_ready.eq(~stall)]

        p_regs = [Signal(signed(cfg.product_bits), name=f"prod{j}") for j in range(len(prods))]
        p_valid = Signal()
        p_last = Signal()
        clear = Signal(init=1)
        acc = Signal(signed(cfg.accumulator_bits))
        acc_next = Signal(signed(cfg.accumulator_bits))
        # assignment to the accumulator width is the two's-complement wrap
        m.d.comb += acc_next.eq(Mux(clear, 0, acc) + adder_tree(p_regs))

        with m.If(~stall):
            m.d.sync += [p_valid.eq(self.in_valid), self.out_valid.eq(p_valid & p_last)]
            with m.If(self.in_valid):
                m.d.sync += [r.eq(p) for r, p in zip(p_regs, prods)]
                m.d.sync += p_last.eq(self.in_last)
            with m.If(p_valid):
                m.d.sync += [acc.eq(acc_next), clear.eq(p_last)]
                with m.If(p_last):
                    m.d.sync += self.out_data.eq(acc_next)
        return m

    def _window(self, m: Module):
        """Activation window memory with its write port; returns the Memory."""
        cfg = self.cfg
        m.submodules.window = mem = Memory(shape=signed(cfg.activation_bits),
                                           depth=cfg.window_words, init=[])
        wp = mem.write_port()
        m.d.comb += [wp.en.eq(self.act_we), wp.addr.eq(self.act_addr), wp.data.eq(self.act_data)]
        return mem


class DensePE(_StreamPE):
    """Dense PE: ``lanes`` multipliers, each beat ``lanes`` weights and activations.

    Latency: ``ceil(K/lanes) + PIPELINE_DEPTH`` cycles from first beat to valid result.
    """

    def _products(self, m):
        return lane_products(self.cfg, self.in_w, self.in_a)


class NMPE(_StreamPE):
    """N:M PE: N multipliers, each fed by an M:1 activation multiplexer selected by its index.

    Latency: ``max(ceil(K/M), 1) + PIPELINE_DEPTH`` cycles from first beat to valid result.
    """

    def _products(self, m):
        return lane_products(self.cfg, self.in_w, self.in_a, self.in_idx)


class UnstructuredPE(_StreamPE):
    """Zero-skipping PE: value + index stream; lane ``j`` multiplies ``w[j]`` by ``window[idx[j]]``.

    Latency: ``max(ceil(nnz/lanes), 1) + PIPELINE_DEPTH`` cycles from first beat to
    valid result (per window segment the beats are ``ceil(nnz_segment/lanes)``).
    """

    def _products(self, m):
        cfg = self.cfg
        mem = self._window(m)
        prods = []
        for j in range(cfg.lanes):
            rp = mem.read_port(domain="comb")
            m.d.comb += rp.addr.eq(self.in_idx.word_select(j, cfg.index_bits))
            prods.append(self.in_w.word_select(j, cfg.weight_bits).as_signed() * rp.data)
        return prods


class BlockPE(_StreamPE):
    """Block-sparse (BSR) PE: each nonzero ``R x C`` block row segment takes ``ceil(C/lanes)`` beats.

    Lane ``j`` multiplies ``w[j]`` by ``window[idx*C + sub*lanes + j]`` when
    ``sub*lanes + j < C`` (else by 0). Latency:
    ``max(nonzero_blocks * ceil(C/lanes), 1) + PIPELINE_DEPTH`` cycles.
    """

    def _products(self, m):
        cfg = self.cfg
        c = cfg.block_cols
        mem = self._window(m)
        prods = []
        for j in range(cfg.lanes):
            rp = mem.read_port(domain="comb")
            offset = Signal(range((1 << cfg.sub_bits) * cfg.lanes), name=f"off{j}")
            m.d.comb += offset.eq(self.in_sub * cfg.lanes + j)
            lane_ok = Signal(name=f"lane_ok{j}")
            m.d.comb += lane_ok.eq(offset < c)
            m.d.comb += rp.addr.eq(Mux(lane_ok, self.in_idx * c + offset, 0))
            product = self.in_w.word_select(j, cfg.weight_bits).as_signed() * rp.data
            prods.append(Mux(lane_ok, product, 0))
        return prods


_CLASSES = {"dense": DensePE, "nm": NMPE, "unstructured": UnstructuredPE, "block": BlockPE}


def make_pe(cfg: PEConfig) -> _StreamPE:
    """The PE component for ``cfg.kind``."""
    return _CLASSES[cfg.kind](cfg)

