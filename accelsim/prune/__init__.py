"""Pruning: magnitude, N:M, block, channel and kernel schemes for arrays, layers and workloads.

The package is callable: ``accelsim.prune(x, scheme)`` is
:func:`accelsim.prune.prune` (the spelling of the ``accelsim`` docstring),
and its attributes are the package's (``accelsim.prune.apply_to_module``, the
README's spelling). Both work in any import order.
"""

from accelsim.prune.api import prune, prune_with_report
from accelsim.prune.channel import shrink_channels
from accelsim.prune.report import LayerPruneReport, PruneReport
from accelsim.prune.scheme import (BlockScheme, ChannelScheme, KernelScheme, NMScheme, PruneScheme,
                                   UnstructuredScheme, parse_scheme)
from accelsim.prune.torch_adapter import apply_to_module

__all__ = ["prune", "prune_with_report", "parse_scheme", "PruneReport", "LayerPruneReport",
           "apply_to_module", "shrink_channels", "PruneScheme", "UnstructuredScheme", "NMScheme",
           "BlockScheme", "ChannelScheme", "KernelScheme"]

from accelsim.callable_module import make_callable  # noqa: E402 - after the public names exist

make_callable(__name__, "prune")
