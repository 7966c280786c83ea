"""How the tensors of a checkpoint become layers.

Three ways, tried in this order by :func:`accelsim.workload.checkpoint.read_checkpoint`:

1. **described**: a workload (from a safetensors file's ``accelsim.workload``
   metadata, or a ``topology`` given by the caller) names the layers and their
   shapes; tensor ``<layer name>.weight`` is each conv/linear layer's weight
   (:func:`attach_weights`);
2. **BERT layout** (MiniLM, BERT, RoBERTa in Hugging Face ``BertModel``
   naming): per encoder layer Q, K, V, the attention scores (QK^T) and context
   (AV) matmuls, the output projection and the FFN, in module order, then the
   pooler on one token per sequence (:func:`bert_plan`);
3. **chain**: the remaining conv/linear weights in the file's order; convs
   need the input shape and get the spatial sizes of a stated assumption
   (:func:`chain_plan`, rules in ``docs/workloads.md``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from accelsim.errors import AccelsimInputError, Problem
from accelsim.workload.checkpoint_tensors import TensorEntry, as_weight_array
from accelsim.workload.layer import Layer, Workload, conv_layer, linear_layer, matmul_layer

__all__ = ["EMBEDDING_MARKERS", "DEFAULT_HEAD_DIM", "SkippedTensor", "PlannedLayer", "classify",
           "layer_name_of", "skipped_of", "attach_weights", "bert_plan", "chain_plan", "build_layers",
           "remaining"]

#: Substrings (lower case) marking embedding tables in a key.
EMBEDDING_MARKERS = ("embed", "wte", "wpe", "word_embeddings", "position_embeddings", "token_type")

#: Head size assumed for a BERT-layout checkpoint without ``num_attention_heads`` in config.json.
DEFAULT_HEAD_DIM = 64


@dataclass(frozen=True)
class SkippedTensor:
    """A tensor of the checkpoint that did not become a layer.

    Attributes
    ----------
    key, shape, dtype : str, tuple, str
    reason : str
    notable : bool
        True for weights that do compute (3-D convolutions, quantised
        matrices, weights a workload description does not use) whose absence
        changes the workload; False for biases, norms, embeddings.
    """

    key: str
    shape: tuple
    dtype: str
    reason: str
    notable: bool = False


@dataclass(frozen=True)
class PlannedLayer:
    """A layer to build: its kind, name, shape arguments and the entry holding its weight."""

    kind: str
    name: str
    args: dict
    entry: TensorEntry | None = None


def _is_embedding(key: str) -> bool:
    low = key.lower()
    return any(marker in low for marker in EMBEDDING_MARKERS)


def classify(entry: TensorEntry) -> tuple[str | None, bool]:
    """Reason to skip the tensor (or None: it is a conv/linear weight) and whether that is notable."""
    key, shape = entry.key, tuple(entry.shape)
    if not key.endswith("weight"):
        return "key does not end in 'weight'", False
    if _is_embedding(key):
        return "embedding table (a look-up, no MACs)", False
    if len(shape) < 2:
        return "1-D tensor (bias or norm scale)", False
    if len(shape) > 4:
        return f"{len(shape)}-D weight (3-D convolution?): not supported", True
    if not entry.is_float:
        return f"dtype {entry.dtype} is not a supported floating-point type (quantised?)", True
    if 0 in shape:
        return "empty tensor", False
    return None, False


def layer_name_of(key: str) -> str:
    """Layer name of a weight key: the key without ``.weight`` (the module's qualified name)."""
    return key[: -len(".weight")] if key.endswith(".weight") and len(key) > len(".weight") else key


def skipped_of(entry: TensorEntry, reason: str, notable: bool) -> SkippedTensor:
    """A :class:`SkippedTensor` for ``entry``."""
    return SkippedTensor(entry.key, tuple(entry.shape), entry.dtype, reason, notable)


# ------------------------------------------------------------------ described
def _expected_weight_shape(layer: Layer) -> tuple:
    if layer.kind == "conv" and layer.conv is not None:
        cp = layer.conv
        return (cp.out_channels, cp.in_channels // cp.groups, cp.kernel_h, cp.kernel_w)
    return (layer.groups * layer.n, layer.k)


def attach_weights(shapes: Workload, entries: list[TensorEntry], what: str):
    """Give every conv/linear layer of ``shapes`` the tensor ``<layer name>.weight``.

    Parameters
    ----------
    shapes : Workload
        Layers with shapes (their weights, if any, are replaced).
    entries : list of TensorEntry
    what : str
        Where the description came from, for messages.

    Returns
    -------
    layers : list of Layer
    skipped : list of SkippedTensor
        Tensors the description does not use (weights among them are notable).

    Raises
    ------
    AccelsimInputError
        Listing every missing, mis-shaped, NaN/Inf or data-less tensor.
    """
    by_key = {e.key: e for e in entries}
    problems, layers, used = [], [], set()
    for layer in shapes.layers:
        if layer.kind == "matmul":
            layers.append(layer)
            continue
        key = f"{layer.name}.weight"
        expected = _expected_weight_shape(layer)
        entry = by_key.get(key)
        if entry is None:
            problems.append(Problem(key, "<missing>", f"a tensor of shape {list(expected)} "
                                    f"(the weight of {layer.kind} layer {layer.name!r} in {what})"))
            continue
        used.add(key)
        shape = tuple(entry.shape)
        conv1d = (layer.kind == "conv" and len(shape) == 3 and expected[2] == 1
                  and shape == (expected[0], expected[1], expected[3]))
        if shape != expected and not conv1d:
            problems.append(Problem(key, f"shape {list(shape)}",
                                    f"shape {list(expected)} for {layer.kind} layer {layer.name!r} "
                                    f"in {what} (bias ignored)"))
            continue
        if not entry.is_float:
            problems.append(Problem(key, f"dtype {entry.dtype}", "a floating-point tensor"))
            continue
        weight = as_weight_array(entry, problems)
        if weight is not None:
            layers.append(replace(layer, weight=weight.reshape(expected)))
    if problems:
        raise AccelsimInputError(f"the checkpoint's tensors do not fit {what}", problems,
                                 "tensor '<layer name>.weight' must hold each conv/linear layer's "
                                 "weight in PyTorch layout: linear (out, in), conv (K, C/groups, R, S)")
    skipped = []
    for e in entries:
        if e.key in used:
            continue
        reason, notable = classify(e)
        if reason is None:
            skipped.append(skipped_of(e, f"not a layer of {what}", True))
        else:
            skipped.append(skipped_of(e, reason, notable))
    return layers, skipped


# ------------------------------------------------------------------ BERT layout
_BERT_LINEARS = ("attention.self.query", "attention.self.key", "attention.self.value")
_BERT_AFTER = ("attention.output.dense", "intermediate.dense", "output.dense")
_BERT_QUERY = re.compile(r"^(?P<prefix>(?:.+\.)?)encoder\.layer\.(?P<index>\d+)\.attention\.self\.query\.weight$")


def bert_plan(entries: list[TensorEntry], *, tokens: int, batch: int, heads: int | None):
    """Plan of a BERT-layout checkpoint, or None if the keys are not in that layout.

    Returns
    -------
    plan : list of PlannedLayer
        Per encoder layer ``i`` (ascending): query, key, value, ``scores``
        (M = tokens, K = head size, N = tokens, repeats = heads x batch),
        ``context`` (M = tokens, K = tokens, N = head size), output
        projection, FFN in and out; then ``pooler.dense`` on one token per
        sequence. Linear M = tokens x batch.
    used : set of str
        Keys consumed.
    notes : list of str
        Assumptions made (the head count when config.json gives none).

    Raises
    ------
    AccelsimInputError
        A layer of the layout is incomplete or mis-shaped, or ``heads`` does not divide the hidden size.
    """
    matches = [m for m in (_BERT_QUERY.match(e.key) for e in entries) if m]
    prefixes = {m.group("prefix") for m in matches}
    if len(prefixes) != 1:
        return None
    prefix = prefixes.pop()
    by_key = {e.key: e for e in entries}
    indices = sorted({int(m.group("index")) for m in matches})
    problems = []
    base = f"{prefix}encoder.layer"
    hidden = int(by_key[f"{base}.{indices[0]}.attention.self.query.weight"].shape[0])
    notes = []
    if heads is None:
        heads = hidden // DEFAULT_HEAD_DIM if hidden % DEFAULT_HEAD_DIM == 0 else 1
        notes.append(f"attention heads: config.json gives no num_attention_heads, so {heads} heads of "
                     f"{hidden // heads} were assumed (head size {DEFAULT_HEAD_DIM}); the attention "
                     "matmuls' MACs do not depend on the split")
    if heads < 1 or hidden % heads:
        raise AccelsimInputError("cannot read the BERT-layout checkpoint", [
            Problem("config.json num_attention_heads", heads, f"a divisor of the hidden size {hidden}")])
    head_dim = hidden // heads
    plan, used = [], set()
    for i in indices:
        layer = f"{base}.{i}"
        for part in _BERT_LINEARS + _BERT_AFTER:
            key = f"{layer}.{part}.weight"
            entry = by_key.get(key)
            if entry is None or len(entry.shape) != 2 or not entry.is_float:
                got = ("<missing>" if entry is None else f"shape {list(entry.shape)}, dtype {entry.dtype}")
                problems.append(Problem(key, got, "a 2-D floating-point weight (every encoder layer "
                                        "of the BERT layout has query, key, value, "
                                        "attention.output.dense, intermediate.dense and output.dense)"))
        if problems:
            continue
        for part in _BERT_LINEARS:
            plan.append(_linear_plan(by_key[f"{layer}.{part}.weight"], tokens * batch))
        plan.append(PlannedLayer("matmul", f"{layer}.attention.self.scores",
                                 dict(m=tokens, k=head_dim, n=tokens, repeats=heads * batch)))
        plan.append(PlannedLayer("matmul", f"{layer}.attention.self.context",
                                 dict(m=tokens, k=tokens, n=head_dim, repeats=heads * batch)))
        for part in _BERT_AFTER:
            plan.append(_linear_plan(by_key[f"{layer}.{part}.weight"], tokens * batch))
        used.update(f"{layer}.{part}.weight" for part in _BERT_LINEARS + _BERT_AFTER)
    if problems:
        raise AccelsimInputError("cannot read the BERT-layout checkpoint (encoder layers "
                                 f"{base}.N.*)", problems)
    pooler = by_key.get(f"{prefix}pooler.dense.weight")
    if pooler is not None and len(pooler.shape) == 2 and pooler.is_float:
        plan.append(_linear_plan(pooler, batch))          # the [CLS] token of each sequence
        used.add(pooler.key)
    return plan, used, notes


def _linear_plan(entry: TensorEntry, tokens: int) -> PlannedLayer:
    out_features, in_features = (int(s) for s in entry.shape)
    return PlannedLayer("linear", layer_name_of(entry.key),
                        dict(in_features=in_features, out_features=out_features, tokens=tokens), entry)


# ------------------------------------------------------------------ chain
def chain_plan(entries: list[TensorEntry], *, tokens: int, batch: int, input_shape, source: str,
               ordered: bool = True):
    """Plan of conv/linear weights in file order, with the spatial-size assumption for convs.

    ``ordered=False`` (safetensors, which keeps no order; its entries come
    in natural key order) puts the convs first and the linear layers after
    them, as in a CNN, each in natural key order.

    Every conv keeps the spatial size of its input (stride 1, padding
    ``(R-1)//2`` x ``(S-1)//2``: "same" for odd kernels, one smaller for even
    ones) and starts from ``input_shape``. Its input channels are
    ``weight.shape[1]``; it is depthwise (``groups = channels``) when
    ``weight.shape[1] == 1`` and its output channels equal the current channel
    count. Linear layers take one vector per image (M = batch) when the
    checkpoint has convs, else M = tokens x batch.

    Returns
    -------
    plan : list of PlannedLayer
    notes : list of str
        The assumption, when convs were placed.

    Raises
    ------
    AccelsimInputError
        Convs without ``input_shape``, or a first conv whose input channels disagree with it.
    """
    convs = [e for e in entries if len(e.shape) in (3, 4)]
    if convs and not ordered:
        entries = convs + [e for e in entries if len(e.shape) == 2]
    if convs and input_shape is None:
        first = convs[0]
        raise AccelsimInputError(
            f"checkpoint {source} has {len(convs)} convolution weight(s) (first: {first.key} "
            f"{list(first.shape)}) and no input shape",
            [Problem("input_shape", None, "the input of the first conv as C,H,W, e.g. "
                     "--input-shape 3,224,224 (API: input_shape=(3, 224, 224)); C,L for Conv1d")],
            "a state dict stores no input size, strides or pooling, so conv GEMM sizes are "
            "unknown; give --input-shape (stride-1 'same' sizes are then assumed, see "
            "docs/workloads.md) or --topology with a workload YAML that has the exact shapes")
    plan, notes = [], []
    if convs:
        channels, h, w = _start(input_shape)
        first_checked = False
        for e in entries:
            if len(e.shape) == 2:
                plan.append(_linear_plan(e, batch))
                continue
            out, cin_g = int(e.shape[0]), int(e.shape[1])
            kh, kw = (1, int(e.shape[2])) if len(e.shape) == 3 else (int(e.shape[2]), int(e.shape[3]))
            depthwise = cin_g == 1 and out == channels and channels > 1
            if not first_checked and not depthwise and cin_g != channels:
                raise AccelsimInputError(f"input shape does not fit checkpoint {source}", [
                    Problem("input_shape", tuple(input_shape),
                            f"{cin_g} input channels, as the first conv {e.key} "
                            f"{list(e.shape)} expects")])
            first_checked = True
            groups = channels if depthwise else 1
            cin = channels if depthwise else cin_g
            pad = ((kh - 1) // 2, (kw - 1) // 2)
            out_h, out_w = h + 2 * pad[0] - kh + 1, w + 2 * pad[1] - kw + 1
            if out_h < 1 or out_w < 1:
                raise AccelsimInputError(f"input shape does not fit checkpoint {source}", [
                    Problem("input_shape", tuple(input_shape),
                            f"a size at which conv {e.key} (kernel {kh}x{kw}) still has an output "
                            f"(its input would be {h}x{w})")])
            plan.append(PlannedLayer("conv", layer_name_of(e.key), dict(
                in_channels=cin, in_h=h, in_w=w, out_channels=out, kernel=(kh, kw), stride=1,
                padding=pad, groups=groups, batch=batch), e))
            channels, h, w = out, out_h, out_w
        c0, h0, w0 = _start(input_shape)
        notes.append(f"conv shapes of {source} are assumed: the state dict has no strides or "
                     f"pooling, so every conv runs at stride 1 with 'same' padding from the "
                     f"{c0}x{h0}x{w0} input (spatial sizes never shrink, so MACs of deep layers "
                     f"are overestimated); give --topology (topology=) for exact shapes")
    else:
        plan = [_linear_plan(e, tokens * batch) for e in entries]
    return plan, notes


def _start(input_shape):
    if len(input_shape) == 2:
        return int(input_shape[0]), 1, int(input_shape[1])
    return tuple(int(v) for v in input_shape)


# ------------------------------------------------------------------ build
def build_layers(plan: list[PlannedLayer], source: str) -> list[Layer]:
    """Load every planned weight (collecting NaN/Inf/meta problems) and build the layers."""
    problems, layers, names = [], [], set()
    weights = {}
    for item in plan:
        if item.entry is not None:
            weights[item.name] = as_weight_array(item.entry, problems)
    if problems:
        raise AccelsimInputError(f"cannot use the weights of checkpoint {source}", problems)
    for item in plan:
        name = item.name if item.name not in names else (item.entry.key if item.entry else item.name)
        names.add(name)
        if item.kind == "matmul":
            layers.append(matmul_layer(name, **item.args))
            continue
        weight = weights[item.name]
        if item.kind == "linear":
            layers.append(linear_layer(name, weight=weight, **item.args))
        else:
            a = item.args
            kh, kw = a["kernel"]
            shape = (a["out_channels"], a["in_channels"] // a["groups"], kh, kw)
            layers.append(conv_layer(name, weight=weight.reshape(shape), **a))
    return layers


def remaining(entries: list[TensorEntry], used: set) -> tuple[list[TensorEntry], list[SkippedTensor]]:
    """Conv/linear weight entries not in ``used`` (file order) and the skipped rest."""
    keep, skipped = [], []
    for e in entries:
        if e.key in used:
            continue
        reason, notable = classify(e)
        if reason is None:
            keep.append(e)
        else:
            skipped.append(skipped_of(e, reason, notable))
    return keep, skipped

