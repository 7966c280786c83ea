"""Save a co-pruned model: the workload safetensors ``accelsim simulate --workload`` reads, and its state dict.

``model.safetensors`` is written by :func:`accelsim.workload.checkpoint.save_safetensors`:
its metadata key ``accelsim.workload`` holds the workload YAML (layer names =
module names, with the input densities measured on the calibration batch),
and tensor ``<layer name>.weight`` each layer's masked weight, so
``accelsim simulate --workload model.safetensors`` rebuilds exactly the
workload the search measured. ``model_state.safetensors`` holds the pruned
model's whole ``state_dict`` (biases and buffers too) for
``model.load_state_dict(safetensors.torch.load_file(...))``.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["PLAN_METADATA_KEY", "save_pruned_model", "save_state_dict"]

#: Metadata key (in ``model.safetensors``) of the plan the model was pruned with.
PLAN_METADATA_KEY = "copruning.plan"


def save_pruned_model(path, workload, *, description: str = "") -> Path:
    """Write the traced pruned ``workload`` (weights + YAML) to ``path`` atomically."""
    from accelsim.workload.checkpoint import save_safetensors

    return save_safetensors(workload, path, metadata={PLAN_METADATA_KEY: description} if description else None)


def save_state_dict(path, model) -> Path:
    """Write ``model.state_dict()`` (masks baked in, zeros ``+0.0``) as safetensors, atomically."""
    import torch
    from safetensors.torch import save

    from accelsim.fileio import atomic_write_bytes

    tensors = {}
    for key, value in model.state_dict().items():
        if isinstance(value, torch.Tensor):
            t = value.detach().to("cpu").contiguous().clone()
            if t.is_floating_point():
                t = torch.where(t == 0, torch.zeros((), dtype=t.dtype), t)
            tensors[key] = t
    return Path(atomic_write_bytes(path, save(tensors, metadata={"format": "pt"})))
