"""The zero rule in pruning: a pruned zero is a zero whatever its sign bit.

``torch.nn.utils.prune`` multiplies by its mask, so pruned negative weights
read ``-0.0`` -- before and after ``prune.remove``. These tests feed that real
output to accelsim's pruning reports, masks and encoders, and check that
``apply_to_module`` itself never creates a ``-0.0``.
"""

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils import prune as torch_prune

from accelsim.formats import encode
from accelsim.prune import apply_to_module, prune, prune_with_report


def _negative_zeros(t) -> int:
    t = torch.as_tensor(t)
    return int(((t == 0) & torch.signbit(t)).sum())


def _linear(seed=0, out=16, inp=32):
    torch.manual_seed(seed)
    return nn.Linear(inp, out)


def _nm24_mask(weight):
    """A custom 2:4 mask: keep the 2 largest |w| of every 4 along the input axis."""
    groups = weight.detach().abs().reshape(weight.shape[0], -1, 4)
    top = groups.topk(2, dim=-1).indices
    mask = torch.zeros_like(groups).scatter_(-1, top, 1.0)
    return mask.reshape(weight.shape)


def _torch_pruned(kind, remove):
    layer = _linear()
    if kind == "l1_unstructured":
        torch_prune.l1_unstructured(layer, "weight", amount=0.75)
    elif kind == "ln_structured":
        torch_prune.ln_structured(layer, "weight", amount=0.5, n=2, dim=0)
    else:
        torch_prune.custom_from_mask(layer, "weight", _nm24_mask(layer.weight))
    if remove:
        torch_prune.remove(layer, "weight")
    return layer


KINDS = ["l1_unstructured", "ln_structured", "custom_2of4"]


@pytest.mark.parametrize("remove", [False, True], ids=["masked", "removed"])
@pytest.mark.parametrize("kind", KINDS)
def test_torch_prune_output_has_negative_zeros(kind, remove):
    # The premise: what users bring really holds -0.0 (else the tests below prove nothing).
    layer = _torch_pruned(kind, remove)
    assert _negative_zeros(layer.weight) > 0


@pytest.mark.parametrize("remove", [False, True], ids=["masked", "removed"])
@pytest.mark.parametrize("kind", KINDS)
def test_reports_and_encoders_count_torch_zeros(kind, remove):
    layer = _torch_pruned(kind, remove)
    w = layer.weight.detach().numpy().copy()
    zeros = int((layer.weight == 0).sum())          # torch's own count, value == 0
    expected = {"l1_unstructured": 0.75 * w.size, "ln_structured": 0.5 * w.size,
                "custom_2of4": 0.5 * w.size}[kind]
    assert zeros == expected
    for fmt in ("csr", "csc", "bitmap", "bsr:1x1", "dense"):
        assert encode(w, fmt).nnz == w.size - zeros, fmt
    if kind == "custom_2of4":
        t = encode(w, "nm:2:4")                     # refused before: -0.0 counted as a value
        assert t.nnz == w.size - zeros
        t.check(full=True)
    # Re-pruning an already pruned weight: the report counts its zeros, the result has no -0.0.
    scheme = "nm:2:4" if kind == "custom_2of4" else "unstructured:0.5"
    out, report = prune_with_report(w, scheme)
    assert report.layers[0].nonzeros == int(np.count_nonzero(out))
    assert _negative_zeros(out) == 0
    np.testing.assert_array_equal(out != 0, (w != 0) & (out != 0))


@pytest.mark.parametrize("scheme", ["nm:2:4", "unstructured:0.6", "block:2x2:0.5", "channel:0.5",
                                    "kernel:0.5"])
def test_apply_to_module_creates_no_negative_zero(scheme):
    torch.manual_seed(3)
    model = nn.Sequential(nn.Conv2d(4, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 2 * 2, 8))
    negative = sum(int((m.weight < 0).sum()) for m in (model[0], model[3]))
    assert negative > 0
    report = apply_to_module(model, scheme)
    for m in (model[0], model[3]):
        assert _negative_zeros(m.weight) == 0
    assert report.nonzeros == sum(int((m.weight != 0).sum()) for m in (model[0], model[3]))


def test_apply_to_module_accepts_negative_zeros():
    # A module pruned by torch first (l1 then remove: -0.0 in the weight), then by accelsim at 2:4.
    layer = _torch_pruned("l1_unstructured", remove=True)
    before = layer.weight.detach().clone()
    report = apply_to_module(layer, "nm:2:4")
    w = layer.weight.detach()
    assert _negative_zeros(w) == 0                   # the old -0.0 are rewritten as +0.0
    assert report.layers[0].nonzeros == int((w != 0).sum())
    kept_before = before != 0
    assert bool(((w != 0) <= kept_before).all())     # pruning only removes
    encode(w.numpy(), "nm:2:4").check(full=True)


def test_apply_to_module_persistent_masks_read_as_zeros():
    # persistent=True uses torch's custom_from_mask: torch multiplies, so -0.0 appear;
    # the report and the encoders still count them as zeros.
    layer = _linear(5)
    report = apply_to_module(layer, "nm:2:4", persistent=True)
    w = layer.weight.detach().numpy()
    assert _negative_zeros(w) > 0
    assert report.layers[0].nonzeros == w.size // 2
    assert encode(w, "nm:2:4").nnz == w.size // 2


def test_prune_of_arrays_with_negative_zeros():
    w = np.array([[-0.0, -0.0, -0.0, 5.0, 1.0, -2.0, -0.0, 3.0]], dtype=np.float32)
    out = prune(w, "nm:2:4")
    assert out.tolist() == [[0.0, 0.0, 0.0, 5.0, 0.0, -2.0, 0.0, 3.0]]
    assert _negative_zeros(out) == 0
    _, report = prune_with_report(w, "unstructured:0.5")
    assert report.layers[0].nonzeros == 4
