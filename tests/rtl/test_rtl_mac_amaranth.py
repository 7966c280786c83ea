"""Each PE component against the Python PE model, cycle by cycle, in the Amaranth simulator."""

import pytest
from amaranth import Cat, Module

from accelsim.sim.pe_model import PEConfig
from accelsim.spec import arch_from_dict
from accelsim.rtl.amaranth_sim import run_trace_amaranth
from accelsim.rtl.mac import NMPE, DensePE, lane_products, make_pe
from accelsim.rtl.stimulus import random_pe_trials
from accelsim.rtl.trace import pe_trace
from accelsim.rtl.verify import compare_trace, verify

CONFIGS = [
    PEConfig("dense", lanes=1),
    PEConfig("dense", lanes=4, accumulator_bits=18),                 # wraps often
    PEConfig("dense", lanes=2, weight_bits=4, activation_bits=6, accumulator_bits=10),
    PEConfig("nm", lanes=2, n=2, m=4, index_bits=2),
    PEConfig("nm", lanes=1, n=1, m=2, index_bits=1),
    PEConfig("nm", lanes=3, n=3, m=8, index_bits=4),                 # index >= M selects 0
    PEConfig("nm", lanes=4, n=4, m=16, index_bits=4),
    PEConfig("unstructured", lanes=1, index_bits=4),                 # several window segments
    PEConfig("unstructured", lanes=3, index_bits=3),
    PEConfig("block", lanes=2, index_bits=2, block_rows=2, block_cols=3),   # C not a multiple of lanes
    PEConfig("block", lanes=4, index_bits=1, block_rows=4, block_cols=4),
    PEConfig("block", lanes=1, index_bits=2, block_rows=1, block_cols=2, accumulator_bits=16),
]


def _id(c):
    return f"{c.kind}-l{c.lanes}-w{c.weight_bits}a{c.activation_bits}acc{c.accumulator_bits}"


@pytest.mark.parametrize("cfg", CONFIGS, ids=_id)
def test_pe_matches_model_cycle_by_cycle(cfg):
    trials = random_pe_trials(cfg, 30, seed=21)
    trace = pe_trace(cfg, trials, seed=22)
    observed, _ = run_trace_amaranth(make_pe(cfg), trace)
    failed, first = compare_trace(trace, observed)
    assert first is None, str(first)
    assert not failed and len(observed) == trace.cycles


@pytest.mark.parametrize("kind", ["dense", "nm", "unstructured", "block"])
def test_verify_api_on_bundled_archs(archs, kind):
    result = verify(archs[kind], trials=12, seed=3, simulator="amaranth")
    assert result.ok and result.passed == 12 and result.first_mismatch is None
    assert result.kind == "pe" and result.cycles > 12


class _SharedIndexNM(NMPE):
    """Deliberately wrong: every lane uses lane 0's index."""

    def _products(self, m):
        ib = self.cfg.index_bits
        same = Cat(*([self.in_idx[:ib]] * self.cfg.lanes))
        return lane_products(self.cfg, self.in_w, self.in_a, same)


def test_broken_component_is_caught():
    cfg = PEConfig("nm", lanes=2, n=2, m=4, index_bits=2)
    trace = pe_trace(cfg, random_pe_trials(cfg, 10, seed=5), seed=6)
    observed, _ = run_trace_amaranth(_SharedIndexNM(cfg), trace)
    failed, first = compare_trace(trace, observed)
    assert failed and first is not None
    assert first.signal == "out_data" and first.expected != first.got


def test_wrong_latency_is_caught():
    """A PE with one extra output register stage: values right, cycles wrong."""
    cfg = PEConfig("dense", lanes=1)

    class Slow(DensePE):
        def elaborate(self, platform):
            inner = DensePE(cfg)
            m = Module()
            m.submodules.inner = inner
            stall = self.out_valid & ~self.out_ready
            m.d.comb += [inner.in_valid.eq(self.in_valid), inner.in_last.eq(self.in_last),
                         inner.in_w.eq(self.in_w), inner.in_a.eq(self.in_a),
                         inner.out_ready.eq(~stall), self.in_ready.eq(inner.in_ready & ~stall)]
            with m.If(~stall):
                m.d.sync += [self.out_valid.eq(inner.out_valid), self.out_data.eq(inner.out_data)]
            return m

    trace = pe_trace(cfg, random_pe_trials(cfg, 6, seed=7), seed=8)
    observed, _ = run_trace_amaranth(Slow(cfg), trace)
    failed, first = compare_trace(trace, observed)
    assert first is not None and first.signal == "out_valid"


def test_small_accumulator_arch_from_yaml_fields():
    arch = arch_from_dict({
        "name": "tiny", "array": {"rows": 2, "cols": 2}, "dataflow": "ws",
        "precision": {"weight_bits": 4, "activation_bits": 4, "accumulator_bits": 8},
        "pe": {"sparsity": "nm", "n": 1, "m": 4}, "buffers": {"weight_kib": 1, "input_kib": 1,
                                                              "output_kib": 1},
        "dram": {"bandwidth_bytes_per_cycle": 4}})
    assert verify(arch, trials=20, seed=9).ok
    assert verify(arch, trials=10, seed=9, top="array").ok
