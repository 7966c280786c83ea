"""The fast OS array reference (rtl.fast_os) against the cycle-by-cycle OSArrayModel (the specification).

The fast trace's inputs are decoded from the packed port words and replayed
through OSArrayModel; every output of every cycle must agree.
"""

import numpy as np
import pytest

from accelsim.rtl.fast_array import unpack_words
from accelsim.rtl.fast_os import os_programs, os_tiles_trace
from accelsim.sim.array_model import OSArrayModel, OSInputs
from accelsim.sim.pe_model import PEConfig

CFGS = {"dense": PEConfig(kind="dense", lanes=2),
        "nm": PEConfig(kind="nm", lanes=2, n=2, m=4, index_bits=2),
        "unstructured": PEConfig(kind="unstructured", lanes=2, index_bits=3),
        "block": PEConfig(kind="block", lanes=3, index_bits=2, block_rows=2, block_cols=4)}


def _value(row) -> int:
    return sum(int(w) << (32 * i) for i, w in enumerate(row))


def _lanes(words, bits, count, signed=True):
    v = unpack_words(words, bits, count)
    return v if signed else v & ((1 << bits) - 1)


def _replay(cfg, rows, cols, tr) -> list:
    """Cycles where OSArrayModel, fed the fast trace's inputs, disagrees with its expected outputs."""
    model, ins, L = OSArrayModel(cfg, rows, cols), tr.inputs, cfg.lanes
    ni, per = cfg.indices_per_beat, cfg.acts_per_beat
    wd = _lanes(ins["w_data"], cfg.weight_bits, cols * L)
    wi = _lanes(ins["w_idx"], cfg.index_bits, cols * ni, False) if ni else None
    ws = _lanes(ins["w_sub"], cfg.sub_bits, cols, False) if "w_sub" in ins else None
    ad = _lanes(ins["a_data"], cfg.activation_bits, rows * per) if per else None
    xd = _lanes(ins["act_data"], cfg.activation_bits, rows) if "act_data" in ins else None
    od = _lanes(tr.expected["o_data"], cfg.accumulator_bits, cols)
    bad = []
    for c in range(tr.cycles):
        columns = tuple((tuple(int(x) for x in wd[c, j * L:(j + 1) * L]),
                         tuple(int(x) for x in wi[c, j * ni:(j + 1) * ni]) if ni else (),
                         int(ws[c, j]) if ws is not None else 0) for j in range(cols))
        acts = tuple(tuple(int(x) for x in ad[c, r * per:(r + 1) * per]) for r in range(rows)) \
            if per else None
        write = (int(ins["act_addr"][c, 0]), tuple(int(x) for x in xd[c])) \
            if xd is not None and ins["act_we"][c, 0] else None
        o = model.step(OSInputs(bool(ins["in_valid"][c, 0]), bool(ins["in_last"][c, 0]), acts, columns,
                                bool(ins["o_ready"][c, 0]), write))
        ok = (int(o.in_ready), int(o.o_valid)) == (tr.expected["in_ready"][c, 0],
                                                   tr.expected["o_valid"][c, 0])
        if not ok or (o.o_valid and tuple(o.o_data) != tuple(int(x) for x in od[c])):
            bad.append(c)
    return bad


def _layer(cfg, rows, cols, seed, n=7, k=19, v=9):
    rng = np.random.default_rng(seed)
    w = rng.integers(-128, 128, size=(n, k))
    if cfg.kind == "nm":
        for g in range(0, k, cfg.m):          # keep at most N of every M
            drop = rng.permuted(np.tile(np.arange(min(cfg.m, k - g)) >= cfg.n, (n, 1)), axis=1)
            w[:, g:g + cfg.m][drop] = 0
    elif cfg.kind != "dense":
        w[rng.random(w.shape) < 0.6] = 0
        w[2] = 0                              # an all-zero channel
    a = rng.integers(-128, 128, size=(v, k))
    return w, a


@pytest.mark.parametrize("kind", list(CFGS))
@pytest.mark.parametrize("rows,cols", [(3, 4), (1, 1), (2, 3)])
def test_fast_os_equals_python_model(kind, rows, cols):
    cfg = CFGS[kind]
    w, a = _layer(cfg, rows, cols, seed=rows * 10 + cols)
    progs = os_programs(cfg, rows, cols, w, seed=1)
    nb, pb = -(-w.shape[0] // cols), -(-a.shape[0] // rows)
    apad = np.zeros((pb * rows, progs.k_span), dtype=np.int64)
    apad[:a.shape[0], :a.shape[1]] = a
    tile_prog = np.repeat(np.arange(nb), pb)
    tile_p0 = np.tile(np.arange(pb) * rows, nb)
    tr = os_tiles_trace(cfg, rows, cols, progs, apad, tile_prog, tile_p0,
                        bubble=(0.0, 0.3, 0.0, 0.25), stall=(0.0, 0.0, 0.4, 0.25), seed=5)
    assert _replay(cfg, rows, cols, tr) == []
    # the result rows are the layer's outputs (an independent NumPy reference)
    out = tr.results.reshape(nb, pb * rows, cols).transpose(1, 0, 2).reshape(pb * rows, nb * cols)
    np.testing.assert_array_equal(out[:a.shape[0], :w.shape[0]], a @ w.T)
    # back-pressure and refused last beats really happened
    assert 0 < tr.inputs["o_ready"][:, 0].sum() < tr.cycles
    if rows > 1:
        assert np.any(tr.expected["in_ready"][:, 0] == 0)


def test_a_broken_fast_os_kernel_fails_the_replay(monkeypatch):
    import accelsim.rtl.fast_os as fo
    cfg, rows, cols = CFGS["unstructured"], 2, 3
    w, a = _layer(cfg, rows, cols, seed=3)
    progs = os_programs(cfg, rows, cols, w, seed=1)
    apad = np.zeros((10, progs.k_span), dtype=np.int64)
    apad[:9, :a.shape[1]] = a
    good = fo._os_kernel.py_func

    def broken(*args):                      # window writes wrapped to 7 instead of 8 bits
        args = list(args)
        args[4] -= 1
        return good(*args)
    monkeypatch.setattr(fo, "_os_kernel", broken)
    tr = os_tiles_trace(cfg, rows, cols, progs, apad, np.array([0, 1, 2]), np.array([0, 2, 4]), seed=2)
    assert len(_replay(cfg, rows, cols, tr)) > 0


def test_whole_layer_os_catches_a_mutant_verilog_file(have_verilator, tmp_path):
    import verilog_mutants as vm

    from accelsim.rtl.export import Top, top_name, verilog_source
    from accelsim.rtl.layer_verify import verify_layer
    from accelsim.spec import arch_from_dict
    arch = arch_from_dict({
        "name": "dense-os-4x4", "array": {"rows": 4, "cols": 4}, "dataflow": "os",
        "precision": {"weight_bits": 8, "activation_bits": 8, "accumulator_bits": 32},
        "pe": {"sparsity": "dense"}, "buffers": {"weight_kib": 64, "input_kib": 64, "output_kib": 64},
        "dram": {"bandwidth_bytes_per_cycle": 16}})
    module = top_name(arch, "array")
    text = verilog_source(Top("array", module, PEConfig.from_arch(arch), 4, 4, "os"))
    bad = tmp_path / "bad.v"
    bad.write_text(vm.accumulate_subtracts(text, module))
    r = verify_layer(arch, "tiny-cnn", "conv3", whole_layer=True, verilog=bad)
    assert not r.ok and "tiles" in r.message and "expected" in r.message, r.message
