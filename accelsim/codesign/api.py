"""The ``accelsim copruning`` workflow as a function: a named task, archs, an output folder."""

from __future__ import annotations

from accelsim.errors import AccelsimInputError, Problem, ProblemCollector

__all__ = ["TASKS", "MAX_CONFIRM_FOLDS", "load_task", "run_copruning"]

#: Most confirmation folds of a bundled task (each fold pre-trains a dense model and holds out
#: 1/N of the training images; digits has 898, so 8 folds validate on about 112 images each).
MAX_CONFIRM_FOLDS = 8

#: Bundled tasks: name -> one-line description.
TASKS = {"digits": "small CNN on scikit-learn's 8x8 handwritten digits (offline, ~1 minute to train)"}


def _check_task(name, field: str) -> str:
    if not isinstance(name, str) or name.strip().lower() not in TASKS:
        raise AccelsimInputError(
            "unknown co-pruning task",
            [Problem(field, name, "one of: " + "; ".join(f"{k} ({v})" for k, v in TASKS.items()))],
            "a model of your own goes through the Python API: accelsim.codesign.coprune(model, evaluate, "
            "arch, example_input=..., finetune=...)")
    return name.strip().lower()


def load_task(name: str, *, seed: int = 0, pretrain_epochs: int | None = None, finetune_epochs: int | None = None,
              confirm_folds: int | None = None, field: str = "task"):
    """Build (train) a bundled task by name; see :data:`TASKS`.

    ``confirm_folds``: folds the search confirms its final choices on (default
    the task's, 2 for digits; 0: none; :func:`run_copruning` checks the range).
    """
    from accelsim.codesign import digits

    _check_task(name, field)
    kwargs = {}
    if pretrain_epochs is not None:
        kwargs["pretrain_epochs"] = pretrain_epochs
    if finetune_epochs is not None:
        kwargs["finetune_epochs"] = finetune_epochs
    if confirm_folds is not None:
        kwargs["folds"] = confirm_folds
    return digits.digits_task(seed, **kwargs)


def run_copruning(task: str, arch, out, *, max_accuracy_drop=1.0, target_energy_pj=None,
                  target_latency_cycles=None, objective: str = "energy", seed: int = 0, refine_steps=None,
                  margin_se: float | None = None,
                  pretrain_epochs: int | None = None, finetune_epochs: int | None = None, quiet: bool = False,
                  confirm_folds: int | None = None, option_names=None):
    """Train a bundled task, co-prune it for ``arch`` (one or several), write the outputs into ``out``.

    Everything is checked before training (the task name, the archs, the
    budget, the output folder); a target no plan can reach is refused before
    any fine-tuning.

    Returns
    -------
    (CoPruneResult, dict)
        The result and ``{file name: path}`` of what was written.
    """
    from accelsim.codesign.outputs import OUTPUT_FILES, write_outputs
    from accelsim.codesign.settings import DEFAULT_REFINE_STEPS, check_settings, load_archs
    from accelsim.fileio import atomic_output_dir, check_output_dir

    names = {"task": "task", "arch": "arch", "out": "out", "max_accuracy_drop": "max_accuracy_drop",
             "target_energy_pj": "target_energy_pj", "target_latency_cycles": "target_latency_cycles",
             "objective": "objective", "seed": "seed", "refine_steps": "refine_steps",
             "pretrain_epochs": "pretrain_epochs", "finetune_epochs": "finetune_epochs", "model": "model",
             "margin_se": "margin_se", "confirm_folds": "confirm_folds"}
    names.update(option_names or {})
    from accelsim.codesign.budget import DEFAULT_MARGIN_SE

    refine_steps = DEFAULT_REFINE_STEPS if refine_steps is None else refine_steps
    margin_se = DEFAULT_MARGIN_SE if margin_se is None else margin_se
    check_output_dir(out, names["out"], recognise=OUTPUT_FILES)
    task_name = _check_task(task, names["task"])
    problems = ProblemCollector()
    check_settings(problems, max_accuracy_drop=max_accuracy_drop, target_energy_pj=target_energy_pj,
                    target_latency_cycles=target_latency_cycles, objective=objective, seed=seed,
                    refine_steps=refine_steps, names=names, margin_se=margin_se)
    for key, value in (("pretrain_epochs", pretrain_epochs), ("finetune_epochs", finetune_epochs)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            problems.add(names[key], value, "an integer >= 0")
    if confirm_folds is not None and (not isinstance(confirm_folds, int) or isinstance(confirm_folds, bool)
                                      or not (confirm_folds == 0 or 2 <= confirm_folds <= MAX_CONFIRM_FOLDS)):
        problems.add(names["confirm_folds"], confirm_folds,
                     f"0 (no confirmation) or an integer from 2 to {MAX_CONFIRM_FOLDS} (each fold holds out "
                     f"1/N of the training images)")
    archs = load_archs(arch, problems, names["arch"])
    problems.raise_if_any("invalid copruning arguments")
    from accelsim.codesign.search import deterministic_torch, run_search

    with deterministic_torch(1):
        task_obj = load_task(task_name, seed=seed, pretrain_epochs=pretrain_epochs, finetune_epochs=finetune_epochs,
                             confirm_folds=confirm_folds)
        result = run_search(task_obj, archs, max_accuracy_drop=max_accuracy_drop, target_energy_pj=target_energy_pj,
                            target_latency_cycles=target_latency_cycles, objective=objective, seed=seed,
                            refine_steps=refine_steps, margin_se=margin_se, quiet=quiet, option_names=names)
        with atomic_output_dir(out, command="copruning", recognise=OUTPUT_FILES) as staging:
            files = write_outputs(result, staging)
    from pathlib import Path
    final = Path(out)
    return result, {name: final / Path(path).name for name, path in files.items()}
