"""Pruning: magnitude, N:M, block, channel and kernel schemes for arrays, layers and workloads.

The package is callable: ``accelsim.prune(x, scheme)`` is
:func:`accelsim.prune.prune` (the spelling of the ``accelsim`` docstring),
and its attributes are the package's (``accelsim.prune.apply_to_module``, the
README's spelling). Both work in any import order.
"""

import sys as _sys
import types as _types

from accelsim.prune.api import prune, prune_with_report
from accelsim.prune.channel import shrink_channels
from accelsim.prune.report import LayerPruneReport, PruneReport
from accelsim.prune.scheme import (BlockScheme, ChannelScheme, KernelScheme, NMScheme, PruneScheme,
                                   UnstructuredScheme, parse_scheme)
from accelsim.prune.torch_adapter import apply_to_module

__all__ = ["prune", "prune_with_report", "parse_scheme", "PruneReport", "LayerPruneReport",
           "apply_to_module", "shrink_channels", "PruneScheme", "UnstructuredScheme", "NMScheme",
           "BlockScheme", "ChannelScheme", "KernelScheme"]


class _CallablePackage(_types.ModuleType):
    """The ``accelsim.prune`` package, callable as :func:`accelsim.prune.prune`."""

    def __call__(self, x, scheme):
        """Prune ``x`` with ``scheme``; see :func:`accelsim.prune.prune`."""
        return prune(x, scheme)


_sys.modules[__name__].__class__ = _CallablePackage
