"""Write a Workload's shapes as the text of a workload YAML (the bundled schema, docs/workloads.md).

The inverse of :func:`accelsim.workload.bundled.parse_workload_yaml` for
shapes: parsing the text back with ``batch=1`` gives the same layers (names,
kinds, GEMM sizes, conv parameters, input densities). Weights are not
written; :func:`accelsim.workload.checkpoint.save_safetensors` stores them
beside the text.
"""

from __future__ import annotations

import yaml

from accelsim.errors import AccelsimInputError, ProblemCollector
from accelsim.workload.layer import Layer, Workload

__all__ = ["workload_to_yaml_data", "dump_workload_yaml"]


def _pair(h: int, w: int):
    return int(h) if h == w else [int(h), int(w)]


def _layer_data(layer: Layer) -> dict:
    item: dict = {"name": layer.name, "type": layer.kind}
    if layer.kind == "conv":
        cp = layer.conv
        item.update(in_channels=cp.in_channels, in_h=cp.in_h, in_w=cp.in_w,
                    out_channels=cp.out_channels, kernel=_pair(cp.kernel_h, cp.kernel_w))
        if (cp.stride_h, cp.stride_w) != (1, 1):
            item["stride"] = _pair(cp.stride_h, cp.stride_w)
        if (cp.pad_h, cp.pad_w) != (0, 0):
            item["padding"] = _pair(cp.pad_h, cp.pad_w)
        if (cp.dilation_h, cp.dilation_w) != (1, 1):
            item["dilation"] = _pair(cp.dilation_h, cp.dilation_w)
        if cp.groups != 1:
            item["groups"] = cp.groups
    elif layer.kind == "linear":
        item.update(in_features=int(layer.k), out_features=int(layer.n), tokens=int(layer.m))
    else:
        item.update(m=int(layer.m), k=int(layer.k), n=int(layer.n))
        if layer.groups != 1:
            item["repeats"] = int(layer.groups)
    if layer.input_density is not None:
        item["input_density"] = float(layer.input_density)
    return item


def workload_to_yaml_data(workload: Workload) -> dict:
    """The workload as a YAML-ready mapping of the bundled schema (shapes only, batch 1).

    Raises
    ------
    AccelsimInputError
        For layers the schema cannot describe: a conv without conv
        parameters, or with a batch other than 1 (the schema has no per-layer
        batch; build the workload with batch 1 and pass ``batch`` when loading).
    """
    problems = ProblemCollector()
    for layer in workload.layers:
        if layer.kind == "conv" and layer.conv is None:
            problems.add(f"{layer.name}.conv", None, "conv parameters (a conv layer built by conv_layer)")
        elif layer.kind == "conv" and layer.conv.batch != 1:
            problems.add(f"{layer.name}.batch", layer.conv.batch,
                         "1 (the workload YAML has no per-layer batch: build the workload with "
                         "batch 1, e.g. from_torch on a batch-1 input, and load it with batch=B)")
    problems.raise_if_any(f"cannot write workload {workload.name!r} as YAML")
    data: dict = {"name": workload.name}
    if workload.source:
        data["source"] = f"written by accelsim from {workload.source}"
    if workload.sequential:
        data["sequential"] = True
    data["layers"] = [_layer_data(layer) for layer in workload.layers]
    return data


def dump_workload_yaml(workload: Workload) -> str:
    """:func:`workload_to_yaml_data` as YAML text (one flow mapping per layer)."""
    data = workload_to_yaml_data(workload)
    head = {k: v for k, v in data.items() if k != "layers"}
    text = yaml.safe_dump(head, sort_keys=False, allow_unicode=True, width=1000)
    lines = ["layers:"]
    for item in data["layers"]:
        flow = yaml.safe_dump(item, sort_keys=False, default_flow_style=True, allow_unicode=True,
                              width=100000).strip()
        lines.append(f"  - {flow}")
    out = text + "\n".join(lines) + "\n"
    if yaml.safe_load(out) != data:       # the writer must never produce text that reads differently
        raise AccelsimInputError(f"cannot write workload {workload.name!r} as YAML", [],
                                 "the YAML text does not read back as the workload (a bug: please report)")
    return out
