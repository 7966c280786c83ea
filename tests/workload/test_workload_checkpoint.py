"""Checkpoints: safetensors and torch state dicts become workloads with their real weights."""

import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from torch import nn
from torch.nn.utils import prune as torch_prune

from accelsim.errors import AccelsimInputError
from accelsim.workload import from_torch, load_workload
from accelsim.workload.checkpoint import read_checkpoint


def _linear_state_dict():
    g = torch.Generator().manual_seed(0)
    return {
        "embeddings.word_embeddings.weight": torch.randn(50, 8, generator=g),
        "transformer.wte.weight": torch.randn(50, 8, generator=g),
        "layers.2.attn.q.weight": torch.randn(8, 8, generator=g),
        "layers.2.attn.q.bias": torch.randn(8, generator=g),
        "layers.10.mlp.fc1.weight": torch.randn(16, 8, generator=g),
        "layers.10.norm.weight": torch.ones(8),
        "head.weight": torch.randn(3, 16, generator=g).half(),
        "running_mean": torch.zeros(4),
    }


def _shapes(workload):
    """What the simulator sees of each layer."""
    out = []
    for layer in workload:
        conv = None
        if layer.conv is not None:
            cp = layer.conv
            conv = (cp.batch, cp.in_channels, cp.in_h, cp.in_w, cp.out_channels, cp.kernel_h,
                    cp.kernel_w, cp.stride_h, cp.stride_w, cp.pad_h, cp.pad_w, cp.groups)
        out.append((layer.name, layer.kind, layer.m, layer.k, layer.n, layer.groups, conv))
    return out


# ----------------------------------------------------------------- linear-only files
def test_safetensors_natural_order(tmp_path):
    sd = _linear_state_dict()
    path = tmp_path / "model.safetensors"
    save_file(sd, str(path))
    w = load_workload(path, tokens=5, batch=2)
    # natural key order: layers.2 before layers.10 (safetensors keeps no order)
    assert [l.name for l in w] == ["head", "layers.2.attn.q", "layers.10.mlp.fc1"]
    fc1 = w["layers.10.mlp.fc1"]
    assert (fc1.kind, fc1.m, fc1.k, fc1.n) == ("linear", 10, 8, 16)
    np.testing.assert_array_equal(fc1.weight, sd["layers.10.mlp.fc1.weight"].numpy())
    head = w["head"]
    assert head.weight.dtype == np.float32
    np.testing.assert_array_equal(head.weight, sd["head.weight"].float().numpy())
    assert w.name == "model"          # no config.json beside it: the file name


def test_safetensors_bfloat16(tmp_path):
    t = torch.randn(4, 6).to(torch.bfloat16)
    save_file({"fc.weight": t}, str(tmp_path / "bf.safetensors"))
    w = load_workload(tmp_path / "bf.safetensors")
    np.testing.assert_array_equal(w["fc"].weight, t.float().numpy())


def test_torch_state_dict_keeps_module_order(tmp_path):
    sd = _linear_state_dict()
    path = tmp_path / "model.pt"
    torch.save(sd, path)
    scan = read_checkpoint(path, tokens=3)
    assert [l.name for l in scan.workload] == ["layers.2.attn.q", "layers.10.mlp.fc1", "head"]
    np.testing.assert_array_equal(scan.workload["layers.2.attn.q"].weight,
                                  sd["layers.2.attn.q.weight"].numpy())
    reasons = {s.key: s.reason for s in scan.skipped}
    assert "embedding" in reasons["embeddings.word_embeddings.weight"]
    assert "embedding" in reasons["transformer.wte.weight"]
    assert "1-D" in reasons["layers.10.norm.weight"]
    assert not [s for s in scan.skipped if s.notable]


def test_torch_wrapped_state_dict_and_nn_module(tmp_path):
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
    torch.save({"state_dict": model.state_dict(), "epoch": 3}, tmp_path / "ckpt.pth")
    w = load_workload(tmp_path / "ckpt.pth", tokens=7)
    assert [(l.name, l.m, l.k, l.n) for l in w] == [("0", 7, 4, 6), ("2", 7, 6, 2)]
    np.testing.assert_array_equal(w["2"].weight, model[2].weight.detach().numpy())


# ----------------------------------------------------------------- torch.nn.utils.prune
def _pruned_mlp():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8))
    torch_prune.l1_unstructured(model[0], "weight", amount=0.75)
    torch_prune.ln_structured(model[2], "weight", amount=0.5, n=2, dim=0)
    return model


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_torch_prune_state_dict_loads_the_masked_weight(tmp_path, suffix):
    model = _pruned_mlp()
    sd = model.state_dict()
    assert "0.weight_orig" in sd and "0.weight_mask" in sd and "0.weight" not in sd
    path = tmp_path / f"pruned{suffix}"
    if suffix == ".pt":
        torch.save(sd, path)
    else:
        save_file({k: v.contiguous() for k, v in sd.items()}, str(path))
    w = load_workload(path, tokens=4)
    assert [l.name for l in w] == ["0", "2"]
    for name, module in (("0", model[0]), ("2", model[2])):
        expected = module.weight.detach().numpy()            # what the module computes with
        assert ((expected == 0) & np.signbit(expected)).any()   # torch leaves -0.0 ...
        np.testing.assert_array_equal(w[name].weight, expected)
        assert not np.signbit(w[name].weight[w[name].weight == 0]).any()   # ... we store +0.0
    assert np.count_nonzero(w["0"].weight) == 0.25 * 16 * 32
    assert np.count_nonzero(w["2"].weight) == 0.5 * 32 * 8


def test_prune_mask_of_the_wrong_shape(tmp_path):
    torch.save({"fc.weight_orig": torch.ones(4, 4), "fc.weight_mask": torch.ones(4, 2)}, tmp_path / "m.pt")
    with pytest.raises(AccelsimInputError) as info:
        load_workload(tmp_path / "m.pt")
    assert "fc.weight_mask: got 'shape [4, 2]'; allowed: the shape of fc.weight_orig, [4, 4]" in str(info.value)


# ----------------------------------------------------------------- convs
def _same_cnn():
    """Convs of stride 1 and 'same' padding: the checkpoint assumption holds, so from_torch is the truth.

    torchvision-style names (features.N, classifier), whose natural order is the module order.
    """
    torch.manual_seed(0)
    return nn.Sequential(nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
                                       nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.ReLU(),
                                       nn.Conv2d(8, 16, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten()),
                         nn.Linear(16, 10))


def _save(model_or_sd, path):
    sd = model_or_sd if isinstance(model_or_sd, dict) else model_or_sd.state_dict()
    if path.suffix == ".pt":
        torch.save(sd, path)
    else:
        save_file({k: v.contiguous() for k, v in sd.items()}, str(path))
    return path


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
@pytest.mark.parametrize("batch", [1, 2])
def test_cnn_state_dict_keeps_its_convs(tmp_path, suffix, batch):
    model = _same_cnn()
    path = _save(model, tmp_path / f"cnn{suffix}")
    with pytest.warns(UserWarning, match="stride 1 with 'same' padding"):
        got = load_workload(path, input_shape=(3, 20, 24), batch=batch, tokens=128)
    truth = from_torch(model, torch.randn(batch, 3, 20, 24))
    assert _shapes(got) == _shapes(truth)                      # fc: M = batch, not 128 tokens
    assert got["1"].m == batch
    assert got["0.2"].groups == 8
    assert got.macs == truth.macs
    for layer in truth:
        np.testing.assert_array_equal(got[layer.name].weight, layer.weight)


def test_safetensors_cnn_puts_linears_after_convs(tmp_path):
    # ResNet-style names: natural order puts 'fc' before 'layer1'; safetensors keeps no order,
    # so convs come first, then linears.
    torch.manual_seed(0)
    sd = {"conv1.weight": torch.randn(8, 3, 3, 3), "fc.weight": torch.randn(10, 8),
          "layer1.0.conv1.weight": torch.randn(8, 8, 3, 3), "layer1.0.conv2.weight": torch.randn(8, 8, 3, 3)}
    path = _save(sd, tmp_path / "r.safetensors")
    with pytest.warns(UserWarning, match="stride 1"):
        got = load_workload(path, input_shape=(3, 8, 8))
    assert [l.name for l in got] == ["conv1", "layer1.0.conv1", "layer1.0.conv2", "fc"]
    torch.save(sd, tmp_path / "r.pt")                # a torch file keeps its own order
    with pytest.warns(UserWarning, match="stride 1"):
        got = load_workload(tmp_path / "r.pt", input_shape=(3, 8, 8))
    assert [l.name for l in got] == ["conv1", "fc", "layer1.0.conv1", "layer1.0.conv2"]


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_convs_without_input_shape_name_the_option(tmp_path, suffix):
    path = _save(_same_cnn(), tmp_path / f"cnn{suffix}")
    with pytest.raises(AccelsimInputError) as info:
        load_workload(path)
    text = str(info.value)
    assert "3 convolution weight(s)" in text and "--input-shape" in text and "input_shape=" in text
    assert "--topology" in text


def test_input_shape_that_does_not_fit_the_first_conv(tmp_path):
    torch.save(_same_cnn().state_dict(), tmp_path / "cnn.pt")
    with pytest.raises(AccelsimInputError) as info:
        load_workload(tmp_path / "cnn.pt", input_shape=(4, 32, 32))
    assert "input_shape: got (4, 32, 32); allowed: 3 input channels, as the first conv 0.0.weight" in str(info.value)


@pytest.mark.parametrize("bad", [(0, 4, 4), (3, -1, 4), (3.0, 4, 4), (True, 4, 4), "3,32,32",
                                 (3, 4, 4, 4), (3,), (3, 10**7, 4)])
def test_bad_input_shape(tmp_path, bad):
    torch.save(_same_cnn().state_dict(), tmp_path / "cnn.pt")
    with pytest.raises(AccelsimInputError, match=r"input_shape: got .*allowed: \(C, H, W\) or \(C, L\)"):
        load_workload(tmp_path / "cnn.pt", input_shape=bad)


def test_conv1d_state_dict(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(4, 8, 3, padding=1), nn.ReLU(), nn.Conv1d(8, 8, 5, padding=2))
    torch.save(model.state_dict(), tmp_path / "c1.pt")
    with pytest.warns(UserWarning, match="stride 1"):
        got = load_workload(tmp_path / "c1.pt", input_shape=(4, 50))
    assert _shapes(got) == _shapes(from_torch(model, torch.randn(1, 4, 50)))


def test_input_shape_and_topology_are_for_checkpoints_only():
    with pytest.raises(AccelsimInputError, match="only checkpoints need an input shape"):
        load_workload("tiny-cnn", input_shape=(3, 16, 16))
    with pytest.raises(AccelsimInputError, match="topology: got 'resnet18'"):
        load_workload("tiny-cnn", topology="resnet18")


# ----------------------------------------------------------------- topology
def _bundled_state_dict(name):
    shapes = load_workload(name, seed=4)
    return shapes, {f"{l.name}.weight": torch.from_numpy(np.array(l.weight)) for l in shapes
                    if l.weight is not None}


def test_topology_gives_exact_shapes(tmp_path):
    truth, sd = _bundled_state_dict("tiny-cnn")
    sd["conv1.bias"] = torch.zeros(8)
    torch.save(sd, tmp_path / "tiny.pt")
    got = load_workload(tmp_path / "tiny.pt", topology="tiny-cnn")
    assert _shapes(got) == _shapes(truth)             # strides, padding, fc tokens: as the YAML says
    for layer in truth:
        np.testing.assert_array_equal(got[layer.name].weight, layer.weight)


def test_topology_with_missing_and_misshaped_tensors(tmp_path):
    _, sd = _bundled_state_dict("tiny-cnn")
    del sd["conv2.weight"]
    sd["fc.weight"] = torch.ones(10, 1000)
    torch.save(sd, tmp_path / "tiny.pt")
    with pytest.raises(AccelsimInputError) as info:
        load_workload(tmp_path / "tiny.pt", topology="tiny-cnn")
    text = str(info.value)
    assert "conv2.weight: got '<missing>'; allowed: a tensor of shape [16, 8, 3, 3]" in text
    assert "fc.weight: got 'shape [10, 1000]'; allowed: shape [10, 1024]" in text


# ----------------------------------------------------------------- bad tensors
@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_nan_and_inf_weights_are_refused_by_name(tmp_path, suffix):
    a, b = torch.randn(4, 4), torch.randn(4, 4)
    a[1, 2] = float("nan")
    b[0, 0] = float("inf")
    b[3, 3] = -float("inf")
    sd = {"a.weight": a, "b.weight": b, "c.weight": torch.randn(4, 4)}
    path = tmp_path / f"bad{suffix}"
    torch.save(sd, path) if suffix == ".pt" else save_file(sd, str(path))
    with pytest.raises(AccelsimInputError) as info:
        load_workload(path)
    text = str(info.value)
    assert "a.weight: got '1 NaN and 0 infinite of 16 values'" in text
    assert "b.weight: got '0 NaN and 2 infinite of 16 values'" in text
    assert "c.weight" not in text and "finite numbers only" in text


def test_float64_beyond_float32_range_is_refused(tmp_path):
    torch.save({"fc.weight": torch.full((2, 2), 1e300, dtype=torch.float64)}, tmp_path / "big.pt")
    with pytest.raises(AccelsimInputError, match=r"fc.weight: got '0 NaN and 4 infinite of 4 values "
                                                 r"\(after conversion to float32\)'"):
        load_workload(tmp_path / "big.pt")


def test_sparse_tensors_are_densified(tmp_path):
    torch.manual_seed(0)
    dense_a = torch.randn(6, 8) * (torch.rand(6, 8) < 0.3)
    dense_b = torch.randn(4, 6) * (torch.rand(4, 6) < 0.5)
    torch.save({"a.weight": dense_a.to_sparse(), "b.weight": dense_b.to_sparse_csr()}, tmp_path / "sp.pt")
    w = load_workload(tmp_path / "sp.pt", tokens=2)
    np.testing.assert_array_equal(w["a"].weight, dense_a.numpy())
    np.testing.assert_array_equal(w["b"].weight, dense_b.numpy())


def test_meta_tensors_are_refused_by_name(tmp_path):
    with torch.device("meta"):
        model = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 2))
    torch.save(model.state_dict(), tmp_path / "meta.pt")
    with pytest.raises(AccelsimInputError) as info:
        load_workload(tmp_path / "meta.pt")
    text = str(info.value)
    assert "0.weight: got 'a tensor of shape [8, 4] without data'" in text
    assert "1.weight: got 'a tensor of shape [2, 8] without data'" in text
    assert "meta tensor" in text


def test_negative_zeros_become_positive_zeros(tmp_path):
    w = torch.tensor([[-0.0, 1.0, 0.0, -2.0]])
    torch.save({"fc.weight": w}, tmp_path / "z.pt")
    got = load_workload(tmp_path / "z.pt")["fc"].weight
    assert got.tolist() == [[0.0, 1.0, 0.0, -2.0]] and not np.signbit(got[0, 0])


# ----------------------------------------------------------------- refusals kept
class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pickle_with_code_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.bin"
    torch.save({"fc.weight": torch.ones(2, 2), "payload": _Evil(marker)}, path)
    with pytest.raises(AccelsimInputError, match="weights_only"):
        load_workload(path)
    assert not marker.exists()


def test_pickled_module_is_refused(tmp_path):
    torch.save(nn.Linear(2, 2), tmp_path / "module.pt")
    with pytest.raises(AccelsimInputError, match="state_dict"):
        load_workload(tmp_path / "module.pt")


def test_no_usable_weight(tmp_path):
    save_file({"embed.weight": torch.ones(4, 4), "b": torch.ones(3)}, str(tmp_path / "e.safetensors"))
    with pytest.raises(AccelsimInputError, match="no conv or linear layers") as info:
        load_workload(tmp_path / "e.safetensors")
    assert "embedding" in str(info.value)


def test_conv3d_is_skipped_with_a_warning(tmp_path):
    torch.save({"c3.weight": torch.ones(2, 2, 3, 3, 3), "fc.weight": torch.ones(2, 4)}, tmp_path / "c3.pt")
    with pytest.warns(UserWarning, match=r"c3.weight \[2, 2, 3, 3, 3\]: 5-D weight"):
        w = load_workload(tmp_path / "c3.pt")
    assert [l.name for l in w] == ["fc"]


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_corrupt_file(tmp_path, suffix):
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(b"this is not a checkpoint at all")
    with pytest.raises(AccelsimInputError, match="cannot read checkpoint"):
        load_workload(path)


def test_top_level_tensor_is_refused(tmp_path):
    torch.save(torch.ones(3, 3), tmp_path / "t.pt")
    with pytest.raises(AccelsimInputError, match="a dict of tensors"):
        load_workload(tmp_path / "t.pt")
