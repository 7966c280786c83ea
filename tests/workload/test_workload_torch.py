"""from_torch: shapes, real weights, input densities and attention matmuls of a live model."""

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from accelsim.errors import AccelsimInputError
from accelsim.workload import from_torch


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, stride=1, padding=1), nn.ReLU(),
            nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2, bias=False), nn.ReLU(),
            nn.Conv2d(8, 4, 1, dilation=1))
        self.head = nn.Linear(4 * 6 * 6, 5)

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


def test_cnn_shapes_weights_and_density():
    torch.manual_seed(0)
    model = SmallCNN()
    x = torch.randn(2, 3, 12, 12)
    w = from_torch(model, x)
    assert [l.name for l in w] == ["features.0", "features.2", "features.4", "head"]
    assert w.name == "SmallCNN" and w.source == "torch"
    c0, c2, c4, head = w.layers
    # features.0: 12x12 stays 12x12 -> M = 2*144, K = 3*3*3, N = 8
    assert (c0.m, c0.k, c0.n, c0.groups) == (288, 27, 8, 1)
    # features.2: (12 + 2 - 3)//2 + 1 = 6 -> M = 2*36, K = (8/2)*9, N = 8/2, 2 groups
    assert (c2.m, c2.k, c2.n, c2.groups) == (72, 36, 4, 2)
    assert (c2.conv.stride_h, c2.conv.pad_h, c2.conv.in_h) == (2, 1, 12)
    assert (head.kind, head.m, head.k, head.n) == ("linear", 2, 144, 5)
    for layer, module in zip(w.layers, [model.features[0], model.features[2], model.features[4],
                                        model.head]):
        assert layer.weight.dtype == np.float32
        np.testing.assert_array_equal(layer.weight, module.weight.detach().numpy())
    assert c0.input_density == 1.0
    relu_out = torch.relu(model.features[0](x))
    assert c2.input_density == pytest.approx(float((relu_out != 0).float().mean()))
    assert 0.2 < c2.input_density < 0.8


def test_conv_weight_matrix_reproduces_the_conv_as_a_gemm():
    # im2col with torch's unfold, then out = cols^T @ W^T per group: checks K ordering (C, R, S).
    torch.manual_seed(1)
    model = SmallCNN()
    x = torch.randn(1, 3, 12, 12)
    layer = from_torch(model, x)["features.2"]
    with torch.no_grad():
        act = torch.relu(model.features[0](x))
    cols = F.unfold(act, 3, padding=1, stride=2)[0]          # (C*R*S, L)
    wm = layer.weight_matrix()                               # (groups*N, K)
    c_per_group = 4
    outs = []
    for g in range(layer.groups):
        part = cols[g * c_per_group * 9:(g + 1) * c_per_group * 9].numpy()  # (K, M)
        outs.append(part.T @ wm[g * layer.n:(g + 1) * layer.n].T)           # (M, N)
    got = np.concatenate(outs, axis=1)
    with torch.no_grad():
        want = model.features[2](act)[0].reshape(8, -1).T.numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert got.shape == (layer.m, layer.groups * layer.n)


class TinySelfAttention(nn.Module):
    def __init__(self, dim=16, heads=2):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.o = nn.Linear(dim, dim)
        self.register_buffer("mix", torch.eye(dim))

    def forward(self, x):
        b, t, d = x.shape
        h = self.heads

        def split(y):
            return y.view(b, t, h, d // h).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        att = torch.softmax(q @ k.transpose(-2, -1) / (d // h) ** 0.5, dim=-1)
        y = torch.matmul(att, v).transpose(1, 2).reshape(b, t, d)
        y = y @ self.mix                      # buffer operand: not an activation matmul
        y = y + x @ self.o.weight.t()         # parameter view: not an activation matmul
        return self.o(y)


def test_self_attention_records_projections_and_two_matmuls():
    torch.manual_seed(2)
    model = TinySelfAttention()
    x = torch.randn(3, 5, 16)
    w = from_torch(model, x, name="attn")
    assert w.name == "attn"
    assert [l.name for l in w] == ["q", "k", "v", "matmul0", "matmul1", "o"]
    q = w["q"]
    assert (q.kind, q.m, q.k, q.n) == ("linear", 15, 16, 16)  # tokens = batch 3 * seq 5
    np.testing.assert_array_equal(q.weight, model.q.weight.detach().numpy())
    scores, context = w["matmul0"], w["matmul1"]
    # per (batch, head): (5 x 8) @ (8 x 5) and (5 x 5) @ (5 x 8); 3 * 2 = 6 of each
    assert (scores.kind, scores.m, scores.k, scores.n, scores.groups) == ("matmul", 5, 8, 5, 6)
    assert (context.m, context.k, context.n, context.groups) == (5, 5, 8, 6)
    assert scores.weight is None


def test_scaled_dot_product_attention_is_two_matmuls():
    class Sdpa(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(8, 24)

        def forward(self, x):
            q, k, v = self.proj(x).view(2, 7, 3, 8).permute(2, 0, 1, 3)
            return F.scaled_dot_product_attention(q.unsqueeze(1), k.unsqueeze(1), v.unsqueeze(1))
    w = from_torch(Sdpa(), torch.randn(2, 7, 8))
    assert [l.name for l in w] == ["proj", "sdpa0.scores", "sdpa0.context"]
    s, c = w["sdpa0.scores"], w["sdpa0.context"]
    assert (s.m, s.k, s.n, s.groups) == (7, 8, 7, 2)
    assert (c.m, c.k, c.n, c.groups) == (7, 7, 8, 2)


def test_multihead_attention_module():
    torch.manual_seed(3)
    layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32, batch_first=True)
    layer.train()
    w = from_torch(layer, torch.randn(2, 6, 16))
    assert layer.training  # training flags are restored
    names = [l.name for l in w]
    assert names == ["self_attn.in_proj_q", "self_attn.in_proj_k", "self_attn.in_proj_v",
                     "self_attn.scores", "self_attn.context", "self_attn.out_proj",
                     "linear1", "linear2"]
    in_w = layer.self_attn.in_proj_weight.detach().numpy()
    np.testing.assert_array_equal(w["self_attn.in_proj_k"].weight, in_w[16:32])
    np.testing.assert_array_equal(w["self_attn.out_proj"].weight,
                                  layer.self_attn.out_proj.weight.detach().numpy())
    scores = w["self_attn.scores"]
    assert (scores.m, scores.k, scores.n, scores.groups) == (6, 4, 6, 8)  # 2 batch * 4 heads
    assert (w["linear1"].m, w["linear1"].k, w["linear1"].n) == (12, 16, 32)


def test_conv1d_and_repeated_module_calls():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(4, 6, 5, stride=2, padding=2)
            self.fc = nn.Linear(6, 6)

        def forward(self, x):
            y = self.conv(x).transpose(1, 2)
            return self.fc(self.fc(y))
    net = Net()
    w = from_torch(net, torch.randn(1, 4, 20))
    assert [l.name for l in w] == ["conv", "fc", "fc#2"]
    conv = w["conv"]
    # (20 + 4 - 5)//2 + 1 = 10 output positions
    assert (conv.m, conv.k, conv.n) == (10, 4 * 5, 6)
    assert conv.weight.shape == (6, 4, 1, 5)
    np.testing.assert_array_equal(conv.weight[:, :, 0, :], net.conv.weight.detach().numpy())
    assert w["fc#2"].m == 10


def test_unbatched_and_keyword_inputs():
    lin = nn.Linear(3, 2)
    assert from_torch(lin, torch.randn(3))["Linear"].m == 1  # root module named by class
    assert from_torch(lin, {"input": torch.randn(4, 3)})["Linear"].m == 4


@pytest.mark.parametrize("model, example, match", [
    ("not a model", torch.randn(1), "torch.nn.Module"),
    (nn.Linear(3, 2), None, "example_input"),
    (nn.Linear(3, 2), [1, 2, 3], "example_input"),
    (nn.Linear(3, 2), torch.randn(4, 5), "failed"),
    (nn.ReLU(), torch.randn(4), "no GEMM layers"),
])
def test_errors(model, example, match):
    with pytest.raises(AccelsimInputError, match=match):
        from_torch(model, example)


def test_failed_forward_removes_hooks():
    lin = nn.Linear(3, 2)
    with pytest.raises(AccelsimInputError):
        from_torch(lin, torch.randn(4, 5))
    assert not lin._forward_hooks and not lin._forward_pre_hooks
