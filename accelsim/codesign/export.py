"""Save a pruned model as safetensors that ``accelsim simulate --workload`` reads back.

The file follows accelsim's checkpoint contract for workloads: its metadata
key ``accelsim.workload`` holds the text of a workload YAML in the bundled
schema (``docs/workloads.md``) whose conv/linear layer names are the module
names, and tensor ``<layer name>.weight`` is that layer's weight (in the
workload's layout; the loader ignores biases). The model's other tensors
(biases, buffers) are stored under their ``state_dict`` names too, so the
file is also a usable state dict for the model.
"""

from __future__ import annotations

import os

import numpy as np
import yaml

from accelsim.fileio import remove_stale_temporaries

__all__ = ["WORKLOAD_METADATA_KEY", "workload_yaml_text", "save_pruned_model"]

#: Metadata key of the workload YAML in a safetensors file.
WORKLOAD_METADATA_KEY = "accelsim.workload"


def _layer_entry(layer) -> dict:
    entry = {"name": layer.name}
    if layer.conv is not None:
        cp = layer.conv
        entry.update({"type": "conv", "in_channels": cp.in_channels, "in_h": cp.in_h, "in_w": cp.in_w,
                      "out_channels": cp.out_channels, "kernel": [cp.kernel_h, cp.kernel_w],
                      "stride": [cp.stride_h, cp.stride_w], "padding": [cp.pad_h, cp.pad_w],
                      "dilation": [cp.dilation_h, cp.dilation_w], "groups": cp.groups})
    elif layer.kind == "linear":
        entry.update({"type": "linear", "in_features": int(layer.k), "out_features": int(layer.n * layer.groups),
                      "tokens": int(layer.m)})
    else:
        entry.update({"type": "matmul", "m": int(layer.m), "k": int(layer.k), "n": int(layer.n),
                      "repeats": int(layer.groups)})
    if layer.input_density is not None:
        entry["input_density"] = float(layer.input_density)
    return entry


def workload_yaml_text(workload, *, source: str = "") -> str:
    """The workload's shapes (and measured input densities) as YAML in the bundled schema.

    Conv batches must be 1 (the schema has no conv batch; the loader's
    ``batch`` multiplies every layer).
    """
    for layer in workload.layers:
        if layer.conv is not None and layer.conv.batch != 1:
            raise ValueError(f"layer {layer.name!r} has conv batch {layer.conv.batch}; the workload YAML "
                             "describes batch 1")
    data = {"name": workload.name, "source": source or f"accelsim copruning ({workload.source or 'torch'})",
            "layers": [_layer_entry(layer) for layer in workload.layers]}
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=None, width=120)


def save_pruned_model(path, model, workload, *, source: str = "") -> str:
    """Write ``model``'s pruned weights and ``workload``'s YAML to a safetensors file, atomically.

    Parameters
    ----------
    path : path
        The ``.safetensors`` file (written to a temporary sibling, then renamed).
    model : torch.nn.Module
        Masks baked in (plain weights with ``+0.0`` zeros).
    workload : Workload
        Its trace (``accelsim.from_torch``): the layer names and shapes.

    Returns
    -------
    str
        The path written.
    """
    import secrets

    import torch
    from safetensors.torch import save_file

    tensors = {}
    for layer in workload.layers:
        if layer.weight is not None:
            w = np.ascontiguousarray(np.asarray(layer.weight, dtype=np.float32))
            w = np.where(w == 0, np.float32(0.0), w)           # +0.0 zeros, whatever the sign bit was
            tensors[f"{layer.name}.weight"] = torch.from_numpy(w.copy())
    for key, value in model.state_dict().items():
        if key not in tensors and isinstance(value, torch.Tensor):
            tensors[key] = value.detach().to("cpu").contiguous().clone()
    metadata = {WORKLOAD_METADATA_KEY: workload_yaml_text(workload, source=source), "format": "pt"}
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    remove_stale_temporaries(folder, os.path.basename(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.accelsim-{os.getpid()}-{secrets.token_hex(6)}.tmp")
    try:
        save_file(tensors, tmp, metadata=metadata)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
