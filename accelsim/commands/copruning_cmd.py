"""``accelsim copruning``: hardware-aware co-pruning of a task for one or more archs."""

from __future__ import annotations

import math

__all__ = ["HELP", "DESCRIPTION", "add_arguments", "run_copruning"]

HELP = "co-prune a model with the simulator in the loop (per-layer patterns, arch choice)"
DESCRIPTION = ("Search per-layer pruning patterns and levels that the arch's PE can exploit, scored by "
               "simulated energy and cycles and by measured accuracy after fine-tuning with fixed masks; "
               "compare with dense, global magnitude and uniform 2:4 baselines. Several --arch co-design "
               "the hardware. Writes plan.json, model.safetensors (for accelsim simulate --workload), "
               "model_state.safetensors, pareto.png and report.md/html.")

_NAMES = {"task": "--task", "arch": "--arch", "out": "--out", "max_accuracy_drop": "--max-accuracy-drop",
          "target_energy_pj": "--target-energy", "target_latency_cycles": "--target-latency",
          "objective": "--objective", "seed": "--seed", "refine_steps": "--refine-steps",
          "pretrain_epochs": "--pretrain-epochs", "finetune_epochs": "--finetune-epochs", "model": "--task",
          "margin_se": "--margin-se", "confirm_folds": "--confirm-folds"}


def add_arguments(p) -> None:
    """Declare the ``accelsim copruning`` options on parser ``p``."""
    from accelsim.numbers import float_option, int_option

    # Text must be an ASCII number, and integers at most the upper bounds below (which keep a typo
    # from training for days); the ranges are checked by the API, which lists every bad value together.
    ANY_NUMBER = float_option(-math.inf)  # noqa: N806 - a constant of this function

    p.add_argument("--task", "-t", required=True, metavar="T", help="bundled task: digits")
    p.add_argument("--arch", "-a", action="append", required=True, metavar="A",
                   help="architecture (repeat to co-design: the search ranks them)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--max-accuracy-drop", type=ANY_NUMBER, default=None, metavar="D",
                        help="validation accuracy budget in percentage points below the dense model (default 1)")
    budget.add_argument("--target-energy", type=ANY_NUMBER, default=None, metavar="E",
                        help="instead: the most accurate plan with simulated energy <= E pJ")
    budget.add_argument("--target-latency", type=ANY_NUMBER, default=None, metavar="L",
                        help="instead: the most accurate plan with simulated latency <= L cycles")
    p.add_argument("--margin-se", type=ANY_NUMBER, default=None, metavar="Z",
                   help="a candidate must clear the accuracy budget by Z standard errors of its paired "
                        "validation difference to the dense model (default 2; 0: plain comparison)")
    p.add_argument("--confirm-folds", type=int_option(None, 10 ** 6), default=None, metavar="N",
                   help="re-splits of the task that confirm each arch's final plan and the magnitude baseline "
                        "on data the search never used (default: the task's, 2 for digits; 0: the validation "
                        "rule alone; at most 8)")
    p.add_argument("--objective", default="energy", metavar="OBJ",
                   help="what the search minimises: energy (default), latency or edp")
    p.add_argument("--out", "-o", required=True, metavar="DIR", help="output folder")
    p.add_argument("--seed", type=int_option(None, 2 ** 63 - 1), default=0,
                   help="seed of the data split, training and search (default 0)")
    p.add_argument("--refine-steps", type=int_option(None, 1000), default=None, metavar="N",
                   help="greedy refinement fine-tunes per arch after the bisection (default 6)")
    p.add_argument("--pretrain-epochs", type=int_option(None, 10_000), default=None, metavar="N",
                   help="epochs of dense pre-training of the task (default: the task's, 30 for digits)")
    p.add_argument("--finetune-epochs", type=int_option(None, 10_000), default=None, metavar="N",
                   help="fine-tuning budget of every candidate and baseline (default: the task's, 12 for digits)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines")


def run_copruning(args) -> int:
    """Run the search, write the outputs, print the winner and where the files are."""
    from accelsim.codesign.api import run_copruning as run

    drop = 1.0 if args.max_accuracy_drop is None else args.max_accuracy_drop
    result, files = run(args.task, args.arch, args.out, max_accuracy_drop=drop,
                        target_energy_pj=args.target_energy, target_latency_cycles=args.target_latency,
                        objective=args.objective, seed=args.seed, refine_steps=args.refine_steps,
                        margin_se=args.margin_se, confirm_folds=args.confirm_folds,
                        pretrain_epochs=args.pretrain_epochs, finetune_epochs=args.finetune_epochs,
                        quiet=args.quiet, option_names=_NAMES)
    from accelsim.codesign.outputs import plan_dict

    plan = plan_dict(result)
    for rank, name in enumerate(result.ranking, 1):
        block = plan["per_arch"][name]
        c, d, mag = block["copruned"], block["dense"], block["magnitude_baseline"]
        print(f"{rank}. {name}: co-pruned test accuracy {100 * c['accuracy']:.2f}% (dense {100 * d['accuracy']:.2f}%), "
              f"energy {c['energy_pj'] / 1e6:.3f} uJ = {c['energy_pj'] / d['energy_pj']:.3f}x dense, "
              f"{c['energy_pj'] / mag['energy_pj']:.3f}x magnitude; {c['cycles']:,} cycles "
              f"({d['cycles'] / c['cycles']:.2f}x faster than dense)")
    print(f"winner {result.winner}" + (f", runner-up {result.runner_up}" if result.runner_up else "")
          + f"; search {result.search_seconds:.0f} s")
    print(f"plan: {files['plan.json']}")
    for kind in ("model.safetensors", "model_state.safetensors", "pareto.png", "report.md", "report.html"):
        print(f"  {kind}: {files[kind]}")
    return 0
