"""The safetensors file of a pruned model: workload YAML in the metadata, weights by layer name."""

import numpy as np
import pytest
import torch
import yaml
from safetensors import safe_open
from torch import nn

from accelsim.codesign.export import WORKLOAD_METADATA_KEY, save_pruned_model, workload_yaml_text
from accelsim.workload import from_torch
from accelsim.workload.bundled import parse_workload_yaml


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1, stride=(1, 2))
        self.proj = nn.Conv1d(4, 6, 3, padding=1)
        self.fc = nn.Linear(6 * 4, 5)

    def forward(self, x):
        h = torch.relu(self.conv(x))                    # (1, 4, 8, 4)
        h = torch.relu(self.proj(h.mean(2)))            # (1, 6, 4)
        return self.fc(torch.flatten(h, 1))


def _workload():
    torch.manual_seed(0)
    net = Net()
    with torch.no_grad():
        net.fc.weight[:, ::2] = -0.0                     # torch-style signed zeros
    return net, from_torch(net, torch.rand(1, 1, 8, 8))


def test_yaml_round_trips_through_the_bundled_schema():
    _, wl = _workload()
    parsed = parse_workload_yaml(yaml.safe_load(workload_yaml_text(wl)), origin="test").workload
    assert [l.name for l in parsed.layers] == [l.name for l in wl.layers]
    for a, b in zip(parsed.layers, wl.layers):
        assert (a.kind, a.m, a.k, a.n, a.groups, a.conv, a.input_density) == \
               (b.kind, b.m, b.k, b.n, b.groups, b.conv, b.input_density)


def test_safetensors_holds_yaml_and_positive_zero_weights(tmp_path):
    net, wl = _workload()
    path = save_pruned_model(tmp_path / "m.safetensors", net, wl)
    with safe_open(path, framework="pt") as f:
        meta = f.metadata()
        names = set(f.keys())
        tensors = {k: f.get_tensor(k).numpy() for k in names}
    assert yaml.safe_load(meta[WORKLOAD_METADATA_KEY])["layers"][0]["name"] == "conv"
    for layer in wl.layers:
        w = tensors[f"{layer.name}.weight"]
        assert w.shape == layer.weight.shape and np.array_equal(w, layer.weight)
        assert not np.signbit(w[w == 0]).any()
    assert {"conv.bias", "proj.bias", "fc.bias"} <= names
    assert not list(tmp_path.glob(".*tmp"))             # no temporary left behind


def test_conv_batch_other_than_one_is_refused():
    net, _ = _workload()
    wl = from_torch(net, torch.rand(2, 1, 8, 8))
    with pytest.raises(ValueError, match="batch 2"):
        workload_yaml_text(wl)
