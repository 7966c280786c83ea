"""Small seeded searches: the budget, the arch's patterns, determinism, the user API and its errors."""

import json

import pytest
import torch
from torch import nn

from codesign_helpers import TinyNet, tiny_task

from accelsim.codesign import coprune, plan_dict
from accelsim.codesign.candidates import DENSE, LayerInfo, layer_candidates
from accelsim.codesign.search import run_search
from accelsim.errors import AccelsimInputError
from accelsim.spec import load_arch

pytestmark = pytest.mark.usefixtures("deterministic")


def _search(arch, **kw):
    kw.setdefault("refine_steps", 1)
    return run_search(tiny_task(), arch, quiet=True, **kw)


def _within(result, trained, drop_pp, z=2.0):
    """The paired budget rule, computed here from the per-sample correctness."""
    d, c = result.dense.val_correct, trained.val_correct
    n = len(d)
    b, g = int((d & ~c).sum()), int((~d & c).sum())
    drop = (b - g) / n
    se = (max(0.0, (b + g) / n - drop ** 2) / n) ** 0.5
    return drop + z * se <= drop_pp / 100 + 1e-12


def _allowed(result, arch):
    spec = load_arch(arch)
    return {m: set(layer_candidates(spec, result.layer_info[m])) for m in result.modules}


@pytest.mark.parametrize("arch", ["nm24-ws-32x32", "block4x4-ws-32x32", "unstructured-os-32x32"])
def test_plan_respects_budget_and_the_pe(arch):
    r = _search(arch, max_accuracy_drop=2.0)
    best = r.best()
    assert best.feasible and _within(r, best.trained, 2.0)
    assert best.trained.val_accuracy >= r.dense.val_accuracy - 0.02
    allowed = _allowed(r, arch)
    assert any(not ev.feasible for ev in r.evaluated)        # the budget did bind somewhere
    for ev in r.evaluated:
        assert ev.feasible == _within(r, ev.trained, 2.0)
        for m, c in ev.trained.choices.items():
            assert c in allowed[m], (m, c)
    # the saved model really carries the plan's zeros, and they are exploited by the arch's PE
    model = r.model()
    for m, c in best.trained.choices.items():
        w = dict(model.named_modules())[m].weight
        if c != DENSE:
            assert (w == 0).float().mean().item() == pytest.approx(best.trained.module_sparsity[m])
    for layer in best.measure.layers:                 # every pruned layer runs sparse on the PE
        if best.trained.choices[r.trainer.layer_module[layer["name"]]] != DENSE:
            assert layer["exploited"], layer
    # co-pruning never ends above the dense model on the objective
    dense = r.measure(r.dense, arch, ("dense",))
    assert best.measure.energy_pj <= dense.energy_pj


def test_target_energy_gives_the_most_accurate_plan_under_it():
    probe = _search("block4x4-ws-32x32", refine_steps=0)
    dense = probe.measure(probe.dense, "block4x4-ws-32x32", ("dense",)).energy_pj
    target = 0.8 * dense
    r = _search("block4x4-ws-32x32", target_energy_pj=target)
    assert r.best().measure.energy_pj <= target
    assert r.settings["target"] == {"metric": "energy", "value": target, "unit": "pJ"}
    assert all(ev.feasible == (ev.measure.energy_pj <= target) for ev in r.evaluated)


def test_several_archs_are_ranked_with_winner_and_runner_up():
    r = _search(["nm24-ws-32x32", "block4x4-ws-32x32"], refine_steps=0)
    assert sorted(r.ranking) == ["block4x4-ws-32x32", "nm24-ws-32x32"]
    e = {a: r.best(a).measure.energy_pj for a in r.ranking}
    assert e[r.winner] <= e[r.runner_up]
    plan = plan_dict(r)
    assert plan["winner"] == r.winner and plan["runner_up"] == r.runner_up
    for key in ("dense", "copruned", "magnitude_baseline", "nm24_baseline"):
        assert {"accuracy", "energy_pj", "cycles", "sparsity"} <= set(plan[key])


def test_same_seed_same_plan():
    a = json.dumps(plan_dict(_search("block4x4-ws-32x32", refine_steps=2)), sort_keys=True)
    b = json.dumps(plan_dict(_search("block4x4-ws-32x32", refine_steps=2)), sort_keys=True)
    assert a == b


def test_user_module_through_coprune():
    task = tiny_task()
    r = coprune(task.model, task.evaluate, "block4x4-ws-32x32", example_input=task.example_input,
                finetune=task.finetune, test=task.test, calibration_input=task.calibration_input,
                refine_steps=1, quiet=True)
    assert r.best().trained.choices.keys() == {"conv", "fc"}
    assert isinstance(r.model(), TinyNet)
    # the user's model is left as it was
    assert not any((p == 0).any() for p in task.model.parameters())


def test_accuracy_only_evaluate_uses_the_plain_comparison():
    task = tiny_task()
    r = coprune(task.model, lambda m: task.evaluate(m)["accuracy"], "nm24-ws-32x32",
                example_input=task.example_input, finetune=task.finetune, refine_steps=0, quiet=True)
    assert r.best().feasible and not r.settings["paired_budget"]
    for ev in r.evaluated:
        assert ev.feasible == (ev.trained.val_accuracy >= r.dense.val_accuracy - 0.01 - 1e-12)


def test_margin_zero_is_the_plain_comparison():
    r = _search("block4x4-ws-32x32", margin_se=0.0, refine_steps=0)
    for ev in r.evaluated:
        assert ev.feasible == (ev.trained.val_accuracy >= r.dense.val_accuracy - 0.01 - 1e-12)


# ----------------------------------------------------------------------------- errors
def _error(**kw):
    task = tiny_task(pretrain_epochs=1)
    args = dict(example_input=task.example_input, finetune=None, quiet=True)
    args.update(kw)
    model = args.pop("model", task.model)
    arch = args.pop("arch", "nm24-ws-32x32")
    evaluate = args.pop("evaluate", task.evaluate)
    with pytest.raises(AccelsimInputError) as info:
        coprune(model, evaluate, arch, **args)
    return str(info.value)


def test_dense_arch_is_refused_naming_the_field():
    msg = _error(arch=["dense-ws-32x32", "eyeriss-12x14"])
    assert "arch: got 'dense-ws-32x32'" in msg and "eyeriss-12x14" in msg and "dense PE" in msg


def test_impossible_target_is_refused_with_the_reachable_minimum():
    msg = _error(target_energy_pj=1.0, arch="block4x4-ws-32x32")
    assert "target_energy_pj: got 1.0" in msg and "at least" in msg and "block4x4-ws-32x32" in msg
    msg = _error(target_latency_cycles=3, arch="nm24-ws-32x32")
    assert "target_latency_cycles: got 3.0" in msg and "cycles" in msg


class _NoModules(nn.Module):
    """Computes with a bare parameter through F.linear: nothing accelsim.from_torch can record."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(10, 64))

    def forward(self, x):
        return nn.functional.linear(torch.flatten(x, 1), self.w)


def test_untraceable_model_is_refused_naming_model():
    msg = _error(model=_NoModules())
    assert "model: got '_NoModules'" in msg
    msg = _error(model=TinyNet(), example_input=torch.zeros(1, 3, 5, 5))      # forward fails on this input
    assert "model: got 'TinyNet'" in msg
    assert "model: got 'str'" in _error(model="resnet50")


def test_bad_settings_are_listed_together():
    msg = _error(max_accuracy_drop=-1, objective="speed", target_energy_pj=-5.0, seed=-1, margin_se=-2)
    for field in ("max_accuracy_drop: got -1", "objective: got 'speed'", "target_energy_pj: got -5.0",
                  "seed: got -1", "margin_se: got -2"):
        assert field in msg


def test_layer_info_output_layer_gets_no_channel_pruning():
    info = LayerInfo("fc", "linear", (10, 128), is_output=True)
    assert not [c for c in layer_candidates(load_arch("unstructured-os-32x32"), info) if c.startswith("channel")]


def test_released_model_is_fine_tuned_again_identically():
    r = _search("block4x4-ws-32x32", refine_steps=0)
    key = next(ev.trained.key for ev in r.evaluated if ev.trained.key not in r.trainer.keep)
    before = {k: v.clone() for k, v in r.trainer.model(key).state_dict().items()}
    r.trainer.release(())
    assert key not in r.trainer._models
    after = r.trainer.model(key).state_dict()              # fine-tuned again from the stored masks
    assert all(torch.equal(before[k], after[k]) for k in before)


@pytest.mark.parametrize("objective", ["latency", "edp"])
def test_other_objectives_minimise_what_they_say(objective):
    r = _search("block4x4-ws-32x32", objective=objective, refine_steps=1, max_accuracy_drop=3.0)
    best = r.best()
    value = best.measure.objective(objective)
    assert value == (best.measure.cycles if objective == "latency"
                     else best.measure.energy_pj * best.measure.cycles)
    for ev in r.evaluated:
        if ev.feasible and ev.arch == r.winner:
            assert value <= ev.measure.objective(objective)


def test_a_dense_arch_next_to_a_sparse_one_runs_the_dense_model():
    r = _search(["dense-ws-32x32", "block4x4-ws-32x32"], refine_steps=0)
    dense_arch = r.outcomes["dense-ws-32x32"]
    assert "dense PE" in dense_arch.note and dense_arch.best.trained.key == ()
    assert set(r.ranking) == {"dense-ws-32x32", "block4x4-ws-32x32"}
    plan = plan_dict(r)
    assert plan["per_arch"]["dense-ws-32x32"]["copruned"]["sparsity"] == 0.0
