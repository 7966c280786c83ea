"""Turn checkpoint weights (safetensors or a torch state dict) into linear layers.

Rules (also in ``docs/workloads.md``):

* every 2-D floating-point tensor whose key ends in ``weight`` becomes a linear
  layer named by the key without its ``.weight`` suffix, weight ``(out, in)``
  as float32, ``M = tokens * batch``;
* keys containing ``embed``, ``wte``, ``wpe``, ``word_embeddings``,
  ``position_embeddings`` or ``token_type`` (case-insensitive) are embedding
  tables (look-ups, no MACs) and are skipped;
* 1-D tensors (biases, norm scales) and keys not ending in ``weight`` are skipped;
* 3-D/4-D/5-D weights (convolutions) are skipped with the reason recorded: a
  checkpoint has no input size, so their GEMM M is unknown -- use
  :func:`accelsim.workload.torch_frontend.from_torch` for conv nets;
* 2-D non-floating weights (e.g. int8 quantised; also float8 in safetensors,
  which NumPy cannot read) are skipped with the reason.

Safetensors keys are taken in natural order (``layer.2`` before ``layer.10``)
because the format does not keep the model's order; torch state dicts keep
their own order. Torch files are read with ``torch.load(weights_only=True)``,
which refuses pickles that would run code.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from accelsim.errors import AccelsimInputError, Problem
from accelsim.workload.layer import Workload, linear_layer

__all__ = ["EMBEDDING_MARKERS", "SkippedTensor", "CheckpointScan", "layers_from_tensors",
           "read_checkpoint"]

#: Substrings (lower case) marking embedding tables in a key.
EMBEDDING_MARKERS = ("embed", "wte", "wpe", "word_embeddings", "position_embeddings", "token_type")


@dataclass(frozen=True)
class SkippedTensor:
    """A tensor of the checkpoint that did not become a layer.

    Attributes
    ----------
    key, shape, dtype : str, tuple, str
    reason : str
    notable : bool
        True for weights that do compute (conv kernels, quantised matrices)
        whose absence changes the workload; False for biases, norms, embeddings.
    """

    key: str
    shape: tuple
    dtype: str
    reason: str
    notable: bool = False


@dataclass(frozen=True, eq=False)
class CheckpointScan:
    """Result of reading a checkpoint: the workload and what was left out."""

    workload: Workload
    skipped: tuple


def _natural_key(key: str):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", key)]


def _is_embedding(key: str) -> bool:
    low = key.lower()
    return any(marker in low for marker in EMBEDDING_MARKERS)


def _classify(key: str, shape: tuple, dtype: str, is_float: bool) -> tuple[str | None, bool]:
    """Reason to skip (or None to keep) and whether the skip is notable."""
    if not key.endswith("weight"):
        return "key does not end in 'weight'", False
    if _is_embedding(key):
        return "embedding table (a look-up, no MACs)", False
    if len(shape) < 2:
        return "1-D tensor (bias or norm scale)", False
    if len(shape) > 2:
        return (f"{len(shape)}-D weight (convolution?): a checkpoint has no input size, so "
                "its GEMM M is unknown; use from_torch for conv nets"), True
    if not is_float:
        return f"dtype {dtype} is not a supported floating-point type (quantised?)", True
    if 0 in shape:
        return "empty tensor", False
    return None, False


def layers_from_tensors(entries, *, tokens: int, batch: int, name: str, source: str) -> CheckpointScan:
    """Build linear layers from ``(key, shape, dtype, is_float, load)`` entries.

    ``load()`` returns the tensor as a float32 NumPy array; it is called only
    for tensors that become layers.
    """
    layers, skipped, used = [], [], set()
    for key, shape, dtype, is_float, load in entries:
        reason, notable = _classify(key, tuple(shape), dtype, is_float)
        if reason is not None:
            skipped.append(SkippedTensor(key, tuple(shape), dtype, reason, notable))
            continue
        layer_name = key[: -len(".weight")] if key.endswith(".weight") else key
        if not layer_name or layer_name in used:
            layer_name = key
        used.add(layer_name)
        out_features, in_features = (int(s) for s in shape)
        layers.append(linear_layer(layer_name, in_features=in_features, out_features=out_features,
                                   tokens=tokens * batch, weight=load()))
    if not layers:
        kinds = sorted({s.reason for s in skipped})
        raise AccelsimInputError(
            f"no linear layers found in checkpoint {source}",
            [Problem("checkpoint", f"{len(skipped)} tensor(s)",
                     "at least one 2-D floating-point tensor whose key ends in 'weight' and is "
                     "not an embedding")],
            ("skipped: " + "; ".join(kinds)) if kinds else "the checkpoint holds no tensors")
    return CheckpointScan(Workload(name=name, layers=tuple(layers), source=source), tuple(skipped))


# ------------------------------------------------------------- safetensors
_FLOAT_CODES = {"F16", "F32", "F64", "BF16"}


def _bf16_loader(path: Path, key: str):
    """Read one BF16 tensor as float32 (NumPy has no bfloat16)."""
    def load():
        with open(path, "rb") as f:
            (header_len,) = struct.unpack("<Q", f.read(8))
            info = json.loads(f.read(header_len))[key]
            begin, end = info["data_offsets"]
            f.seek(8 + header_len + begin)
            raw = np.frombuffer(f.read(end - begin), dtype="<u2")
        return (raw.astype(np.uint32) << 16).view(np.float32).reshape(info["shape"])
    return load


def _read_safetensors(path: Path, tokens: int, batch: int) -> CheckpointScan:
    from safetensors import safe_open

    try:
        handle = safe_open(str(path), framework="numpy")
    except Exception as exc:  # SafetensorError, OSError: not a safetensors file
        raise AccelsimInputError(f"cannot read checkpoint {path}", [
            Problem("checkpoint", str(path), f"a valid .safetensors file ({exc})")]) from None
    with handle as f:
        entries = []
        for key in sorted(f.keys(), key=_natural_key):
            sl = f.get_slice(key)
            code, shape = sl.get_dtype(), tuple(sl.get_shape())
            if code == "BF16":
                load = _bf16_loader(path, key)
            else:
                def load(k=key):
                    return np.asarray(f.get_tensor(k), dtype=np.float32)
            entries.append((key, shape, code, code in _FLOAT_CODES, load))
        return layers_from_tensors(entries, tokens=tokens, batch=batch, name=path.stem,
                                   source=str(path))


# ------------------------------------------------------------- torch
def _flatten(obj, prefix: str, out: dict) -> None:
    import torch
    for key, value in obj.items():
        full = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, torch.Tensor):
            out[full] = value
        elif isinstance(value, dict):
            _flatten(value, full, out)


def _read_torch(path: Path, tokens: int, batch: int) -> CheckpointScan:
    import torch

    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError (code refused), RuntimeError (corrupt), ...
        raise AccelsimInputError(
            f"cannot read checkpoint {path}",
            [Problem("checkpoint", str(path),
                     "a torch state dict readable with torch.load(weights_only=True): "
                     "tensors in (nested) dicts, no pickled code or modules")],
            f"torch.load said: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}. "
            "Save with torch.save(model.state_dict(), path).") from None
    if isinstance(obj, dict):
        for wrapper in ("state_dict", "model"):
            inner = obj.get(wrapper)
            if isinstance(inner, dict) and any(isinstance(v, torch.Tensor) for v in inner.values()):
                obj = inner
                break
    if not isinstance(obj, dict):
        raise AccelsimInputError(f"cannot read checkpoint {path}", [
            Problem("checkpoint", type(obj).__name__, "a dict of tensors (a state dict)")])
    tensors: dict = {}
    _flatten(obj, "", tensors)
    entries = []
    for key, t in tensors.items():
        def load(t=t):
            return t.detach().to(torch.float32).clone().numpy()
        entries.append((key, tuple(t.shape), str(t.dtype).replace("torch.", ""),
                        t.is_floating_point(), load))
    return layers_from_tensors(entries, tokens=tokens, batch=batch, name=path.stem,
                               source=str(path))


def read_checkpoint(path, *, tokens: int = 128, batch: int = 1) -> CheckpointScan:
    """Read a ``.safetensors`` or torch ``.pt``/``.pth``/``.bin`` file into linear layers.

    Parameters
    ----------
    path : str or os.PathLike
    tokens, batch : int
        ``M = tokens * batch`` for every layer.

    Returns
    -------
    CheckpointScan
        The workload and the tensors that were skipped, with reasons.

    Raises
    ------
    AccelsimInputError
        Unreadable file, pickled code, or no usable weight.
    """
    path = Path(path)
    if path.suffix.lower() == ".safetensors":
        return _read_safetensors(path, tokens, batch)
    return _read_torch(path, tokens, batch)
