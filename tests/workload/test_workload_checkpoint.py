"""Checkpoints: safetensors and torch state dicts become linear layers with real weights."""

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from accelsim.errors import AccelsimInputError
from accelsim.workload import load_workload
from accelsim.workload.checkpoint import read_checkpoint


def _state_dict():
    g = torch.Generator().manual_seed(0)
    return {
        "embeddings.word_embeddings.weight": torch.randn(50, 8, generator=g),
        "transformer.wte.weight": torch.randn(50, 8, generator=g),
        "layers.2.attn.q.weight": torch.randn(8, 8, generator=g),
        "layers.2.attn.q.bias": torch.randn(8, generator=g),
        "layers.10.mlp.fc1.weight": torch.randn(16, 8, generator=g),
        "layers.10.norm.weight": torch.ones(8),
        "head.weight": torch.randn(3, 16, generator=g).half(),
        "conv.weight": torch.randn(4, 3, 3, 3, generator=g),
        "running_mean": torch.zeros(4),
    }


def test_safetensors(tmp_path):
    sd = _state_dict()
    path = tmp_path / "model.safetensors"
    save_file(sd, str(path))
    with pytest.warns(UserWarning, match="conv.weight"):
        w = load_workload(path, tokens=5, batch=2)
    # natural key order: layers.2 before layers.10
    assert [l.name for l in w] == ["head", "layers.2.attn.q", "layers.10.mlp.fc1"]
    fc1 = w["layers.10.mlp.fc1"]
    assert (fc1.kind, fc1.m, fc1.k, fc1.n) == ("linear", 10, 8, 16)
    np.testing.assert_array_equal(fc1.weight, sd["layers.10.mlp.fc1.weight"].numpy())
    head = w["head"]
    assert head.weight.dtype == np.float32
    np.testing.assert_array_equal(head.weight, sd["head.weight"].float().numpy())
    assert w.name == "model"


def test_safetensors_bfloat16(tmp_path):
    t = torch.randn(4, 6).to(torch.bfloat16)
    save_file({"fc.weight": t}, str(tmp_path / "bf.safetensors"))
    w = load_workload(tmp_path / "bf.safetensors")
    np.testing.assert_array_equal(w["fc"].weight, t.float().numpy())


def test_torch_state_dict_keeps_module_order(tmp_path):
    sd = _state_dict()
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
    assert "4-D" in reasons["conv.weight"] and "input size" in reasons["conv.weight"]
    assert [s.key for s in scan.skipped if s.notable] == ["conv.weight"]


def test_torch_wrapped_state_dict_and_nn_module(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2))
    torch.save({"state_dict": model.state_dict(), "epoch": 3}, tmp_path / "ckpt.pth")
    w = load_workload(tmp_path / "ckpt.pth", tokens=7)
    assert [(l.name, l.m, l.k, l.n) for l in w] == [("0", 7, 4, 6), ("2", 7, 6, 2)]
    np.testing.assert_array_equal(w["2"].weight, model[2].weight.detach().numpy())


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
    torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pt")
    with pytest.raises(AccelsimInputError, match="state_dict"):
        load_workload(tmp_path / "module.pt")


def test_no_usable_weight(tmp_path):
    save_file({"embed.weight": torch.ones(4, 4), "b": torch.ones(3)}, str(tmp_path / "e.safetensors"))
    with pytest.raises(AccelsimInputError, match="no linear layers") as info:
        load_workload(tmp_path / "e.safetensors")
    assert "embedding" in str(info.value)


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
