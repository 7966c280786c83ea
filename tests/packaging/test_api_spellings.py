"""Documented spellings of the public API work in a fresh interpreter, in any import order."""

import subprocess
import sys

import pytest

_ORDERS = {
    "module first": "import accelsim; f = accelsim.prune.apply_to_module; wl = accelsim.prune(W, 'nm:2:4')",
    "function first": "import accelsim; wl = accelsim.prune(W, 'nm:2:4'); f = accelsim.prune.apply_to_module",
    "report first": ("import accelsim; accelsim.prune_with_report(W, 'nm:2:4'); wl = accelsim.prune(W, 'nm:2:4'); "
                     "f = accelsim.prune.apply_to_module"),
    "submodule import": "import accelsim.prune.api; import accelsim; wl = accelsim.prune(W, 'nm:2:4')",
}


@pytest.mark.parametrize("order", sorted(_ORDERS))
def test_prune_is_a_function_and_a_package(order):
    code = ("from accelsim.workload.loaders import load_workload; W = load_workload('tiny-cnn'); "
            + _ORDERS[order] + "; import numpy as np; "
            "w = max((l.weight for l in wl.layers if l.weight is not None), key=np.size); "
            "assert np.count_nonzero(w) * 2 == w.size, np.count_nonzero(w)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
