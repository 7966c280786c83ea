"""Real pruned ResNet-18 layer streams (2:4 and 80% unstructured) through the model and the RTL."""

import numpy as np
import pytest

from accelsim.errors import AccelsimInputError
from accelsim.sim.pe_model import PEConfig
from accelsim.rtl.stimulus import job_from_row, layer_array_folds, layer_pe_jobs, resnet18_layer_streams
from accelsim.rtl.verify import verify_jobs


@pytest.fixture(scope="module")
def layer_24():
    return resnet18_layer_streams("nm:2:4", vectors=4, seed=1)


@pytest.fixture(scope="module")
def layer_80():
    return resnet18_layer_streams("unstructured:0.8", vectors=4, seed=2)


def _pairs(vectors, channels):
    return [(v, n) for v in range(vectors) for n in channels]


def test_layer_streams_are_pruned_as_asked(layer_24, layer_80):
    w24, a24, name = layer_24
    assert w24.shape == (64, 576) and a24.shape == (4, 576)     # layer1.0.conv1: 64 x (64*3*3)
    assert "layer1.0.conv1" in name
    groups = (w24.reshape(64, -1, 4) != 0).sum(axis=2)
    assert groups.max() <= 2
    w80 = layer_80[0]
    assert 0.17 <= np.count_nonzero(w80) / w80.size <= 0.21      # 80% pruned (a few round to 0)
    assert np.abs(w24).max() == 127 and (a24 >= 0).all()


def test_jobs_expect_the_numpy_result(archs, layer_24):
    w, a, _ = layer_24
    cfg = PEConfig.from_arch(archs["nm"])
    jobs = layer_pe_jobs(cfg, w, a, _pairs(4, range(8)))
    reference = a @ w.T                                  # int64, no overflow at 8 bits
    assert [j.expected for j in jobs] == [int(reference[v, n]) for v, n in _pairs(4, range(8))]
    assert all(j.beats == 576 // 4 for j in jobs)


@pytest.mark.verilator
def test_resnet18_2_4_on_verilator(have_verilator, archs, layer_24):
    w, a, _ = layer_24
    cfg = PEConfig.from_arch(archs["nm"])
    jobs = layer_pe_jobs(cfg, w, a, _pairs(4, range(0, 64, 4)))
    trials = [jobs[i:i + 4] for i in range(0, len(jobs), 4)]
    result = verify_jobs(archs["nm"], trials, seed=3, simulator="verilator")
    assert result.ok, str(result.first_mismatch)
    assert result.cycles >= len(jobs) * 144
    folds = layer_array_folds(cfg, 4, 4, w, a, max_folds=3)
    result = verify_jobs(archs["nm"], folds, seed=4, simulator="verilator", array_shape=(4, 4))
    assert result.ok and result.kind == "array", str(result.first_mismatch)


@pytest.mark.verilator
def test_resnet18_80pct_unstructured_on_verilator(have_verilator, archs, layer_80):
    w, a, _ = layer_80
    cfg = PEConfig.from_arch(archs["unstructured"])
    jobs = layer_pe_jobs(cfg, w, a, _pairs(4, range(0, 64, 4)))
    # K = 576 > 256-word window: three segments per output
    assert all(j.beats == np.count_nonzero(w[n]) for j, (_, n) in zip(jobs, _pairs(4, range(0, 64, 4))))
    trials = [jobs[i:i + 4] for i in range(0, len(jobs), 4)]
    result = verify_jobs(archs["unstructured"], trials, seed=5, simulator="verilator")
    assert result.ok, str(result.first_mismatch)


def test_resnet18_layers_on_amaranth(archs, layer_24, layer_80):
    for kind, (w, a, _) in (("nm", layer_24), ("unstructured", layer_80)):
        cfg = PEConfig.from_arch(archs[kind])
        jobs = layer_pe_jobs(cfg, w, a, [(0, 0), (1, 5), (3, 63)])
        result = verify_jobs(archs[kind], [jobs], seed=6, simulator="amaranth")
        assert result.ok, str(result.first_mismatch)
    cfg = PEConfig.from_arch(archs["nm"])
    folds = layer_array_folds(cfg, 2, 2, layer_24[0], layer_24[1][:2], max_folds=1)
    assert verify_jobs(archs["nm"], folds, simulator="amaranth", array_shape=(2, 2)).ok


def test_nm_encoder_rejects_rows_that_are_not_nm():
    cfg = PEConfig("nm", lanes=2, n=2, m=4, index_bits=2)
    with pytest.raises(AccelsimInputError, match="not 2:4 sparse"):
        job_from_row(cfg, [1, 2, 3, 0], [1, 1, 1, 1], np.random.default_rng(0))


def test_encoder_rejects_unquantized_values():
    cfg = PEConfig("dense", lanes=2)
    with pytest.raises(AccelsimInputError, match="weight values out of the 8-bit signed range"):
        job_from_row(cfg, [200, 1], [1, 1], np.random.default_rng(0))
