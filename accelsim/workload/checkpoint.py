"""Checkpoints as workloads: read a safetensors file or a torch state dict, write a safetensors file.

Reading (:func:`read_checkpoint`; rules in ``docs/workloads.md``):

* a safetensors file whose metadata has :data:`WORKLOAD_METADATA_KEY`
  (``"accelsim.workload"``) carries the text of a workload YAML; its layers
  get the tensors ``<layer name>.weight`` (what :func:`save_safetensors` writes);
* with ``topology`` (a workload of shapes) the same by-name rule applies to any file;
* otherwise the keys decide: a Hugging Face BERT layout (MiniLM, BERT) becomes
  an encoder with its attention matmuls in module order, and other
  conv/linear weights a chain in the file's order (convs need ``input_shape``);
* ``torch.nn.utils.prune`` pairs load as the masked weight, sparse tensors
  are densified, meta tensors and NaN/Inf weights are refused, ``-0.0`` is a zero;
* the workload is named by ``config.json`` beside the file (``_name_or_path``,
  else ``model_type``) or by the file name.

torch is imported only for torch files and for :func:`save_safetensors` of a module.
"""

from __future__ import annotations

import json
import numbers
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from accelsim.errors import AccelsimInputError, Problem
from accelsim.workload.checkpoint_layout import (EMBEDDING_MARKERS, SkippedTensor, attach_weights,
                                                 bert_plan, build_layers, chain_plan, remaining)
from accelsim.workload.checkpoint_tensors import (fold_prune_pairs, read_safetensors_entries,
                                                  read_torch_entries)
from accelsim.workload.layer import Workload

__all__ = ["WORKLOAD_METADATA_KEY", "MAX_INPUT_DIM", "EMBEDDING_MARKERS", "SkippedTensor", "CheckpointScan",
           "read_checkpoint", "save_safetensors", "check_input_shape", "checkpoint_config"]

#: Safetensors metadata key whose value is the text of a workload YAML (docs/workloads.md).
WORKLOAD_METADATA_KEY = "accelsim.workload"

#: Largest value of one ``input_shape`` dimension.
MAX_INPUT_DIM = 1_000_000

#: Largest workload YAML text accepted from a file's metadata (bytes).
MAX_METADATA_YAML_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True, eq=False)
class CheckpointScan:
    """Result of reading a checkpoint.

    Attributes
    ----------
    workload : Workload
    skipped : tuple of SkippedTensor
        Tensors that did not become layers, with reasons.
    notes : tuple of str
        Assumptions made (conv spatial sizes, attention heads), shown to the user.
    layout : str
        ``"metadata"``, ``"topology"``, ``"bert"`` or ``"chain"``: how the layers were found.
    """

    workload: Workload
    skipped: tuple
    notes: tuple = ()
    layout: str = "chain"


def check_input_shape(value, field: str = "input_shape"):
    """``value`` as a tuple ``(C, H, W)`` or ``(C, L)`` of integers >= 1, or None.

    Raises
    ------
    AccelsimInputError
    """
    if value is None:
        return None
    ok = (isinstance(value, (tuple, list)) and len(value) in (2, 3)
          and all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                  and 1 <= int(v) <= MAX_INPUT_DIM for v in value))
    if not ok:
        raise AccelsimInputError(f"invalid {field}", [
            Problem(field, value, f"(C, H, W) or (C, L) of integers from 1 to {MAX_INPUT_DIM}, "
                    "e.g. (3, 224, 224); on the command line --input-shape 3,224,224")])
    return tuple(int(v) for v in value)


def checkpoint_config(path) -> dict | None:
    """The Hugging Face ``config.json`` beside ``path``, if it is one (a JSON object), else None."""
    config = Path(path).parent / "config.json"
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _config_name(config: dict | None) -> str | None:
    if not config:
        return None
    for key in ("_name_or_path", "model_type"):
        value = config.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().rstrip("/").rsplit("/", 1)[-1] or None
    return None


def _config_heads(config: dict | None) -> int | None:
    value = (config or {}).get("num_attention_heads")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    return None


def _metadata_workload(text, path: Path, tokens: int, batch: int) -> Workload:
    from accelsim.workload.bundled import parse_workload_yaml

    origin = f"{path} (metadata {WORKLOAD_METADATA_KEY!r})"
    if not isinstance(text, str) or not text.strip():
        raise AccelsimInputError(f"invalid workload description in {origin}", [
            Problem(WORKLOAD_METADATA_KEY, text, "the text of a workload YAML (docs/workloads.md)")])
    if len(text.encode("utf-8")) > MAX_METADATA_YAML_BYTES:
        raise AccelsimInputError(f"invalid workload description in {origin}", [
            Problem(WORKLOAD_METADATA_KEY, f"{len(text)} characters",
                    f"at most {MAX_METADATA_YAML_BYTES} bytes of YAML")])
    from accelsim.yamlio import load_yaml_text

    data = load_yaml_text(text, f"workload description in {origin}")
    return parse_workload_yaml(data, origin=origin, tokens=tokens, batch=batch).workload


def read_checkpoint(path, *, tokens: int = 128, batch: int = 1, input_shape=None,
                    topology: Workload | None = None) -> CheckpointScan:
    """Read a ``.safetensors`` or torch ``.pt``/``.pth``/``.bin`` file into a workload with its weights.

    Parameters
    ----------
    path : str or os.PathLike
    tokens, batch : int
        Sequence length and batch: linear M = tokens x batch (one token per
        sequence for a BERT pooler; one vector per image, M = batch, for the
        linear layers of a checkpoint with convs).
    input_shape : tuple of int, optional
        ``(C, H, W)`` (or ``(C, L)``) input of the first conv. Needed when
        the checkpoint has conv weights and no workload description.
    topology : Workload, optional
        Layer shapes to use instead of guessing them (e.g.
        ``load_workload("resnet18", weights=False)``); its conv/linear layers
        take the tensors ``<layer name>.weight``.

    Returns
    -------
    CheckpointScan

    Raises
    ------
    AccelsimInputError
        Unreadable file, pickled code, bad metadata, missing/mis-shaped
        tensors, meta tensors, NaN/Inf weights, convs without an input
        shape, or no usable weight.
    """
    path = Path(path)
    input_shape = check_input_shape(input_shape)
    metadata = {}
    if path.suffix.lower() == ".safetensors":
        entries, metadata = read_safetensors_entries(path)
    else:
        entries = read_torch_entries(path)
    entries, problems = fold_prune_pairs(entries)
    if problems:
        raise AccelsimInputError(f"cannot read the pruned weights of checkpoint {path}", problems)
    config = checkpoint_config(path)
    default_name = _config_name(config) or path.stem
    if WORKLOAD_METADATA_KEY in metadata:
        shapes = _metadata_workload(metadata[WORKLOAD_METADATA_KEY], path, tokens, batch)
        layers, skipped = attach_weights(shapes, entries, "the workload in its metadata")
        workload = Workload(name=shapes.name, layers=tuple(layers), source=str(path),
                            sequential=shapes.sequential)
        return CheckpointScan(workload, tuple(skipped), (), "metadata")
    if topology is not None:
        layers, skipped = attach_weights(topology, entries, f"topology {topology.name!r}")
        workload = Workload(name=default_name, layers=tuple(layers), source=str(path),
                            sequential=topology.sequential)
        return CheckpointScan(workload, tuple(skipped), (), "topology")
    plan, notes, layout = [], [], "chain"
    bert = bert_plan(entries, tokens=tokens, batch=batch, heads=_config_heads(config))
    used = set()
    if bert is not None:
        plan, used, bert_notes = bert
        notes.extend(bert_notes)
        layout = "bert"
    rest, skipped = remaining(entries, used)
    if rest:
        more, chain_notes = chain_plan(rest, tokens=tokens, batch=batch, input_shape=input_shape,
                                       source=str(path), ordered=path.suffix.lower() != ".safetensors")
        plan.extend(more)
        notes.extend(chain_notes)
    if not plan:
        by_reason: dict = {}
        for s in skipped:
            by_reason.setdefault(s.reason, []).append(s.key)
        kinds = [f"{reason} ({', '.join(keys[:5])}{', ...' if len(keys) > 5 else ''})"
                 for reason, keys in sorted(by_reason.items())]
        raise AccelsimInputError(
            f"no conv or linear layers found in checkpoint {path}",
            [Problem("checkpoint", f"{len(skipped)} tensor(s)",
                     "at least one 2-D (linear) or 3-D/4-D (conv) floating-point tensor whose key "
                     "ends in 'weight' and is not an embedding")],
            ("skipped: " + "; ".join(kinds)) if kinds else "the checkpoint holds no tensors")
    layers = build_layers(plan, str(path))
    workload = Workload(name=default_name, layers=tuple(layers), source=str(path))
    return CheckpointScan(workload, tuple(skipped), tuple(notes), layout)


# ------------------------------------------------------------------ writing
_SAFETENSORS_DTYPES = (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64,
                       np.uint8, np.uint16, np.uint32, np.uint64, np.bool_)


def save_safetensors(workload_or_module, path, *, example_input=None, metadata=None) -> Path:
    """Write weights and their workload description to a ``.safetensors`` file, atomically.

    The file holds one tensor ``<layer name>.weight`` per conv/linear layer
    (PyTorch layout: linear ``(out, in)``, conv ``(K, C/groups, R, S)``) and
    the metadata key :data:`WORKLOAD_METADATA_KEY` whose value is the text of
    a workload YAML (the bundled schema) with those layer names.
    :func:`read_checkpoint` (and so ``accelsim simulate --workload FILE``)
    rebuilds the same layers, shapes and weights from it.

    Parameters
    ----------
    workload_or_module : Workload or torch.nn.Module
        A module is first traced with
        :func:`accelsim.workload.torch_frontend.from_torch` on ``example_input``
        (its pruned weights, ``torch.nn.utils.prune`` masks applied, are saved).
    path : str or os.PathLike
        Output file; written through a temporary file and renamed, so an
        interrupted write leaves no partial file.
    example_input : optional
        Required for a module (batch 1: the YAML schema has no per-layer batch).
    metadata : dict of str to str, optional
        Extra metadata entries (must not use the ``accelsim.`` prefix).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    AccelsimInputError
        A path that cannot be written (checked first), a conv/linear layer
        without weight, a conv with batch other than 1, bad metadata, or a
        module without ``example_input``.
    """
    from safetensors.numpy import save

    from accelsim import __version__
    from accelsim.fileio import atomic_write_bytes, check_output_file
    from accelsim.workload.yaml_dump import dump_workload_yaml

    path = check_output_file(path, "path")          # before tracing: a bad path fails at once
    workload = _as_workload(workload_or_module, example_input)
    problems = []
    extra = {} if metadata is None else metadata
    if not isinstance(extra, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                              for k, v in extra.items()):
        problems.append(Problem("metadata", metadata, "a dict of str to str"))
    elif any(k.startswith("accelsim.") for k in extra):
        problems.append(Problem("metadata", sorted(k for k in extra if k.startswith("accelsim.")),
                                "keys without the reserved 'accelsim.' prefix"))
    tensors = {}
    for layer in workload.layers:
        if layer.kind == "matmul":
            continue
        if layer.weight is None:
            problems.append(Problem(f"{layer.name}.weight", None,
                                    "a weight (conv/linear layers are saved with their weights; "
                                    "use with_synthetic_weights for shapes-only workloads)"))
            continue
        weight = np.asarray(layer.weight)
        if weight.dtype.type not in _SAFETENSORS_DTYPES:
            weight = weight.astype(np.float32)
        tensors[f"{layer.name}.weight"] = np.ascontiguousarray(weight)
    if problems:
        raise AccelsimInputError(f"cannot save workload {workload.name!r} as safetensors", problems)
    text = dump_workload_yaml(workload)
    meta = {**extra, WORKLOAD_METADATA_KEY: text, "accelsim.version": __version__}
    return Path(atomic_write_bytes(path, save(tensors, metadata=meta)))


def _as_workload(obj, example_input) -> Workload:
    if isinstance(obj, Workload):
        return obj
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        torch = None
    if torch is not None and isinstance(obj, torch.nn.Module):
        if example_input is None:
            raise AccelsimInputError("cannot save a torch module without an example input", [
                Problem("example_input", None, "an input for one forward pass (batch 1), e.g. "
                        "torch.randn(1, 3, 224, 224)")])
        from accelsim.workload.torch_frontend import from_torch
        return from_torch(obj, example_input)
    raise AccelsimInputError("cannot save as safetensors", [
        Problem("workload_or_module", type(obj).__name__, "a Workload or a torch.nn.Module")])
