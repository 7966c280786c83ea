"""Hardware-aware co-pruning: the simulator in the pruning loop (``accelsim.codesign.coprune``).

Order of work (each step is documented where it is implemented):

1. check the arguments, trace the dense model (shapes, weights, activation
   densities on the calibration batch), list each module's candidates on each
   arch (:mod:`~accelsim.codesign.candidates`);
2. simulate every (module, candidate, format) on every arch, memoised
   (:mod:`~accelsim.codesign.costs`); a target no plan can reach is refused
   here, before any fine-tuning;
3. fine-tune the dense reference with the same budget as every candidate;
4. one-shot sensitivity: the validation damage of pruning each module alone
   with each candidate;
5. per arch, bisection along the Lagrangian path and greedy refinement, every
   step fine-tuned and simulated (:mod:`~accelsim.codesign.arch_search`);
6. baselines trained and measured the same way
   (:mod:`~accelsim.codesign.baselines`);
6b. when the task has confirmation folds, every arch's final plan and the
   magnitude baseline are confirmed on them, cheapest first
   (:mod:`~accelsim.codesign.confirm`);
7. the winner (and runner-up) over the archs by the measured objective.
"""

from __future__ import annotations

import copy
from contextlib import contextmanager
from dataclasses import dataclass

from accelsim.codesign.arch_search import (ArchOutcome, Evaluated, build_path, cheapest_plan_cost, plan_label,
                                          planned_steps, search_arch)
from accelsim.codesign.baselines import MAGNITUDE_GRID, run_baselines
from accelsim.codesign.budget import DEFAULT_MARGIN_SE, AccuracyBudget
from accelsim.codesign.confirm import Confirmer
from accelsim.codesign.settings import DEFAULT_REFINE_STEPS, check_settings, load_archs
from accelsim.codesign.candidates import (DENSE, LayerInfo, candidate_mask, layer_candidates,
                                          supports_weight_sparsity)
from accelsim.codesign.costs import CostTable
from accelsim.codesign.progress import SearchProgress
from accelsim.codesign.task import Metrics, Task
from accelsim.codesign.trainer import Trainer
from accelsim.errors import AccelsimInputError, Problem, ProblemCollector

__all__ = ["coprune", "run_search", "CoPruneResult", "deterministic_torch", "DEFAULT_REFINE_STEPS"]

_UNITS = {"energy": "pJ", "latency": "cycles", "edp": "pJ x cycles"}


@contextmanager
def deterministic_torch(threads: int = 1):
    """Run torch with ``threads`` intra-op threads and deterministic algorithms; restore both after.

    One thread makes floating-point reductions run in one order (and shares a
    2-core machine politely); ``torch.use_deterministic_algorithms`` refuses
    nondeterministic kernels.
    """
    import torch

    old_threads = torch.get_num_threads()
    old_det = torch.are_deterministic_algorithms_enabled()
    old_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det, warn_only=old_warn)


@dataclass
class CoPruneResult:
    """Everything a co-pruning search found (``plan.json`` is :func:`accelsim.codesign.outputs.plan_dict`).

    Attributes
    ----------
    task : Task
    archs : list of ArchSpec
    settings : dict
        The budget, objective, seed and step counts.
    dense : Trained
        The dense model after the same fine-tuning as every candidate.
    baselines : dict
        ``name -> Trained`` (``magnitude_baseline``, ``nm24_baseline``, native N:M).
    baseline_notes : dict
        ``name -> str`` (e.g. the magnitude baseline's sparsity and how it was found).
    magnitude_trials : list of Trained
        Every global-magnitude sparsity fine-tuned while searching that baseline.
    outcomes : dict
        ``arch name -> ArchOutcome``.
    ranking : list of str
        Arch names, best first (the winner, then the runner-up...).
    evaluated : list of Evaluated
        Every fine-tuned candidate in order, with its measure on the arch it was searched for.
    trainer : Trainer
        Measures of any trained candidate on any arch (``trainer.measure``).
    budget : AccuracyBudget
        ``budget.check(...)`` of any candidate against the dense model.
    modules : list of str
    layer_info : dict
        ``module -> LayerInfo``.
    confirmer : Confirmer or None
        Cross-validated confirmation of the final choices (None: the task has no folds).
    search_seconds : float
        Wall time (not written to ``plan.json``).
    simulations : int
        Simulator calls for per-layer candidate costs.
    """

    task: Task
    archs: list
    settings: dict
    dense: object
    baselines: dict
    baseline_notes: dict
    magnitude_trials: list
    outcomes: dict
    ranking: list
    evaluated: list
    trainer: object
    budget: object
    modules: list
    layer_info: dict
    confirmer: object = None
    search_seconds: float = 0.0
    simulations: int = 0

    @property
    def winner(self) -> str:
        """Name of the winning arch."""
        return self.ranking[0]

    @property
    def runner_up(self) -> str | None:
        """Name of the second arch, or None with one arch."""
        return self.ranking[1] if len(self.ranking) > 1 else None

    def best(self, arch: str | None = None) -> Evaluated:
        """The co-pruned candidate of ``arch`` (default: the winner)."""
        return self.outcomes[arch or self.winner].best

    def model(self, arch: str | None = None):
        """The co-pruned torch model of ``arch`` (default: the winner), masks applied."""
        return self.trainer.model(self.best(arch).trained.key)

    def budget_check(self, trained):
        """Validation drop, its paired standard error and whether ``trained`` is within the budget."""
        return self.budget.check(Metrics(trained.val_accuracy, trained.val_loss, trained.val_correct))

    def confirm_check(self, trained):
        """The pooled (cross-validated) check of ``trained``, or None when it was not confirmed."""
        if self.confirmer is None or trained.key == ():
            return None
        return self.confirmer.result(trained.key)

    def measure(self, trained, arch: str, formats=None):
        """Simulated measure of a trained candidate on an arch of the search."""
        spec = next(a for a in self.archs if a.name == arch)
        return self.trainer.measure(trained, spec, formats)


# ----------------------------------------------------------------------------- context
class _Context:
    """Shared state of one search, handed to the per-arch search and the baselines."""

    def __init__(self, task, trainer, modules, objective, accuracy_drop_pp, target, target_value,
                 refine_steps, progress):
        self.task = task
        self.trainer = trainer
        self.modules = modules
        self.objective = objective
        self.objective_unit = _UNITS[objective]
        self.accuracy_drop_pp = accuracy_drop_pp
        self.target = target
        self.target_value = target_value
        self.refine_steps = refine_steps
        self.progress = progress
        self.step = 0
        self.evaluated: list = []
        self.dense = None
        self.budget = None
        self.damage = {}
        self.damage_eps = 1e-3
        self._metrics = {}

    def next_step(self) -> int:
        self.step += 1
        return self.step

    def record(self, ev: Evaluated) -> None:
        self.evaluated.append(ev)

    def budget_check(self, trained):
        return self.budget.check(self.metrics_of(trained))

    def within_accuracy(self, trained) -> bool:
        return self.budget_check(trained).within

    def feasible(self, trained, measure) -> bool:
        if self.target == "energy":
            return measure.energy_pj <= self.target_value
        if self.target == "latency":
            return measure.cycles <= self.target_value
        return self.within_accuracy(trained)

    def metrics_of(self, trained) -> Metrics:
        return Metrics(trained.val_accuracy, trained.val_loss, trained.val_correct)

    def report_step(self, ev: Evaluated, best, seconds: float) -> None:
        m = ev.measure
        result = (f"{plan_label(ev.trained.choices)[:60]}: val {100 * ev.trained.val_accuracy:.2f}% "
                  f"{m.energy_pj / 1e6:.3f} uJ {m.cycles:,} cyc" + ("" if ev.feasible else " (over budget)"))
        if best is None:
            best_text = "none within budget"
        else:
            best_text = (f"{best.measure.energy_pj / 1e6:.3f} uJ {best.measure.cycles:,} cyc "
                         f"val {100 * best.trained.val_accuracy:.2f}%")
        self.progress.done_step(f"{ev.arch} {ev.phase}", result, best_text, seconds)


# ----------------------------------------------------------------------------- the search
def run_search(task: Task, arch, *, max_accuracy_drop=1.0, target_energy_pj=None, target_latency_cycles=None,
               objective: str = "energy", seed: int = 0, refine_steps: int = DEFAULT_REFINE_STEPS,
               margin_se: float = DEFAULT_MARGIN_SE, quiet: bool = False, progress: SearchProgress | None = None,
               option_names=None) -> CoPruneResult:
    """Run the co-pruning search on a :class:`Task` (see the module docstring and :func:`coprune`).

    ``option_names`` maps the argument names to the names errors should use
    (the CLI passes ``--max-accuracy-drop`` etc.).
    """
    import torch

    names = {"arch": "arch", "max_accuracy_drop": "max_accuracy_drop", "target_energy_pj": "target_energy_pj",
             "target_latency_cycles": "target_latency_cycles", "objective": "objective", "seed": "seed",
             "refine_steps": "refine_steps", "model": "model", "margin_se": "margin_se"}
    names.update(option_names or {})
    problems = ProblemCollector()
    check_settings(problems, max_accuracy_drop=max_accuracy_drop, target_energy_pj=target_energy_pj,
                    target_latency_cycles=target_latency_cycles, objective=objective, seed=seed,
                    refine_steps=refine_steps, names=names, margin_se=margin_se)
    if not isinstance(task.model, torch.nn.Module):
        problems.add(names["model"], type(task.model).__name__, "a torch.nn.Module")
    for field in ("evaluate",):
        if not callable(getattr(task, field)):
            problems.add(field, getattr(task, field), "a function model -> accuracy or {'accuracy', 'loss'}")
    if task.finetune is not None and not callable(task.finetune):
        problems.add("finetune", task.finetune, "a function model -> None that trains the model in place, or None")
    for field in ("test", "sensitivity"):
        if getattr(task, field) is not None and not callable(getattr(task, field)):
            problems.add(field, getattr(task, field), "a function model -> accuracy or {'accuracy', 'loss'}, "
                                                      "or None")
    archs = load_archs(arch, problems, names["arch"])
    problems.raise_if_any("invalid co-pruning arguments")

    progress = progress or SearchProgress(quiet=quiet)
    target, target_value = None, None
    if target_energy_pj is not None:
        target, target_value = "energy", float(target_energy_pj)
    elif target_latency_cycles is not None:
        target, target_value = "latency", float(target_latency_cycles)

    from accelsim.codesign.masking import module_weights
    from accelsim.codesign.trace import prunable_layers, trace_model

    # 1. trace the dense model; the prunable modules and their candidates per arch
    ref_workload = trace_model(task.model, task.example_input, task.calibration_input, name=task.name)
    layer_module = prunable_layers(task.model, ref_workload)
    modules = list(dict.fromkeys(layer_module.values()))
    if not modules:
        raise AccelsimInputError(
            "nothing to prune in the model",
            [Problem(
                names["model"], type(task.model).__name__,
                "a model whose forward pass calls nn.Conv1d, nn.Conv2d or nn.Linear modules")])
    weights = module_weights(task.model, modules)
    mods = dict(task.model.named_modules())
    infos = {m: LayerInfo(m, "linear" if isinstance(mods[m], torch.nn.Linear) else "conv",
                          tuple(weights[m].shape), is_output=(i == len(modules) - 1))
             for i, m in enumerate(modules)}
    prunable = {m: (weights[m], infos[m].kind) for m in modules}
    candidates = {a.name: {m: list(layer_candidates(a, infos[m])) for m in modules} for a in archs}

    # 2. simulated costs; a target nobody can reach is refused before any fine-tuning
    tables = {a.name: CostTable(ref_workload, a, prunable, layer_module) for a in archs}
    if target is not None:
        reach = {a.name: cheapest_plan_cost(tables[a.name], candidates[a.name], target) for a in archs}
        if all(r[0] > target_value for r in reach.values()):
            field = names["target_energy_pj"] if target == "energy" else names["target_latency_cycles"]
            unit = "pJ" if target == "energy" else "cycles"
            best_arch = min(reach, key=lambda n: reach[n][0])
            raise AccelsimInputError(
                "impossible co-pruning target",
                [Problem(
                    field, target_value,
                    f"at least {reach[best_arch][0]:,.0f} {unit}: the cheapest plan of every candidate "
                    f"pruned to its sparsest level, on {best_arch} (the best of "
                    + ", ".join(a.name for a in archs) + ")")])

    trainer = Trainer(task, modules, layer_module, weights, seed,
                      objective if target is None else target)
    ctx = _Context(task, trainer, modules, objective, float(max_accuracy_drop), target, target_value,
                   int(refine_steps), progress)

    # 3. the dense reference, fine-tuned like every candidate
    progress.note(f"task {task.name}: {len(modules)} prunable layers, archs " + ", ".join(a.name for a in archs))
    dense = trainer.train((), {}, "dense", {m: DENSE for m in modules})
    trainer.keep.add(())
    ctx.dense = dense
    ctx.budget = AccuracyBudget(ctx.metrics_of(dense), float(max_accuracy_drop), float(margin_se))
    progress.plan(1)
    progress.done_step("dense reference", f"val {100 * dense.val_accuracy:.2f}% test {100 * dense.accuracy:.2f}%",
                       "-", dense.train_seconds)

    # 4. one-shot sensitivity of every (module, candidate) any arch offers
    reference_model = copy.deepcopy(task.model)
    reference_metrics = trainer.sensitivity_metrics(reference_model)
    if reference_metrics.loss is not None:
        ctx.damage_eps = 1e-3 * max(1.0, abs(reference_metrics.loss))
    wanted = sorted({(m, c) for a in archs for m in modules for c in candidates[a.name][m] if c != DENSE},
                    key=lambda mc: (modules.index(mc[0]), mc[1]))
    table0 = next(iter(tables.values()))
    for m, c in wanted:
        ctx.damage[(m, c)] = trainer.one_shot_damage(reference_model, m, table0.mask(m, c), reference_metrics)
    del reference_model
    progress.note(f"sensitivity: {len(wanted)} one-shot (layer, pattern) evaluations")

    # 5. per arch: the path, then bisection along it and refinement
    sparse = [a for a in archs if supports_weight_sparsity(a)]
    paths, norms = {}, {}
    for a in sparse:
        dm = trainer.measure(dense, a, ("dense",))
        norms[a.name] = (dm.energy_pj, float(dm.cycles))
        paths[a.name] = build_path(tables[a.name], candidates[a.name], ctx.damage,
                                   objective if target is None else target, norms[a.name])
    progress.plan(sum(planned_steps(ctx, len(p)) for p in paths.values()) + (len(archs) - len(sparse))
                  + (len(MAGNITUDE_GRID) + 1).bit_length() + 1
                  + len({(a.sparsity.n, a.sparsity.m) for a in archs
                         if a.sparsity.kind == "nm" and (a.sparsity.n, a.sparsity.m) != (2, 4)}))
    outcomes = {}
    for a in archs:
        if a.name not in paths:
            outcome = ArchOutcome(a, None, note="dense PE: no weight sparsity to exploit, the dense model runs")
            m = trainer.measure(dense, a, ("dense",))
            ev = Evaluated(ctx.next_step(), "dense", a.name, dense, m, ctx.feasible(dense, m))
            outcome.evaluated.append(ev)
            ctx.record(ev)
            ctx.report_step(ev, ev if ev.feasible else None, 0.0)
            outcome.best = ev if ev.feasible else None
            outcomes[a.name] = outcome
            continue
        outcomes[a.name] = search_arch(ctx, a, tables[a.name], candidates[a.name], paths[a.name], norms[a.name])
        trainer.release({o.best.trained.key for o in outcomes.values() if o.best is not None})

    # 6. baselines, measured the same way
    baselines, notes, magnitude_trials = run_baselines(ctx, archs, weights, {m: infos[m].kind for m in modules})
    trainer.release({o.best.trained.key for o in outcomes.values() if o.best is not None})

    # 6b. cross-validated confirmation of the final choices, cheapest first, baselines too
    confirmer = None
    if target is None and task.folds is not None and ctx.budget.paired:
        kinds = {m: infos[m].kind for m in modules}
        confirmer = Confirmer(task.folds, modules, kinds, seed, ctx.metrics_of(dense), float(max_accuracy_drop),
                              float(margin_se), progress)
        progress.note("confirming the final choices on the task's folds")
        for a in sparse:
            outcomes[a.name].best = _confirmed_best(ctx, confirmer, outcomes[a.name], kinds, objective)
        baselines["magnitude_baseline"], notes["magnitude_baseline"] = _confirmed_magnitude(
            ctx, confirmer, magnitude_trials, baselines["magnitude_baseline"], notes["magnitude_baseline"])
        trainer.keep.add(baselines["magnitude_baseline"].key)

    # 7. ranking of the archs by their co-pruned result
    for name, outcome in outcomes.items():
        if outcome.best is None:      # nothing met the target: report the cheapest plan tried, flagged
            outcome.best = min(outcome.evaluated, key=lambda ev: (ev.measure.objective(objective), ev.step))
            outcome.note = (outcome.note + "; " if outcome.note else "") + "no fine-tuned plan met the target"

    def rank_key(name):
        best = outcomes[name].best
        if target is not None:
            return (not best.feasible, -best.trained.val_accuracy, best.measure.objective(objective), name)
        return (not best.feasible, best.measure.objective(objective), -best.trained.val_accuracy, name)
    ranking = sorted(outcomes, key=rank_key)

    settings = {"max_accuracy_drop_pp": float(max_accuracy_drop), "objective": objective, "seed": int(seed),
                "refine_steps": int(refine_steps), "margin_se": float(margin_se),
                "paired_budget": ctx.budget.paired,
                "confirm_folds": 0 if confirmer is None else confirmer.n_folds,
                "target": None if target is None else {"metric": target, "value": target_value,
                                                       "unit": "pJ" if target == "energy" else "cycles"}}
    simulations = sum(t.simulations for t in tables.values())
    progress.note(f"winner {ranking[0]}" + (f", runner-up {ranking[1]}" if len(ranking) > 1 else "")
                  + f"; {ctx.step} steps, {simulations} layer simulations, {progress.elapsed():.0f} s")
    return CoPruneResult(task=task, archs=archs, settings=settings, dense=dense, baselines=baselines,
                         baseline_notes=notes, magnitude_trials=magnitude_trials, outcomes=outcomes, ranking=ranking, evaluated=ctx.evaluated,
                         trainer=trainer, budget=ctx.budget, modules=modules, layer_info=infos,
                         confirmer=confirmer,
                         search_seconds=progress.elapsed(),
                         simulations=simulations)


def _confirmed_best(ctx, confirmer, outcome, kinds, objective):
    """The cheapest feasible candidate of ``outcome`` that the folds confirm (the dense plan needs none)."""
    pool = sorted((ev for ev in outcome.evaluated if ev.feasible),
                  key=lambda ev: (ev.measure.objective(objective), ev.step))
    for ev in pool:
        if ev.trained.key == ():
            return ev
        choices = {m: c for m, c in ev.trained.choices.items() if c != DENSE}

        def masks_of(weights, choices=choices):
            return {m: candidate_mask(weights[m], c, kinds[m]) for m, c in choices.items()}
        if confirmer.check(ev.trained.key, ctx.metrics_of(ev.trained), masks_of, ev.trained.label).within:
            return ev
    return None


def _confirmed_magnitude(ctx, confirmer, trials, current, note):
    """The highest feasible global-magnitude sparsity that the folds confirm (else the dense model)."""
    from accelsim.prune.unstructured import global_unstructured_keep_masks

    modules = ctx.modules
    pool = sorted((t for t in trials if ctx.within_accuracy(t)), key=lambda t: -float(t.key[1]))
    for t in pool:
        level = float(t.key[1])

        def masks_of(weights, level=level):
            return dict(zip(modules, global_unstructured_keep_masks([weights[m] for m in modules], level)))
        if confirmer.check(t.key, ctx.metrics_of(t), masks_of, t.label).within:
            if t is current:
                return t, note + "; confirmed on the folds"
            return t, (f"global magnitude pruning at {100 * level:.0f}% sparsity, the highest of the bisection's "
                       f"sparsities within the budget that the folds confirm")
    return ctx.dense, ("no global magnitude sparsity within the budget is confirmed on the folds: "
                       "the baseline is the dense model")


def coprune(model, evaluate, arch, *, example_input, finetune=None, test=None, sensitivity=None,
            calibration_input=None, folds=None,
            max_accuracy_drop=1.0, target_energy_pj=None, target_latency_cycles=None, objective: str = "energy",
            seed: int = 0, refine_steps: int = DEFAULT_REFINE_STEPS, margin_se: float = DEFAULT_MARGIN_SE,
            name: str | None = None, quiet: bool = False, threads: int | None = 1) -> CoPruneResult:
    """Co-prune a torch model for one or more architectures, scored by the simulator.

    Parameters
    ----------
    model : torch.nn.Module
        The trained dense model (not modified). Its Conv1d/Conv2d/Linear
        modules are the prunable layers.
    evaluate : callable
        ``evaluate(model)`` on validation data -> accuracy in [0, 1], or
        ``{"accuracy": a, "loss": l, "correct": per-sample booleans}`` (the
        loss ranks layer sensitivity finely; ``correct`` enables the paired
        budget margin).
    arch : ArchSpec, str, or a list of them
        Several archs co-design the hardware: the result ranks them.
    example_input : torch.Tensor or tuple/dict
        One inference (batch 1) for :func:`accelsim.from_torch`.
    finetune : callable, optional
        ``finetune(model)`` trains in place for the fine-tuning budget (masks
        are parametrisations that an ordinary loop keeps fixed). None: one-shot.
    test : callable, optional
        Held-out accuracy, reported only.
    sensitivity : callable, optional
        Same convention as ``evaluate``, on data other than the validation set
        (part of the training set, say): it ranks the one-shot damage of the
        candidates, so that the validation set only accepts or rejects
        fine-tuned plans. Default: ``evaluate``.
    calibration_input : optional
        Batch on which activation densities are measured (default ``example_input``).
    folds : sequence of accelsim.codesign.confirm.Fold, or a callable returning one, optional
        Re-splits of your data (a dense model trained without the fold's
        validation data, its fine-tune and evaluate functions): each arch's
        final plan and the magnitude baseline are then confirmed on them,
        cheapest first (:mod:`accelsim.codesign.confirm`). Needs ``"correct"``.
    max_accuracy_drop : float
        Budget in percentage points of validation accuracy below the dense
        model fine-tuned with the same budget (default 1).
    margin_se : float
        A candidate must clear the budget by this many standard errors of its
        paired validation difference to the dense model (default 2; 0 = plain
        comparison); needs ``"correct"`` from ``evaluate`` (see
        :mod:`accelsim.codesign.budget`).
    target_energy_pj, target_latency_cycles : float, optional
        Instead of the accuracy budget: the most accurate plan whose simulated
        energy (pJ) or cycles meet the target (the magnitude baseline still
        uses ``max_accuracy_drop``).
    objective : {"energy", "latency", "edp"}
    seed : int
        ``torch.manual_seed(seed)`` before every fine-tune.
    refine_steps : int
        Greedy refinement fine-tunes per arch.
    threads : int or None
        Torch threads during the search (restored afterwards), with
        deterministic algorithms on; None leaves torch's settings alone.

    Returns
    -------
    CoPruneResult

    Raises
    ------
    AccelsimInputError
        Bad arguments (all listed), a model ``accelsim.from_torch`` cannot
        trace (field ``model``), only dense-PE archs (field ``arch``), or a
        target no plan can reach (field ``target_energy_pj`` /
        ``target_latency_cycles``).
    """
    task = Task(name=name or type(model).__name__, model=model, finetune=finetune, evaluate=evaluate,
                example_input=example_input, calibration_input=calibration_input, test=test,
                sensitivity=sensitivity, folds=folds)
    kwargs = dict(max_accuracy_drop=max_accuracy_drop, target_energy_pj=target_energy_pj,
                  target_latency_cycles=target_latency_cycles, objective=objective, seed=seed,
                  refine_steps=refine_steps, margin_se=margin_se, quiet=quiet)
    if threads is None:
        return run_search(task, arch, **kwargs)
    with deterministic_torch(threads):
        return run_search(task, arch, **kwargs)
