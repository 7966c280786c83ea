"""The search on one arch: the Lagrangian path, bisection with fine-tuning, greedy refinement.

1. **Path.** For every weight format the arch can run, every module's
   candidates get their simulated cost (:class:`~accelsim.codesign.costs.CostTable`)
   and their one-shot damage; :func:`~accelsim.codesign.allocate.lagrangian_path`
   orders the knapsack-optimal plans from dense to the cheapest, and the
   formats' paths are merged into one lower envelope.
2. **Bisection.** One-shot damage overstates what fine-tuning leaves, so the
   damage budget is not known in advance: the search bisects along the path
   for the cheapest plan whose *fine-tuned* validation accuracy stays within
   the budget (about ``log2(path length)`` fine-tunes).
3. **Refinement.** From the best plan found, greedy moves: for each module
   and family the next cheaper levels, ranked by simulated saving per unit
   of one-shot damage measured on the current fine-tuned model; a move is
   kept when the fine-tuned plan stays within budget and measures cheaper,
   and a failed move bans the costlier levels of its family on that module.

With a target (energy or cycles) instead of an accuracy budget, the path is
built on the target metric and the search fine-tunes the first plans along
it that meet the target, keeping the most accurate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accelsim.codesign.allocate import Option, lagrangian_path, lower_envelope
from accelsim.codesign.candidates import DENSE, candidate_family, format_choices, plan_key
from accelsim.codesign.measure import format_label, objective_value

__all__ = ["Evaluated", "ArchOutcome", "build_path", "cheapest_plan_cost", "search_arch", "plan_label",
           "planned_steps", "bisect_steps"]

#: Moves per (module, family) considered by one refinement step: the next cheaper levels.
_LEVELS_PER_FAMILY = 2
#: Plans along the path fine-tuned in target mode.
_TARGET_TRIES = 3


@dataclass(frozen=True)
class Evaluated:
    """One fine-tuned candidate measured on one arch.

    ``phase`` is ``bisect``, ``refine``, ``target`` or a baseline name;
    ``feasible`` says whether it meets the budget (accuracy or target);
    ``predicted`` is the path's predicted cost (None for baselines).
    """

    step: int
    phase: str
    arch: str
    trained: object
    measure: object
    feasible: bool
    predicted: object = None
    fmt: object = None


@dataclass
class ArchOutcome:
    """What the search found on one arch: its best feasible plan and everything it evaluated."""

    arch: object
    best: Evaluated | None
    evaluated: list = field(default_factory=list)
    path_length: int = 0
    note: str = ""


def plan_label(choices: dict) -> str:
    """Short text of a plan: ``conv2=nm:2:4 fc1=unstructured:0.9`` (``dense`` if nothing is pruned)."""
    parts = [f"{m}={c}" for m, c in choices.items() if c != DENSE]
    return " ".join(parts) if parts else "dense"


def _scalar(metric: str, cost, norm) -> float:
    if metric == "edp":     # linearised at the dense model: dE/E0 + dC/C0
        return cost.energy_pj / norm[0] + cost.cycles / norm[1]
    return cost.energy_pj if metric == "energy" else float(cost.cycles)


def build_path(table, candidates: dict, damage: dict, metric: str, norm) -> list:
    """Merged lower envelope of the Lagrangian paths of every format of ``table.arch``.

    Parameters
    ----------
    table : CostTable
    candidates : dict
        ``{module: [candidate, ...]}`` for this arch.
    damage : dict
        ``{(module, candidate): one-shot damage}`` (``dense`` is 0).
    metric : {"energy", "latency", "edp"}
    norm : (float, float)
        Dense energy and cycles on the arch (for ``edp``).
    """
    plans = []
    for fmt in format_choices(table.arch):
        options = {m: [Option(c, _scalar(metric, table.module_cost(m, c, fmt), norm),
                              0.0 if c == DENSE else damage[(m, c)]) for c in cands]
                   for m, cands in candidates.items()}
        plans += lagrangian_path(options, fmt, fixed_cost=_scalar(metric, table.fixed_cost(fmt), norm))
    return lower_envelope(plans)


def cheapest_plan_cost(table, candidates: dict, metric: str):
    """The lowest predicted energy (pJ) or cycles any plan reaches on ``table.arch``, and its format."""
    best = None
    for fmt in format_choices(table.arch):
        total = _scalar(metric, table.fixed_cost(fmt), (1.0, 1.0))
        for m, cands in candidates.items():
            total += min(_scalar(metric, table.module_cost(m, c, fmt), (1.0, 1.0)) for c in cands)
        if best is None or total < best[0]:
            best = (total, fmt)
    return best


class _ArchRun:
    """State of one arch's search (see the module docstring)."""

    def __init__(self, ctx, arch, table, candidates):
        self.ctx = ctx
        self.arch = arch
        self.table = table
        self.candidates = candidates
        self.outcome = ArchOutcome(arch, None)

    # -------------------------------------------------------------- helpers
    def objective(self, ev: Evaluated) -> float:
        return ev.measure.objective(self.ctx.objective)

    def masks(self, choices: dict) -> dict:
        return {m: self.table.mask(m, c) for m, c in choices.items() if c != DENSE}

    def evaluate(self, choices: dict, phase: str, predicted=None, fmt=None) -> Evaluated:
        ctx = self.ctx
        full = {m: choices.get(m, DENSE) for m in ctx.modules}
        key = plan_key(full)
        was_cached = ctx.trainer.cached(key) is not None
        trained = ctx.trainer.train(key, self.masks(full), plan_label(full), full)
        measure = ctx.trainer.measure(trained, self.arch)
        feasible = ctx.feasible(trained, measure)
        ev = Evaluated(ctx.next_step(), phase, self.arch.name, trained, measure, feasible, predicted, fmt)
        self.outcome.evaluated.append(ev)
        ctx.record(ev)
        if self.better(ev):
            self.outcome.best = ev
        ctx.report_step(ev, self.outcome.best, 0.0 if was_cached else trained.train_seconds)
        return ev

    def better(self, ev: Evaluated) -> bool:
        if not ev.feasible:
            return False
        best = self.outcome.best
        if best is None:
            return True
        if self.ctx.target is not None:     # most accurate within the target, then cheapest
            return (ev.trained.val_accuracy, -self.objective(ev)) > (best.trained.val_accuracy, -self.objective(best))
        return self.objective(ev) < self.objective(best)

    # -------------------------------------------------------------- budget mode
    def bisect(self, path) -> None:
        lo, hi = -1, len(path)           # -1: the dense model, feasible by definition
        while hi - lo > 1:
            mid = (lo + hi) // 2
            plan = path[mid]
            ev = self.evaluate(plan.as_dict(), "bisect", plan.cost, plan.fmt)
            if self.ctx.within_accuracy(ev.trained):
                lo = mid
            else:
                hi = mid

    def refine(self, steps: int, metric: str, norm) -> int:
        """Greedy moves from the best plan; returns the number of fine-tunes spent."""
        ctx = self.ctx
        current = self.outcome.best                    # at worst the dense plan
        if current is None:
            return 0
        fmt = current.fmt
        banned: dict = {}                              # (module, family) -> cost of the failed level
        spent = 0
        local_cache: dict = {}
        references: dict = {}
        while spent < steps:
            choices = {m: current.trained.choices.get(m, DENSE) for m in ctx.modules}
            model = ctx.trainer.model(current.trained.key)
            if current.trained.key not in references:
                references[current.trained.key] = ctx.trainer.sensitivity_metrics(model)
            reference = references[current.trained.key]
            moves = []
            for mi, m in enumerate(ctx.modules):
                now = _scalar(metric, self.table.module_cost(m, choices[m], fmt), norm)
                by_family: dict = {}
                for ci, c in enumerate(self.candidates[m]):
                    if c == choices[m]:
                        continue
                    cost = _scalar(metric, self.table.module_cost(m, c, fmt), norm)
                    fam = candidate_family(c)
                    if cost >= now or cost <= banned.get((m, fam), -1.0):
                        continue
                    trial = dict(choices, **{m: c})
                    if ctx.trainer.cached(plan_key(trial)) is not None:
                        continue
                    by_family.setdefault(fam, []).append((-cost, ci, c, now - cost))
                for fam, items in by_family.items():
                    for _, ci, c, saving in sorted(items)[:_LEVELS_PER_FAMILY]:
                        moves.append((mi, ci, m, c, saving))
            if not moves:
                break
            scored = []
            for mi, ci, m, c, saving in moves:
                key = (current.trained.key, m, c)
                if key not in local_cache:
                    local_cache[key] = ctx.trainer.one_shot_damage(model, m, self.table.mask(m, c), reference)
                damage = max(local_cache[key], 0.0)
                scored.append((-saving / (damage + ctx.damage_eps), mi, ci, m, c))
            scored.sort()
            _, _, _, m, c = scored[0]
            trial = dict(choices, **{m: c})
            predicted = self.table.plan_cost(trial, fmt)
            ev = self.evaluate(trial, "refine", _scalar(metric, predicted, norm), fmt)
            spent += 1
            if ev.feasible and self.objective(ev) < self.objective(current):
                current = ev
            else:
                fam = candidate_family(c)
                banned[(m, fam)] = max(banned.get((m, fam), -1.0),
                                       _scalar(metric, self.table.module_cost(m, c, fmt), norm))
        return spent

    # -------------------------------------------------------------- target mode
    def target_tries(self, path) -> None:
        target = self.ctx.target_value
        start = next((i for i, p in enumerate(path) if p.cost <= target), None)
        if start is None:
            self.outcome.note = "no plan reaches the target on this arch"
            return
        for plan in path[start:start + _TARGET_TRIES]:
            self.evaluate(plan.as_dict(), "target", plan.cost, plan.fmt)


def planned_steps(ctx, path_length: int) -> int:
    """Fine-tunes one arch's search plans: the dense plan, the bisection, the refinement (or target tries)."""
    if ctx.target is not None:
        return 1 + _TARGET_TRIES
    return 1 + bisect_steps(path_length) + ctx.refine_steps


def bisect_steps(path_length: int) -> int:
    """Fine-tunes a bisection over ``path_length`` plans takes at most."""
    return max(1, (path_length + 1).bit_length())


def search_arch(ctx, arch, table, candidates: dict, path: list, norm) -> ArchOutcome:
    """Run the search on one arch along ``path`` (see the module docstring).

    ``ctx`` is the search context; ``norm`` the dense (energy, cycles) on the
    arch. The progress plan must already count :func:`planned_steps`; steps
    that do not run are taken off it.
    """
    run = _ArchRun(ctx, arch, table, candidates)
    run.outcome.path_length = len(path)
    start = ctx.step
    run.evaluate({}, "dense")                          # trained already: the reference model
    if ctx.target is None:
        run.bisect(path)
        run.refine(ctx.refine_steps, ctx.objective, norm)
    else:
        run.target_tries(path)
    ctx.progress.unplan(planned_steps(ctx, len(path)) - (ctx.step - start))
    if run.outcome.best is not None:
        best = run.outcome.best
        ctx.progress.note(f"{arch.name}: best {plan_label(best.trained.choices)} "
                          f"({format_label(best.measure.format)} format), "
                          f"{objective_value(ctx.objective, best.measure.energy_pj, best.measure.cycles):,.6g} "
                          f"{ctx.objective_unit}")
    return run.outcome
