"""Packages that are also functions: ``accelsim.prune(...)`` and ``accelsim.prune.apply_to_module``.

A few names of the public API are both a subpackage and its main function
(``accelsim.prune``, ``accelsim.sweep``). Python binds ``accelsim.<name>`` to
the subpackage as soon as anything imports it, so a plain function of the same
name would be replaced, depending on import order. Making the subpackage's
module object callable gives one object that works both ways, whatever was
imported first.
"""

from __future__ import annotations

import sys
import types

__all__ = ["make_callable"]


class _CallableModule(types.ModuleType):
    """A module whose call forwards to its ``__call_target__`` attribute."""

    def __call__(self, *args, **kwargs):
        return self.__call_target__(*args, **kwargs)


def make_callable(module_name: str, function_name: str) -> None:
    """Make the module ``module_name`` callable as its function ``function_name``.

    Call it at the end of the package's ``__init__``:
    ``make_callable(__name__, "prune")``.
    """
    module = sys.modules[module_name]
    module.__call_target__ = getattr(module, function_name)
    module.__class__ = _CallableModule
