"""Co-pruning on the digits task against the dense model and the magnitude and 2:4 baselines.

Usage::

    python benchmarks/bench_copruning.py [--seed 0] [--max-accuracy-drop 1] [--margin-se 2]
        [--confirm-folds 2] [--out DIR]

Runs ``accelsim copruning --task digits`` once with the three shipped sparse
archs (``nm24-ws-32x32``, ``unstructured-os-32x32``, ``block4x4-ws-32x32``) --
one search that co-designs the arch too -- and prints, per arch, the held-out
test accuracies of the dense model, the co-pruned model and the baselines, the
co-pruned model's energy and latency (cycles) as ratios to the dense model and
to the global-magnitude baseline, and the wall time of the whole run (training
the task included). ``make bench`` runs it (``benchmarks/run_all.py`` runs
every ``bench_*.py``).

Goal (issue 10): on each sparse arch, the co-pruned model is within 1
percentage point of the dense model's test accuracy and its simulated energy
is below both the magnitude baseline's and the dense model's; the run takes
at most 10 minutes on a 2-core machine. The script prints whether each part
holds; it measures, it does not assert.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ARCHS = ("nm24-ws-32x32", "unstructured-os-32x32", "block4x4-ws-32x32")
GOAL_DROP_PP = 1.0
GOAL_SECONDS = 600.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-accuracy-drop", type=float, default=1.0,
                    help="validation budget of the search and the magnitude baseline (pp)")
    ap.add_argument("--margin-se", type=float, default=None, help="standard errors of the margin (default 2)")
    ap.add_argument("--confirm-folds", type=int, default=None,
                    help="folds confirming the final choices (default 2; 0: the validation rule alone)")
    ap.add_argument("--out", default=None, help="keep the outputs here (default: a temporary folder)")
    ap.add_argument("--json", default=None, help="also write the figures as JSON")
    args = ap.parse_args(argv)

    from accelsim.codesign.api import run_copruning

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or str(Path(tmp) / "copruning")
        start = time.monotonic()
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        result, files = run_copruning("digits", list(ARCHS), out, max_accuracy_drop=args.max_accuracy_drop,
                                      seed=args.seed, margin_se=args.margin_se, confirm_folds=args.confirm_folds,
                                      quiet=False)
        wall = time.monotonic() - start
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        load = os.getloadavg()[0]
        plan = json.loads(Path(files["plan.json"]).read_text())

    s = plan["settings"]
    print(f"\ndigits, seed {args.seed}, validation budget {args.max_accuracy_drop:g} pp, margin {s['margin_se']:g} s.e., "
          f"confirmed on {s['confirm_folds']} folds, "
          f"fine-tuning: {plan['task']['finetune_budget']}")
    print(f"{'arch':24} {'dense':>7} {'copr.':>7} {'magn.':>7} {'2:4':>7} {'mag. sp.':>8} {'copr. sp.':>9} "
          f"{'E/dense':>8} {'E/magn.':>8} {'cyc/dense':>9} {'cyc/magn.':>9}  goal")
    figures = {"seed": args.seed, "max_accuracy_drop_pp": args.max_accuracy_drop, "wall_seconds": wall,
               "cpu_seconds": cpu, "load_average_1min": load,
               "margin_se": s["margin_se"], "confirm_folds": s["confirm_folds"],
               "search_seconds": result.search_seconds, "winner": plan["winner"], "runner_up": plan["runner_up"],
               "archs": {}}
    all_ok = True
    for arch in ARCHS:
        b = plan["per_arch"][arch]
        d, c, m, n = b["dense"], b["copruned"], b["magnitude_baseline"], b["nm24_baseline"]
        drop = 100 * (d["accuracy"] - c["accuracy"])
        ok = drop <= GOAL_DROP_PP + 1e-9 and c["energy_pj"] < m["energy_pj"] and c["energy_pj"] < d["energy_pj"]
        all_ok &= ok
        r = b["ratios"]
        print(f"{arch:24} {100 * d['accuracy']:6.2f}% {100 * c['accuracy']:6.2f}% {100 * m['accuracy']:6.2f}% "
              f"{100 * n['accuracy']:6.2f}% {100 * m['sparsity']:7.1f}% {100 * c['sparsity']:8.1f}% "
              f"{r['copruned_vs_dense']['energy']:8.3f} {r['copruned_vs_magnitude']['energy']:8.3f} "
              f"{r['copruned_vs_dense']['latency']:9.3f} {r['copruned_vs_magnitude']['latency']:9.3f}  "
              f"{'met' if ok else 'NOT met'} (test drop {drop:+.2f} pp)")
        figures["archs"][arch] = {"dense": d, "copruned": {k: v for k, v in c.items() if k != "layers"},
                                  "magnitude_baseline": m, "nm24_baseline": n, "ratios": r,
                                  "test_drop_pp": drop, "goal_met": ok}
    print(f"winner {plan['winner']}, runner-up {plan['runner_up']}; search {result.search_seconds:.0f} s, "
          f"whole run (training included) {wall:.0f} s (goal <= {GOAL_SECONDS:.0f} s: "
          f"{'met' if wall <= GOAL_SECONDS else 'NOT met'}); CPU {cpu:.0f} s (user+sys), load average {load:.1f}")
    print(f"accuracy and energy goal on every sparse arch: {'met' if all_ok else 'NOT met'}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
