"""Channel pruning: masks, the shrink helper and workload shrinking keep the network's function."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings

from accelsim.errors import AccelsimInputError
from accelsim.prune import prune, prune_with_report, shrink_channels
from accelsim.workload import Workload, conv_layer, linear_layer, matmul_layer
from prune_helpers import ref_lowest, sparsities, weights


def _torch_norms(w, norm):
    t = torch.from_numpy(np.asarray(w, dtype=np.float64)).reshape(w.shape[0], -1)
    return (t.abs().sum(1) if norm == "l1" else t.pow(2).sum(1).sqrt()).tolist()


@settings(max_examples=120, deadline=None)
@given(w=weights(min_dims=2, max_dims=4), s=sparsities)
def test_channel_mask_zeroes_lowest_norm_rows(w, s):
    for norm in ("l1", "l2"):
        scheme = "channel:" + repr(s) + ("" if norm == "l1" else ":l2")
        out = prune(w, scheme)
        assert out.shape == w.shape and out.dtype == w.dtype
        drop = ref_lowest(_torch_norms(w, norm), int(round(s * w.shape[0])))
        for row in range(w.shape[0]):
            if row in drop:
                assert not out[row].any()
            else:
                np.testing.assert_array_equal(out[row], w[row])


def _check_kept_are_largest(w, kept, norm):
    norms = np.array(_torch_norms(w, norm))
    removed = np.setdiff1d(np.arange(w.shape[0]), kept)
    if len(removed):
        assert norms[kept].min() >= norms[removed].max()
    assert list(kept) == sorted(kept)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("norm", ["l1", "l2"])
@pytest.mark.parametrize("s", [0.0, 0.25, 0.5, 0.8])
def test_shrink_conv_relu_conv_keeps_function(seed, norm, s):
    gen = torch.Generator().manual_seed(seed)
    conv1 = torch.nn.Conv2d(3, 8, 3, padding=1).double()
    conv2 = torch.nn.Conv2d(8, 5, 3).double()
    for p in (*conv1.parameters(), *conv2.parameters()):
        p.data = torch.randn(p.shape, generator=gen, dtype=torch.float64)
    x = torch.randn(2, 3, 7, 7, generator=gen, dtype=torch.float64)
    w1, w2 = conv1.weight.detach().numpy(), conv2.weight.detach().numpy()

    w1s, w2s, kept = shrink_channels(w1, w2, s, norm=norm)
    assert len(kept) == 8 - round(s * 8)
    _check_kept_are_largest(w1, kept, norm)
    removed = np.setdiff1d(np.arange(8), kept)

    with torch.no_grad():
        h = torch.relu(conv1(x))
        h_masked = h.clone()
        h_masked[:, torch.from_numpy(removed)] = 0
        y_masked = conv2(h_masked)
        b1 = conv1.bias[torch.from_numpy(kept)]
        h_small = torch.relu(F.conv2d(x, torch.from_numpy(w1s), b1, padding=1))
        y_small = F.conv2d(h_small, torch.from_numpy(w2s), conv2.bias)
    torch.testing.assert_close(h_small, h[:, torch.from_numpy(kept)], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(y_small, y_masked, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("s", [0.3, 0.6])
def test_shrink_linear_relu_linear_keeps_function(seed, s):
    gen = torch.Generator().manual_seed(seed)
    fc1, fc2 = torch.nn.Linear(6, 10).double(), torch.nn.Linear(10, 4).double()
    for p in (*fc1.parameters(), *fc2.parameters()):
        p.data = torch.randn(p.shape, generator=gen, dtype=torch.float64)
    x = torch.randn(5, 6, generator=gen, dtype=torch.float64)
    w1s, w2s, kept = shrink_channels(fc1.weight.detach().numpy(), fc2.weight.detach().numpy(), s)
    removed = np.setdiff1d(np.arange(10), kept)
    _check_kept_are_largest(fc1.weight.detach().numpy(), kept, "l1")
    with torch.no_grad():
        h = torch.relu(fc1(x))
        h_masked = h.clone()
        h_masked[:, torch.from_numpy(removed)] = 0
        h_small = torch.relu(F.linear(x, torch.from_numpy(w1s), fc1.bias[torch.from_numpy(kept)]))
        y_small = F.linear(h_small, torch.from_numpy(w2s), fc2.bias)
    torch.testing.assert_close(h_small, h[:, torch.from_numpy(kept)], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(y_small, fc2(h_masked), rtol=1e-12, atol=1e-12)


def test_shrink_conv_flatten_linear():
    gen = torch.Generator().manual_seed(3)
    conv = torch.nn.Conv2d(2, 6, 3, bias=False).double()
    fc = torch.nn.Linear(6 * 3 * 3, 4, bias=False).double()
    conv.weight.data = torch.randn(conv.weight.shape, generator=gen, dtype=torch.float64)
    fc.weight.data = torch.randn(fc.weight.shape, generator=gen, dtype=torch.float64)
    x = torch.randn(2, 2, 5, 5, generator=gen, dtype=torch.float64)
    ws, fs, kept = shrink_channels(conv.weight.detach().numpy(), fc.weight.detach().numpy(), 0.5)
    assert fs.shape == (4, 3 * 3 * 3)
    removed = torch.from_numpy(np.setdiff1d(np.arange(6), kept))
    with torch.no_grad():
        h = torch.relu(conv(x))
        h[:, removed] = 0
        y_masked = fc(h.flatten(1))
        y_small = F.linear(torch.relu(F.conv2d(x, torch.from_numpy(ws))).flatten(1), torch.from_numpy(fs))
    torch.testing.assert_close(y_small, y_masked, rtol=1e-12, atol=1e-12)


def test_shrink_keeps_at_least_one_channel():
    w = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 0.5]])
    ws, cs, kept = shrink_channels(w, None, 0.99)
    assert cs is None and list(kept) == [1] and ws.shape == (1, 2)   # L1 norms 2, 4, 3.5


def test_shrink_channels_consumer_mismatch_error():
    with pytest.raises(AccelsimInputError) as info:
        shrink_channels(np.ones((4, 3)), np.ones((2, 5, 3, 3)), 0.5)
    assert str(info.value) == (
        "cannot shrink channels: the consumer does not read the producer's output\n"
        "  - consumer_weight.shape: got (2, 5, 3, 3); allowed: input channels on axis 1 equal to "
        "the producer's 4 output channels (or, for a 2-D consumer, a multiple of 4 columns: a "
        "flattened output)")


def test_shrink_channels_bad_sparsity_error():
    with pytest.raises(AccelsimInputError, match=r"channel.sparsity: got 1.0; allowed"):
        shrink_channels(np.ones((4, 3)), None, 1.0)


# --------------------------------------------------------------- workloads
def _chain_workload(seed):
    rng = np.random.default_rng(seed)
    layers = [
        conv_layer("c1", in_channels=3, in_h=6, in_w=6, out_channels=8, kernel=3, padding=1,
                   weight=rng.normal(size=(8, 3, 3, 3))),
        conv_layer("dw", in_channels=8, in_h=6, in_w=6, out_channels=8, kernel=3, padding=1, groups=8,
                   weight=rng.normal(size=(8, 1, 3, 3))),
        conv_layer("c3", in_channels=8, in_h=6, in_w=6, out_channels=6, kernel=1, stride=2,
                   weight=rng.normal(size=(6, 8, 1, 1))),
        linear_layer("fc", in_features=6 * 3 * 3, out_features=4, weight=rng.normal(size=(4, 54))),
    ]
    return Workload("chain", layers, sequential=True)


def _run(wl, x, masks=None):
    """Forward through the chain with torch; masks[name] zeroes those output channels."""
    masks = masks or {}
    h = x
    for layer in wl:
        w = torch.from_numpy(np.asarray(layer.weight, dtype=np.float64))
        if layer.kind == "conv":
            h = F.conv2d(h, w, stride=layer.conv.stride_h, padding=layer.conv.pad_h, groups=layer.conv.groups)
        else:
            h = F.linear(h.flatten(1), w)
        if layer.name in masks:
            h[:, torch.from_numpy(masks[layer.name])] = 0
        if layer.name != "fc":
            h = torch.relu(h)
    return h


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("scheme", ["channel:0.5:shrink", "channel:0.25:l2:shrink"])
def test_workload_shrink_keeps_function(seed, scheme):
    wl = _chain_workload(seed)
    s, norm = (0.5, "l1") if scheme == "channel:0.5:shrink" else (0.25, "l2")
    out, report = prune_with_report(wl, scheme)

    # independent choice of channels: c1 by its own norms; c3 by its norms over the kept inputs
    kept1 = sorted(set(range(8)) - ref_lowest(_torch_norms(wl["c1"].weight, norm), round(s * 8)))
    c3_w = wl["c3"].weight[:, kept1]
    kept3 = sorted(set(range(6)) - ref_lowest(_torch_norms(c3_w, norm), round(s * 6)))
    removed1 = np.setdiff1d(np.arange(8), kept1)
    removed3 = np.setdiff1d(np.arange(6), kept3)
    # the last layer is masked (not shrunk), ranked on its weight over the kept inputs;
    # flatten order is NCHW, so c3 channel c owns fc columns 9c .. 9c+8
    fc_w = wl["fc"].weight[:, [9 * c + i for c in kept3 for i in range(9)]]
    removed_fc = np.array(sorted(ref_lowest(_torch_norms(fc_w, norm), round(s * 4))), dtype=np.int64)

    x = torch.from_numpy(np.random.default_rng(10 + seed).normal(size=(2, 3, 6, 6)))
    y_masked = _run(wl, x, {"c1": removed1, "c3": removed3, "fc": removed_fc})
    y_small = _run(out, x)
    torch.testing.assert_close(y_small, y_masked, rtol=1e-12, atol=1e-12)

    n1, n3 = len(kept1), len(kept3)
    c1, dw, c3, fc = out["c1"], out["dw"], out["c3"], out["fc"]
    assert (c1.n, c1.k, c1.conv.out_channels) == (n1, 27, n1)
    assert (dw.groups, dw.n, dw.k, dw.conv.in_channels, dw.conv.out_channels) == (n1, 1, 9, n1, n1)
    assert (c3.n, c3.k, c3.conv.in_channels, c3.conv.out_channels) == (n3, n1, n1, n3)
    assert (fc.n, fc.k) == (4, n3 * 9)
    assert report["c1"].notes == (f"shrunk: removed {8 - n1} of 8 output channels",)
    assert report["dw"].notes == (f"channels shrunk with producer 'c1': removed {8 - n1} of 8",)
    assert report["c3"].notes == (f"input channels shrunk by producer 'c1': removed {8 - n1} of 8",
                                  f"shrunk: removed {6 - n3} of 6 output channels")
    assert report["fc"].notes == (
        f"input channels shrunk by producer 'c3': removed {6 - n3} of 6",
        "masked, not shrunk: last layer (its outputs are the model's outputs)")
    # reached sparsity counts removed weights as pruned, against the original size
    assert report["c3"].params == 48 and report["c3"].nonzeros == n3 * n1
    assert report["c3"].reached_sparsity == (48 - n3 * n1) / 48


def test_workload_not_a_chain_is_masked_with_note():
    rng = np.random.default_rng(0)
    layers = [
        conv_layer("a", in_channels=4, in_h=5, in_w=5, out_channels=8, kernel=3, padding=1,
                   weight=rng.normal(size=(8, 4, 3, 3))),
        conv_layer("downsample", in_channels=4, in_h=5, in_w=5, out_channels=8, kernel=1,
                   weight=rng.normal(size=(8, 4, 1, 1))),
        matmul_layer("mm", m=2, k=2, n=2),
    ]
    wl = Workload("res", layers, sequential=True)
    out, report = prune_with_report(wl, "channel:0.5:shrink")
    masked = prune(wl, "channel:0.5")
    for name in ("a", "downsample"):
        np.testing.assert_array_equal(out[name].weight, masked[name].weight)
        assert out[name].weight.shape == wl[name].weight.shape
        assert report[name].notes == (
            "masked, not shrunk: the workload is not a sequential chain (layer 'mm' is a matmul "
            "without weights), so consumers are ambiguous (branches or residual additions)",)
    assert out["mm"] is wl["mm"]
    assert report["mm"].notes == ("not applicable: no weight (matmul operands are activations)",)

    _, report = prune_with_report(Workload("res", layers[:2], sequential=True), "channel:0.5:shrink")
    assert report["a"].notes == (
        "masked, not shrunk: the workload is not a sequential chain (layer 'downsample' reads 4 "
        "input channels but the previous layer 'a' writes 8), so consumers are ambiguous "
        "(branches or residual additions)",)


def test_single_layer_shrink_and_grouped_conv():
    rng = np.random.default_rng(1)
    fc = linear_layer("fc", in_features=3, out_features=4, weight=rng.normal(size=(4, 3)))
    out, report = prune_with_report(fc, "channel:0.5:shrink")
    assert out.weight.shape == (2, 3) and out.n == 2
    assert report.layers[0].notes == ("shrunk: removed 2 of 4 output channels",
                                      "no consumer updated: a single layer")
    grouped = conv_layer("g", in_channels=4, in_h=3, in_w=3, out_channels=4, kernel=1, groups=2,
                         weight=rng.normal(size=(4, 2, 1, 1)))
    out, report = prune_with_report(grouped, "channel:0.5:shrink")
    assert out.weight.shape == (4, 2, 1, 1) and np.sum(~out.weight.any(axis=(1, 2, 3))) == 2
    assert report.layers[0].notes == (
        "masked, not shrunk: grouped conv (groups=2), its output channels are tied to its input "
        "channels",)


def test_array_shrink_returns_smaller_array():
    w = np.array([[1, 2], [0, 1], [5, 5], [-3, 0]], dtype=np.int8)   # L1 norms 3, 1, 10, 3
    out, report = prune_with_report(w, "channel:0.5:shrink")
    np.testing.assert_array_equal(out, np.array([[5, 5], [-3, 0]], dtype=np.int8))
    assert out.dtype == np.int8
    assert report.layers[0].reached_sparsity == (8 - 3) / 8


def test_mlp_workload_shrink_keeps_function():
    rng = np.random.default_rng(7)
    shapes = [(10, 6), (8, 10), (3, 8)]
    wl = Workload("mlp", [linear_layer(f"fc{i}", in_features=k, out_features=n,
                                       weight=rng.normal(size=(n, k)))
                          for i, (n, k) in enumerate(shapes)], sequential=True)
    out = prune(wl, "channel:0.5:shrink")
    assert [layer.weight.shape for layer in out] == [(5, 6), (4, 5), (3, 4)]
    w0, w1, w2 = (layer.weight for layer in wl)
    kept0 = sorted(set(range(10)) - ref_lowest(_torch_norms(w0, "l1"), 5))
    kept1 = sorted(set(range(8)) - ref_lowest(_torch_norms(w1[:, kept0], "l1"), 4))
    masked2 = sorted(ref_lowest(_torch_norms(w2[:, kept1], "l1"), 2))    # last layer: masked
    x = torch.from_numpy(rng.normal(size=(4, 6)))
    h = torch.relu(F.linear(x, torch.from_numpy(w0)))
    h[:, np.setdiff1d(np.arange(10), kept0)] = 0
    h = torch.relu(F.linear(h, torch.from_numpy(w1)))
    h[:, np.setdiff1d(np.arange(8), kept1)] = 0
    y_masked = F.linear(h, torch.from_numpy(w2))
    y_masked[:, masked2] = 0
    y_small = x
    for i, layer in enumerate(out):
        y_small = F.linear(y_small, torch.from_numpy(layer.weight))
        y_small = torch.relu(y_small) if i < 2 else y_small
    torch.testing.assert_close(y_small, y_masked, rtol=1e-12, atol=1e-12)


def test_grouped_consumer_and_trailing_depthwise_are_masked():
    rng = np.random.default_rng(2)
    a = conv_layer("a", in_channels=2, in_h=4, in_w=4, out_channels=4, kernel=1,
                   weight=rng.normal(size=(4, 2, 1, 1)))
    g = conv_layer("g", in_channels=4, in_h=4, in_w=4, out_channels=4, kernel=1, groups=2,
                   weight=rng.normal(size=(4, 2, 1, 1)))
    _, report = prune_with_report(Workload("w", [a, g], sequential=True), "channel:0.5:shrink")
    assert report["a"].notes == ("masked, not shrunk: consumer 'g' is a grouped conv (groups=2)",)
    dw = conv_layer("dw", in_channels=4, in_h=4, in_w=4, out_channels=4, kernel=3, groups=4,
                    weight=rng.normal(size=(4, 1, 3, 3)))
    out, report = prune_with_report(Workload("w", [a, dw], sequential=True), "channel:0.5:shrink")
    assert report["a"].notes == (
        "masked, not shrunk: its channels reach the model's outputs through depthwise layer 'dw'",)
    assert report["dw"].notes == ("masked, not shrunk: last layer (its outputs are the model's outputs)",)
    b = conv_layer("b", in_channels=4, in_h=4, in_w=4, out_channels=4, kernel=1,
                   weight=rng.normal(size=(4, 4, 1, 1)))
    _, report = prune_with_report(Workload("w", [a, g, dw, b], sequential=True), "channel:0.5:shrink")
    assert report["dw"].notes == (
        "masked, not shrunk: depthwise conv whose producer was not shrunk (its channels are its inputs)",)
    assert out["a"].weight.shape == (4, 2, 1, 1) and out["dw"].weight.shape == (4, 1, 3, 3)


def test_unmarked_workload_is_masked_not_shrunk():
    # a layer list cannot show a residual addition: without `sequential` nothing is shrunk
    rng = np.random.default_rng(3)
    a = conv_layer("a", in_channels=4, in_h=4, in_w=4, out_channels=4, kernel=1,
                   weight=rng.normal(size=(4, 4, 1, 1)))
    b = conv_layer("b", in_channels=4, in_h=4, in_w=4, out_channels=4, kernel=1,
                   weight=rng.normal(size=(4, 4, 1, 1)))
    wl = Workload("residual-looking", [a, b])
    out, report = prune_with_report(wl, "channel:0.5:shrink")
    assert [layer.weight.shape for layer in out] == [(4, 4, 1, 1), (4, 4, 1, 1)]
    np.testing.assert_array_equal(out["a"].weight, prune(wl, "channel:0.5")["a"].weight)
    assert report["a"].notes == ("masked, not shrunk: the workload is not marked sequential (it may have "
                                 "branches or residual additions, which a layer list cannot show)",)


def test_bundled_residual_networks_are_not_shrunk_but_vgg_is():
    from accelsim.workload.loaders import load_workload
    assert load_workload("vgg16", weights=False).sequential
    assert load_workload("alexnet", weights=False).sequential
    for name in ("resnet18", "resnet50", "mobilenetv2", "bert-base"):
        assert not load_workload(name, weights=False).sequential, name
    res = load_workload("resnet18")
    out = prune(res, "channel:0.5:shrink")
    assert all(o.weight is None or o.weight.shape == l.weight.shape for o, l in zip(out, res))
