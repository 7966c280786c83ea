"""Fixed masks survive an ordinary training loop; baked zeros are +0.0."""

import numpy as np
import torch
from torch import nn

from accelsim.codesign.masking import apply_masks, bake_masks, masked_copy, prunable_modules


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(2, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))


def test_masks_stay_fixed_through_adam_and_bake_to_positive_zero():
    net = _net()
    keys = list(net.state_dict())
    rng = np.random.default_rng(0)
    masks = {"0": rng.random((4, 2, 3, 3)) > 0.5, "3": rng.random((3, 64)) > 0.3}
    apply_masks(net, masks)
    opt = torch.optim.Adam(net.parameters(), lr=0.1)          # the user's own loop and optimiser
    x, y = torch.randn(16, 2, 6, 6), torch.randint(0, 3, (16,))
    for _ in range(20):
        opt.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        opt.step()
    bake_masks(net)
    assert sorted(net.state_dict()) == sorted(keys)            # plain module again
    for name, mask in masks.items():
        w = dict(net.named_modules())[name].weight.detach().numpy()
        assert (w[~mask] == 0).all() and (w[mask] != 0).all()
        assert not np.signbit(w[~mask]).any()                  # +0.0, not -0.0


def test_masked_copy_leaves_the_original_alone():
    net = _net()
    before = net[0].weight.detach().clone()
    clone = masked_copy(net, {"0": np.zeros((4, 2, 3, 3), dtype=bool)})
    assert torch.equal(net[0].weight, before)
    assert (clone[0].weight == 0).all()


def test_prunable_modules_in_order():
    assert list(prunable_modules(_net())) == ["0", "3"]
