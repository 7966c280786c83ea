"""Size limits: inputs whose memory or work cannot fit are refused before anything is allocated.

Every limit has a default sized for a workstation (a few GiB of memory, seconds
to minutes of work), can be raised or lowered for one process with
:func:`set_limits` or :func:`override`, and for a whole run (including the
worker processes of a sweep) with an environment variable
``ACCELSIM_LIMIT_<NAME>`` (e.g. ``ACCELSIM_LIMIT_MAX_LAYERS=50000``). The table
with the defaults and what each one bounds is in ``docs/limits.md``.

A refusal is an :class:`~accelsim.errors.AccelsimInputError` naming the field,
its value, the limit and how to change it.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace

from accelsim.errors import AccelsimInputError, Problem

__all__ = ["Limits", "DEFAULT_LIMITS", "current", "set_limits", "override", "check_limit",
           "limit_problem", "ENV_PREFIX", "MAX_EXACT_COUNT"]

#: Prefix of the environment variables that override a limit.
ENV_PREFIX = "ACCELSIM_LIMIT_"

#: Largest count that every result field carries exactly: a float64 (JSON, pandas) is exact up
#: to 2**53, and the Numba kernels' int64 counters cannot wrap below it.
MAX_EXACT_COUNT = 2 ** 53


@dataclass(frozen=True)
class Limits:
    """The limits in force (all integers; see ``docs/limits.md``).

    Attributes
    ----------
    max_layers : int
        Layers of one workload, after ``repeat`` blocks are expanded.
    max_repeat_depth : int
        ``repeat`` blocks nested inside each other.
    max_dimension : int
        Any one size of a layer: GEMM M, K, N, groups, conv channels, height, width,
        kernel, stride, padding, dilation, tokens, batch.
    max_layer_macs : int
        Dense multiply-accumulates of one layer (bounds every cycle and event count).
    max_weight_elements : int
        Weights of one layer (a float32 copy is 4 bytes each).
    max_workload_weight_elements : int
        Weights of a whole workload (synthetic weights are generated for all of them).
    max_folds : int
        Array folds of one layer in the schedule (the simulator keeps a few int64 and float64
        values per fold).
    max_block_elements : int
        Elements of one sparse block (``bsr:RxC``, ``block:RxC:S``).
    max_yaml_bytes : int
        Size of a YAML or CSV input file.
    max_yaml_nodes : int
        Values in a decoded YAML document, counting every use of an alias (alias bombs).
    max_yaml_depth : int
        Nesting depth of a YAML document.
    max_rtl_cells : int
        PE cells of an RTL array top that ``accelsim rtl`` generates (Amaranth elaboration
        and Verilog export grow with the cell count).
    max_verify_cells : int
        PE cells of an array that ``accelsim verify`` simulates.
    max_verify_trials : int
        Trials of one ``accelsim verify`` run.
    """

    max_layers: int = 10_000
    max_repeat_depth: int = 16
    max_dimension: int = 2 ** 31 - 1
    max_layer_macs: int = 2 ** 48
    max_weight_elements: int = 2 ** 28
    max_workload_weight_elements: int = 2 ** 30
    max_folds: int = 2 ** 24
    max_block_elements: int = 2 ** 20
    max_yaml_bytes: int = 64 * 2 ** 20
    max_yaml_nodes: int = 2_000_000
    max_yaml_depth: int = 64
    max_rtl_cells: int = 32 * 32
    max_verify_cells: int = 16 * 16
    max_verify_trials: int = 1_000_000


DEFAULT_LIMITS = Limits()
_NAMES = tuple(f.name for f in fields(Limits))
_overrides: dict[str, int] = {}


def _env_value(name: str):
    raw = os.environ.get(ENV_PREFIX + name.upper())
    if raw is None:
        return None
    value = _parse_limit(raw)
    if value is None:
        raise AccelsimInputError(f"invalid environment variable {ENV_PREFIX + name.upper()}", [Problem(
            ENV_PREFIX + name.upper(), raw, "an integer >= 1 (e.g. 20000, 2**30 or 1e6)")])
    return value


_LIMIT_TEXT = re.compile(r"^\s*(?:([0-9]{1,19})|2\*\*([0-9]{1,2})|([0-9])e([0-9]{1,2}))\s*$")


def _parse_limit(text: str):
    match = _LIMIT_TEXT.match(text)
    if not match:
        return None
    plain, power, mantissa, exponent = match.groups()
    value = int(plain) if plain else 2 ** int(power) if power else int(mantissa) * 10 ** int(exponent)
    return value if 1 <= value <= 2 ** 63 - 1 else None


def current() -> Limits:
    """The limits in force: :func:`set_limits` / :func:`override`, else the environment, else defaults."""
    values = {}
    for name in _NAMES:
        if name in _overrides:
            values[name] = _overrides[name]
        else:
            env = _env_value(name)
            if env is not None:
                values[name] = env
    return replace(DEFAULT_LIMITS, **values) if values else DEFAULT_LIMITS


def _checked(changes: dict) -> dict:
    problems = []
    for name, value in changes.items():
        if name not in _NAMES:
            problems.append(Problem(name, value, "one of " + ", ".join(_NAMES)))
        elif value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            problems.append(Problem(name, value, "an integer >= 1 (or None for the default)"))
    if problems:
        raise AccelsimInputError("invalid limits", problems)
    return changes


def set_limits(**changes) -> Limits:
    """Change limits for this process (``None`` restores one to its environment/default value).

    Examples
    --------
    >>> import accelsim.limits as limits
    >>> limits.set_limits(max_layers=50_000).max_layers
    50000
    >>> limits.set_limits(max_layers=None).max_layers
    10000
    """
    for name, value in _checked(changes).items():
        if value is None:
            _overrides.pop(name, None)
        else:
            _overrides[name] = value
    return current()


@contextmanager
def override(**changes):
    """Context manager: the given limits inside the ``with`` block, the previous ones after it."""
    _checked(changes)
    saved = dict(_overrides)
    try:
        set_limits(**changes)
        yield current()
    finally:
        _overrides.clear()
        _overrides.update(saved)


def _how_to_raise(name: str) -> str:
    return (f"set {ENV_PREFIX}{name.upper()}=N or call accelsim.limits.set_limits({name}=N) "
            "to change it (docs/limits.md)")


def limit_problem(name: str, field: str, value, what: str) -> Problem:
    """A :class:`Problem` saying that ``value`` of ``field`` is over limit ``name``."""
    limit = getattr(current(), name)
    shown = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
    return Problem(field, shown, f"at most {limit:,} {what} (limit {name}; {_how_to_raise(name)})")


def check_limit(name: str, value: int, field: str, what: str, summary: str | None = None) -> None:
    """Raise :class:`AccelsimInputError` if ``value`` exceeds the limit ``name``.

    Parameters
    ----------
    name : str
        A :class:`Limits` attribute, e.g. ``"max_layers"``.
    value : int
        The size asked for.
    field : str
        The input field it comes from, shown to the user (e.g. ``"layers[3].repeat"``).
    what : str
        The unit of the limit, e.g. ``"layers"``.
    summary : str, optional
        First line of the message (default: ``"input too large"``).
    """
    if value > getattr(current(), name):
        raise AccelsimInputError(summary or "input too large", [limit_problem(name, field, value, what)])
