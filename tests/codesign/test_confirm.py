"""The acceptance rule: the paired margin, and the cross-validated confirmation of the final choices.

Expected figures are worked out by hand in the comments (counts of samples),
not by the code under test.
"""

import numpy as np
import pytest
import torch
from torch import nn

from codesign_helpers import tiny_task

from accelsim.codesign.budget import AccuracyBudget
from accelsim.codesign.confirm import Confirmer, Fold
from accelsim.codesign.search import run_search
from accelsim.codesign.task import Metrics


def _metrics(flags):
    flags = np.asarray(flags, dtype=bool)
    return Metrics(float(flags.mean()), None, flags)


def _pair(n, dense_only, cand_only, both_wrong=0):
    """Dense and candidate correctness over ``n`` samples: ``dense_only`` right only for dense, ``cand_only``
    right only for the candidate, ``both_wrong`` wrong for both, the rest right for both."""
    d = np.ones(n, dtype=bool)
    c = np.ones(n, dtype=bool)
    d[:both_wrong] = c[:both_wrong] = False
    c[both_wrong:both_wrong + dense_only] = False
    d[both_wrong + dense_only:both_wrong + dense_only + cand_only] = False
    return d, c


# ----------------------------------------------------------------------------- the paired margin
def test_within_raw_budget_but_not_the_margin_is_rejected():
    # 449 samples: 6 right only for dense, 2 only for the candidate -> drop 4/449 = 0.891 pp (raw: within 1 pp);
    # se = sqrt((8/449 - (4/449)^2) / 449) = 0.6285 pp; drop + 2 se = 2.148 pp > 1 pp -> rejected.
    d, c = _pair(449, 6, 2, both_wrong=5)
    check = AccuracyBudget(_metrics(d), 1.0, 2.0).check(_metrics(c))
    assert check.drop_pp == pytest.approx(0.8909, abs=1e-4)
    assert check.se_pp == pytest.approx(0.6285, abs=1e-4)
    assert not check.within
    assert AccuracyBudget(_metrics(d), 1.0, 0.0).check(_metrics(c)).within          # the plain rule accepts
    assert AccuracyBudget(_metrics(d), 2.2, 2.0).check(_metrics(c)).within          # 2.148 <= 2.2


# ----------------------------------------------------------------------------- confirmation
class _One(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        with torch.no_grad():
            self.fc.weight.copy_(torch.arange(1.0, 9.0).reshape(2, 4))

    def forward(self, x):
        return self.fc(x)


def _fold(n, dense_only_when_pruned):
    """A fold of ``n`` samples whose evaluate marks ``dense_only_when_pruned`` samples wrong once any weight
    is zero (all right for the unpruned model)."""
    def evaluate(model):
        flags = np.ones(n, dtype=bool)
        if (model.fc.weight == 0).any():
            flags[:dense_only_when_pruned] = False
        return {"accuracy": float(flags.mean()), "correct": flags}
    return Fold(model=_One(), finetune=None, evaluate=evaluate)


def _confirmer(folds, drop_pp=1.0, search_n=100):
    return Confirmer(folds, ["fc"], {"fc": "linear"}, 0, _metrics(np.ones(search_n, dtype=bool)), drop_pp, 2.0)


def _prune_smallest(weights):
    w = weights["fc"]
    return {"fc": np.abs(w) > np.abs(w).min()}


def test_plan_perfect_on_the_search_validation_is_rejected_by_the_folds():
    # search validation: 100 samples, candidate identical to dense (drop 0, se 0: within any budget);
    # one fold of 100 samples where the pruned model loses 6 -> pooled over 200: drop 6/200 = 3 pp,
    # se = sqrt((6/200 - 0.03^2) / 200) = 1.2062 pp; 3 + 2 * 1.2062 = 5.41 pp > 1 pp -> rejected.
    conf = _confirmer([_fold(100, 6)])
    check = conf.check("k", _metrics(np.ones(100, dtype=bool)), _prune_smallest)
    assert check.drop_pp == pytest.approx(3.0, abs=1e-9)
    assert check.se_pp == pytest.approx(1.2062, abs=1e-4)
    assert not check.within
    assert conf.result("k") is check and conf.fine_tunes == 2        # the fold's dense model and the candidate
    # the same counts with a 6 pp budget: 5.41 <= 6 -> confirmed
    assert _confirmer([_fold(100, 6)], drop_pp=6.0).check("k", _metrics(np.ones(100, dtype=bool)),
                                                          _prune_smallest).within


def test_folds_that_agree_with_the_search_confirm_it():
    conf = _confirmer(lambda: [_fold(50, 0), _fold(50, 0)])           # a callable: built on first use
    check = conf.check("k", _metrics(np.ones(100, dtype=bool)), _prune_smallest)
    assert check.within and check.drop_pp == 0.0 and conf.n_folds == 2


def test_fold_without_per_sample_correctness_is_refused_naming_folds():
    from accelsim.errors import AccelsimInputError

    bad = Fold(model=_One(), finetune=None, evaluate=lambda m: 0.9)
    with pytest.raises(AccelsimInputError, match="folds"):
        _confirmer([bad]).check("k", _metrics(np.ones(10, dtype=bool)), _prune_smallest)


# ----------------------------------------------------------------------------- in the search
def _tiny_folds(task, lose):
    """One fold on the task's own validation data that loses ``lose`` samples whenever a weight is pruned."""
    def evaluate(model):
        flags = np.asarray(task.evaluate(model)["correct"], dtype=bool).copy()
        flags[:] = True
        if any((p == 0).any() for n, p in model.named_parameters() if n.endswith("weight")):
            flags[:lose] = False
        return {"accuracy": float(flags.mean()), "correct": flags}
    return [Fold(model=task.model, finetune=None, evaluate=evaluate)]


@pytest.mark.usefixtures("deterministic")
def test_search_falls_back_to_dense_when_the_folds_reject_every_pruned_plan():
    task = tiny_task()
    # 150 fold samples, 30 lost by any pruned model: pooled drop >= 30/300 = 10 pp > 2 pp for every plan
    task = type(task)(**{**task.__dict__, "folds": _tiny_folds(task, 30)})
    r = run_search(task, ["block4x4-ws-32x32", "unstructured-os-32x32"], max_accuracy_drop=2.0, refine_steps=1,
                   quiet=True)
    assert r.settings["confirm_folds"] == 1
    checked = 0
    for arch in r.ranking:
        best = r.best(arch)
        assert best.trained.key == ()                                 # the dense plan
        # every feasible plan cheaper than the dense one was tried on the folds and rejected
        cheaper = [ev for ev in r.evaluated if ev.arch == arch and ev.feasible and ev.trained.key != ()
                   and ev.measure.energy_pj < best.measure.energy_pj]
        assert all(r.confirm_check(ev.trained).within is False for ev in cheaper)
        checked += len(cheaper)
    assert checked                                                    # the folds did reject something
    assert r.baselines["magnitude_baseline"] is r.dense


@pytest.mark.usefixtures("deterministic")
def test_search_keeps_its_choice_when_the_folds_agree():
    task = tiny_task()
    plain = run_search(task, "block4x4-ws-32x32", max_accuracy_drop=2.0, refine_steps=1, quiet=True)
    task = type(task)(**{**task.__dict__, "folds": _tiny_folds(task, 0)})
    r = run_search(task, "block4x4-ws-32x32", max_accuracy_drop=2.0, refine_steps=1, quiet=True)
    assert r.best().trained.key == plain.best().trained.key
    assert r.baselines["magnitude_baseline"].key == plain.baselines["magnitude_baseline"].key


def test_digits_folds_validate_on_training_images_only():
    from accelsim.codesign.digits import fold_indices, load_digits_data

    data = load_digits_data(3)
    parts = fold_indices(data, 3, 2)
    held = np.concatenate([h for _, h in parts])
    assert sorted(held.tolist()) == list(range(len(data.y_train)))   # the folds' validation: the training split
    for keep, h in parts:
        assert not set(keep.tolist()) & set(h.tolist())
