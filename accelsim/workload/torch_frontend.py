"""Build a workload by running a PyTorch model once and recording its GEMMs.

``torch`` is imported inside :func:`from_torch`, so importing this module does
not import torch.

What is recorded, in execution order:

* every ``nn.Conv1d``/``nn.Conv2d``/``nn.Linear`` call (forward hooks): real
  input shape, the weight as float32 NumPy (zeros as ``+0.0``, so
  ``torch.nn.utils.prune``'s ``-0.0`` are zeros; NaN/Inf refused),
  stride/padding/dilation/groups and the measured ``input_density``
  (fraction of non-zero input elements);
* matmuls between two activations -- ``torch.matmul``/``mm``/``bmm``/``@`` where
  neither operand is (a view of) a parameter or buffer -- and
  ``F.scaled_dot_product_attention`` (two matmuls: scores and context), caught
  with a :class:`torch.overrides.TorchFunctionMode`;
* ``nn.MultiheadAttention`` (via ``F.multi_head_attention_forward``): its q/k/v
  input projections and output projection as linear layers with their real
  weights, plus the scores and context matmuls.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from accelsim.errors import AccelsimInputError, Problem
from accelsim.workload.layer import Layer, Workload, conv_layer, linear_layer, matmul_layer

__all__ = ["from_torch"]


class _Recorder:
    """Collects layers in execution order and keeps their names unique."""

    def __init__(self, param_ptrs: set[int]):
        self.layers: list[Layer] = []
        self.stack: list[str] = []
        self.param_ptrs = param_ptrs
        self.calls: dict[str, int] = {}
        self.counters: dict[tuple[str, str], int] = {}

    def unique(self, name: str) -> str:
        count = self.calls.get(name, 0) + 1
        self.calls[name] = count
        return name if count == 1 else f"{name}#{count}"

    def scoped(self, what: str) -> str:
        """``<current module>.<what><i>`` with ``i`` counting per module and kind."""
        prefix = self.stack[-1] if self.stack else ""
        i = self.counters.get((prefix, what), 0)
        self.counters[(prefix, what)] = i + 1
        return f"{prefix}.{what}{i}" if prefix else f"{what}{i}"

    def add(self, layer: Layer) -> None:
        self.layers.append(layer)

    def is_activation(self, t) -> bool:
        import torch
        if not isinstance(t, torch.Tensor):
            return False
        try:
            return t.untyped_storage().data_ptr() not in self.param_ptrs
        except (RuntimeError, NotImplementedError):
            return True


def _density(t) -> float:
    import torch
    n = t.numel()
    return float(torch.count_nonzero(t).item()) / n if n else 1.0


def _weight_np(w, field: str, shape=None) -> np.ndarray:
    """float32 NumPy copy of a weight with ``+0.0`` zeros; NaN/Inf refused, naming ``field``.

    ``torch.nn.utils.prune`` multiplies by its mask, so pruned negative
    weights read ``-0.0``; the zero rule (``docs/pruning.md``) makes them zeros
    like any other, and they are stored as ``+0.0``.
    """
    import torch
    arr = w.detach().to(device="cpu", dtype=torch.float32).clone().numpy()
    finite = np.isfinite(arr)
    if not finite.all():
        nan = int(np.count_nonzero(np.isnan(arr)))
        inf = int(arr.size - np.count_nonzero(finite)) - nan
        raise AccelsimInputError(
            f"cannot record the weight {field}",
            [Problem(field, f"{nan} NaN and {inf} infinite of {arr.size} values",
                     "finite numbers only: a NaN or Inf weight has no meaning for timing or storage")])
    arr[arr == 0] = 0
    return arr.reshape(shape) if shape is not None else arr


def _conv_padding(module, kernel, dilation, name):
    pad = module.padding
    if isinstance(pad, str):
        if pad == "valid":
            return tuple(0 for _ in kernel)
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        if any(t % 2 for t in totals):
            raise AccelsimInputError(
                f"cannot record layer {name!r}",
                [Problem(f"{name}.padding", pad,
                         "symmetric padding; 'same' with an even effective kernel pads unevenly")])
        return tuple(t // 2 for t in totals)
    return tuple(int(p) for p in pad)


def _record_conv(rec: _Recorder, name: str, module, x, output) -> None:
    import torch.nn as nn
    is1d = isinstance(module, nn.Conv1d)
    spatial = 1 if is1d else 2
    if x.dim() == spatial + 1:          # unbatched input
        x = x.unsqueeze(0)
    batch, cin = int(x.shape[0]), int(x.shape[1])
    kernel = tuple(int(k) for k in module.kernel_size)
    dilation = tuple(int(d) for d in module.dilation)
    stride = tuple(int(s) for s in module.stride)
    padding = _conv_padding(module, kernel, dilation, name)
    wshape = tuple(module.weight.shape)
    if is1d:
        in_h, in_w = 1, int(x.shape[2])
        kernel, stride, padding, dilation = ((1,) + kernel, (1,) + stride, (0,) + padding,
                                             (1,) + dilation)
        wshape = (wshape[0], wshape[1], 1, wshape[2])
    else:
        in_h, in_w = int(x.shape[2]), int(x.shape[3])
    layer = conv_layer(rec.unique(name), in_channels=cin, in_h=in_h, in_w=in_w,
                       out_channels=int(module.out_channels), kernel=kernel, stride=stride,
                       padding=padding, dilation=dilation, groups=int(module.groups), batch=batch,
                       weight=_weight_np(module.weight, f"{name}.weight", wshape),
                       input_density=_density(x))
    out_spatial = tuple(int(s) for s in output.shape[-spatial:])
    ours = (layer.conv.out_w,) if is1d else (layer.conv.out_h, layer.conv.out_w)
    if out_spatial != ours:
        raise AccelsimInputError(
            f"cannot record layer {name!r}",
            [Problem(f"{name}.output_shape", out_spatial,
                     f"the size {ours} implied by its shape parameters (padding mode unsupported?)")])
    rec.add(layer)


def _record_linear(rec: _Recorder, name: str, module, x) -> None:
    tokens = int(math.prod(x.shape[:-1])) if x.dim() > 1 else 1
    rec.add(linear_layer(rec.unique(name), in_features=int(module.in_features),
                         out_features=int(module.out_features), tokens=tokens,
                         weight=_weight_np(module.weight, f"{name}.weight"),
                         input_density=_density(x)))


def _matmul_dims(a_shape, b_shape):
    """(M, K, N, repeats) of ``a @ b`` with torch.matmul's broadcasting rules."""
    import torch
    a_shape, b_shape = list(a_shape), list(b_shape)
    if len(a_shape) == 1:
        a_shape = [1] + a_shape
    if len(b_shape) == 1:
        b_shape = b_shape + [1]
    batch = torch.broadcast_shapes(tuple(a_shape[:-2]), tuple(b_shape[:-2]))
    return int(a_shape[-2]), int(a_shape[-1]), int(b_shape[-1]), int(math.prod(batch))


def _record_matmul(rec: _Recorder, a, b) -> None:
    if not (rec.is_activation(a) and rec.is_activation(b)) or a.dim() == 0 or b.dim() == 0:
        return
    m, k, n, repeats = _matmul_dims(a.shape, b.shape)
    if min(m, k, n, repeats) < 1:
        return
    layer = matmul_layer(rec.scoped("matmul"), m=m, k=k, n=n, repeats=repeats)
    rec.add(layer.with_shape(input_density=_density(a)))


def _record_sdpa(rec: _Recorder, q, k, v) -> None:
    if not all(rec.is_activation(t) for t in (q, k, v)):
        return
    base = rec.scoped("sdpa")
    length, emb = int(q.shape[-2]), int(q.shape[-1])
    src, ev = int(k.shape[-2]), int(v.shape[-1])
    repeats = int(math.prod(q.shape[:-2]))
    scores = matmul_layer(f"{base}.scores", m=length, k=emb, n=src, repeats=repeats)
    rec.add(scores.with_shape(input_density=_density(q)))
    rec.add(matmul_layer(f"{base}.context", m=length, k=src, n=ev, repeats=repeats))


def _record_mha(rec: _Recorder, bound) -> None:
    """Projections and attention matmuls of ``F.multi_head_attention_forward``."""
    a = bound.arguments
    query, key = a["query"], a["key"]
    if query.dim() == 2:                       # unbatched (L, E)
        query, key = query.unsqueeze(1), key.unsqueeze(1)
    length, batch, emb = (int(s) for s in query.shape)
    src = int(key.shape[0])
    heads = int(a["num_heads"])
    head_dim = emb // heads
    prefix = rec.stack[-1] if rec.stack else "mha"
    if a.get("use_separate_proj_weight"):
        weights = [a["q_proj_weight"], a["k_proj_weight"], a["v_proj_weight"]]
    else:
        w = a["in_proj_weight"]
        weights = [w[:emb], w[emb:2 * emb], w[2 * emb:]]
    inputs = [a["query"], a["key"], a["value"]]
    tokens = [length * batch, src * batch, src * batch]
    static = [None, a.get("static_k"), a.get("static_v")]
    for tag, w, x, tok, st in zip("qkv", weights, inputs, tokens, static):
        if st is not None:
            continue
        layer_name = rec.unique(f"{prefix}.in_proj_{tag}")
        rec.add(linear_layer(layer_name, in_features=int(w.shape[1]),
                             out_features=int(w.shape[0]), tokens=tok,
                             weight=_weight_np(w, f"{layer_name}.weight"),
                             input_density=_density(x)))
    if a.get("static_k") is not None:
        src = int(a["static_k"].shape[1])
    src += int(a.get("bias_k") is not None) + int(bool(a.get("add_zero_attn")))
    rec.add(matmul_layer(rec.unique(f"{prefix}.scores"), m=length, k=head_dim, n=src,
                         repeats=batch * heads))
    rec.add(matmul_layer(rec.unique(f"{prefix}.context"), m=length, k=src, n=head_dim,
                         repeats=batch * heads))
    w = a["out_proj_weight"]
    layer_name = rec.unique(f"{prefix}.out_proj")
    rec.add(linear_layer(layer_name, in_features=int(w.shape[1]), out_features=int(w.shape[0]),
                         tokens=length * batch, weight=_weight_np(w, f"{layer_name}.weight")))


def _make_mode(rec: _Recorder):
    import torch
    import torch.nn.functional as F
    from torch.overrides import TorchFunctionMode

    matmuls = {torch.matmul, torch.mm, torch.bmm, torch.Tensor.matmul, torch.Tensor.mm,
               torch.Tensor.bmm, torch.Tensor.__matmul__}
    rmatmul = torch.Tensor.__rmatmul__
    sdpa = F.scaled_dot_product_attention
    mha = F.multi_head_attention_forward
    mha_sig = inspect.signature(mha)

    class _GemmMode(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if func in matmuls and len(args) >= 2:
                _record_matmul(rec, args[0], args[1])
            elif func is rmatmul and len(args) >= 2:
                _record_matmul(rec, args[1], args[0])
            elif func is sdpa:
                bound = inspect.signature(_sdpa_signature).bind(*args, **kwargs)
                _record_sdpa(rec, bound.arguments["query"], bound.arguments["key"],
                             bound.arguments["value"])
            elif func is mha:
                _record_mha(rec, mha_sig.bind(*args, **kwargs))
            return func(*args, **kwargs)

    return _GemmMode()


def _sdpa_signature(query, key, value, *args, **kwargs):  # pragma: no cover - signature only
    """Argument names of ``F.scaled_dot_product_attention`` (a builtin without a signature)."""


def _split_input(example_input):
    import torch
    if isinstance(example_input, torch.Tensor):
        return (example_input,), {}
    if isinstance(example_input, (tuple, list)) and any(
            isinstance(t, torch.Tensor) for t in example_input):
        return tuple(example_input), {}
    if isinstance(example_input, dict) and any(
            isinstance(t, torch.Tensor) for t in example_input.values()):
        return (), dict(example_input)
    raise AccelsimInputError(
        "invalid example_input for from_torch",
        [Problem("example_input", _short(example_input),
                 "a torch.Tensor, a tuple/list of positional arguments or a dict of keyword "
                 "arguments containing at least one torch.Tensor")],
        "e.g. from_torch(model, torch.randn(1, 3, 224, 224))")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def from_torch(model, example_input, *, name: str | None = None) -> Workload:
    """Run ``model`` once on ``example_input`` and record its GEMM layers.

    Parameters
    ----------
    model : torch.nn.Module
        Run under ``torch.no_grad()`` in eval mode (training flags are
        restored afterwards).
    example_input : torch.Tensor, tuple/list or dict
        One tensor, the positional arguments, or the keyword arguments of
        ``model.forward``. Its batch and sequence sizes set M.
    name : str, optional
        Workload name (default: the model's class name).

    Returns
    -------
    Workload
        Layers in execution order, named by module qualified name; a module
        called more than once gets ``#2``, ``#3``... on later calls; matmuls
        are named ``<module>.matmul<i>`` and ``<module>.sdpa<i>.scores/.context``.
        ``source`` is ``"torch"``.

    Raises
    ------
    AccelsimInputError
        ``model`` is not an ``nn.Module``, ``example_input`` is unusable, the
        forward pass fails, or no GEMM layer was found.
    """
    import torch
    import torch.nn as nn

    if not isinstance(model, nn.Module):
        raise AccelsimInputError(
            "invalid model for from_torch",
            [Problem("model", _short(model), "a torch.nn.Module instance")])
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise AccelsimInputError("invalid name for from_torch",
                                 [Problem("name", name, "a non-empty string or None")])
    args, kwargs = _split_input(example_input)
    ptrs = set()
    for t in list(model.parameters()) + list(model.buffers()):
        try:
            ptrs.add(t.untyped_storage().data_ptr())
        except (RuntimeError, NotImplementedError):
            pass
    rec = _Recorder(ptrs)
    handles = []
    hooked = (nn.Conv1d, nn.Conv2d, nn.Linear)

    def push(qualname):
        def pre(_module, _inputs):
            rec.stack.append(qualname)
        return pre

    def pop(qualname, module):
        def post(_module, inputs, kw, output):
            if rec.stack:
                rec.stack.pop()
            if not isinstance(module, hooked):
                return
            x = next((t for t in list(inputs) + list(kw.values()) if isinstance(t, torch.Tensor)),
                     None)
            if x is not None:
                label = qualname or type(module).__name__
                if isinstance(module, nn.Linear):
                    _record_linear(rec, label, module, x)
                else:
                    _record_conv(rec, label, module, x, output)
        return post

    for qualname, module in model.named_modules():
        handles.append(module.register_forward_pre_hook(push(qualname)))
        handles.append(module.register_forward_hook(pop(qualname, module), with_kwargs=True))
    training = {m: m.training for m in model.modules()}
    model.eval()
    try:
        with torch.no_grad(), _make_mode(rec):
            model(*args, **kwargs)
    except AccelsimInputError:
        raise
    except Exception as exc:  # the user's model failed on the given input
        raise AccelsimInputError(
            f"running {type(model).__name__} on example_input failed",
            [Problem("example_input", _describe(args, kwargs),
                     f"an input the model accepts ({type(exc).__name__}: {exc})")]) from exc
    finally:
        for h in handles:
            h.remove()
        for m, flag in training.items():
            m.train(flag)
    if not rec.layers:
        raise AccelsimInputError(
            f"no GEMM layers found in {type(model).__name__}", [],
            "from_torch records nn.Conv1d, nn.Conv2d, nn.Linear, nn.MultiheadAttention and "
            "matmuls between two activations; the model ran none of them")
    return Workload(name=name or type(model).__name__, layers=tuple(rec.layers), source="torch")


def _describe(args, kwargs) -> str:
    import torch

    def one(v):
        return f"Tensor{tuple(v.shape)}" if isinstance(v, torch.Tensor) else type(v).__name__
    parts = [one(a) for a in args] + [f"{k}={one(v)}" for k, v in kwargs.items()]
    return "(" + ", ".join(parts) + ")"
