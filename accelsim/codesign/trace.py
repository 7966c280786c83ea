"""Trace a torch model into a workload whose input densities come from a calibration batch."""

from __future__ import annotations

import re

from accelsim.errors import AccelsimInputError, Problem

__all__ = ["trace_model", "prunable_layers", "module_name"]

_CALL_SUFFIX = re.compile(r"#\d+$")


def module_name(layer_name: str) -> str:
    """The module a traced layer came from (``from_torch`` adds ``#2``, ``#3`` on repeated calls)."""
    return _CALL_SUFFIX.sub("", layer_name)


def _model_error(model, exc: AccelsimInputError) -> AccelsimInputError:
    why = str(exc).replace("\n", " ")
    return AccelsimInputError(
        f"cannot trace the model {type(model).__name__} for co-pruning",
        [Problem("model", type(model).__name__,
                 "a torch.nn.Module whose forward pass runs on example_input and calls nn.Conv1d, "
                 f"nn.Conv2d or nn.Linear modules that accelsim.from_torch records ({why})")])


def trace_model(model, example_input, calibration_input=None, *, name: str | None = None):
    """Workload of ``model`` on ``example_input``, with each layer's input density measured on
    ``calibration_input`` (the fraction of non-zero input activations over that batch).

    Raises
    ------
    AccelsimInputError
        Naming ``model`` when ``accelsim.from_torch`` cannot record it, and
        ``example_input`` when a conv layer sees a batch other than 1 (the
        saved workload YAML has no conv batch).
    """
    from accelsim.workload.torch_frontend import from_torch

    try:
        workload = from_torch(model, example_input, name=name)
    except AccelsimInputError as exc:
        raise _model_error(model, exc) from exc
    bad = [l.name for l in workload.layers if l.conv is not None and l.conv.batch != 1]
    if bad:
        raise AccelsimInputError(
            "invalid example_input for co-pruning",
            [Problem("example_input", f"a batch of {workload[bad[0]].conv.batch}",
                     "a batch of 1 (one inference; the saved workload describes one image)")])
    if calibration_input is None:
        return workload
    try:
        calib = from_torch(model, calibration_input, name=name)
    except AccelsimInputError as exc:
        raise AccelsimInputError(
            "cannot run the model on calibration_input",
            [Problem("calibration_input", "the given input", str(exc).replace("\n", " "))]) from exc
    densities = {l.name: l.input_density for l in calib.layers}
    layers = [l.with_shape(input_density=densities[l.name]) if densities.get(l.name) is not None else l
              for l in workload.layers]
    return workload.with_layers(layers)


def prunable_layers(model, workload) -> dict:
    """``{layer name: module name}`` of traced layers whose weight is a prunable module's ``weight``.

    Layers of repeated calls (``conv#2``) map to the same module. Attention
    projections sliced from ``in_proj_weight`` and matmuls are not prunable.
    """
    from accelsim.codesign.masking import prunable_modules

    modules = prunable_modules(model)
    out = {}
    for layer in workload.layers:
        mod = module_name(layer.name)
        if layer.weight is not None and layer.kind in ("conv", "linear") and mod in modules:
            out[layer.name] = mod
    return out
