"""simulate(): API, results, activation sparsity, errors and invariants on random layers."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accelsim.errors import AccelsimInputError
from accelsim.sim import LayerResult, SimResult, simulate
from accelsim.workload import Workload, conv_layer, linear_layer, matmul_layer

from simtools import make_arch


def _weight(rows, cols, density=1.0, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((rows, cols)).astype(np.float32)
    w[np.abs(w) < 0.1] = 1.0          # no zeros, also after int8 quantisation
    return np.where(rng.random((rows, cols)) < density, w, 0).astype(np.float32)


def _small_workload():
    conv_w = np.random.default_rng(1).standard_normal((6, 3, 3, 3)).astype(np.float32)
    return Workload("small", (
        conv_layer("conv", in_channels=3, in_h=8, in_w=8, out_channels=6, kernel=3, padding=1,
                   weight=conv_w),
        linear_layer("fc", in_features=20, out_features=10, tokens=3, weight=_weight(10, 20)),
        matmul_layer("qk", m=4, k=8, n=4, repeats=2),
    ))


def test_result_shape_and_json():
    arch = make_arch(8, 8, "ws", bandwidth=16)
    result = simulate(_small_workload(), arch)
    assert isinstance(result, SimResult)
    assert all(isinstance(layer, LayerResult) for layer in result.layers)
    assert [layer.name for layer in result.layers] == ["conv", "fc", "qk"]
    data = json.loads(json.dumps(result.to_dict()))
    for layer in data["layers"]:
        assert {"name", "cycles", "utilization", "energy_pj"} <= set(layer)
        assert "total" in layer["energy_pj"]
    assert {"cycles", "energy_pj"} <= set(data["total"])
    total = result.total
    assert total.cycles == sum(layer.cycles for layer in result.layers)
    assert total.energy_pj == pytest.approx(sum(layer.energy_pj["total"] for layer in result.layers))
    assert total.latency_s == pytest.approx(total.cycles / 1e9)
    assert result["fc"].name == "fc"


def test_results_are_immutable():
    result = simulate(_small_workload(), make_arch())
    layer = result.layers[0]
    with pytest.raises(AttributeError):
        layer.cycles = 0
    with pytest.raises(TypeError):
        layer.events["macs"] = 0
    with pytest.raises(TypeError):
        layer.bytes["dram"]["values"] = 0


def test_layer_without_weights_runs_dense_and_says_so():
    result = simulate(matmul_layer("qk", m=4, k=8, n=4), make_arch(4, 4, "os", sparsity="unstructured"))
    layer = result.layers[0]
    assert layer.format == "csr" and not layer.exploited
    assert any("no weights" in note for note in layer.notes)


def test_arch_by_path_and_cfg(tmp_path, arch_dir):
    layer = linear_layer("fc", in_features=40, out_features=10)
    by_name = simulate(layer, "dense-ws-32x32")
    by_path = simulate(layer, arch_dir / "dense-ws-32x32.yaml")
    assert by_name.total.cycles == by_path.total.cycles
    cfg = tmp_path / "a.cfg"
    cfg.write_text("[architecture_presets]\nArrayHeight: 8\nArrayWidth: 8\nIfmapSramSzkB: 64\n"
                   "FilterSramSzkB: 64\nOfmapSramSzkB: 64\nDataflow: ws\n[run_presets]\n"
                   "InterfaceBandwidth: CALC\n")
    # 8x8 WS, K=40 -> 5 row folds, N=10 -> 2 column folds, fold 2*8+8+1-2 = 23
    assert simulate(layer, str(cfg)).total.cycles == 10 * 23 - 1


def test_dataflow_argument_overrides_the_arch():
    layer = linear_layer("fc", in_features=40, out_features=10)
    result = simulate(layer, make_arch(8, 8, "ws"), dataflow="OS")
    assert result.dataflow == "os"
    # OS: M=1 -> 1 row fold, 2 column folds of 40 + 8 + 8 - 2 = 54
    assert result.total.cycles == 2 * 54 - 1


def test_bad_arguments_are_reported_together():
    with pytest.raises(AccelsimInputError) as info:
        simulate("not a workload", make_arch(), dataflow="rs", format="coo",
                 activation_sparsity="assume:2", seed=-1)
    text = str(info.value)
    for field in ("workload", "dataflow", "format", "activation_sparsity", "seed"):
        assert field in text


def test_prune_argument_prunes_first():
    layer = linear_layer("fc", in_features=64, out_features=8, tokens=4, weight=_weight(8, 64))
    arch = make_arch(8, 8, "ws", sparsity="nm", n=2, m=4)
    result = simulate(layer, arch, prune="nm:2:4")
    assert result.prune == "nm:2:4" and result.layers[0].exploited
    # 2:4 keeps 32 of 64 rows -> 4 row folds of 2*8+8+4-2 = 26 cycles (dense: 8)
    assert result.total.cycles == 4 * 26 - 1
    assert result.layers[0].macs_effectual == 32 * 8 * 4


def test_prune_gives_weightless_layers_seeded_weights():
    layer = linear_layer("fc", in_features=64, out_features=8)
    arch = make_arch(8, 8, "os", sparsity="unstructured")
    a = simulate(layer, arch, prune="unstructured:0.75", seed=3)
    b = simulate(layer, arch, prune="unstructured:0.75", seed=3)
    assert a.to_dict() == b.to_dict()
    assert a.layers[0].macs_effectual == 128
    assert any("synthetic weights" in note for note in a.notes)


def test_activation_gating_saves_energy_not_cycles():
    layer = linear_layer("fc", in_features=64, out_features=8, tokens=10, weight=_weight(8, 64),
                         input_density=0.25)
    gate = make_arch(8, 8, "os", activation="gate")
    plain = simulate(layer, gate, activation_sparsity="none").layers[0]
    gated = simulate(layer, gate).layers[0]
    assert gated.cycles == plain.cycles
    executed = 64 * 8 * 10
    assert gated.events["macs"] == executed // 4
    assert gated.events["macs_gated"] == executed - executed // 4
    assert gated.energy_pj["mac"] < plain.energy_pj["mac"]


def test_activation_skipping_shortens_os_folds():
    # OS 8x8, K=64 dense weights, density 0.5 (assumed): beats ceil(64*0.5) = 32.
    # M=10 -> 2 row folds, 1 column group: 2 * (32 + 8 + 8 - 2) - 1 = 91 (dense: 2*78-1 = 155)
    layer = linear_layer("fc", in_features=64, out_features=8, tokens=10, weight=_weight(8, 64))
    skip = make_arch(8, 8, "os", activation="skip")
    assert simulate(layer, skip, activation_sparsity="assume:0.5").total.cycles == 91
    assert simulate(layer, skip).total.cycles == 155
    # the layer's own measured density wins over the assumed default
    measured = layer.with_shape(input_density=0.25)
    assert simulate(measured, skip, activation_sparsity="assume:0.5").total.cycles == 2 * (16 + 14) - 1


def test_activation_skipping_saves_no_cycles_in_ws():
    layer = linear_layer("fc", in_features=64, out_features=8, tokens=10, weight=_weight(8, 64))
    skip = make_arch(8, 8, "ws", activation="skip")
    dense = simulate(layer, skip, activation_sparsity="none").total.cycles
    assert simulate(layer, skip, activation_sparsity="assume:0.5").total.cycles == dense


# ----------------------------------------------------------------------------- invariants
_ARCHS = {
    "dense": {},
    "unstructured": {"sparsity": "unstructured"},
    "nm": {"sparsity": "nm", "n": 2, "m": 4},
    "block": {"sparsity": "block", "block": "2x2"},
}


@st.composite
def _cases(draw):
    kind = draw(st.sampled_from(sorted(_ARCHS)))
    dataflow = draw(st.sampled_from(["ws", "os", "is"]))
    rows = draw(st.integers(1, 9))
    cols = draw(st.integers(1 if (rows > 1 or dataflow != "os") else 2, 9))
    m, k, n = draw(st.integers(1, 20)), draw(st.integers(1, 40)), draw(st.integers(1, 20))
    density = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    seed = draw(st.integers(0, 1000))
    bandwidth = draw(st.sampled_from(["unlimited", 1, 4, 64]))
    buffer_kib = draw(st.sampled_from([0.25, 4, 256]))
    activation = draw(st.sampled_from(["none", "gate", "skip"]))
    act_density = draw(st.sampled_from([None, 0.3, 1.0]))
    return kind, dataflow, rows, cols, m, k, n, density, seed, bandwidth, buffer_kib, activation, act_density


@settings(max_examples=120, deadline=None)
@given(_cases())
def test_invariants_on_random_layers(case):
    kind, dataflow, rows, cols, m, k, n, density, seed, bw, buf, activation, act_density = case
    arch = make_arch(rows, cols, dataflow, bandwidth=bw, weight_kib=buf, input_kib=buf,
                     output_kib=buf, activation=activation, **_ARCHS[kind])
    layer = linear_layer("fc", in_features=k, out_features=n, tokens=m,
                         weight=_weight(n, k, density, seed), input_density=act_density)
    prune = "nm:2:4" if kind == "nm" else None
    result = simulate(layer, arch, prune=prune)
    again = simulate(layer, arch, prune=prune)
    assert result.to_dict() == again.to_dict()                      # determinism
    r = result.layers[0]
    assert r.stall_cycles >= 0
    assert r.cycles == r.compute_cycles + r.stall_cycles
    multipliers = rows * cols * arch.sparsity.lanes if kind != "nm" else rows * cols
    assert r.cycles * multipliers >= r.macs_effectual               # no more work than PEs x time
    assert 0.0 <= r.utilization <= 1.0
    assert r.macs_effectual <= r.macs_dense
    assert all(isinstance(v, int) and v >= 0 for v in r.events.values())
    assert r.events["pe_busy_cycles"] + r.events["pe_idle_cycles"] == rows * cols * r.cycles
    for level, parts in r.bytes.items():
        assert parts["values"] + parts["metadata"] == parts["total"] >= 0
    assert math.isfinite(r.energy_pj["total"]) and r.energy_pj["total"] >= 0


def test_results_pickle_round_trip():
    import pickle

    result = simulate(_small_workload(), make_arch(8, 8, "ws", bandwidth=16))
    again = pickle.loads(pickle.dumps(result))
    assert again.to_dict() == result.to_dict()
    with pytest.raises(TypeError):
        again.layers[0].events["macs"] = 0
