"""Constraints on design points: small, safe expressions over architecture quantities.

A constraint is a Python-like boolean expression, for example
``sram_kib <= 1024``, ``multipliers == 1024``, ``array.rows >= array.cols``
or ``pe.sparsity != 'dense' or rows <= 32``. Names are the derived quantities of
:data:`DERIVED_NAMES` (computed from the validated architecture) or fields of
the architecture file by their YAML path (``array.rows``, ``pe.n``,
``mapping.objective``); a path the point's architecture does not set is
``null``. The expression is parsed once with :mod:`ast` and only literals,
names, arithmetic, comparisons, ``and``/``or``/``not``, ``in`` and the
functions ``min``, ``max``, ``abs``, ``log2``, ``ceil`` and ``floor`` are
allowed: nothing is ever passed to ``eval``.
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass

__all__ = ["Constraint", "compile_constraint", "derived_quantities", "DERIVED_NAMES", "ConstraintError"]

#: Quantities a constraint can name directly, and what they are.
DERIVED_NAMES = {
    "rows": "PE array rows",
    "cols": "PE array columns",
    "pes": "processing elements, rows x cols",
    "lanes": "multipliers per PE (N for an N:M PE)",
    "multipliers": "pes x lanes (the area proxy's compute part)",
    "sram_kib": "weight_kib + input_kib + output_kib (the area proxy's memory part)",
    "weight_kib": "weight buffer KiB",
    "input_kib": "input buffer KiB",
    "output_kib": "output buffer KiB",
    "dram_bandwidth_bytes_per_cycle": "DRAM bandwidth (inf when unlimited)",
    "clock_mhz": "clock in MHz",
    "sparsity": "PE sparsity kind: dense, nm, unstructured or block",
    "n": "N of an N:M PE (null otherwise)",
    "m": "M of an N:M PE (null otherwise)",
    "dataflow": "the point's dataflow: ws, os or is",
}

_FUNCTIONS = {"min": min, "max": max, "abs": abs, "log2": math.log2, "ceil": math.ceil, "floor": math.floor}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
            ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
            ast.NotIn: lambda a, b: a not in b}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}


class ConstraintError(ValueError):
    """A constraint cannot be parsed, or cannot be evaluated on a point (the message says why)."""


def derived_quantities(arch) -> dict:
    """The :data:`DERIVED_NAMES` values of an :class:`~accelsim.spec.ArchSpec`."""
    b, s = arch.buffers, arch.sparsity
    pes = arch.array.rows * arch.array.cols
    return {
        "rows": arch.array.rows, "cols": arch.array.cols, "pes": pes, "lanes": s.lanes,
        "multipliers": pes * s.lanes, "sram_kib": b.weight_kib + b.input_kib + b.output_kib,
        "weight_kib": b.weight_kib, "input_kib": b.input_kib, "output_kib": b.output_kib,
        "dram_bandwidth_bytes_per_cycle": arch.dram_bandwidth_bytes_per_cycle,
        "clock_mhz": arch.clock_mhz, "sparsity": s.kind, "n": s.n, "m": s.m, "dataflow": arch.dataflow,
    }


_MISSING = object()


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _check(node, text: str) -> None:
    """Reject every syntax outside the allowed subset."""
    if isinstance(node, ast.Expression):
        _check(node.body, text)
    elif isinstance(node, ast.BoolOp):
        for v in node.values:
            _check(v, text)
    elif isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        _check(node.operand, text)
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, text)
        _check(node.right, text)
    elif isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        _check(node.left, text)
        for c in node.comparators:
            _check(c, text)
    elif isinstance(node, ast.Constant) and (node.value is None or isinstance(node.value, (int, float, str, bool))):
        pass
    elif isinstance(node, (ast.List, ast.Tuple)):
        for e in node.elts:
            _check(e, text)
    elif isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise ConstraintError(f"no name starts with '_' ({node.id!r})")
    elif isinstance(node, ast.Attribute):
        path = _dotted(node)
        if path is None:
            raise ConstraintError("only dotted field paths such as array.rows may use '.'")
        if any(part.startswith("_") for part in path.split(".")):
            raise ConstraintError(f"no field name starts with '_' ({path!r})")
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS or node.keywords:
            raise ConstraintError("the only functions are " + ", ".join(sorted(_FUNCTIONS)))
        for a in node.args:
            _check(a, text)
    else:
        raise ConstraintError(f"{type(node).__name__} is not allowed (use comparisons, arithmetic, "
                              "and/or/not, in, and the fields or derived quantities)")


def _lookup(arch_dict: dict, path: str):
    value = arch_dict
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


@dataclass(frozen=True)
class Constraint:
    """A compiled constraint; call :meth:`holds` on a point's architecture."""

    text: str
    tree: ast.Expression

    def holds(self, arch_dict: dict, derived: dict) -> bool:
        """Evaluate on a point: its architecture mapping (overrides applied) and its derived quantities.

        Raises
        ------
        ConstraintError
            A name that is neither derived nor a field, or an operation on values that do not
            support it (for example ``null <= 4``).
        """
        try:
            return bool(self._eval(self.tree.body, arch_dict, derived))
        except ConstraintError:
            raise
        except (TypeError, ValueError, ZeroDivisionError, OverflowError) as exc:
            raise ConstraintError(str(exc)) from None

    def _eval(self, node, arch_dict, derived):
        ev = lambda n: self._eval(n, arch_dict, derived)  # noqa: E731
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                return all(ev(v) for v in node.values)
            return any(ev(v) for v in node.values)
        if isinstance(node, ast.UnaryOp):
            return _UNARY[type(node.op)](ev(node.operand))
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.Compare):
            left = ev(node.left)
            for op, comp in zip(node.ops, node.comparators):
                right = ev(comp)
                if not _COMPARE[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            return tuple(ev(e) for e in node.elts)
        if isinstance(node, ast.Call):
            return _FUNCTIONS[node.func.id](*(ev(a) for a in node.args))
        if isinstance(node, ast.Name):
            if node.id in derived:
                return derived[node.id]
            value = _lookup(arch_dict, node.id)
            if value is _MISSING:
                raise ConstraintError(f"unknown name {node.id!r}; known: " + ", ".join(DERIVED_NAMES)
                                      + ", or a field path such as array.rows")
            return value
        path = _dotted(node)
        value = _lookup(arch_dict, path)
        return None if value is _MISSING else value


def compile_constraint(text) -> Constraint:
    """Parse and check one constraint string.

    Raises
    ------
    ConstraintError
        Not a string, not an expression, or syntax outside the allowed subset.
    """
    if not isinstance(text, str) or not text.strip():
        raise ConstraintError("a constraint is a non-empty expression string such as 'sram_kib <= 1024'")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConstraintError(f"not an expression ({exc.msg})") from None
    _check(tree, text)
    return Constraint(text.strip(), tree)
