"""apply_to_module: the same masks as prune(), applied in place to torch modules."""

import numpy as np
import pytest
import torch
from torch import nn

from accelsim.errors import AccelsimInputError
from accelsim.prune import apply_to_module, prune


def _model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3), nn.ReLU(),
        nn.Conv2d(8, 4, 1), nn.ReLU(),
        nn.Flatten(), nn.Linear(4 * 2 * 2, 8), nn.ReLU(), nn.Linear(8, 3))


def _weights(model):
    return {name: m.weight.detach().clone().numpy() for name, m in model.named_modules()
            if isinstance(m, (nn.Linear, nn.Conv2d, nn.Conv1d))}


@pytest.mark.parametrize("scheme", ["unstructured:0.7", "nm:2:4", "block:2x2:0.5:pad", "channel:0.5:l2",
                                    "kernel:0.5"])
def test_same_masks_as_numpy(scheme):
    model = _model()
    before = _weights(model)
    report = apply_to_module(model, scheme)
    after = _weights(model)
    assert [e.name for e in report.layers] == list(before)
    for name, w in before.items():
        np.testing.assert_array_equal(after[name], prune(w, scheme))
        assert report[name].params == w.size
        assert report[name].nonzeros == np.count_nonzero(after[name])


def test_global_threshold_over_modules():
    model = _model(1)
    before = _weights(model)
    apply_to_module(model, "unstructured:0.5:global")
    after = _weights(model)
    mag = np.concatenate([np.abs(w.astype(np.float64)).ravel() for w in before.values()])
    got = np.concatenate([w.ravel() for w in after.values()])
    assert np.sum(got == 0) == round(0.5 * mag.size)   # random normal weights: no zeros before
    assert mag[got != 0].min() >= mag[got == 0].max()   # one threshold across all modules
    per_module_zeros = [np.mean(w == 0) for w in after.values()]
    assert max(per_module_zeros) != min(per_module_zeros)   # not the same fraction per module


def test_persistent_mask_survives_training_step():
    model = nn.Sequential(nn.Linear(8, 4))
    apply_to_module(model, "nm:2:4", persistent=True)
    layer = model[0]
    assert hasattr(layer, "weight_mask") and hasattr(layer, "weight_orig")
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = model(torch.randn(5, 8)).pow(2).sum()
    loss.backward()
    opt.step()
    model(torch.randn(1, 8))                          # the forward pre-hook re-applies the mask
    w = layer.weight.detach().numpy().reshape(4, 2, 4)
    assert (np.count_nonzero(w, axis=-1) <= 2).all()


def test_in_place_keeps_state_dict_keys():
    model = _model()
    keys = list(model.state_dict())
    apply_to_module(model, "unstructured:0.5")
    assert list(model.state_dict()) == keys


def test_layers_filter_and_conv1d():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(2, 4, 3), nn.Linear(3, 2))
    before = model[1].weight.detach().clone()
    report = apply_to_module(model, "kernel:0.34", layers=(nn.Conv1d,))
    assert [e.name for e in report.layers] == ["0"]
    w = model[0].weight.detach().numpy()               # (4, 2, 3): 1 of 3 taps zeroed per filter
    assert (np.sum(~w.any(axis=1), axis=1) == 1).all()
    torch.testing.assert_close(model[1].weight.detach(), before, rtol=0, atol=0)


def test_shrink_is_refused():
    with pytest.raises(AccelsimInputError) as info:
        apply_to_module(_model(), "channel:0.5:l2:shrink")
    assert str(info.value) == (
        "cannot apply channel:0.5:l2:shrink to a torch module\n"
        "  - scheme: got 'channel:0.5:l2:shrink'; allowed: a scheme without ':shrink' for torch modules\n"
        "apply_to_module only masks weights; shrink works on workloads and arrays "
        "(prune(workload, ...) or shrink_channels(weight, consumer_weight, sparsity))")


def test_block_error_names_module():
    with pytest.raises(AccelsimInputError) as info:
        apply_to_module(nn.Sequential(nn.Linear(3, 4)), "block:2x2:0.5")
    assert str(info.value) == (
        "cannot apply block:2x2:0.5: the 2x2 block does not tile every weight matrix "
        "(rows = output channels, columns = reduction)\n"
        "  - module '0' weight matrix: got '4x3'; allowed: rows a multiple of 2 and columns a "
        "multiple of 2 to tile with 2x2 blocks\n"
        "add ':pad' (e.g. block:2x2:0.5:pad) to treat the edges as zero-padded partial blocks, "
        "ranked by the norm of their real elements")
