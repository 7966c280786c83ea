"""The bundled offline task: a small CNN on scikit-learn's handwritten digits (8x8, no download).

Data: ``sklearn.datasets.load_digits`` (1,797 images, 10 classes, pixel
values 0-16, scaled to [0, 1]), split by a stratified shuffle of the seed into
50% training, 25% validation (accepts or rejects every fine-tuned candidate)
and 25% test (reported only). The one-shot sensitivity that ranks candidates
is the loss on the first 449 training images, so the validation set is not
also used to choose among patterns.

Model (``DigitsCNN``, 40,570 weights): conv 1->16 3x3, conv 16->32 3x3,
2x2 max-pool, conv 32->64 3x3, 2x2 max-pool, linear 256->64, linear 64->10,
ReLU between. Training: Adam, batch 32, cross-entropy; pre-training
``pretrain_epochs`` from lr 2e-3, every fine-tune ``finetune_epochs`` from lr 1e-3
with the same data order, the learning rate annealed to 0 on a cosine in
every run. One torch thread and deterministic algorithms: the
same seed gives the same weights, bit for bit, on a given machine.

Confirmation folds (:mod:`accelsim.codesign.confirm`): the training split is
cut, stratified by the seed, into ``DEFAULT_FOLDS`` parts; fold ``j`` trains a
fresh model (same seed and budgets) on the other parts plus the validation
split and validates on part ``j``. The test split is in no fold.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from accelsim.codesign.task import Task

__all__ = ["DigitsCNN", "DigitsData", "load_digits_data", "digits_task", "train_epochs",
           "DEFAULT_PRETRAIN_EPOCHS", "DEFAULT_FINETUNE_EPOCHS", "DEFAULT_FOLDS", "digits_folds", "fold_indices"]

DEFAULT_PRETRAIN_EPOCHS = 30
DEFAULT_FINETUNE_EPOCHS = 12
DEFAULT_FOLDS = 2                   # confirmation folds: 2 x 449 images never used by the search
_BATCH = 32
_SENSITIVITY_SAMPLES = 449          # training images that rank one-shot damage (as many as validation)
_PRETRAIN_LR = 2e-3
_FINETUNE_LR = 1e-3


class DigitsCNN(nn.Module):
    """Three 3x3 convs and two linear layers for 1x8x8 digit images."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 2 * 2, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):  # noqa: D102 - torch API
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.max_pool2d(F.relu(self.conv3(x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


class DigitsData:
    """Train / validation / test tensors: ``x_*`` of shape (n, 1, 8, 8) in [0, 1], ``y_*`` int64."""

    def __init__(self, x_train, y_train, x_val, y_val, x_test, y_test):
        self.x_train, self.y_train = x_train, y_train
        self.x_val, self.y_val = x_val, y_val
        self.x_test, self.y_test = x_test, y_test


def load_digits_data(seed: int = 0) -> DigitsData:
    """Load and split the digits data set (stratified 50/25/25 by ``seed``)."""
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = digits.images.astype(np.float32) / 16.0
    y = digits.target.astype(np.int64)
    x_train, x_rest, y_train, y_rest = train_test_split(x, y, test_size=0.5, stratify=y, random_state=seed)
    x_val, x_test, y_val, y_test = train_test_split(x_rest, y_rest, test_size=0.5, stratify=y_rest,
                                                    random_state=seed)

    def t(a):
        return torch.from_numpy(np.ascontiguousarray(a))
    return DigitsData(t(x_train).unsqueeze(1), t(y_train), t(x_val).unsqueeze(1), t(y_val),
                      t(x_test).unsqueeze(1), t(y_test))


def train_epochs(model: nn.Module, data: DigitsData, epochs: int, lr: float, seed: int) -> None:
    """Train ``model`` in place: Adam, batch 32, learning rate ``lr`` annealed to 0 on a cosine over
    the run, data order drawn from a generator seeded ``seed``.

    The cosine schedule ends every run at a low learning rate, so the final
    weights (and accuracies) do not depend on where a noisy last step landed.
    """
    gen = torch.Generator().manual_seed(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    if epochs <= 0 or not params:
        return
    opt = torch.optim.Adam(params, lr=lr)
    n = data.x_train.shape[0]
    total = epochs * -(-n // _BATCH)
    step = 0
    model.train()
    for _ in range(epochs):
        order = torch.randperm(n, generator=gen)
        for i in range(0, n, _BATCH):
            for group in opt.param_groups:
                group["lr"] = lr * 0.5 * (1.0 + math.cos(math.pi * step / total))
            idx = order[i:i + _BATCH]
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(data.x_train[idx]), data.y_train[idx]).backward()
            opt.step()
            step += 1
    model.eval()


def _scores(model: nn.Module, x, y) -> dict:
    was = model.training
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = float(F.cross_entropy(logits, y).item())
        correct = logits.argmax(1) == y
        acc = float(correct.double().mean().item())
    model.train(was)
    return {"accuracy": acc, "loss": loss, "correct": correct.numpy()}


def fold_indices(data: DigitsData, seed: int, count: int) -> list:
    """``[(kept training indices, held-out training indices), ...]`` of the ``count`` confirmation folds.

    A stratified ``count``-way cut of the training split, shuffled by ``seed``;
    the held-out parts are the folds' validation sets (they partition the
    training split).
    """
    import numpy as np
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=count, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(data.y_train)), data.y_train.numpy()))


def digits_folds(seed: int = 0, *, pretrain_epochs: int = DEFAULT_PRETRAIN_EPOCHS,
                 finetune_epochs: int = DEFAULT_FINETUNE_EPOCHS, count: int = DEFAULT_FOLDS) -> list:
    """Confirmation folds of the digits task (see the module docstring); trains ``count`` dense models.

    Returns
    -------
    list of accelsim.codesign.confirm.Fold
    """
    from accelsim.codesign.confirm import Fold

    if count < 2:
        return []
    data = load_digits_data(seed)
    folds = []
    for keep, held in fold_indices(data, seed, count):
        keep_t, held_t = torch.from_numpy(keep), torch.from_numpy(held)
        fold_data = DigitsData(torch.cat([data.x_train[keep_t], data.x_val]),
                               torch.cat([data.y_train[keep_t], data.y_val]),
                               data.x_train[held_t], data.y_train[held_t], data.x_test[:0], data.y_test[:0])
        torch.manual_seed(seed)
        model = DigitsCNN()
        train_epochs(model, fold_data, pretrain_epochs, _PRETRAIN_LR, seed)

        def finetune(m, fold_data=fold_data):
            train_epochs(m, fold_data, finetune_epochs, _FINETUNE_LR, seed + 1)

        folds.append(Fold(model=model, finetune=finetune,
                          evaluate=lambda m, fold_data=fold_data: _scores(m, fold_data.x_val, fold_data.y_val)))
    return folds


def digits_task(seed: int = 0, *, pretrain_epochs: int = DEFAULT_PRETRAIN_EPOCHS,
                finetune_epochs: int = DEFAULT_FINETUNE_EPOCHS, folds: int = DEFAULT_FOLDS) -> Task:
    """Train the dense digits CNN (seeded) and return the :class:`Task` that co-pruning runs on.

    Call it inside :func:`accelsim.codesign.search.deterministic_torch` (the
    search and the CLI do) for reproducible weights.

    Parameters
    ----------
    seed : int
        Seeds the split, the initial weights and every data order.
    pretrain_epochs, finetune_epochs : int
        Training budgets (epochs over the 898 training images).
    folds : int
        Confirmation folds (:func:`digits_folds`, built when the search needs them); below 2: none.
    """
    data = load_digits_data(seed)
    torch.manual_seed(seed)
    model = DigitsCNN()
    train_epochs(model, data, pretrain_epochs, _PRETRAIN_LR, seed)

    def finetune(m):
        train_epochs(m, data, finetune_epochs, _FINETUNE_LR, seed + 1)

    return Task(
        name="digits", model=model, finetune=finetune,
        evaluate=lambda m: _scores(m, data.x_val, data.y_val),
        sensitivity=lambda m: _scores(m, data.x_train[:_SENSITIVITY_SAMPLES], data.y_train[:_SENSITIVITY_SAMPLES]),
        test=lambda m: _scores(m, data.x_test, data.y_test)["accuracy"],
        example_input=data.x_test[:1], calibration_input=data.x_val,
        folds=(lambda: digits_folds(seed, pretrain_epochs=pretrain_epochs, finetune_epochs=finetune_epochs,
                                    count=folds)) if folds >= 2 else None,
        description=(f"scikit-learn digits (8x8), DigitsCNN; split 50/25/25 stratified "
                     f"({data.x_train.shape[0]} train / {data.x_val.shape[0]} validation / "
                     f"{data.x_test.shape[0]} test), seed {seed}; pre-trained {pretrain_epochs} epochs"),
        finetune_budget=f"{finetune_epochs} epochs of Adam (lr {_FINETUNE_LR:g} cosine-annealed to 0, batch {_BATCH}), "
                        f"the same data order for every candidate",
    )
