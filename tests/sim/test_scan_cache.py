"""Weight scans reused for frozen weights: only for memory that cannot change, and with the same results."""

import gc

import numpy as np
import pytest

from accelsim.prune import prune
from accelsim.sim import simulate
from accelsim.sim import scan_cache
from accelsim.sim.scan_cache import cached_scan, freeze, is_frozen
from accelsim.workload import conv_layer

from simtools import make_arch


def _counting(result):
    calls = []

    def compute():
        calls.append(1)
        return result
    return compute, calls


def test_a_frozen_array_is_scanned_once_per_question():
    a = np.arange(12, dtype=np.int8).reshape(3, 4).copy()
    freeze(a)
    compute, calls = _counting(np.ones(3))
    first = cached_scan(a, ("nm", 4), compute)
    again = cached_scan(a, ("nm", 4), compute)
    assert calls == [1] and again is first
    assert not first.flags.writeable                  # a caller cannot corrupt the shared result
    cached_scan(a, ("nm", 8), compute)                # another parameter is another scan
    assert calls == [1, 1]
    view = a.reshape(12).view(np.uint8)               # a read-only view of the same memory
    cached_scan(view, ("nm", 4), compute)             # another shape/dtype is another scan
    assert calls == [1, 1, 1]
    cached_scan(a.reshape(12).view(np.uint8), ("nm", 4), compute)
    assert calls == [1, 1, 1]


def test_writable_memory_is_scanned_every_time():
    a = np.zeros((2, 4), dtype=np.int8)
    compute, calls = _counting(0)
    cached_scan(a, ("nnz",), compute)
    cached_scan(a, ("nnz",), compute)
    assert calls == [1, 1] and not is_frozen(a)
    # read-only view of a writable array: the owner can still change it
    view = a.view()
    view.setflags(write=False)
    cached_scan(view, ("nnz",), compute)
    cached_scan(view, ("nnz",), compute)
    assert calls == [1, 1, 1, 1] and not is_frozen(view)
    # read-only but never frozen (someone else's array)
    b = np.zeros(3)
    b.setflags(write=False)
    assert not is_frozen(b)


def test_made_writable_again_is_no_longer_reused():
    a = freeze(np.ones((2, 2), dtype=np.int8))
    compute, calls = _counting(4)
    cached_scan(a, ("nnz",), compute)
    a.setflags(write=True)
    a[0, 0] = 0
    cached_scan(a, ("nnz",), compute)
    assert calls == [1, 1]


def test_freeze_refuses_views_and_forgets_collected_arrays():
    base = np.zeros(8)
    with pytest.raises(ValueError):
        freeze(base[2:])
    a = freeze(np.zeros(8))
    key = id(a)
    cached_scan(a, ("nnz",), lambda: 0)
    assert key in scan_cache._FROZEN
    del a
    gc.collect()
    assert key not in scan_cache._FROZEN


@pytest.mark.parametrize("sparsity,scheme,extra", [
    ("dense", None, {}),
    ("nm", "nm:2:4", {"n": 2, "m": 4}),
    ("unstructured", "unstructured:0.8", {}),
    ("block", "block:4x4:0.6", {"block": "4x4"}),
])
@pytest.mark.parametrize("dataflow", ["ws", "os", "is"])
def test_simulating_frozen_weights_gives_the_same_results(sparsity, scheme, extra, dataflow):
    rng = np.random.default_rng(3)
    weight = rng.integers(-127, 128, size=(16, 8, 3, 3)).astype(np.int8)
    layer = conv_layer("c", in_channels=8, in_h=6, in_w=6, out_channels=16, kernel=3, padding=1,
                       weight=weight)
    if scheme:
        layer = prune(layer, scheme)
    arch = make_arch(8, 4, dataflow, sparsity=sparsity, mapping="auto", bandwidth=8, **extra)
    plain = simulate(layer, arch).layers[0]
    frozen_weight = np.array(layer.weight, copy=True)
    frozen = layer.with_weight(freeze(frozen_weight))
    assert is_frozen(frozen.weight_matrix())
    first = simulate(frozen, arch).layers[0]
    assert scan_cache._FROZEN[id(frozen_weight)][1]    # the scans were stored
    second = simulate(frozen, arch).layers[0]          # this one reuses them
    for result in (first, second):
        assert result.cycles == plain.cycles
        assert result.energy_pj == plain.energy_pj
        assert result.bytes == plain.bytes
        assert result.macs_effectual == plain.macs_effectual
