"""A whole layer cut into array trials for every dataflow: nothing lost, nothing counted twice."""

import numpy as np
import pytest

from accelsim.sim.array_model import array_support
from accelsim.sim.pe_model import PEConfig, wrap_signed
from accelsim.spec import arch_from_dict
from accelsim.rtl.arrays.layer import assemble, layer_stimulus
from accelsim.rtl.verify import verify_jobs

CFGS = {
    "dense": PEConfig("dense", lanes=2, accumulator_bits=20),
    "nm": PEConfig("nm", lanes=2, n=2, m=4, index_bits=2),
    "unstructured": PEConfig("unstructured", lanes=1, index_bits=3),
    "block": PEConfig("block", lanes=1, index_bits=2, block_rows=2, block_cols=2),
}
CASES = [(k, d) for k in CFGS for d in ("ws", "os", "is") if array_support(CFGS[k].kind, d) is None]


def _layer(rng, cfg, n=5, k=22, v=3):
    w = rng.integers(-128, 128, size=(n, k))
    if cfg.kind == "nm":
        for j in range(n):
            for g in range(0, k, 4):
                w[j, g + rng.permutation(min(4, k - g))[:max(0, min(4, k - g) - 2)]] = 0
    elif cfg.kind == "unstructured":
        w[rng.random(w.shape) < 0.7] = 0
    elif cfg.kind == "block":
        grid = rng.random((-(-n // 2), -(-k // 2))) < 0.4
        w[~np.kron(grid, np.ones((2, 2), dtype=bool))[:n, :k]] = 0
    w[1] = 0                                            # an all-zero channel
    return w, rng.integers(-128, 128, size=(v, k))


def _reference(w, a, bits):
    return np.array([[wrap_signed(int(sum(int(x) * int(y) for x, y in zip(a[p], w[c]))), bits)
                      for c in range(w.shape[0])] for p in range(a.shape[0])], dtype=object)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("kind,dataflow", CASES, ids=[f"{k}-{d}" for k, d in CASES])
def test_trials_assemble_to_the_layer_output(kind, dataflow, seed):
    cfg = CFGS[kind]
    rng = np.random.default_rng(seed)
    w, a = _layer(rng, cfg)
    pairs = layer_stimulus(cfg, dataflow, 2, 3, w, a, seed=seed)
    expected = []
    for trial, _ in pairs:
        if dataflow == "os":
            expected.append([row for tile in trial for row in tile.expected])
        else:
            expected.append(list(trial.expected))
    got = assemble(expected, [p for _, p in pairs], a.shape[0], w.shape[0], cfg.accumulator_bits)
    assert (got == _reference(w, a, cfg.accumulator_bits)).all()


def test_a_layer_runs_through_verify_jobs():
    arch = arch_from_dict({
        "name": "layer-u-os", "array": {"rows": 2, "cols": 3}, "dataflow": "os",
        "precision": {"weight_bits": 8, "activation_bits": 8, "accumulator_bits": 32},
        "pe": {"sparsity": "unstructured", "index_bits": 3},
        "buffers": {"weight_kib": 64, "input_kib": 64, "output_kib": 64},
        "dram": {"bandwidth_bytes_per_cycle": 16}})
    cfg = PEConfig.from_arch(arch)
    w, a = _layer(np.random.default_rng(7), cfg)
    pairs = layer_stimulus(cfg, "os", 2, 3, w, a)
    result = verify_jobs(arch, [t for t, _ in pairs], simulator="amaranth", array_shape=(2, 3))
    assert result.ok and result.trials == len(pairs), str(result.first_mismatch)


@pytest.mark.verilator
@pytest.mark.parametrize("arch_name,scheme", [("nm24-ws-32x32", "nm:2:4"),
                                              ("unstructured-os-32x32", "unstructured:0.8"),
                                              ("block4x4-ws-32x32", "block:4x4:0.8")])
def test_resnet18_layer_on_the_bundled_arrays(have_verilator, arch_name, scheme):
    """Every fold of ResNet-18 layer1.0.conv1 (4 pixels) through the arch's own 4x4 array on Verilator."""
    from accelsim.rtl.stimulus import resnet18_layer_streams
    from accelsim.spec import load_arch
    arch = load_arch(arch_name)
    cfg = PEConfig.from_arch(arch)
    w, a, _ = resnet18_layer_streams(scheme, vectors=4, seed=3)
    pairs = layer_stimulus(cfg, arch.dataflow, 4, 4, w, a, seed=3)
    trials = [t for t, _ in pairs]
    result = verify_jobs(arch, trials, seed=3, simulator="verilator", array_shape=(4, 4))
    assert result.ok and result.trials == len(pairs), str(result.first_mismatch)
    expected = [[r for tile in t for r in tile.expected] if arch.dataflow == "os" else list(t.expected)
                for t in trials]
    got = assemble(expected, [p for _, p in pairs], 4, 64, cfg.accumulator_bits)
    assert (got == a @ w.T).all()                     # int64 does not overflow at 8 bits, K = 576
    if arch.sparsity.kind == "block":                 # zero blocks skipped: fewer folds than dense
        assert len(pairs) < 16 * (576 // 4)
