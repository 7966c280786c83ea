"""Expand a sweep spec into its design points, validating every one before anything runs.

Order of the points (their ``index``): workloads, then pruning schemes, then
seeds (outermost, so a worker keeps one prepared workload for a long run of
points), then the sampled architectures in sampling order, then dataflows,
then formats (innermost).

Every architecture is built from the base mapping with the point's overrides
and checked by :func:`accelsim.spec.arch_from_dict` (and its energy table
priced). Problems are grouped: one line per distinct problem, with how many
architectures have it and the first one that does, all raised together in one
:class:`~accelsim.errors.AccelsimInputError`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass

import numpy as np

from accelsim.errors import AccelsimInputError, Problem
from accelsim.sweep.constraints import ConstraintError, derived_quantities
from accelsim.sweep.points import DesignPoint, arch_identity, build_arch, point_key
from accelsim.sweep.space import grid_assignments, grid_size, lhs_unit_rows, random_unit_rows
from accelsim.sweep.spec import MAX_POINTS, SweepSpec, canonical_json, load_sweep_spec

__all__ = ["SweepPlan", "plan_sweep", "assignment_label", "MAX_PROBLEMS_SHOWN"]

#: Distinct problems listed in one error (the rest are counted).
MAX_PROBLEMS_SHOWN = 25


@dataclass(frozen=True)
class SweepPlan:
    """The validated points of a sweep and what planning left out.

    Attributes
    ----------
    spec : SweepSpec
    points : tuple of DesignPoint
        Deduplicated by key, in plan order.
    drawn : int
        Assignments drawn by the sampler (grid: all of them).
    rejected : int
        Architectures (assignment x dataflow) the constraints rejected.
    duplicates : int
        Points dropped because an earlier one has the same key.
    skipped : tuple of (str, int)
        Points left out because their format cannot run as asked, with how
        many: a format the PE does not exploit, or an N:M format on weights not
        pruned to it (``accelsim compare`` skips the same combinations).
    """

    spec: SweepSpec
    points: tuple
    drawn: int
    rejected: int
    duplicates: int
    skipped: tuple

    def summary(self) -> dict:
        """Plain counts (stored with the results, shown in the report)."""
        return {"points": len(self.points), "drawn": self.drawn, "rejected_by_constraints": self.rejected,
                "duplicates": self.duplicates, "skipped": [{"reason": r, "points": n} for r, n in self.skipped]}


def assignment_label(spec: SweepSpec, values) -> str:
    """``array.rows=32, pe=nm24`` for an assignment (empty when nothing is swept)."""
    return ", ".join(f"{p.path}={p.label_of(v)}" for p, v in zip(spec.parameters, values))


@dataclass(frozen=True)
class _Variant:
    values: tuple
    dataflow: str
    arch_sha256: str
    formats: tuple       # formats the PE exploits
    kind: str


class _Problems:
    """Problems grouped by (field, allowed), counted, with the values seen and the first architecture."""

    def __init__(self):
        self.groups: dict = {}
        self.order: list = []
        self.tried = 0      # architectures built (assignment x dataflow)

    def add(self, field: str, value, allowed: str, where: str) -> None:
        key = (field, allowed)
        if key not in self.groups:
            self.groups[key] = [0, where, []]
            self.order.append(key)
        group = self.groups[key]
        group[0] += 1
        if len(group[2]) < 6 and not any(v == value and type(v) is type(value) for v in group[2]):
            group[2].append(value)

    def __bool__(self):
        return bool(self.order)

    def problems(self, total: int) -> list[Problem]:
        out = []
        for key in self.order[:MAX_PROBLEMS_SHOWN]:
            count, where, values = self.groups[key]
            field, allowed = key
            others = ""
            if len(values) > 1:
                others = "; other values: " + ", ".join(repr(v) for v in values[1:5]) + (", ..." if len(values) > 5 else "")
            share = f"; in {count} of {total} architectures{others}, first: {where}" if where else ""
            out.append(Problem(field, values[0], allowed + share))
        if len(self.order) > MAX_PROBLEMS_SHOWN:
            out.append(Problem("(more)", len(self.order) - MAX_PROBLEMS_SHOWN, "the same fixes (distinct problems "
                                                                               "not shown)"))
        return out


def _check_size(spec: SweepSpec, assignments: int) -> None:
    dataflows = len(spec.dataflows) if spec.dataflows else 1
    per_arch = len(spec.workloads) * len(spec.prunes) * len(spec.seeds) * len(spec.formats)
    total = assignments * dataflows * per_arch
    if total > MAX_POINTS:
        raise AccelsimInputError(
            "the sweep is too large", [Problem(
                "space" if spec.sampling.method == "grid" else "sampling.samples",
                f"{assignments:,} assignments x {dataflows} dataflows x {per_arch} workload/prune/seed/format "
                f"combinations = {total:,} points", f"at most {MAX_POINTS:,} points")],
            hint="sample the space (sampling: {method: lhs, samples: N}) or split the sweep")


def _unit_assignments(spec: SweepSpec, rows: np.ndarray):
    for row in rows:
        yield tuple(p.value_at(float(u)) for p, u in zip(spec.parameters, row))


def _variants_of(spec, values, base, problems, where):
    """The validated, constraint-passing architectures of one assignment (one per dataflow)."""
    out, rejected = [], 0
    for dataflow in (spec.dataflows or (None,)):
        problems.tried += 1
        try:
            data, arch = build_arch(base, spec.base_arch_source, [p.path for p in spec.parameters], values,
                                    dataflow)
            identity = arch_identity(arch)
        except AccelsimInputError as exc:
            for p in exc.problems or [Problem("arch", None, str(exc).splitlines()[0])]:
                field = p.field if p.field.startswith(("space", "arch")) else f"arch.{p.field}"
                problems.add(field, p.value, p.allowed, where)
            continue
        derived = derived_quantities(arch)
        ok = True
        for i, constraint in enumerate(spec.constraints):
            try:
                if not constraint.holds(data, derived):
                    ok = False
                    break
            except ConstraintError as exc:
                problems.add(f"constraints[{i}]", constraint.text, f"an expression that evaluates on every "
                                                                   f"point ({exc})", where)
                ok = False
                break
        if not ok:
            rejected += 1
            continue
        sha = hashlib.sha256(canonical_json(identity).encode()).hexdigest()
        out.append(_Variant(tuple(values), arch.dataflow, sha, arch.sparsity.formats, arch.sparsity.kind))
    return out, rejected


def _collect_variants(spec: SweepSpec, problems: _Problems):
    base = spec.base_arch()
    params = spec.parameters
    method = spec.sampling.method
    variants, rejected, drawn = [], 0, 0
    if method == "grid":
        _check_size(spec, grid_size(params))
        for values in grid_assignments(params):
            drawn += 1
            got, rej = _variants_of(spec, values, base, problems, assignment_label(spec, values) or "the base arch")
            variants += got
            rejected += rej
        return variants, rejected, drawn
    samples = spec.sampling.samples
    _check_size(spec, samples)
    rng = np.random.default_rng(spec.sampling.seed)
    if not params:
        got, rej = _variants_of(spec, (), base, problems, "the base arch")
        return got, rej, 1
    if method == "lhs":
        for values in _unit_assignments(spec, lhs_unit_rows(rng, samples, len(params))):
            drawn += 1
            got, rej = _variants_of(spec, values, base, problems, assignment_label(spec, values))
            variants += got
            rejected += rej
        return variants, rejected, drawn
    # random: draw distinct assignments until `samples` of them pass the constraints
    finite = all(p.finite for p in params)
    if finite and grid_size(params) < samples:
        raise AccelsimInputError("invalid sweep spec", [Problem(
            "sampling.samples", samples, f"at most {grid_size(params)}, the number of distinct assignments "
                                         "of this space (or use method: grid)")])
    seen, accepted = set(), 0
    limit = max(1000, 100 * samples)
    while accepted < samples and drawn < limit:
        batch = min(4096, max(64, 2 * (samples - accepted)))
        for values in _unit_assignments(spec, random_unit_rows(rng, batch, len(params))):
            if accepted >= samples or drawn >= limit:
                break
            drawn += 1
            ident = canonical_json(list(values))
            if ident in seen:
                continue
            seen.add(ident)
            got, rej = _variants_of(spec, values, base, problems, assignment_label(spec, values))
            rejected += rej
            if got:
                variants += got
                accepted += 1
        if problems:
            break
    if accepted < samples and not problems:
        raise AccelsimInputError("invalid sweep spec", [Problem(
            "sampling.samples", samples, f"a number the constraints allow: {accepted} distinct assignments "
                                         f"passed them in {drawn} draws")],
            hint="loosen the constraints, ask for fewer samples, or use method: grid")
    return variants, rejected, drawn


def _format_skip(fmt: str, prune, variant: _Variant) -> str | None:
    if fmt == "native":
        return None
    if fmt != "dense" and fmt not in variant.formats:
        return f"a {variant.kind} PE cannot exploit {fmt} (it would run as dense)"
    if fmt.startswith("nm:") and (prune or "").split(":")[:3] != fmt.split(":")[:3]:
        return f"{fmt} needs weights pruned with {':'.join(fmt.split(':')[:3])}, not {prune or 'unpruned'}"
    return None


def plan_sweep(spec) -> SweepPlan:
    """Validate a spec and expand it into its design points.

    Parameters
    ----------
    spec : SweepSpec, dict, str or os.PathLike
        Anything :func:`accelsim.sweep.load_sweep_spec` accepts.

    Returns
    -------
    SweepPlan

    Raises
    ------
    AccelsimInputError
        Every problem of every point together (grouped), a sweep larger than
        :data:`~accelsim.sweep.spec.MAX_POINTS`, or a sweep with no point left.
    """
    from accelsim import __version__

    spec = load_sweep_spec(spec)
    problems = _Problems()
    variants, rejected, drawn = _collect_variants(spec, problems)
    if problems:
        raise AccelsimInputError(f"invalid sweep {spec.name!r}: some design points are not valid "
                                 "architectures (no point was run)", problems.problems(problems.tried))
    points, seen, skipped = [], set(), Counter()
    duplicates = 0
    for wi, workload in enumerate(spec.workloads):
        identity = workload.identity()
        for prune in spec.prunes:
            for seed in spec.seeds:
                for variant in variants:
                    for fmt in spec.formats:
                        reason = _format_skip(fmt, prune, variant)
                        if reason:
                            skipped[reason] += 1
                            continue
                        key = point_key(__version__, identity, prune, seed, variant.dataflow, fmt,
                                        variant.arch_sha256)
                        if key in seen:
                            duplicates += 1
                            continue
                        seen.add(key)
                        points.append(DesignPoint(len(points), key, wi, prune, seed, variant.dataflow, fmt,
                                                  variant.values))
    if not points:
        why = [Problem("constraints", [c.text for c in spec.constraints], f"constraints that some point meets "
                                                                          f"({rejected} architectures rejected)")]
        why += [Problem("formats", list(spec.formats), f"formats that can run ({r}: {n} points)")
                for r, n in skipped.items()]
        raise AccelsimInputError(f"invalid sweep {spec.name!r}: no design point is left to run", why)
    return SweepPlan(spec, tuple(points), drawn, rejected, duplicates, tuple(sorted(skipped.items())))
