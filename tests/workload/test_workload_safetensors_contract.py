"""The safetensors contract: metadata ``accelsim.workload`` holds a workload YAML, tensor ``<layer>.weight`` its weights.

Written by :func:`save_safetensors` (or by any other tool following
docs/workloads.md) and read back by ``load_workload`` / ``accelsim simulate
--workload FILE`` with the right conv shapes and no ``--input-shape``.
"""

import os

import numpy as np
import pytest
import torch
import yaml
from safetensors import safe_open
from safetensors.numpy import save_file as np_save_file
from torch import nn
from torch.nn.utils import prune as torch_prune

from accelsim.errors import AccelsimInputError
from accelsim.formats import encode
from accelsim.prune import apply_to_module
from accelsim.workload import from_torch, load_workload, with_synthetic_weights
from accelsim.workload.bundled import parse_workload_yaml
from accelsim.workload.checkpoint import WORKLOAD_METADATA_KEY, read_checkpoint, save_safetensors


class _Net(nn.Module):
    """Strides, padding, groups, a residual branch and attention: what a state dict cannot describe."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 5, stride=2, padding=2)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16)
        self.down = nn.Conv2d(16, 32, 1, stride=2)
        self.branch = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.attn = nn.MultiheadAttention(32, 4, batch_first=True)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = torch.relu(self.dw(torch.relu(self.conv1(x))))
        x = self.down(x) + self.branch(x)
        seq = x.flatten(2).transpose(1, 2)
        seq, _ = self.attn(seq, seq, seq)
        return self.fc(seq.mean(1))


def _net():
    torch.manual_seed(0)
    return _Net().eval()


def _layers(workload):
    out = []
    for layer in workload:
        cp = layer.conv
        conv = None if cp is None else (cp.batch, cp.in_channels, cp.in_h, cp.in_w, cp.out_channels,
                                        cp.kernel_h, cp.kernel_w, cp.stride_h, cp.stride_w, cp.pad_h,
                                        cp.pad_w, cp.dilation_h, cp.dilation_w, cp.groups)
        out.append((layer.name, layer.kind, layer.m, layer.k, layer.n, layer.groups, conv,
                    layer.input_density))
    return out


def test_module_round_trip(tmp_path):
    model = _net()
    x = torch.randn(1, 3, 32, 32)
    truth = from_torch(model, x)
    path = save_safetensors(model, tmp_path / "net.safetensors", example_input=x)
    assert path == tmp_path / "net.safetensors"
    got = load_workload(path)                      # no input_shape needed
    assert _layers(got) == _layers(truth)
    for layer in truth:
        if layer.weight is not None:
            np.testing.assert_array_equal(got[layer.name].weight, layer.weight)
    assert got.name == truth.name
    assert read_checkpoint(path).layout == "metadata"
    assert [f.name for f in tmp_path.iterdir()] == ["net.safetensors"]      # no temporary left


def test_file_format_is_the_documented_contract(tmp_path):
    model = _net()
    x = torch.randn(1, 3, 32, 32)
    path = save_safetensors(model, tmp_path / "net.safetensors", example_input=x,
                            metadata={"run": "42"})
    with safe_open(str(path), "np") as f:
        meta = f.metadata()
        keys = set(f.keys())
        conv1 = f.get_tensor("conv1.weight")
    assert meta["run"] == "42" and meta["accelsim.version"]
    parsed = parse_workload_yaml(yaml.safe_load(meta[WORKLOAD_METADATA_KEY]), origin="meta")
    weight_layers = [l for l in parsed.workload if l.kind != "matmul"]
    assert keys == {f"{l.name}.weight" for l in weight_layers}
    assert conv1.shape == (16, 3, 5, 5)
    np.testing.assert_array_equal(conv1, model.conv1.weight.detach().numpy())
    assert parsed.workload["conv1"].conv.stride_h == 2


def test_torch_pruned_module_saves_masked_weights(tmp_path):
    model = _net()
    torch_prune.l1_unstructured(model.fc, "weight", amount=0.5)
    apply_to_module(model.conv1, "nm:2:4", persistent=True)
    x = torch.randn(1, 3, 32, 32)
    got = load_workload(save_safetensors(model, tmp_path / "p.safetensors", example_input=x))
    assert np.count_nonzero(got["fc"].weight) == 160
    assert np.count_nonzero(got["conv1"].weight) == 16 * (18 * 2 + 2)   # K = 75: 18 groups + 3 left
    encode(got["conv1"].weight, "nm:2:4").check(full=True)
    assert not np.signbit(got["conv1"].weight[got["conv1"].weight == 0]).any()


def test_workload_round_trip_with_batch_and_tokens(tmp_path):
    shapes = load_workload("bert-base", tokens=16, weights=False)
    wl = with_synthetic_weights(shapes.with_layers(shapes.layers[:9]), seed=1)   # a layer and a bit
    got = load_workload(save_safetensors(wl, tmp_path / "b.safetensors"), batch=3)
    expected = load_workload("bert-base", tokens=16, batch=3, weights=False).layers[:9]
    assert _layers(got) == _layers(expected)
    for layer in wl:
        if layer.weight is not None:
            np.testing.assert_array_equal(got[layer.name].weight, layer.weight)


def test_bundled_cnn_round_trip_keeps_sequential(tmp_path):
    wl = load_workload("tiny-cnn", seed=2)
    got = load_workload(save_safetensors(wl, tmp_path / "t.safetensors"))
    assert _layers(got) == _layers(wl) and got.sequential and got.name == "tiny-cnn"


def _write(path, yaml_text, tensors):
    np_save_file(tensors, str(path), metadata={WORKLOAD_METADATA_KEY: yaml_text})
    return path


YAML = """name: hand-made
layers:
  - {name: stem, type: conv, in_channels: 3, in_h: 16, in_w: 16, out_channels: 4, kernel: 3, stride: 2, padding: 1}
  - {name: head, type: linear, in_features: 256, out_features: 5, tokens: 1}
"""


def test_file_written_by_another_tool(tmp_path):
    rng = np.random.default_rng(0)
    tensors = {"stem.weight": rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
               "stem.bias": np.zeros(4, np.float32),
               "head.weight": rng.standard_normal((5, 256)).astype(np.float32)}
    got = load_workload(_write(tmp_path / "h.safetensors", YAML, tensors), batch=2)
    assert got.name == "hand-made"
    assert (got["stem"].m, got["stem"].conv.out_h) == (2 * 8 * 8, 8)
    assert got["head"].m == 2
    np.testing.assert_array_equal(got["stem"].weight, tensors["stem.weight"])


def test_missing_and_misshaped_tensors_are_named(tmp_path):
    tensors = {"stem.weight": np.ones((4, 3, 5, 5), np.float32), "other.weight": np.ones((2, 2), np.float32)}
    with pytest.raises(AccelsimInputError) as info:
        load_workload(_write(tmp_path / "h.safetensors", YAML, tensors))
    text = str(info.value)
    assert "stem.weight: got 'shape [4, 3, 5, 5]'; allowed: shape [4, 3, 3, 3] for conv layer 'stem'" in text
    assert "head.weight: got '<missing>'; allowed: a tensor of shape [5, 256]" in text


def test_bad_metadata_yaml(tmp_path):
    ones = {"head.weight": np.ones((5, 256), np.float32)}
    with pytest.raises(AccelsimInputError, match="not valid YAML"):
        load_workload(_write(tmp_path / "a.safetensors", "layers: [unclosed", ones))
    with pytest.raises(AccelsimInputError, match="layers\\[0\\]\\(head\\).type: got 'lstm'"):
        load_workload(_write(tmp_path / "b.safetensors", "name: x\nlayers:\n  - {name: head, type: lstm}\n", ones))
    with pytest.raises(AccelsimInputError, match="accelsim.workload: got ' '"):
        load_workload(_write(tmp_path / "c.safetensors", " ", ones))


def test_nan_in_a_described_weight(tmp_path):
    tensors = {"stem.weight": np.full((4, 3, 3, 3), np.nan, np.float32),
               "head.weight": np.ones((5, 256), np.float32)}
    with pytest.raises(AccelsimInputError, match="stem.weight: got '108 NaN and 0 infinite of 108 values'"):
        load_workload(_write(tmp_path / "n.safetensors", YAML, tensors))


def test_writer_refusals_leave_no_file(tmp_path):
    shapes = load_workload("tiny-cnn", weights=False)
    with pytest.raises(AccelsimInputError, match="conv1.weight: got None"):
        save_safetensors(shapes, tmp_path / "s.safetensors")
    with pytest.raises(AccelsimInputError, match="example_input"):
        save_safetensors(_net(), tmp_path / "s.safetensors")
    batch2 = from_torch(_net(), torch.randn(2, 3, 32, 32))
    with pytest.raises(AccelsimInputError, match="conv1.batch: got 2"):
        save_safetensors(batch2, tmp_path / "s.safetensors")
    with pytest.raises(AccelsimInputError, match="reserved 'accelsim.' prefix"):
        save_safetensors(load_workload("tiny-cnn"), tmp_path / "s.safetensors",
                         metadata={"accelsim.workload": "x"})
    (tmp_path / "folder.safetensors").mkdir()
    with pytest.raises(AccelsimInputError, match="is a folder"):
        save_safetensors(load_workload("tiny-cnn"), tmp_path / "folder.safetensors")
    assert [p.name for p in tmp_path.iterdir()] == ["folder.safetensors"]


def test_writer_replaces_atomically(tmp_path, monkeypatch):
    path = save_safetensors(load_workload("tiny-cnn", seed=0), tmp_path / "t.safetensors")
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", boom)             # interrupted while writing the temporary file
    with pytest.raises(KeyboardInterrupt):
        save_safetensors(load_workload("tiny-cnn", seed=1), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.safetensors"]


def test_safetensors_round_trip_of_a_workload_does_not_import_torch(tmp_path):
    import subprocess
    import sys
    code = ("import sys\nfrom accelsim.workload import load_workload\n"
            "from accelsim.workload.checkpoint import save_safetensors\n"
            f"p = save_safetensors(load_workload('tiny-cnn'), {str(tmp_path / 't.safetensors')!r})\n"
            "assert len(load_workload(p)) == 4\nprint('torch' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
