"""Layers and workloads: shapes, their GEMM lowering, and their weights."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from accelsim.errors import AccelsimInputError, ProblemCollector
from accelsim.limits import current as current_limits, limit_problem

__all__ = ["ConvParams", "Layer", "Workload", "conv_layer", "linear_layer", "matmul_layer", "conv_output_size"]

LAYER_KINDS = ("conv", "linear", "matmul")


def conv_output_size(size: int, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """Output size of a convolution along one axis (PyTorch's rule).

    ``floor((size + 2*padding - dilation*(kernel-1) - 1) / stride) + 1``
    """
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@dataclass(frozen=True)
class ConvParams:
    """Convolution shape in PyTorch's conventions (NCHW input, KCRS weight)."""

    batch: int
    in_channels: int
    in_h: int
    in_w: int
    out_channels: int
    kernel_h: int
    kernel_w: int
    stride_h: int = 1
    stride_w: int = 1
    pad_h: int = 0
    pad_w: int = 0
    dilation_h: int = 1
    dilation_w: int = 1
    groups: int = 1

    @property
    def out_h(self) -> int:
        """Output height."""
        return conv_output_size(self.in_h, self.kernel_h, self.stride_h, self.pad_h, self.dilation_h)

    @property
    def out_w(self) -> int:
        """Output width."""
        return conv_output_size(self.in_w, self.kernel_w, self.stride_w, self.pad_w, self.dilation_w)


@dataclass(frozen=True, eq=False)
class Layer:
    """One layer lowered to ``groups`` independent GEMMs of shape (M, K, N).

    The GEMM computes ``out[M, N] = act[M, K] @ W[K, N]`` where ``K`` is the
    reduction dimension. For a convolution lowered by im2col, ``M`` is the
    number of output pixels times the batch, ``K = (C / groups) * R * S`` and
    ``N = K_filters / groups``. For a linear layer ``M`` is the number of
    tokens (batch x sequence), ``K`` the input features and ``N`` the output
    features.

    ``weight`` is kept in PyTorch layout -- Linear ``(out, in)``, conv
    ``(K, C/groups, R, S)`` -- or is ``None`` for operand-only GEMMs such as
    attention matmuls. :meth:`weight_matrix` reshapes it to ``(N_total, K)``:
    one row per output channel, the reduction dimension along the columns.
    N:M groups, CSR rows and "lanes" all run along that last axis.

    Attributes
    ----------
    name : str
    kind : {"conv", "linear", "matmul"}
    m, k, n : int
        Per-group GEMM dimensions.
    groups : int
        Number of independent GEMMs (conv groups, attention heads).
    weight : numpy.ndarray or None
    conv : ConvParams or None
    input_density : float or None
        Fraction of non-zero input activations if known (e.g. after ReLU).
    """

    name: str
    kind: str
    m: int
    k: int
    n: int
    groups: int = 1
    weight: np.ndarray | None = None
    conv: ConvParams | None = None
    input_density: float | None = None

    def __post_init__(self) -> None:
        problems = ProblemCollector()
        if self.kind not in LAYER_KINDS:
            problems.add(f"{self.name}.kind", self.kind, " or ".join(LAYER_KINDS))
        limits = current_limits()
        for attr in ("m", "k", "n", "groups"):
            value = getattr(self, attr)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                problems.add(f"{self.name}.{attr}", value, "an integer >= 1")
            elif value > limits.max_dimension:
                problems.problems.append(limit_problem("max_dimension", f"{self.name}.{attr}", int(value),
                                                       "per layer dimension"))
        if not problems:
            macs = int(self.groups) * int(self.m) * int(self.k) * int(self.n)
            if macs > limits.max_layer_macs:
                problems.problems.append(limit_problem(
                    "max_layer_macs", f"{self.name}.macs", f"{macs:,} (M={self.m}, K={self.k}, N={self.n}, "
                    f"groups={self.groups})", "multiply-accumulates per layer"))
            elements = int(self.groups) * int(self.n) * int(self.k)
            if self.kind != "matmul" and elements > limits.max_weight_elements:
                problems.problems.append(limit_problem(
                    "max_weight_elements", f"{self.name}.weights", f"{elements:,} ({self.groups * self.n} x "
                    f"{self.k})", "weights per layer"))
        if self.weight is not None and not problems:
            w = np.asarray(self.weight)
            expected = self.groups * self.n * self.k
            if w.ndim < 2 or w.shape[0] != self.groups * self.n or w.size != expected:
                problems.add(
                    f"{self.name}.weight",
                    f"array of shape {w.shape}",
                    f"an array with {self.groups * self.n} rows (output channels) and "
                    f"{self.k} reduction elements per row",
                )
        if self.input_density is not None and not (0.0 <= self.input_density <= 1.0):
            problems.add(f"{self.name}.input_density", self.input_density, "a number in [0, 1]")
        problems.raise_if_any(f"invalid layer {self.name!r}")

    # ------------------------------------------------------------------ views
    @property
    def macs(self) -> int:
        """Dense multiply-accumulates of the layer (all groups)."""
        return int(self.groups) * int(self.m) * int(self.k) * int(self.n)

    @property
    def out_channels(self) -> int:
        """Total output channels / features over all groups."""
        return int(self.groups) * int(self.n)

    def weight_matrix(self) -> np.ndarray:
        """Weight as a ``(groups * N, K)`` matrix (a view when possible).

        Rows ``g*N:(g+1)*N`` belong to group ``g``.
        """
        if self.weight is None:
            raise AccelsimInputError(f"layer {self.name!r} has no weight (kind {self.kind!r})")
        return np.asarray(self.weight).reshape(self.groups * self.n, self.k)

    def with_weight(self, weight: np.ndarray) -> "Layer":
        """Return a copy of this layer with a new weight of the same shape."""
        if self.weight is not None and np.shape(weight) != np.shape(self.weight):
            raise AccelsimInputError(
                f"new weight for layer {self.name!r} has shape {np.shape(weight)}; "
                f"expected {np.shape(self.weight)}"
            )
        return replace(self, weight=weight)

    def with_shape(self, **changes) -> "Layer":
        """Return a copy with some fields changed (re-validated)."""
        return replace(self, **changes)

    def __repr__(self) -> str:
        w = "none" if self.weight is None else f"{tuple(np.shape(self.weight))}"
        return (
            f"Layer({self.name!r}, {self.kind}, M={self.m}, K={self.k}, N={self.n}, "
            f"groups={self.groups}, weight={w})"
        )


@dataclass(frozen=True, eq=False)
class Workload:
    """An ordered, immutable collection of layers.

    Attributes
    ----------
    name : str
    layers : tuple of Layer
    source : str
        Where it came from (bundled name, file path, ``"torch"``).
    sequential : bool
        True when every layer consumes exactly the previous layer's output (no
        branches, no residual additions). Only then can channel pruning shrink a
        layer's consumer (``channel:S:shrink``); the layer list alone cannot
        show a residual addition, so the default is False.
    """

    name: str
    layers: tuple = field(default_factory=tuple)
    source: str = ""
    sequential: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        limits = current_limits()
        if len(self.layers) > limits.max_layers:
            raise AccelsimInputError(f"workload {self.name!r} is too large", [limit_problem(
                "max_layers", "layers", len(self.layers), "layers per workload")])
        seen, dupes = set(), set()
        for layer in self.layers:
            (dupes if layer.name in seen else seen).add(layer.name)
        dupes = sorted(dupes)
        weights = sum(int(l.groups) * int(l.n) * int(l.k) for l in self.layers if l.kind != "matmul")
        if weights > limits.max_workload_weight_elements:
            raise AccelsimInputError(f"workload {self.name!r} is too large", [limit_problem(
                "max_workload_weight_elements", "weights", weights, "weights per workload")])
        if dupes:
            raise AccelsimInputError(
                f"workload {self.name!r} has duplicate layer names: {', '.join(dupes)}"
            )

    def __iter__(self):
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, key):
        if isinstance(key, str):
            for layer in self.layers:
                if layer.name == key:
                    return layer
            raise KeyError(key)
        return self.layers[key]

    @property
    def macs(self) -> int:
        """Dense MACs of all layers."""
        return sum(layer.macs for layer in self.layers)

    def with_layers(self, layers) -> "Workload":
        """Return a copy with other layers."""
        return replace(self, layers=tuple(layers))


def conv_layer(
    name: str,
    *,
    in_channels: int,
    in_h: int,
    in_w: int,
    out_channels: int,
    kernel: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
    batch: int = 1,
    weight: np.ndarray | None = None,
    input_density: float | None = None,
) -> Layer:
    """Build a conv layer and its im2col GEMM lowering.

    ``M = batch * P * Q``, ``K = (C / groups) * R * S``, ``N = K_filters / groups``.
    """
    def pair(v):
        return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))

    kh, kw = pair(kernel)
    sh, sw = pair(stride)
    ph, pw = pair(padding)
    dh, dw = pair(dilation)
    problems = ProblemCollector()
    top = current_limits().max_dimension
    for fname, v in (("in_channels", in_channels), ("in_h", in_h), ("in_w", in_w),
                     ("out_channels", out_channels), ("kernel_h", kh), ("kernel_w", kw),
                     ("stride_h", sh), ("stride_w", sw), ("dilation_h", dh), ("dilation_w", dw),
                     ("groups", groups), ("batch", batch)):
        if int(v) < 1:
            problems.add(f"{name}.{fname}", v, "an integer >= 1")
        elif int(v) > top:
            problems.problems.append(limit_problem("max_dimension", f"{name}.{fname}", int(v),
                                                   "per layer dimension"))
    for fname, v in (("pad_h", ph), ("pad_w", pw)):
        if v < 0:
            problems.add(f"{name}.{fname}", v, "an integer >= 0")
        elif v > top:
            problems.problems.append(limit_problem("max_dimension", f"{name}.{fname}", int(v),
                                                   "per layer dimension"))
    if groups >= 1 and (in_channels % groups or out_channels % groups):
        problems.add(f"{name}.groups", groups,
                     f"a divisor of both in_channels ({in_channels}) and out_channels ({out_channels})")
    problems.raise_if_any(f"invalid conv layer {name!r}")
    params = ConvParams(batch, in_channels, in_h, in_w, out_channels, kh, kw, sh, sw, ph, pw, dh, dw, groups)
    if params.out_h < 1 or params.out_w < 1:
        raise AccelsimInputError(
            f"invalid conv layer {name!r}",
            [],
            f"output size {params.out_h}x{params.out_w} is empty: input {in_h}x{in_w}, "
            f"kernel {kh}x{kw}, stride {sh}x{sw}, padding {ph}x{pw}, dilation {dh}x{dw}",
        )
    if weight is not None:
        weight = np.asarray(weight)
        expected = (out_channels, in_channels // groups, kh, kw)
        if weight.shape != expected:
            raise AccelsimInputError(
                f"invalid conv layer {name!r}", [],
                f"weight has shape {weight.shape}; expected {expected} (K, C/groups, R, S)")
    return Layer(
        name=name, kind="conv",
        m=batch * params.out_h * params.out_w,
        k=(in_channels // groups) * kh * kw,
        n=out_channels // groups,
        groups=groups, weight=weight, conv=params, input_density=input_density,
    )


def linear_layer(name: str, *, in_features: int, out_features: int, tokens: int = 1,
                 weight: np.ndarray | None = None, input_density: float | None = None) -> Layer:
    """Build a linear layer: ``M = tokens``, ``K = in_features``, ``N = out_features``."""
    if weight is not None and np.shape(weight) != (out_features, in_features):
        raise AccelsimInputError(
            f"invalid linear layer {name!r}", [],
            f"weight has shape {np.shape(weight)}; expected {(out_features, in_features)} (out, in)")
    return Layer(name=name, kind="linear", m=tokens, k=in_features, n=out_features,
                 groups=1, weight=weight, input_density=input_density)


def matmul_layer(name: str, *, m: int, k: int, n: int, repeats: int = 1) -> Layer:
    """Build an operand-only GEMM (e.g. attention ``Q @ K^T``), ``repeats`` times."""
    return Layer(name=name, kind="matmul", m=m, k=k, n=n, groups=repeats, weight=None)
