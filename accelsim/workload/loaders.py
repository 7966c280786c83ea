"""Entry point for workloads: bundled names, YAML, SCALE-Sim CSV and checkpoints."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from accelsim.errors import AccelsimInputError, Problem, ProblemCollector
from accelsim.workload.bundled import bundled_names, read_workload_yaml, resolve_bundled_name
from accelsim.workload.layer import Workload

__all__ = ["load_workload", "with_synthetic_weights", "synthetic_weight", "WORKLOAD_SUFFIXES",
           "CHECKPOINT_SUFFIXES"]

#: File suffixes :func:`load_workload` accepts, and what reads them.
WORKLOAD_SUFFIXES = {
    ".yaml": "workload YAML",
    ".yml": "workload YAML",
    ".csv": "SCALE-Sim topology CSV",
    ".safetensors": "safetensors checkpoint",
    ".pt": "PyTorch state dict",
    ".pth": "PyTorch state dict",
    ".bin": "PyTorch state dict",
}

#: The suffixes of :data:`WORKLOAD_SUFFIXES` that are checkpoints (real weights).
CHECKPOINT_SUFFIXES = (".safetensors", ".pt", ".pth", ".bin")


def synthetic_weight(shape: tuple[int, ...], fan_in: int, seed: int, index: int) -> np.ndarray:
    """Seeded Kaiming-normal weight: float32, mean 0, std ``sqrt(2 / fan_in)``.

    The stream is ``default_rng(SeedSequence(seed, spawn_key=(index,)))``, so a
    layer's weight depends only on ``(seed, index)``, never on other layers.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(index,)))
    weight = rng.standard_normal(shape, dtype=np.float32)
    weight *= np.float32(np.sqrt(2.0 / fan_in))
    return weight


def with_synthetic_weights(workload: Workload, seed: int = 0) -> Workload:
    """Give every conv/linear layer of ``workload`` a synthetic weight.

    Layer ``i`` (its position in the workload) gets :func:`synthetic_weight`
    with ``fan_in = K`` (``C/groups * R * S`` for a conv, ``in_features`` for a
    linear). Matmul layers have no weight and stay as they are.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise AccelsimInputError("invalid seed", [Problem("seed", seed, "an integer >= 0")])
    layers = []
    for index, layer in enumerate(workload.layers):
        if layer.kind == "matmul":
            layers.append(layer)
            continue
        if layer.kind == "conv" and layer.conv is not None:
            cp = layer.conv
            shape = (cp.out_channels, cp.in_channels // cp.groups, cp.kernel_h, cp.kernel_w)
        else:
            shape = (layer.groups * layer.n, layer.k)
        layers.append(layer.with_weight(synthetic_weight(shape, layer.k, int(seed), index)))
    return workload.with_layers(layers)


def _check_args(tokens, batch, seed) -> None:
    problems = ProblemCollector()
    for name, value in (("tokens", tokens), ("batch", batch)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            problems.add(name, value, "an integer >= 1")
    if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)
                             or seed < 0):
        problems.add("seed", seed, "an integer >= 0 (or None for the file's default)")
    problems.raise_if_any("invalid arguments to load_workload")


def _looks_like_path(text: str) -> bool:
    return ("/" in text or "\\" in text or Path(text).suffix.lower() in WORKLOAD_SUFFIXES
            or Path(text).is_file())


def load_workload(name_or_path, *, tokens: int = 128, batch: int = 1, seed: int | None = 0,
                  weights: bool = True, input_shape=None, topology=None) -> Workload:
    """Load a workload by bundled name or from a file.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        A bundled name (``"resnet50"``, ``"ResNet-50"``, ``"bert-base"``, ...;
        see :func:`accelsim.workload.bundled.bundled_names`) or a path to a
        ``.yaml``/``.yml`` workload, a SCALE-Sim topology ``.csv``, or a
        checkpoint (``.safetensors``, or a torch state dict ``.pt``/``.pth``/``.bin``).
    tokens : int
        Sequence length: M of linear layers that take it from the loader
        (transformers, checkpoints) and matmul dimensions written ``tokens``.
    batch : int
        Multiplies M of every layer.
    seed : int or None
        Seed of the synthetic weights (YAML and CSV workloads). ``None`` uses
        the YAML file's ``seed`` field, or 0.
    weights : bool
        If False, skip generating synthetic weights (shapes only). Checkpoints
        always carry their real weights.
    input_shape : tuple of int, optional
        Checkpoints only: ``(C, H, W)`` (or ``(C, L)``) input of the first
        conv, needed when a state dict has conv weights and no workload
        description (see ``docs/workloads.md``, "Checkpoints").
    topology : str, os.PathLike or Workload, optional
        Checkpoints only: the exact layer shapes, as a bundled name, a
        workload file or a Workload; each conv/linear layer takes the
        checkpoint's tensor ``<layer name>.weight``.

    Returns
    -------
    Workload

    Raises
    ------
    AccelsimInputError
        Unknown name, missing/empty/unreadable file, or invalid contents; the
        message lists every problem found.
    """
    _check_args(tokens, batch, seed)
    tokens, batch = int(tokens), int(batch)
    extra = {"input_shape": input_shape, "topology": topology}
    if isinstance(name_or_path, os.PathLike):
        return _load_path(Path(os.fspath(name_or_path)), tokens=tokens, batch=batch, seed=seed,
                          weights=weights, **extra)
    if not isinstance(name_or_path, str) or not name_or_path.strip():
        raise AccelsimInputError("invalid workload", [
            Problem("workload", name_or_path, "a bundled name or a path to a workload file")])
    text = name_or_path.strip()
    if _looks_like_path(text):
        return _load_path(Path(text).expanduser(), tokens=tokens, batch=batch, seed=seed,
                          weights=weights, **extra)
    _refuse_checkpoint_options(text, **extra)
    bundled = resolve_bundled_name(text)
    if bundled is None:
        names = ", ".join(bundled_names()) or "(none found)"
        suffixes = ", ".join(sorted(WORKLOAD_SUFFIXES))
        raise AccelsimInputError(f"unknown workload {text!r}", [
            Problem("workload", text,
                    f"one of the bundled names: {names}; or a path to a {suffixes} file")])
    return _finish_yaml(read_workload_yaml(bundled, origin=f"bundled:{bundled.stem}",
                                           tokens=tokens, batch=batch), seed, weights)


def _finish_yaml(parsed, seed, weights) -> Workload:
    if not weights:
        return parsed.workload
    if seed is None:
        seed = parsed.seed if parsed.seed is not None else 0
    return with_synthetic_weights(parsed.workload, int(seed))


def _refuse_checkpoint_options(what: str, *, input_shape, topology) -> None:
    problems = ProblemCollector()
    if input_shape is not None:
        problems.add("input_shape", input_shape, "None: only checkpoints need an input shape "
                     "(bundled, YAML and CSV workloads carry their own shapes)")
    if topology is not None:
        problems.add("topology", topology if isinstance(topology, (str, os.PathLike)) else
                     type(topology).__name__, "None: a topology gives a checkpoint's shapes; "
                     f"{what} is not a checkpoint")
    problems.raise_if_any(f"invalid options for workload {what}")


def _topology_workload(topology, tokens: int, batch: int) -> Workload:
    if isinstance(topology, Workload):
        return topology
    if isinstance(topology, os.PathLike) or (isinstance(topology, str) and topology.strip()):
        text = os.fspath(topology) if isinstance(topology, os.PathLike) else topology.strip()
        if Path(text).suffix.lower() in CHECKPOINT_SUFFIXES:
            raise AccelsimInputError("invalid topology", [
                Problem("topology", text, "a bundled name or a workload .yaml/.csv file "
                        "(the shapes), not a checkpoint")])
        return load_workload(topology, tokens=tokens, batch=batch, weights=False)
    raise AccelsimInputError("invalid topology", [
        Problem("topology", topology, "a bundled workload name, a workload file or a Workload")])


def _load_path(path: Path, *, tokens: int, batch: int, seed, weights: bool, input_shape=None,
               topology=None) -> Workload:
    suffix = path.suffix.lower()
    if suffix not in CHECKPOINT_SUFFIXES:
        _refuse_checkpoint_options(str(path), input_shape=input_shape, topology=topology)
    if suffix not in WORKLOAD_SUFFIXES:
        allowed = ", ".join(f"{s} ({what})" for s, what in WORKLOAD_SUFFIXES.items())
        raise AccelsimInputError(
            f"cannot load workload {path}",
            [Problem("workload", str(path), f"a file ending in one of: {allowed}")])
    if not path.exists():
        bundled = resolve_bundled_name(path.stem) if suffix in (".yaml", ".yml") else None
        hint = f"did you mean the bundled workload {bundled.stem!r}?" if bundled else None
        raise AccelsimInputError(f"cannot load workload {path}",
                                 [Problem("workload", str(path), "an existing file")], hint)
    if not path.is_file():
        raise AccelsimInputError(f"cannot load workload {path}",
                                 [Problem("workload", str(path), "a file, not a directory")])
    if path.stat().st_size == 0:
        raise AccelsimInputError(f"invalid workload file {path}", [],
                                 f"the file is empty; expected a {WORKLOAD_SUFFIXES[suffix]}.")
    if suffix in (".yaml", ".yml"):
        return _finish_yaml(read_workload_yaml(path, tokens=tokens, batch=batch), seed, weights)
    if suffix == ".csv":
        from accelsim.workload.scalesim_topology import read_scalesim_topology
        workload = read_scalesim_topology(path, batch=batch)
        return with_synthetic_weights(workload, int(seed or 0)) if weights else workload
    from accelsim.workload.checkpoint import check_input_shape, read_checkpoint
    input_shape = check_input_shape(input_shape)
    shapes = None if topology is None else _topology_workload(topology, tokens, batch)
    scan = read_checkpoint(path, tokens=tokens, batch=batch, input_shape=input_shape,
                           topology=shapes)
    for note in scan.notes:
        warnings.warn(f"checkpoint {path}: {note}", stacklevel=3)
    noted = [s for s in scan.skipped if s.notable]
    if noted:
        lines = "; ".join(f"{s.key} {list(s.shape)}: {s.reason}" for s in noted[:10])
        more = f" (and {len(noted) - 10} more)" if len(noted) > 10 else ""
        warnings.warn(f"checkpoint {path}: skipped {len(noted)} weight tensor(s): {lines}{more}",
                      stacklevel=3)
    return scan.workload
