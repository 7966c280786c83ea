"""Bundled workloads and the YAML workload schema: locate, check and parse them.

A workload file is a YAML mapping (see ``docs/workloads.md``)::

    name: tiny-cnn
    source: "what the shapes are taken from"
    input_shape: [3, 32, 32]
    seed: 0
    layers:
      - {name: conv1, type: conv, in_channels: 3, in_h: 32, in_w: 32,
         out_channels: 16, kernel: 3, stride: 1, padding: 1}
      - {name: fc, type: linear, in_features: 1024, out_features: 10, tokens: 1}
      - {name: scores, type: matmul, m: tokens, k: 64, n: tokens, repeats: 12}
      - repeat: 12
        name: encoder.layer
        layers: [...]

This module only builds shapes; :func:`accelsim.workload.loaders.load_workload`
adds the synthetic weights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


from accelsim.bundled_data import WORKLOADS_DIR_ENV, bundled_dir
from accelsim.errors import AccelsimInputError, ProblemCollector
from accelsim.limits import current as current_limits, limit_problem
from accelsim.workload.layer import Layer, Workload, conv_layer, conv_output_size, linear_layer, matmul_layer

__all__ = [
    "WORKLOADS_DIR_ENV",
    "WorkloadFile",
    "workloads_dir",
    "bundled_names",
    "resolve_bundled_name",
    "parse_workload_yaml",
    "read_workload_yaml",
]


#: Extra spellings accepted for bundled names (keys are normalised, see ``_normalise``).
_ALIASES = {
    "bert": "bert-base",
    "bertbaseuncased": "bert-base",
    "bertbasecased": "bert-base",
    "vgg16d": "vgg16",
    "mobilenetv2100": "mobilenetv2",
}

_TOP_KEYS = ("name", "source", "input_shape", "seed", "sequential", "layers")
_COMMON_KEYS = ("name", "type", "input_density")
_LAYER_KEYS = {
    "conv": ("in_channels", "in_h", "in_w", "out_channels", "kernel", "stride", "padding",
             "dilation", "groups"),
    "linear": ("in_features", "out_features", "tokens"),
    "matmul": ("m", "k", "n", "repeats"),
}
_BLOCK_KEYS = ("repeat", "name", "layers")
_EXAMPLE = (
    "example of a valid workload file:\n"
    "  name: my-net\n"
    "  layers:\n"
    "    - {name: conv1, type: conv, in_channels: 3, in_h: 32, in_w: 32, out_channels: 16,"
    " kernel: 3, padding: 1}\n"
    "    - {name: fc, type: linear, in_features: 16384, out_features: 10, tokens: 1}\n"
    "    - {name: scores, type: matmul, m: tokens, k: 64, n: tokens, repeats: 12}\n"
    "(see docs/workloads.md)"
)


@dataclass(frozen=True, eq=False)
class WorkloadFile:
    """A parsed workload file.

    Attributes
    ----------
    workload : Workload
        Layers with shapes only (no weights).
    seed : int or None
        The file's default seed for synthetic weights, if it gives one.
    citation : str
        The file's ``source`` text (paper / reference implementation).
    input_shape : tuple
        The file's ``input_shape`` (informational), ``"tokens"`` resolved.
    """

    workload: Workload
    seed: int | None
    citation: str
    input_shape: tuple


def workloads_dir() -> Path:
    """Folder holding the bundled ``*.yaml`` workloads.

    ``$ACCELSIM_WORKLOADS_DIR`` if set, else the installed copy or the
    repository's ``workloads/`` (:func:`accelsim.bundled_data.bundled_dir`).
    """
    return bundled_dir()


def bundled_names() -> tuple[str, ...]:
    """Names of the bundled workloads (the ``*.yaml`` stems in :func:`workloads_dir`)."""
    folder = workloads_dir()
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.stem for p in folder.glob("*.yaml") if p.is_file()))


def _normalise(name: str) -> str:
    return re.sub(r"[\s_\-.]", "", name.lower())


def resolve_bundled_name(name: str) -> Path | None:
    """Path of the bundled workload called ``name`` (case and ``-_.`` insensitive), or None."""
    key = _normalise(name)
    key = _ALIASES.get(key, key)
    for stem in bundled_names():
        if _normalise(stem) == _normalise(key):
            return workloads_dir() / f"{stem}.yaml"
    return None


# ----------------------------------------------------------------- checking
def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Checker:
    """Reads fields of one mapping, recording a problem for each bad one."""

    def __init__(self, problems: ProblemCollector, path: str, data: dict, tokens: int):
        self.problems = problems
        self.path = path
        self.data = data
        self.tokens = tokens
        self.ok = True

    def bad(self, key: str, value, allowed: str) -> None:
        self.problems.add(f"{self.path}.{key}", value, allowed)
        self.ok = False

    def int_(self, key: str, default=None, minimum: int = 1, allow_tokens: bool = False):
        if key not in self.data:
            if default is None:
                self.bad(key, "<missing>", "a required integer >= %d" % minimum)
            return default
        value = self.data[key]
        if allow_tokens and value == "tokens":
            return self.tokens
        if not _is_int(value) or value < minimum:
            extra = ' or "tokens"' if allow_tokens else ""
            self.bad(key, value, f"an integer >= {minimum}{extra}")
            return default if default is not None else minimum
        if value > current_limits().max_dimension:
            self.too_big(key, value)
            return default if default is not None else minimum
        return value

    def too_big(self, key: str, value) -> None:
        self.problems.problems.append(limit_problem("max_dimension", f"{self.path}.{key}", value,
                                                    "per layer dimension"))
        self.ok = False

    def pair(self, key: str, default=None, minimum: int = 1):
        if key not in self.data:
            if default is None:
                self.bad(key, "<missing>", f"a required integer >= {minimum} or a list [h, w]")
                return (minimum, minimum)
            return (default, default)
        value = self.data[key]
        top = current_limits().max_dimension
        if _is_int(value) and value >= minimum:
            if value > top:
                self.too_big(key, value)
                return (minimum, minimum)
            return (value, value)
        if (isinstance(value, list) and len(value) == 2
                and all(_is_int(v) and v >= minimum for v in value)):
            if max(value) > top:
                self.too_big(key, value)
                return (minimum, minimum)
            return (value[0], value[1])
        self.bad(key, value, f"an integer >= {minimum} or a list [h, w] of such integers")
        return (minimum, minimum)

    def density(self):
        value = self.data.get("input_density")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            self.bad("input_density", value, "a number in [0, 1]")
            return None
        return float(value)

    def unknown_keys(self, allowed) -> None:
        for key in self.data:
            if key not in allowed:
                self.bad(str(key), self.data[key], "no such field; allowed fields: " + ", ".join(allowed))


def _parse_layer(item: dict, path: str, name: str, tokens: int, batch: int,
                 problems: ProblemCollector) -> Layer | None:
    kind = item.get("type")
    if not isinstance(kind, str) or kind not in _LAYER_KEYS:
        problems.add(f"{path}.type", kind if "type" in item else "<missing>", "conv, linear or matmul")
        return None
    c = _Checker(problems, path, item, tokens)
    c.unknown_keys(_COMMON_KEYS + _LAYER_KEYS[kind])
    density = c.density()
    if kind == "conv":
        cin, h, w, cout = (c.int_(k) for k in ("in_channels", "in_h", "in_w", "out_channels"))
        kernel = c.pair("kernel")
        stride = c.pair("stride", 1)
        padding = c.pair("padding", 0, minimum=0)
        dilation = c.pair("dilation", 1)
        groups = c.int_("groups", 1)
        if not c.ok:
            return None
        if cin % groups or cout % groups:
            c.bad("groups", groups, f"a divisor of in_channels ({cin}) and out_channels ({cout})")
        out_h = conv_output_size(h, kernel[0], stride[0], padding[0], dilation[0])
        out_w = conv_output_size(w, kernel[1], stride[1], padding[1], dilation[1])
        if out_h < 1 or out_w < 1:
            c.bad("kernel", item["kernel"],
                  f"a kernel that fits the padded input {h}x{w} (output would be {out_h}x{out_w})")
        if not c.ok:
            return None
        return conv_layer(name, in_channels=cin, in_h=h, in_w=w, out_channels=cout, kernel=kernel,
                          stride=stride, padding=padding, dilation=dilation, groups=groups,
                          batch=batch, input_density=density)
    if kind == "linear":
        fin, fout = c.int_("in_features"), c.int_("out_features")
        n_tokens = c.int_("tokens", tokens)
        if not c.ok:
            return None
        return linear_layer(name, in_features=fin, out_features=fout, tokens=n_tokens * batch,
                            input_density=density)
    m, k, n = (c.int_(key, allow_tokens=True) for key in ("m", "k", "n"))
    repeats = c.int_("repeats", 1)
    if not c.ok:
        return None
    layer = matmul_layer(name, m=m, k=k, n=n, repeats=repeats * batch)
    return layer if density is None else layer.with_shape(input_density=density)


def _expanded_count(items, depth: int, cap: int, memo: dict) -> int:
    """Layers ``items`` expands to (repeat blocks multiplied out), stopping early above ``cap``."""
    if not isinstance(items, list):
        return 1
    key = id(items)
    if key in memo:
        return memo[key]
    total = 0
    for item in items:
        if isinstance(item, dict) and "repeat" in item:
            count = item["repeat"]
            if not _is_int(count) or count < 1 or depth > current_limits().max_repeat_depth:
                total += 1
                continue
            inner = _expanded_count(item.get("layers"), depth + 1, cap, memo)
            total += count * inner
        else:
            total += 1
        if total > cap:
            break
    memo[key] = total
    return total


def _repeat_fits(item: dict, count: int, ipath: str, done: int, problems: ProblemCollector,
                 depth: int) -> bool:
    """Check a repeat block against ``max_repeat_depth`` and ``max_layers`` before expanding it."""
    limits = current_limits()
    if depth >= limits.max_repeat_depth:
        problems.problems.append(limit_problem("max_repeat_depth", f"{ipath}.repeat", depth + 1,
                                               "nested repeat blocks"))
        return False
    cap = limits.max_layers
    inner = _expanded_count(item.get("layers"), depth + 1, cap, {})
    layers = count * inner
    if done + layers > cap:
        expands = f"more than {cap:,}" if inner > cap else f"{layers:,}"
        problems.problems.append(limit_problem(
            "max_layers", f"{ipath}.repeat", f"{count:,} (expands to {expands} layers)", "layers per workload"))
        return False
    return True


def _parse_items(items, path: str, prefix: str, tokens: int, batch: int,
                 problems: ProblemCollector, out: list, names: dict, depth: int = 0) -> None:
    if not isinstance(items, list) or not items:
        problems.add(path, items, "a non-empty list of layers")
        return
    for i, item in enumerate(items):
        ipath = f"{path}[{i}]"
        if not isinstance(item, dict):
            problems.add(ipath, item, "a mapping describing a layer or a repeat block")
            continue
        raw_name = item.get("name")
        if not isinstance(raw_name, str) or not raw_name.strip():
            problems.add(f"{ipath}.name", raw_name if "name" in item else "<missing>",
                         "a non-empty string")
            raw_name = None
        else:
            ipath = f"{ipath}({raw_name})"
        full = None if raw_name is None else (f"{prefix}.{raw_name}" if prefix else raw_name)
        if "repeat" in item:
            c = _Checker(problems, ipath, item, tokens)
            c.unknown_keys(_BLOCK_KEYS)
            count = c.int_("repeat")
            if "layers" not in item:
                c.bad("layers", "<missing>", "a non-empty list of layers repeated `repeat` times")
            if not c.ok or full is None:
                continue
            if not _repeat_fits(item, count, ipath, len(out), problems, depth):
                continue
            for r in range(count):
                sub = []
                _parse_items(item["layers"], f"{ipath}.layers", f"{full}.{r}", tokens, batch,
                             problems, sub, names, depth + 1)
                out.extend(sub)
                if problems:  # report a bad block once, not `count` times
                    break
            continue
        if full is not None:
            if full in names:
                problems.add(f"{ipath}.name", raw_name,
                             f"a unique layer name ({names[full]} is also called {full!r})")
            names.setdefault(full, ipath)
        try:
            layer = _parse_layer(item, ipath, full or "?", tokens, batch, problems)
        except AccelsimInputError as exc:  # checks of layer.py not mirrored above
            for p in exc.problems:
                problems.add(f"{ipath}.{p.field.rsplit('.', 1)[-1]}", p.value, p.allowed)
            if not exc.problems:
                problems.add(ipath, item, exc.hint or exc.summary)
            continue
        if layer is not None and full is not None:
            out.append(layer)


def parse_workload_yaml(data, *, origin: str, tokens: int = 128, batch: int = 1) -> WorkloadFile:
    """Check a workload mapping (already YAML-decoded) and build its layers.

    Parameters
    ----------
    data : object
        The decoded YAML document; must be a mapping.
    origin : str
        Where it came from, used in messages and as ``Workload.source``.
    tokens : int
        Value of ``tokens`` for linear layers without their own ``tokens`` and
        for matmul dimensions written as ``tokens``.
    batch : int
        Multiplies M of every layer (conv batch, linear tokens, matmul repeats).

    Raises
    ------
    AccelsimInputError
        Listing every problem found.
    """
    summary = f"invalid workload file {origin}"
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        raise AccelsimInputError(summary, [], f"the file must be a YAML mapping, not {kind}.\n{_EXAMPLE}")
    problems = ProblemCollector()
    for key in data:
        if key not in _TOP_KEYS:
            problems.add(str(key), data[key], "no such field; allowed fields: " + ", ".join(_TOP_KEYS))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.add("name", name if "name" in data else "<missing>", "a non-empty string")
    citation = data.get("source", "")
    if not isinstance(citation, str):
        problems.add("source", citation, "a string (citation of the shapes)")
    seed = data.get("seed")
    if seed is not None and (not _is_int(seed) or seed < 0):
        problems.add("seed", seed, "an integer >= 0")
    shape = data.get("input_shape", [])
    if not isinstance(shape, list) or not all((_is_int(s) and s >= 1) or s == "tokens" for s in shape):
        problems.add("input_shape", shape, 'a list of integers >= 1 (or "tokens")')
        shape = []
    sequential = data.get("sequential", False)
    if not isinstance(sequential, bool):
        problems.add("sequential", sequential, "true or false (true: each layer consumes exactly the "
                                               "previous layer's output, no branches or residual additions)")
        sequential = False
    layers: list[Layer] = []
    cap = current_limits().max_layers
    if isinstance(data.get("layers"), list) and len(data["layers"]) > cap:   # before parsing any of them
        problems.problems.append(limit_problem("max_layers", "layers", f"{len(data['layers']):,} entries",
                                               "layers per workload"))
        raise AccelsimInputError(summary, problems.problems)
    _parse_items(data.get("layers"), "layers", "", tokens, batch, problems, layers, {})
    problems.raise_if_any(summary, _EXAMPLE)
    workload = Workload(name=name, layers=tuple(layers), source=origin, sequential=sequential)
    return WorkloadFile(workload=workload, seed=seed, citation=citation,
                        input_shape=tuple(tokens if s == "tokens" else s for s in shape))


def read_workload_yaml(path: Path, *, origin: str | None = None, tokens: int = 128,
                       batch: int = 1) -> WorkloadFile:
    """Read and parse a YAML workload file (see :func:`parse_workload_yaml`)."""
    from accelsim.yamlio import load_yaml_text, read_text_file

    origin = origin or str(path)
    text = read_text_file(path, "workload file")
    if not text.strip():
        raise AccelsimInputError(f"invalid workload file {origin}", [], f"the file is empty.\n{_EXAMPLE}")
    data = load_yaml_text(text, f"workload file {origin}", _EXAMPLE)
    return parse_workload_yaml(data, origin=origin, tokens=tokens, batch=batch)
