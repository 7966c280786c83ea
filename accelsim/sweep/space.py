"""The parameter space of a sweep: swept architecture fields and how their values are drawn.

A parameter is an architecture field addressed by its YAML path
(``array.rows``, ``buffers.weight_kib``, ``pe``, ``mapping.objective``) and the
values it takes:

* a list of choices (``[16, 32, 64]``), or named choices
  (``{choices: {dense: {sparsity: dense}, nm24: {sparsity: nm, n: 2, m: 4}}}``);
  a mapping value replaces the whole section at that path;
* a numeric range ``{min: 64, max: 1024}`` with optional ``log: true``,
  ``integer: true`` and either ``step: S`` (the values ``min, min+S, ...``,
  integers when ``min``, ``max`` and ``step`` are) or ``num: K`` (K values
  from ``min`` to ``max``, evenly or log spaced). A range
  with ``step`` or ``num`` is finite (a grid may use it); one without is
  continuous (random and Latin-hypercube sampling only).

Sampling turns the parameters into *assignments* (one value per parameter):
``grid`` (the Cartesian product, last parameter fastest), ``random`` (each
value uniform over its choices or range) and ``lhs`` (a Latin hypercube: each
parameter's unit interval cut into as many strata as samples, every stratum
used once). Random draws come from ``numpy.random.default_rng(seed)``; the
same spec and seed give the same assignments on every machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from accelsim.errors import ProblemCollector

__all__ = ["Parameter", "parse_parameter", "grid_size", "grid_assignments", "random_unit_rows",
           "lhs_unit_rows", "SAMPLING_METHODS", "value_label"]

SAMPLING_METHODS = ("grid", "random", "lhs")

#: Continuous samples are rounded to this many significant digits (readable, stable keys).
SIGNIFICANT_DIGITS = 6

_RANGE_KEYS = {"min", "max", "log", "integer", "step", "num"}


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def value_label(value) -> str:
    """A short text form of a parameter value (choices without a name are labelled by it)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {value_label(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(value_label(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    if value is None:
        return "null"
    return str(value)


def _round_significant(x: float) -> float:
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{SIGNIFICANT_DIGITS}g}")


@dataclass(frozen=True)
class Parameter:
    """One swept architecture field.

    Attributes
    ----------
    path : str
        Dotted YAML path of the field in the architecture file.
    choices : tuple or None
        The values, for a choice parameter (or a finite range, expanded).
    labels : tuple of str or None
        Display names of ``choices``.
    low, high : float or None
        Bounds of a continuous range.
    log : bool
        Log-uniform sampling of a continuous range.
    integer : bool
        Values are integers.
    """

    path: str
    choices: tuple | None = None
    labels: tuple | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False

    @property
    def finite(self) -> bool:
        """True if the parameter has a finite list of values (a grid can use it)."""
        return self.choices is not None

    @property
    def numeric(self) -> bool:
        """True if every value is a number (sensitivity plots use a numeric axis)."""
        if self.choices is None:
            return True
        return all(_is_number(c) for c in self.choices)

    def label_of(self, value) -> str:
        """Display name of one of this parameter's values."""
        if self.choices is not None and self.labels is not None:
            for choice, label in zip(self.choices, self.labels):
                if choice == value and type(choice) is type(value):
                    return label
        return value_label(value)

    def value_at(self, u: float):
        """The value at position ``u`` in [0, 1) of the parameter's range (sampling)."""
        if self.choices is not None:
            return self.choices[min(int(u * len(self.choices)), len(self.choices) - 1)]
        lo, hi = self.low, self.high
        if self.integer:
            if self.log:
                x = math.exp(math.log(lo) + u * (math.log(hi + 1) - math.log(lo)))
            else:
                x = lo + u * (hi + 1 - lo)
            return int(min(max(math.floor(x), lo), hi))
        if self.log:
            x = math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        else:
            x = lo + u * (hi - lo)
        return min(max(_round_significant(x), lo), hi)

    def to_dict(self) -> dict:
        """Plain description (stored with the results)."""
        if self.choices is not None:
            return {"path": self.path, "choices": list(self.choices), "labels": list(self.labels or ())}
        return {"path": self.path, "min": self.low, "max": self.high, "log": self.log, "integer": self.integer}


def _expand_range(path, lo, hi, step, num, log, integer, problems, where):
    if step is not None:
        if not _is_number(step) or step <= 0:
            problems.add(f"{where}.step", step, "a number > 0")
            return None
        if log:
            problems.add(f"{where}.log", log, "false when step is given (step is linear; use num for log spacing)")
            return None
        count = int(math.floor((hi - lo) / step + 1e-9)) + 1
        if count > 100_000:
            problems.add(f"{where}.step", step, f"a step giving at most 100000 values (this gives {count})")
            return None
        values = [lo + i * step for i in range(count)]
        if _is_int(lo) and _is_int(hi) and _is_int(step):
            integer = True          # min, max and step all integers: the values are integers
    else:
        if not _is_int(num) or num < 1 or num > 100_000:
            problems.add(f"{where}.num", num, "an integer from 1 to 100000")
            return None
        if num == 1:
            values = [lo]
        elif log:
            values = list(np.geomspace(lo, hi, num))
        else:
            values = list(np.linspace(lo, hi, num))
    if integer:
        out = []
        for v in values:
            iv = int(round(v))
            if iv not in out:
                out.append(iv)
        return tuple(out)
    return tuple(_round_significant(float(v)) for v in values)


def parse_parameter(path, raw, problems: ProblemCollector, where: str) -> Parameter | None:
    """Validate one ``space`` entry; record problems under ``where`` (e.g. ``space.array.rows``)."""
    if not isinstance(path, str) or not path.strip() or any(not part for part in path.split(".")):
        problems.add(where, path, "a dotted architecture field path such as array.rows or buffers.weight_kib")
        return None
    path = path.strip()
    if isinstance(raw, list):
        if not raw:
            problems.add(where, raw, "a non-empty list of values")
            return None
        return Parameter(path, choices=tuple(raw), labels=tuple(value_label(v) for v in raw))
    if isinstance(raw, dict) and "choices" in raw:
        extra = set(raw) - {"choices"}
        if extra:
            problems.add(f"{where}.{sorted(extra)[0]}", raw[sorted(extra)[0]], "absent: a choices entry has no other keys")
        choices = raw["choices"]
        if isinstance(choices, list) and choices:
            return Parameter(path, choices=tuple(choices), labels=tuple(value_label(v) for v in choices))
        if isinstance(choices, dict) and choices:
            labels = tuple(str(k) for k in choices)
            return Parameter(path, choices=tuple(choices.values()), labels=labels)
        problems.add(f"{where}.choices", choices, "a non-empty list of values, or a mapping of name -> value")
        return None
    if isinstance(raw, dict) and ("min" in raw or "max" in raw):
        before = len(problems.problems)
        for key in raw:
            if key not in _RANGE_KEYS:
                problems.add(f"{where}.{key}", raw[key], "no such range field; known: " + ", ".join(sorted(_RANGE_KEYS)))
        lo, hi = raw.get("min"), raw.get("max")
        log, integer = raw.get("log", False), raw.get("integer", False)
        for key, value in (("log", log), ("integer", integer)):
            if not isinstance(value, bool):
                problems.add(f"{where}.{key}", value, "true or false")
        for key, value in (("min", lo), ("max", hi)):
            if not _is_number(value):
                problems.add(f"{where}.{key}", value, "a finite number")
            elif integer is True and not _is_int(value):
                problems.add(f"{where}.{key}", value, "an integer (integer: true)")
        if _is_number(lo) and _is_number(hi):
            if hi < lo:
                problems.add(f"{where}.max", hi, f"a number >= min = {lo}")
            if log is True and lo <= 0:
                problems.add(f"{where}.min", lo, "a number > 0 (log: true)")
        if "step" in raw and "num" in raw:
            problems.add(f"{where}.num", raw["num"], "absent when step is given (give step or num, not both)")
        if len(problems.problems) > before:
            return None
        if "step" in raw or "num" in raw:
            values = _expand_range(path, lo, hi, raw.get("step"), raw.get("num"), log, integer, problems, where)
            if values is None:
                return None
            return Parameter(path, choices=values, labels=tuple(value_label(v) for v in values),
                             log=log, integer=integer)
        if integer:
            return Parameter(path, low=int(lo), high=int(hi), log=log, integer=True)
        return Parameter(path, low=float(lo), high=float(hi), log=log, integer=False)
    problems.add(where, raw, "a list of values, {choices: [...] or {name: value}}, or a range "
                             "{min: A, max: B} (optional log, integer, step or num)")
    return None


def grid_size(parameters) -> int:
    """Number of assignments of the full grid (every parameter must be finite)."""
    size = 1
    for p in parameters:
        size *= len(p.choices)
    return size


def grid_assignments(parameters):
    """Yield every assignment of the grid as a tuple of values, last parameter fastest."""
    counts = [len(p.choices) for p in parameters]
    total = grid_size(parameters)
    for flat in range(total):
        values = []
        rest = flat
        for p, count in zip(reversed(parameters), reversed(counts)):
            rest, i = divmod(rest, count)
            values.append(p.choices[i])
        yield tuple(reversed(values))


def random_unit_rows(rng: np.random.Generator, count: int, dims: int) -> np.ndarray:
    """``count`` rows of ``dims`` independent uniform numbers in [0, 1)."""
    return rng.random((count, dims))


def lhs_unit_rows(rng: np.random.Generator, count: int, dims: int) -> np.ndarray:
    """A Latin hypercube of ``count`` rows in [0, 1)^dims: every 1/count stratum of every column used once."""
    out = np.empty((count, dims))
    for d in range(dims):
        strata = rng.permutation(count)
        out[:, d] = (strata + rng.random(count)) / count
    return out
