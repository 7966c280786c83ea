"""Architecture specifications: YAML (or SCALE-Sim .cfg) -> checked -> frozen dataclasses."""

from accelsim.spec.arch import (ACTIVATION_SPARSITY_MODES, DATAFLOWS, MAPPING_MODES,
                                MAPPING_OBJECTIVES, SPARSE_KINDS, ArchSpec, ArraySpec, BufferSpec,
                                MappingSpec, PrecisionSpec, SparseSupport)
from accelsim.spec.load import EXAMPLE_ARCH_YAML, arch_from_dict, load_arch

__all__ = ["ArchSpec", "ArraySpec", "BufferSpec", "PrecisionSpec", "SparseSupport", "DATAFLOWS",
           "SPARSE_KINDS", "ACTIVATION_SPARSITY_MODES", "MappingSpec", "MAPPING_MODES",
           "MAPPING_OBJECTIVES", "load_arch", "arch_from_dict",
           "EXAMPLE_ARCH_YAML"]
