"""accelsim.limits: defaults, overrides (API and environment), and the checks that use them."""

import math

import numpy as np
import pytest

import accelsim.limits as limits
from accelsim.errors import AccelsimInputError
from accelsim.workload.bundled import parse_workload_yaml
from accelsim.workload.layer import Workload, linear_layer, matmul_layer


def test_defaults_and_overrides_restore():
    assert limits.current() == limits.DEFAULT_LIMITS
    assert limits.set_limits(max_layers=5).max_layers == 5
    assert limits.set_limits(max_layers=None).max_layers == limits.DEFAULT_LIMITS.max_layers
    with limits.override(max_layers=3, max_folds=7) as inside:
        assert (inside.max_layers, inside.max_folds) == (3, 7)
    assert limits.current() == limits.DEFAULT_LIMITS


@pytest.mark.parametrize("text, value", [("50000", 50000), ("2**20", 2 ** 20), ("1e6", 10 ** 6), (" 7 ", 7)])
def test_environment_overrides(monkeypatch, text, value):
    monkeypatch.setenv("ACCELSIM_LIMIT_MAX_LAYERS", text)
    assert limits.current().max_layers == value


@pytest.mark.parametrize("text", ["lots", "0", "-5", "1.5", "٣", "2**99"])
def test_bad_environment_value_is_named(monkeypatch, text):
    monkeypatch.setenv("ACCELSIM_LIMIT_MAX_LAYERS", text)
    with pytest.raises(AccelsimInputError) as info:
        limits.current()
    assert info.value.problems[0].field == "ACCELSIM_LIMIT_MAX_LAYERS"


def test_bad_names_and_values_refused():
    with pytest.raises(AccelsimInputError) as info:
        limits.set_limits(max_lyers=3, max_folds=0)
    assert [p.field for p in info.value.problems] == ["max_lyers", "max_folds"]
    assert limits.current() == limits.DEFAULT_LIMITS


def test_workload_over_max_layers_names_the_limit():
    layers = [linear_layer(f"l{i}", in_features=4, out_features=4) for i in range(3)]
    assert len(Workload("ok", layers)) == 3
    with limits.override(max_layers=2), pytest.raises(AccelsimInputError) as info:
        Workload("big", layers)
    assert "max_layers" in str(info.value) and "ACCELSIM_LIMIT_MAX_LAYERS" in str(info.value)


def test_layer_dimension_macs_and_weight_limits():
    with pytest.raises(AccelsimInputError, match="max_dimension"):
        matmul_layer("mm", m=2 ** 31, k=1, n=1)
    with pytest.raises(AccelsimInputError, match="max_layer_macs"):
        matmul_layer("mm", m=2 ** 20, k=2 ** 20, n=2 ** 20)
    with pytest.raises(AccelsimInputError, match="max_weight_elements"):
        linear_layer("fc", in_features=2 ** 15, out_features=2 ** 14)
    assert matmul_layer("mm", m=2 ** 20, k=2 ** 14, n=2 ** 14).macs == 2 ** 48   # at the limit: fine


def test_many_duplicate_checks_are_linear():
    layers = [linear_layer(f"l{i}", in_features=2, out_features=2) for i in range(10000)]
    assert len(Workload("w", layers)) == 10000       # O(n^2) before: 20,000 layers took minutes


def _repeat(count, layers):
    return {"repeat": count, "name": "b", "layers": layers}


LEAF = {"name": "l", "type": "linear", "in_features": 4, "out_features": 4}


def test_repeat_expansion_is_checked_before_expanding():
    with pytest.raises(AccelsimInputError) as info:
        parse_workload_yaml({"name": "r", "layers": [_repeat(10 ** 8, [LEAF])]}, origin="t")
    problem = info.value.problems[0]
    assert problem.field == "layers[0](b).repeat" and "max_layers" in problem.allowed
    nested = _repeat(100, [_repeat(100, [_repeat(100, [LEAF])])])       # 10^6 layers
    with pytest.raises(AccelsimInputError, match="max_layers"):
        parse_workload_yaml({"name": "r", "layers": [nested]}, origin="t")
    ok = parse_workload_yaml({"name": "r", "layers": [_repeat(3, [_repeat(2, [LEAF])])]}, origin="t")
    assert len(ok.workload) == 6


def test_repeat_depth_limit():
    node = LEAF
    for _ in range(limits.DEFAULT_LIMITS.max_repeat_depth + 1):
        node = _repeat(1, [node])
    with pytest.raises(AccelsimInputError, match="max_repeat_depth"):
        parse_workload_yaml({"name": "r", "layers": [node]}, origin="t")


def test_simulator_refuses_too_many_folds_before_building_them():
    from accelsim.sim import simulate
    from accelsim.spec import load_arch

    layer = matmul_layer("mm", m=10 ** 4, k=1, n=10 ** 3)
    arch = load_arch("dense-ws-32x32")
    with limits.override(max_folds=1000):
        assert simulate(layer, arch, dataflow="ws").total.cycles > 0    # 32 column folds x 1 row fold
        with pytest.raises(AccelsimInputError) as info:
            simulate(layer, arch, dataflow="os")                        # 32 x 313 = 10,016 folds
    assert "max_folds" in str(info.value) and "10,016" in str(info.value) and "mm" in str(info.value)
    assert simulate(layer, arch, dataflow="os").total.cycles > 0       # under the default limit


def test_stall_kernel_bound_names_the_bandwidth():
    from accelsim.sim.memory import stall_cycles

    one = np.ones(1, dtype=np.int64)
    assert stall_cycles(one, np.array([800.0]), np.zeros(1), 1.0) == 100
    with pytest.raises(AccelsimInputError) as info:
        stall_cycles(one, np.array([1e18]), np.zeros(1), 1e-3)
    assert info.value.problems[0].field == "dram.bandwidth_bytes_per_cycle"


def test_tiny_bandwidths_refused_and_stalls_monotone():
    """Issue 8: 1e-14..1e-20 B/cycle wrapped the stall count; now refused, and the allowed range is exact."""
    from accelsim.sim import simulate
    from accelsim.spec import arch_from_dict, load_arch
    from accelsim.workload.loaders import load_workload

    base = load_arch("dense-ws-32x32")
    data = {"name": "a", "array": {"rows": 32, "cols": 32}, "dataflow": "ws",
            "buffers": {"weight_kib": 256, "input_kib": 256, "output_kib": 128}, "dram": {}}
    for tiny in (1e-14, 1e-15, 1e-16, 1e-20):
        data["dram"] = {"bandwidth_bytes_per_cycle": tiny}
        with pytest.raises(AccelsimInputError, match="dram.bandwidth_bytes_per_cycle"):
            arch_from_dict(data)
    wl = load_workload("tiny-cnn")
    cycles = []
    for bw in (1e-3, 1e-2, 1.0, 16.0):
        data["dram"] = {"bandwidth_bytes_per_cycle": bw}
        cycles.append(simulate(wl, arch_from_dict(data)).total.cycles)
    assert cycles == sorted(cycles, reverse=True) and len(set(cycles)) == 4
    moved = simulate(wl, base).total.bytes["dram"]["total"]
    # at 1e-3 B/cycle the stalls are the bytes moved divided by the bandwidth, within rounding per fold
    assert math.isclose(cycles[0], moved / 1e-3, rel_tol=0.05)
