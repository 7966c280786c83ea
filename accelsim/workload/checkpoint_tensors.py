"""Read the tensors of a checkpoint file: safetensors or a torch state dict, lazily and checked.

What comes out is a list of :class:`TensorEntry` in the file's order
(natural key order for safetensors, which keeps none), each able to load its
tensor as a float32 NumPy array. Along the way:

* a ``torch.nn.utils.prune`` pair ``<name>_orig`` + ``<name>_mask`` becomes
  one entry ``<name>`` holding ``orig * mask`` (what the module computes);
* sparse torch tensors (COO, CSR, CSC, BSR) are densified;
* meta tensors (no data) and NaN/Inf values are refused when loaded, with
  the tensor named;
* every zero is made ``+0.0`` (the zero rule: ``-0.0``, as ``prune``'s
  multiplication leaves it, is a zero; see ``docs/pruning.md``).

torch is imported only to read torch files.
"""

from __future__ import annotations

import json
import re
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from accelsim.errors import AccelsimInputError, Problem

__all__ = ["TensorEntry", "WeightLoadError", "read_safetensors_entries", "read_torch_entries",
           "fold_prune_pairs", "natural_key", "as_weight_array"]


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of a checkpoint, not yet loaded.

    Attributes
    ----------
    key : str
        Its key in the file (for a folded prune pair, the name without ``_orig``).
    shape : tuple of int
    dtype : str
        As the file names it (``F32``, ``float16``, ...).
    is_float : bool
        Floating point (accelsim reads these as float32).
    load : callable
        ``load() -> numpy.ndarray`` (the raw values; :func:`as_weight_array`
        checks and converts them). Raises :class:`WeightLoadError` for a
        tensor without data.
    origin : str
        How the tensor was obtained, e.g. ``"weight_orig * weight_mask"``; empty if read as is.
    """

    key: str
    shape: tuple
    dtype: str
    is_float: bool
    load: Callable[[], np.ndarray]
    origin: str = ""


class WeightLoadError(Exception):
    """A tensor cannot provide values (e.g. a meta tensor); carries the allowed-values text."""


def natural_key(key: str):
    """Sort key putting ``layer.2`` before ``layer.10``."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", key)]


def as_weight_array(entry: TensorEntry, problems: list) -> np.ndarray | None:
    """Load ``entry`` as a C-contiguous float32 array with ``+0.0`` zeros, or record why not.

    NaN and Inf values are refused: a weight holding them has no meaning for
    timing or storage (and the quantiser would reject it later anyway).
    """
    try:
        raw = entry.load()
    except WeightLoadError as exc:
        problems.append(Problem(entry.key, f"a tensor of shape {list(entry.shape)} without data",
                                str(exc)))
        return None
    arr = np.array(raw, dtype=np.float32, order="C", copy=True)
    finite = np.isfinite(arr)
    if not finite.all():
        nan = int(np.count_nonzero(np.isnan(arr)))
        inf = int(arr.size - np.count_nonzero(finite)) - nan
        where = "" if entry.dtype in ("F32", "float32") else " (after conversion to float32)"
        problems.append(Problem(entry.key, f"{nan} NaN and {inf} infinite of {arr.size} values{where}",
                                "finite numbers only: a NaN or Inf weight has no meaning for "
                                "timing or storage; fix the checkpoint or drop the tensor"))
        return None
    arr[arr == 0] = 0                 # the zero rule: -0.0 is stored as +0.0
    return arr


# ------------------------------------------------------------------ prune pairs
def fold_prune_pairs(entries: list[TensorEntry]) -> tuple[list[TensorEntry], list[Problem]]:
    """Replace each ``<p>_orig`` + ``<p>_mask`` pair (``torch.nn.utils.prune``) by ``<p> = orig * mask``.

    The folded entry takes the place of ``<p>_orig``. A pair whose shapes
    differ is a problem. A ``<p>_orig`` without a mask, or a mask without
    ``_orig``, is left as it is (and later skipped: its key does not end in
    ``weight``).

    Returns
    -------
    entries : list of TensorEntry
    problems : list of Problem
    """
    by_key = {e.key: e for e in entries}
    out, problems, used = [], [], set()
    for e in entries:
        if e.key in used:
            continue
        if e.key.endswith("_orig") and f"{e.key[:-5]}_mask" in by_key:
            mask = by_key[f"{e.key[:-5]}_mask"]
            base = e.key[:-5]
            used.add(mask.key)
            if tuple(mask.shape) != tuple(e.shape):
                problems.append(Problem(mask.key, f"shape {list(mask.shape)}",
                                        f"the shape of {e.key}, {list(e.shape)} "
                                        "(a torch.nn.utils.prune mask matches its parameter)"))
                continue
            if base in by_key:
                problems.append(Problem(base, "a tensor beside its prune pair",
                                        f"either {base} or {e.key} + {mask.key}, not both"))
                continue
            out.append(TensorEntry(base, tuple(e.shape), e.dtype, e.is_float,
                                   _masked(e.load, mask.load),
                                   f"{e.key.rsplit('.', 1)[-1]} * {mask.key.rsplit('.', 1)[-1]}"))
            continue
        if e.key.endswith("_mask") and f"{e.key[:-5]}_orig" in by_key:
            continue  # handled with its _orig (which may come later in the file)
        out.append(e)
    return out, problems


def _masked(load_orig, load_mask):
    def load():
        orig = np.asarray(load_orig(), dtype=np.float32)
        mask = np.asarray(load_mask(), dtype=np.float32)
        return np.where(mask != 0, orig, np.float32(0))   # assign, so no -0.0 appears
    return load


# ------------------------------------------------------------------ safetensors
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


def _safetensors_loader(path: Path, key: str):
    def load():
        from safetensors import safe_open
        with safe_open(str(path), framework="numpy") as f:
            return f.get_tensor(key)
    return load


def read_safetensors_entries(path: Path) -> tuple[list[TensorEntry], dict]:
    """Entries (natural key order) and the string metadata of a ``.safetensors`` file."""
    from safetensors import safe_open

    try:
        handle = safe_open(str(path), framework="numpy")
    except Exception as exc:  # SafetensorError, OSError: not a safetensors file
        raise AccelsimInputError(f"cannot read checkpoint {path}", [
            Problem("checkpoint", str(path), f"a valid .safetensors file ({exc})")]) from None
    with handle as f:
        metadata = dict(f.metadata() or {})
        entries = []
        for key in sorted(f.keys(), key=natural_key):
            sl = f.get_slice(key)
            code, shape = sl.get_dtype(), tuple(int(s) for s in sl.get_shape())
            load = _bf16_loader(path, key) if code == "BF16" else _safetensors_loader(path, key)
            entries.append(TensorEntry(key, shape, code, code in _FLOAT_CODES, load))
    return entries, metadata


# ------------------------------------------------------------------ torch
def _flatten(obj, prefix: str, out: dict) -> None:
    import torch
    for key, value in obj.items():
        full = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, torch.Tensor):
            out[full] = value
        elif isinstance(value, dict):
            _flatten(value, full, out)


def _torch_loader(t):
    import torch

    def load():
        if t.is_meta:
            raise WeightLoadError("a tensor with values; a meta tensor has only a shape (the model "
                                  "was saved before its weights were materialised)")
        v = t.detach()
        if v.layout != torch.strided:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*[Ss]parse.*support is in beta.*")
                v = v.to_dense()
        return v.to(device="cpu", dtype=torch.float32).numpy()
    return load


def read_torch_entries(path: Path) -> list[TensorEntry]:
    """Entries of a torch state dict file, in its own (module) order.

    Read with ``torch.load(weights_only=True)``, which refuses pickles that
    would run code. A top-level ``state_dict`` or ``model`` entry holding the
    tensors is unwrapped; nested dicts are flattened with ``.``.
    """
    import torch

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*[Ss]parse.*support is in beta.*")
            warnings.filterwarnings("ignore", message=".*TypedStorage is deprecated.*")
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
        dtype = str(t.dtype).replace("torch.", "")
        is_float = t.is_floating_point() and not t.is_quantized
        entries.append(TensorEntry(key, tuple(int(s) for s in t.shape), dtype, is_float,
                                   _torch_loader(t)))
    return entries

