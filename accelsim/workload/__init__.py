"""Workloads: layers, their GEMM lowering, and the loaders that build them."""

from accelsim.workload.layer import (ConvParams, Layer, Workload, conv_layer, linear_layer,
                                     matmul_layer, conv_output_size)
from accelsim.workload.bundled import bundled_names
from accelsim.workload.loaders import load_workload, with_synthetic_weights
from accelsim.workload.torch_frontend import from_torch  # imports torch only when called

__all__ = ["ConvParams", "Layer", "Workload", "conv_layer", "linear_layer", "matmul_layer",
           "conv_output_size", "load_workload", "with_synthetic_weights", "bundled_names",
           "from_torch"]
