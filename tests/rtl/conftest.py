"""Fixtures of the RTL tests: bundled architectures and a Verilator availability check."""

import pytest

from accelsim.errors import AccelsimInputError
from accelsim.spec import load_arch


@pytest.fixture(scope="session")
def have_verilator():
    """Skip the test when no Verilator can be found."""
    from rtl.verilator import find_verilator
    try:
        find_verilator()
    except AccelsimInputError:
        pytest.skip("Verilator is not installed")
    return True


@pytest.fixture(scope="session")
def archs():
    """The bundled example architectures by sparse kind."""
    return {"dense": load_arch("dense-ws-32x32"), "nm": load_arch("nm24-ws-32x32"),
            "unstructured": load_arch("unstructured-os-32x32"), "block": load_arch("block4x4-ws-32x32")}
