"""Pruned in torch, simulated sparse: the core promise, end to end.

A torch model is pruned with ``torch.nn.utils.prune`` (which leaves ``-0.0``
where it multiplies negative weights by 0) and with accelsim's
``apply_to_module``; it is traced with ``from_torch`` (or saved and read as a
checkpoint) and simulated on the N:M and the unstructured arch. Every
pruned layer must be exploited: it runs in the sparse format, its effectual
MACs are its nonzero weights (counted by torch) times M, and it takes fewer
cycles than the same layer run dense (or as many, when the input SRAM's read
bandwidth limits it; with an unbounded read port, always fewer).
"""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils import prune as torch_prune

from accelsim.prune import apply_to_module
from accelsim.sim import simulate
from accelsim.spec import load_arch
from accelsim.workload import from_torch, load_workload
from accelsim.workload.checkpoint import save_safetensors

NM_ARCH, UNSTRUCTURED_ARCH = "nm24-ws-32x32", "unstructured-os-32x32"


def _model():
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(4, 32, 3, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(2), nn.Flatten(),
        nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 16)).eval()


def _weight_modules(model):
    return [(name, m) for name, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def _nm24_mask(weight):
    flat = weight.detach().abs().reshape(weight.shape[0], -1)
    groups = flat.reshape(flat.shape[0], -1, 4)
    mask = torch.zeros_like(groups).scatter_(-1, groups.topk(2, dim=-1).indices, 1.0)
    return mask.reshape(weight.shape)


def _torch_prune(model, how, remove):
    for _, m in _weight_modules(model):
        if how == "l1_unstructured":
            torch_prune.l1_unstructured(m, "weight", amount=0.8)
        else:
            torch_prune.custom_from_mask(m, "weight", _nm24_mask(m.weight))
        if remove:
            torch_prune.remove(m, "weight")


X = torch.randn(1, 4, 8, 8)


def _check_exploited(model, workload, arch, fmt):
    sparse = simulate(workload, arch, activation_sparsity="none")
    dense = simulate(workload, arch, format="dense", activation_sparsity="none")
    spec = load_arch(arch)
    free = replace(spec, buffers=replace(spec.buffers, input_read_bytes_per_cycle=math.inf))
    unsupplied = simulate(workload, free, activation_sparsity="none")
    zeros_seen = 0
    for name, module in _weight_modules(model):
        w = module.weight.detach()
        zeros_seen += int(((w == 0) & torch.signbit(w)).sum())
        layer = sparse.layers[[l.name for l in sparse.layers].index(name)]
        base = dense.layers[[l.name for l in dense.layers].index(name)]
        assert layer.format == fmt and layer.exploited, (name, layer.notes)
        assert not any("ran dense" in note for note in layer.notes), (name, layer.notes)
        nnz = int((w != 0).sum())                       # torch's count: value == 0 is a zero
        assert layer.macs_effectual == nnz * workload[name].m, name
        # fewer cycles than dense, unless the input SRAM cannot deliver activations faster
        # (one activation per array row and cycle by default): then as many as dense, never more
        assert layer.compute_cycles <= base.compute_cycles, name
        assert (layer.compute_cycles < base.compute_cycles
                or layer.cycle_breakdown["sram_bandwidth"] > 0), (name, dict(layer.cycle_breakdown))
        # with an unbounded input SRAM read port the skipped zeros always save cycles
        assert unsupplied[name].compute_cycles < base.compute_cycles, name
    return zeros_seen


# The pruned weights' K: conv 36 and 288, linear 256 and 128 -- multiples of 4 for 2:4.
@pytest.mark.parametrize("remove", [False, True], ids=["masked", "removed"])
def test_torch_prune_nm24_runs_on_the_nm_arch(remove):
    model = _model()
    _torch_prune(model, "custom_2of4", remove)
    negative_zeros = _check_exploited(model, from_torch(model, X), NM_ARCH, "nm:2:4")
    assert negative_zeros > 0          # the case that used to run dense


@pytest.mark.parametrize("remove", [False, True], ids=["masked", "removed"])
def test_torch_prune_l1_runs_on_the_unstructured_arch(remove):
    model = _model()
    _torch_prune(model, "l1_unstructured", remove)
    assert _check_exploited(model, from_torch(model, X), UNSTRUCTURED_ARCH, "csr") > 0


@pytest.mark.parametrize("persistent", [False, True])
def test_apply_to_module_runs_on_both_archs(persistent):
    model = _model()
    apply_to_module(model, "nm:2:4", persistent=persistent)
    _check_exploited(model, from_torch(model, X), NM_ARCH, "nm:2:4")
    model = _model()
    apply_to_module(model, "unstructured:0.8", persistent=persistent)
    _check_exploited(model, from_torch(model, X), UNSTRUCTURED_ARCH, "csr")


def test_torch_pruned_checkpoints_run_sparse(tmp_path):
    model = _model()
    _torch_prune(model, "custom_2of4", remove=False)
    torch.save(model.state_dict(), tmp_path / "pruned.pt")         # weight_orig + weight_mask
    with pytest.warns(UserWarning, match="stride 1"):
        from_state_dict = load_workload(tmp_path / "pruned.pt", input_shape=(4, 8, 8))
    _check_exploited(model, from_state_dict, NM_ARCH, "nm:2:4")
    path = save_safetensors(model, tmp_path / "pruned.safetensors", example_input=X)
    _check_exploited(model, load_workload(path), NM_ARCH, "nm:2:4")


@pytest.mark.parametrize("arch", [NM_ARCH, UNSTRUCTURED_ARCH, "block4x4-ws-32x32"])
def test_negative_zeros_simulate_like_positive_zeros(arch):
    model = _model()
    apply_to_module(model, "nm:2:4")
    plus = from_torch(model, X)
    minus = plus.with_layers([l if l.weight is None else l.with_weight(np.where(
        l.weight == 0, np.float32(-0.0), l.weight)) for l in plus.layers])
    assert any(np.signbit(l.weight[l.weight == 0]).all() for l in minus.layers if l.weight is not None)
    a = simulate(plus, arch, activation_sparsity="none")
    b = simulate(minus, arch, activation_sparsity="none")
    assert [l.to_dict() for l in a.layers] == [l.to_dict() for l in b.layers]
