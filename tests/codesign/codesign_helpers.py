"""A tiny, fast task for the co-pruning tests: a 2-layer CNN on 450 digits images."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from accelsim.codesign.task import Task


class TinyNet(nn.Module):
    """conv 1->8 3x3 (8x8), 2x2 max-pool, linear 128->10."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        return self.fc(torch.flatten(F.max_pool2d(F.relu(self.conv(x)), 2), 1))


def tiny_data():
    """(x_train, y_train, x_val, y_val, x_test, y_test): 300 / 150 / 150 digits images."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.from_numpy((d.images[:600] / 16.0).astype(np.float32)).unsqueeze(1)
    y = torch.from_numpy(d.target[:600].astype(np.int64))
    return x[:300], y[:300], x[300:450], y[300:450], x[450:], y[450:]


def train(model, x, y, epochs, lr=3e-3, seed=0):
    """Adam, batch 50, fixed data order per seed."""
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(x.shape[0], generator=gen)
        for i in range(0, x.shape[0], 50):
            idx = order[i:i + 50]
            opt.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    model.eval()


def scores(model, x, y):
    with torch.no_grad():
        logits = model(x)
    correct = logits.argmax(1) == y
    return {"accuracy": float(correct.double().mean()), "loss": float(F.cross_entropy(logits, y)),
            "correct": correct}


def tiny_task(pretrain_epochs=15, finetune_epochs=2) -> Task:
    """A trained TinyNet and its fine-tune / evaluate / test functions."""
    torch.manual_seed(0)
    xt, yt, xv, yv, xs, ys = tiny_data()
    model = TinyNet()
    train(model, xt, yt, pretrain_epochs)
    return Task(name="tiny", model=model, finetune=lambda m: train(m, xt, yt, finetune_epochs, lr=1e-3, seed=1),
                evaluate=lambda m: scores(m, xv, yv), test=lambda m: scores(m, xs, ys)["accuracy"],
                example_input=xs[:1], calibration_input=xv)
