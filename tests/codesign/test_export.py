"""The saved co-pruned model: read back by accelsim's checkpoint loader exactly as the search measured it."""

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file
from torch import nn

from accelsim.codesign.export import PLAN_METADATA_KEY, save_pruned_model, save_state_dict
from accelsim.codesign.trace import trace_model
from accelsim.sim import simulate
from accelsim.workload.loaders import load_workload


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1, stride=(1, 2))
        self.fc = nn.Linear(4 * 8 * 4, 5)

    def forward(self, x):
        return self.fc(torch.flatten(torch.relu(self.conv(x)), 1))


def _net():
    torch.manual_seed(0)
    net = Net()
    with torch.no_grad():
        net.fc.weight[:, ::2] = 0.0
        net.conv.weight[0] = -0.0                       # a torch-style signed zero
    return net


def test_saved_model_loads_back_as_the_measured_workload(tmp_path):
    net = _net()
    x = torch.rand(1, 1, 8, 8)
    wl = trace_model(net, x, torch.rand(16, 1, 8, 8))
    path = save_pruned_model(tmp_path / "m.safetensors", wl, description="conv=dense fc=unstructured:0.5")
    back = load_workload(str(path))
    assert [l.name for l in back.layers] == ["conv", "fc"]
    for a, b in zip(back.layers, wl.layers):
        assert (a.kind, a.m, a.k, a.n, a.groups, a.conv, a.input_density) == \
               (b.kind, b.m, b.k, b.n, b.groups, b.conv, b.input_density)
        assert np.array_equal(a.weight, b.weight)
    for arch in ("unstructured-os-32x32", "block4x4-ws-32x32"):
        assert simulate(back, arch).total == simulate(wl, arch).total
    with safe_open(str(path), framework="np") as f:
        assert f.metadata()[PLAN_METADATA_KEY] == "conv=dense fc=unstructured:0.5"


def test_state_dict_file_reloads_into_the_module_with_positive_zeros(tmp_path):
    net = _net()
    path = save_state_dict(tmp_path / "state.safetensors", net)
    state = load_file(str(path))
    assert set(state) == set(net.state_dict())
    assert not torch.signbit(state["conv.weight"][0]).any()
    fresh = Net()
    fresh.load_state_dict(state)
    assert torch.equal(fresh.fc.weight, net.fc.weight)
