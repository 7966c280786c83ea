"""Sweep specification: YAML -> checked -> frozen :class:`SweepSpec` (every problem reported together).

The format is documented in ``docs/sweeps.md``; :data:`EXAMPLE_SWEEP_YAML` is a
complete example. Checks here cover the spec's own fields; the points it
expands to are checked by :func:`accelsim.sweep.plan.plan_sweep` (every
architecture built and validated before anything runs).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

from accelsim.errors import AccelsimInputError, ProblemCollector
from accelsim.sweep.constraints import Constraint, ConstraintError, compile_constraint
from accelsim.sweep.space import SAMPLING_METHODS, Parameter, parse_parameter

__all__ = ["SweepSpec", "WorkloadRef", "Sampling", "load_sweep_spec", "sweep_spec_from_dict",
           "EXAMPLE_SWEEP_YAML", "OUTPUT_COLUMNS", "OBJECTIVE_COLUMNS", "DEFAULT_OBJECTIVES", "MAX_POINTS"]

EXAMPLE_SWEEP_YAML = """\
name: resnet50-shapes
workloads: [resnet50]
prune: [none, "nm:2:4"]
arch: nm24-ws-32x32             # bundled name, a path, or an inline mapping
dataflows: [ws, os]
formats: [native]               # the arch's native format (dense on a dense PE)
space:
  array.rows: [16, 32, 64]
  array.cols: [16, 32, 64]
  buffers.weight_kib: {min: 64, max: 1024, log: true}
  pe:
    choices:
      dense: {sparsity: dense}
      nm24: {sparsity: nm, n: 2, m: 4}
sampling: {method: lhs, samples: 50, seed: 1}
constraints: ["sram_kib <= 2048", "multipliers <= 4096"]"""

_HINT = "example of a valid sweep spec:\n" + EXAMPLE_SWEEP_YAML

_TOP_KEYS = {"name", "description", "workloads", "prune", "seeds", "arch", "space", "sampling",
             "constraints", "dataflows", "formats", "objectives"}

#: Numeric result columns of every record (see docs/sweeps.md for their meaning).
OUTPUT_COLUMNS = ("cycles", "compute_cycles", "stall_cycles", "energy_pj", "latency_s", "utilization",
                  "dram_bytes", "dram_metadata_bytes", "sram_traffic_bytes", "macs_effectual", "macs_dense",
                  "multipliers", "sram_kib", "edp_pj_s")
DEFAULT_OBJECTIVES = ("energy_pj", "latency_s", "multipliers", "sram_kib")
#: Result columns a Pareto front may minimise (every one is better smaller).
OBJECTIVE_COLUMNS = ("energy_pj", "latency_s", "edp_pj_s", "cycles", "compute_cycles", "stall_cycles", "dram_bytes",
                     "dram_metadata_bytes", "sram_traffic_bytes", "multipliers", "sram_kib")

#: Largest number of design points one sweep may expand to (checked before expanding).
MAX_POINTS = 1_000_000


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class WorkloadRef:
    """A workload of the sweep: what to load and the content it must have.

    Attributes
    ----------
    label : str
        The name as written in the spec (shown in tables).
    source : str
        A bundled name or an absolute path, passed to :func:`accelsim.load_workload`.
    tokens, batch : int
        Loader options.
    sha256 : str
        SHA-256 of the workload file; part of every point's key, and checked
        again wherever the workload is loaded (a cluster worker included).
    bundled : bool
        ``source`` is the name of a bundled workload.
    input_shape : tuple of int or None
        Checkpoints only: the ``(C, H, W)`` input of the first conv.
    topology : str or None
        Checkpoints only: a bundled workload name or an absolute path giving the layer shapes.
    topology_sha256 : str
        SHA-256 of the topology file (empty without one).
    """

    label: str
    source: str
    tokens: int = 128
    batch: int = 1
    sha256: str = ""
    bundled: bool = False
    input_shape: tuple | None = None
    topology: str | None = None
    topology_sha256: str = ""

    def identity(self) -> dict:
        """What enters a point's key."""
        out = {"name": self.label, "sha256": self.sha256, "tokens": self.tokens, "batch": self.batch}
        if self.input_shape is not None:
            out["input_shape"] = list(self.input_shape)
        if self.topology is not None:
            out["topology_sha256"] = self.topology_sha256
        return out

    def load_options(self) -> dict:
        """Keyword arguments of :func:`accelsim.load_workload` besides the seed."""
        out = {"tokens": self.tokens, "batch": self.batch}
        if self.input_shape is not None:
            out["input_shape"] = self.input_shape
        if self.topology is not None:
            out["topology"] = self.topology
        return out


@dataclass(frozen=True)
class Sampling:
    """How assignments are drawn: ``grid`` (all), ``random`` or ``lhs`` (``samples`` of them, seeded)."""

    method: str = "grid"
    samples: int | None = None
    seed: int = 0


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep specification. Build it with :func:`load_sweep_spec`.

    Attributes
    ----------
    name, description : str
    workloads : tuple of WorkloadRef
    prunes : tuple of (str or None)
        Canonical pruning scheme strings; ``None`` is unpruned.
    seeds : tuple of int
        Seeds of the synthetic weights.
    base_arch_json : str
        The base architecture mapping, as canonical JSON (see :meth:`base_arch`).
    base_arch_source : str
        File the base architecture came from (relative energy-table paths are
        found beside it); empty for an inline mapping.
    parameters : tuple of Parameter
    sampling : Sampling
    constraints : tuple of Constraint
    dataflows : tuple of str or None
        Dataflows crossed with every architecture; ``None`` keeps each
        architecture's own ``dataflow`` field (which may be swept).
    formats : tuple of str
        ``"native"`` (the PE's native format, as ``simulate`` defaults) or canonical format strings.
    objectives : tuple of str
        Result columns the Pareto front minimises.
    source : str
        The spec file (empty for a mapping given in code).
    """

    name: str
    description: str
    workloads: tuple
    prunes: tuple
    seeds: tuple
    base_arch_json: str
    base_arch_source: str
    parameters: tuple
    sampling: Sampling
    constraints: tuple
    dataflows: tuple | None
    formats: tuple
    objectives: tuple
    source: str = ""

    def base_arch(self) -> dict:
        """A fresh copy of the base architecture mapping."""
        return json.loads(self.base_arch_json)

    def to_dict(self) -> dict:
        """Canonical plain form (JSON-ready); its hash identifies the sweep in its store."""
        return {
            "name": self.name, "description": self.description,
            "workloads": [{"source": w.source, **w.identity()} for w in self.workloads],
            "prune": list(self.prunes), "seeds": list(self.seeds), "arch": self.base_arch(),
            "arch_source": self.base_arch_source,
            "space": [p.to_dict() for p in self.parameters],
            "sampling": {"method": self.sampling.method, "samples": self.sampling.samples,
                         "seed": self.sampling.seed},
            "constraints": [c.text for c in self.constraints],
            "dataflows": None if self.dataflows is None else list(self.dataflows),
            "formats": list(self.formats), "objectives": list(self.objectives),
        }

    def sha256(self) -> str:
        """SHA-256 of :meth:`to_dict` as canonical JSON."""
        return hashlib.sha256(canonical_json(self.to_dict()).encode()).hexdigest()


def canonical_json(obj) -> str:
    """Compact, key-sorted JSON with infinities written as the string ``"inf"`` (deterministic)."""
    return json.dumps(_finite(obj), sort_keys=True, separators=(",", ":"), allow_nan=False)


def _finite(obj):
    if isinstance(obj, float) and not math.isfinite(obj):
        return "inf" if obj > 0 else "-inf" if obj < 0 else "nan"
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


# ----------------------------------------------------------------------------- pieces
def _resolve_path(text: str, base: Path | None) -> Path:
    """A relative path is looked up beside the spec file first, then from the working directory."""
    p = Path(text).expanduser()
    if not p.is_absolute() and base is not None and (base / p).exists():
        return (base / p).resolve()
    return p.resolve() if p.exists() else p


def _as_list(value, where: str, problems: ProblemCollector, default=None):
    if value is None:
        return default
    if isinstance(value, list):
        if not value:
            problems.add(where, value, "a non-empty list")
            return None
        return value
    return [value]


def _parse_workloads(raw, base, problems) -> tuple:
    from accelsim.workload.bundled import bundled_names, resolve_bundled_name
    from accelsim.workload.loaders import WORKLOAD_SUFFIXES

    items = _as_list(raw, "workloads", problems)
    if items is None:
        if raw is None:
            problems.add("workloads", None, "a list of workloads (bundled names or files); the field is missing")
        return ()
    refs = []
    for i, item in enumerate(items):
        where = f"workloads[{i}]"
        tokens, batch, input_shape, topology, topology_sha = 128, 1, None, None, ""
        if isinstance(item, dict):
            for key in item:
                if key not in ("workload", "tokens", "batch", "input_shape", "topology"):
                    problems.add(f"{where}.{key}", item[key], "no such field; known: workload, tokens, batch, "
                                                              "input_shape, topology")
            tokens, batch = item.get("tokens", 128), item.get("batch", 1)
            for key, value in (("tokens", tokens), ("batch", batch)):
                if not _is_int(value) or value < 1:
                    problems.add(f"{where}.{key}", value, "an integer >= 1")
            if item.get("input_shape") is not None:
                shape = item["input_shape"]
                if isinstance(shape, list) and 2 <= len(shape) <= 3 and all(_is_int(v) and v >= 1 for v in shape):
                    input_shape = tuple(shape)
                else:
                    problems.add(f"{where}.input_shape", shape, "[C, H, W] (or [C, L]) of positive integers")
            if item.get("topology") is not None:
                topo = item["topology"]
                bundled_topo = resolve_bundled_name(topo) if isinstance(topo, str) and "/" not in topo else None
                topo_path = bundled_topo or (_resolve_path(topo, base) if isinstance(topo, str) else None)
                if topo_path is None or not Path(topo_path).is_file():
                    problems.add(f"{where}.topology", topo, "a bundled workload name or a workload file")
                else:
                    topology = topo if bundled_topo else str(topo_path)
                    topology_sha = _sha256_file(Path(topo_path))
            item = item.get("workload")
        if not isinstance(item, str) or not item.strip():
            problems.add(where, item, "a bundled workload name or a path to a workload file")
            continue
        text = item.strip()
        looks_like_path = "/" in text or Path(text).suffix.lower() in WORKLOAD_SUFFIXES
        bundled = None if looks_like_path else resolve_bundled_name(text)
        extra = {"input_shape": input_shape, "topology": topology, "topology_sha256": topology_sha}
        if bundled is not None:
            refs.append(WorkloadRef(text, text, tokens, batch, _sha256_file(bundled), bundled=True, **extra))
            continue
        path = _resolve_path(text, base)
        if not path.is_file():
            allowed = ("an existing workload file" if looks_like_path else
                       "one of the bundled names " + ", ".join(bundled_names()) + ", or a workload file")
            problems.add(where, text, allowed)
            continue
        refs.append(WorkloadRef(text, str(path), tokens, batch, _sha256_file(path), **extra))
    labels = [r.label for r in refs]
    for label in sorted({l for l in labels if labels.count(l) > 1}):
        problems.add("workloads", label, "each workload once")
    return tuple(refs)


def _parse_prunes(raw, problems) -> tuple:
    from accelsim.prune import parse_scheme

    items = _as_list(raw, "prune", problems, default=[None])
    if items is None:
        return ()
    out = []
    for i, item in enumerate(items):
        if item is None or (isinstance(item, str) and item.strip().lower() == "none"):
            out.append(None)
            continue
        if isinstance(item, str) and not item.strip():
            problems.add(f"prune[{i}]", item, "a pruning scheme such as 'nm:2:4' or 'unstructured:0.9', "
                                              "or none (an empty scheme is refused)")
            continue
        try:
            out.append(parse_scheme(item).name)
        except AccelsimInputError as exc:
            detail = "; ".join(str(p) for p in exc.problems) or str(exc).splitlines()[0]
            problems.add(f"prune[{i}]", item, f"a pruning scheme such as 'nm:2:4' or 'unstructured:0.9', "
                                              f"or none ({detail})")
    return tuple(dict.fromkeys(out))


def _parse_seeds(raw, problems) -> tuple:
    items = _as_list(raw, "seeds", problems, default=[0])
    if items is None:
        return ()
    for i, s in enumerate(items):
        if not _is_int(s) or s < 0:
            problems.add(f"seeds[{i}]", s, "an integer >= 0")
    return tuple(dict.fromkeys(s for s in items if _is_int(s) and s >= 0))


def _parse_arch(raw, base, problems) -> tuple[str, str]:
    from accelsim.spec.load import bundled_arch_dir
    from accelsim.yamlio import read_yaml_file

    if raw is None:
        problems.add("arch", None, "the base architecture: a bundled name, a path to an architecture "
                                   "YAML file, or a mapping; the field is missing")
        return "{}", ""
    if isinstance(raw, dict):
        return canonical_json(raw), ""
    if not isinstance(raw, str) or not raw.strip():
        problems.add("arch", raw, "a bundled architecture name, a path to an architecture YAML file, or a mapping")
        return "{}", ""
    text = raw.strip()
    path = _resolve_path(text, base)
    if not path.exists() and not Path(text).suffix:
        candidate = bundled_arch_dir() / f"{text}.yaml"
        if candidate.exists():
            path = candidate
    if not path.is_file():
        bundled = ", ".join(sorted(f.stem for f in bundled_arch_dir().glob("*.yaml")))
        problems.add("arch", text, f"an existing architecture YAML file or a bundled name ({bundled})")
        return "{}", ""
    if path.suffix.lower() == ".cfg":
        problems.add("arch", text, "an architecture YAML file (a SCALE-Sim .cfg cannot be a sweep's base: "
                                   "convert it with `accelsim arch FILE.cfg` and write the YAML)")
        return "{}", ""
    data = read_yaml_file(path, "architecture file")
    if not isinstance(data, dict):
        problems.add("arch", text, "an architecture file holding a mapping of fields")
        return "{}", ""
    return canonical_json(data), str(path)


def _parse_space(raw, problems) -> tuple:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        problems.add("space", raw, "a mapping of architecture field path -> values, e.g. {array.rows: [16, 32]}")
        return ()
    params = []
    for path, values in raw.items():
        p = parse_parameter(path, values, problems, f"space.{path}")
        if p is not None:
            params.append(p)
    paths = [p.path for p in params]
    for i, a in enumerate(paths):
        for b in paths[i + 1:]:
            if b.startswith(a + ".") or a.startswith(b + "."):
                problems.add(f"space.{b}", b, f"a field outside {a} (a section and one of its fields "
                                              "cannot both be swept)")
    return tuple(params)


def _parse_sampling(raw, params, problems) -> Sampling:
    if raw is None:
        raw = {}
    if isinstance(raw, str):
        raw = {"method": raw}
    if not isinstance(raw, dict):
        problems.add("sampling", raw, "a mapping {method: grid|random|lhs, samples: N, seed: S}")
        return Sampling()
    for key in raw:
        if key not in ("method", "samples", "seed"):
            problems.add(f"sampling.{key}", raw[key], "no such field; known: method, samples, seed")
    method = raw.get("method", "grid")
    if isinstance(method, str):
        method = method.strip().lower()
    if method not in SAMPLING_METHODS:
        problems.add("sampling.method", raw.get("method"), "one of " + ", ".join(SAMPLING_METHODS))
        return Sampling()
    seed = raw.get("seed", 0)
    if not _is_int(seed) or seed < 0:
        problems.add("sampling.seed", seed, "an integer >= 0")
        seed = 0
    samples = raw.get("samples")
    if method == "grid":
        if samples is not None:
            problems.add("sampling.samples", samples, "absent for a grid (it runs every combination)")
        for p in params:
            if not p.finite:
                problems.add(f"space.{p.path}", p.to_dict(), "a list of values or a range with step or num "
                                                             "(a grid cannot use a continuous range)")
        return Sampling("grid", None, seed)
    if not _is_int(samples) or samples < 1 or samples > MAX_POINTS:
        problems.add("sampling.samples", samples, f"an integer from 1 to {MAX_POINTS} (samples to draw)")
        samples = 1
    return Sampling(method, samples, seed)


def _parse_constraints(raw, problems) -> tuple:
    items = _as_list(raw, "constraints", problems, default=[])
    out = []
    for i, text in enumerate(items or []):
        try:
            out.append(compile_constraint(text))
        except ConstraintError as exc:
            problems.add(f"constraints[{i}]", text, f"an expression such as 'sram_kib <= 1024' ({exc})")
    return tuple(out)


def _parse_dataflows(raw, params, problems):
    from accelsim.spec import DATAFLOWS

    if raw is None:
        return None
    items = _as_list(raw, "dataflows", problems)
    if items is None:
        return None
    out = []
    for i, d in enumerate(items):
        value = d.strip().lower() if isinstance(d, str) else d
        if value not in DATAFLOWS:
            problems.add(f"dataflows[{i}]", d, "one of " + ", ".join(DATAFLOWS))
        else:
            out.append(value)
    if any(p.path == "dataflow" for p in params):
        problems.add("dataflows", raw, "absent when space sweeps the arch field dataflow (use one or the other)")
    return tuple(dict.fromkeys(out))


def _parse_formats(raw, problems) -> tuple:
    from accelsim.formats.spec import parse_format

    items = _as_list(raw, "formats", problems, default=["native"])
    out = []
    for i, f in enumerate(items or []):
        if isinstance(f, str) and f.strip().lower() == "native":
            out.append("native")
            continue
        try:
            out.append(parse_format(f).name)
        except AccelsimInputError:
            problems.add(f"formats[{i}]", f, "native, or a format such as dense, csr, bitmap, bsr:4x4, nm:2:4")
    return tuple(dict.fromkeys(out))


def _parse_objectives(raw, problems) -> tuple:
    items = _as_list(raw, "objectives", problems, default=list(DEFAULT_OBJECTIVES))
    out = []
    for i, o in enumerate(items or []):
        if o not in OBJECTIVE_COLUMNS:
            problems.add(f"objectives[{i}]", o, "a result column to minimise: " + ", ".join(OBJECTIVE_COLUMNS))
        else:
            out.append(o)
    return tuple(dict.fromkeys(out))


# ----------------------------------------------------------------------------- entry points
def sweep_spec_from_dict(data, source: str = "") -> SweepSpec:
    """Validate a parsed sweep spec (a mapping) and build a :class:`SweepSpec`.

    Relative paths (the base arch, workload files) are looked up beside
    ``source`` first, then from the working directory.

    Raises
    ------
    AccelsimInputError
        Every problem of the spec's fields, together.
    """
    where = f" {source}" if source else ""
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a YAML {type(data).__name__}"
        raise AccelsimInputError(f"invalid sweep spec{where}: the document is {kind}, not a mapping of fields",
                                 hint=_HINT)
    base = Path(source).resolve().parent if source else None
    problems = ProblemCollector()
    for key in data:
        if key not in _TOP_KEYS:
            problems.add(str(key), data[key], "no such field; known fields: " + ", ".join(sorted(_TOP_KEYS)))
    name = data.get("name", Path(source).stem if source else "sweep")
    if not isinstance(name, str) or not name.strip():
        problems.add("name", name, "a non-empty string")
        name = "sweep"
    description = data.get("description", "")
    if not isinstance(description, str):
        problems.add("description", description, "a string")
        description = ""
    workloads = _parse_workloads(data.get("workloads"), base, problems)
    prunes = _parse_prunes(data.get("prune"), problems)
    seeds = _parse_seeds(data.get("seeds"), problems)
    arch_json, arch_source = _parse_arch(data.get("arch"), base, problems)
    params = _parse_space(data.get("space"), problems)
    sampling = _parse_sampling(data.get("sampling"), params, problems)
    constraints = _parse_constraints(data.get("constraints"), problems)
    dataflows = _parse_dataflows(data.get("dataflows"), params, problems)
    formats = _parse_formats(data.get("formats"), problems)
    objectives = _parse_objectives(data.get("objectives"), problems)
    problems.raise_if_any(f"invalid sweep spec{where}", _HINT)
    return SweepSpec(name=name.strip(), description=description, workloads=workloads, prunes=prunes,
                     seeds=seeds, base_arch_json=arch_json, base_arch_source=arch_source, parameters=params,
                     sampling=sampling, constraints=constraints, dataflows=dataflows, formats=formats,
                     objectives=objectives, source=source)


def load_sweep_spec(spec) -> SweepSpec:
    """Load and validate a sweep spec.

    Parameters
    ----------
    spec : str, os.PathLike, dict or SweepSpec
        A YAML file, the name of a bundled spec in ``workloads/sweeps`` (e.g.
        ``"resnet50-1000"``), a mapping with the same fields, or a spec
        (returned unchanged).

    Raises
    ------
    AccelsimInputError
        Missing or unreadable file, invalid YAML, or any invalid field (all together).
    """
    from accelsim.yamlio import read_yaml_file

    if isinstance(spec, SweepSpec):
        return spec
    if isinstance(spec, dict):
        return sweep_spec_from_dict(spec)
    if not isinstance(spec, (str, os.PathLike)) or not str(spec).strip():
        raise AccelsimInputError("invalid sweep spec", hint="give a YAML file, a bundled spec name or a mapping")
    p = Path(spec)
    if not p.exists() and not p.suffix:
        from accelsim.bundled_data import bundled_dir

        candidate = bundled_dir() / "sweeps" / f"{p.name}.yaml"
        if candidate.exists():
            p = candidate
    if not p.exists():
        from accelsim.bundled_data import bundled_dir

        names = sorted(f.stem for f in (bundled_dir() / "sweeps").glob("*.yaml"))
        raise AccelsimInputError(f"sweep spec {str(spec)!r} does not exist",
                                 hint=("bundled sweep specs: " + ", ".join(names)) if names else None)
    if p.is_dir():
        raise AccelsimInputError(f"sweep spec {str(spec)!r} is a directory, not a file")
    data = read_yaml_file(p, "sweep spec", _HINT)
    return sweep_spec_from_dict(data, source=str(p))
