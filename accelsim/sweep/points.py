"""Design points as plain data: the architecture a point stands for, and its content-hash key."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from dataclasses import dataclass

from accelsim.errors import AccelsimInputError, Problem

__all__ = ["DesignPoint", "apply_overrides", "build_arch", "arch_identity", "point_key"]


@dataclass(frozen=True, slots=True)
class DesignPoint:
    """One point of a sweep: everything that decides its results.

    Attributes
    ----------
    index : int
        Position in the sweep's plan (tables are sorted by it).
    key : str
        SHA-256 (hex) of the point's content: see :func:`point_key`.
    workload : int
        Index into ``SweepSpec.workloads``.
    prune : str or None
        Canonical pruning scheme (``None``: unpruned).
    seed : int
        Seed of the synthetic weights.
    dataflow : {"ws", "os", "is"}
    format : str
        ``"native"`` or a canonical format string.
    values : tuple
        One value per ``SweepSpec.parameters``, in order.
    """

    index: int
    key: str
    workload: int
    prune: str | None
    seed: int
    dataflow: str
    format: str
    values: tuple


class OverrideError(ValueError):
    """A swept path runs through a field that is not a section."""


def apply_overrides(base: dict, paths, values, dataflow: str | None = None) -> dict:
    """A copy of ``base`` with each dotted ``path`` set to its value (a mapping replaces the section).

    Missing sections on the way are created (``mapping.objective`` adds a
    ``mapping`` section). ``dataflow``, when given, sets the top-level
    ``dataflow`` field.

    Raises
    ------
    OverrideError
        If a path runs through a field that holds a value, not a section.
    """
    out = copy.deepcopy(base)
    for path, value in zip(paths, values):
        parts = path.split(".")
        node = out
        for i, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                raise OverrideError(f"{'.'.join(parts[:i + 1])} holds {child!r}, not a section with fields")
            node = child
        node[parts[-1]] = copy.deepcopy(value)
    if dataflow is not None:
        out["dataflow"] = dataflow
    return out


def build_arch(base: dict, source: str, paths, values, dataflow: str | None = None):
    """Apply overrides and validate: returns ``(arch mapping, ArchSpec)``.

    Raises
    ------
    AccelsimInputError
        The architecture is invalid (problems name the fields), or a path runs
        through a value.
    """
    from accelsim.spec import arch_from_dict

    try:
        data = apply_overrides(base, paths, values, dataflow)
    except OverrideError as exc:
        raise AccelsimInputError("invalid architecture", [Problem("space", list(paths), str(exc))]) from None
    return data, arch_from_dict(data, source=source)


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "items"):        # read-only mappings
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def arch_identity(arch, table=None) -> dict:
    """What of an architecture enters a point's key: every modelled field, and its energy prices.

    The name, description and source file are left out (they change no
    result). The energy table enters through the per-event prices it gives
    this architecture (:func:`accelsim.energy.per_event_energies_pj`), so a
    table file edited on disk changes the key; finding the prices also
    checks that the table exists and is valid. ``table`` (an
    :class:`~accelsim.energy.EnergyTable`) is used instead of loading
    ``arch.energy_table``.
    """
    from accelsim.energy import per_event_energies_pj

    data = _plain(dataclasses.asdict(arch))
    for name in ("name", "description", "source"):
        data.pop(name, None)
    data["energy_prices_pj"] = dict(sorted(per_event_energies_pj(arch, table).items()))
    return data


def point_key(version: str, workload_identity: dict, prune, seed: int, dataflow: str, fmt: str,
              arch_sha256: str) -> str:
    """The content hash of a point: SHA-256 of the canonical JSON of its inputs.

    Parameters
    ----------
    version : str
        accelsim version (results of another version are other points).
    workload_identity : dict
        ``WorkloadRef.identity()``: name, file SHA-256, tokens, batch.
    prune, seed, dataflow, fmt
        As in :class:`DesignPoint`.
    arch_sha256 : str
        SHA-256 of the canonical JSON of :func:`arch_identity`.
    """
    from accelsim.sweep.spec import canonical_json

    text = canonical_json({"accelsim": version, "workload": workload_identity, "prune": prune, "seed": seed,
                           "dataflow": dataflow, "format": fmt, "arch": arch_sha256})
    return hashlib.sha256(text.encode()).hexdigest()
