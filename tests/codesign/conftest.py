"""Fixtures of the co-pruning tests."""

import pytest


@pytest.fixture
def deterministic():
    """One torch thread and deterministic algorithms for the test (restored afterwards)."""
    from accelsim.codesign.search import deterministic_torch

    with deterministic_torch(1):
        yield
