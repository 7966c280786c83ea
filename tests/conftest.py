"""Shared test fixtures."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ARCH_DIR = REPO / "workloads" / "arch"


@pytest.fixture
def arch_dir():
    """Folder of the bundled example architecture files."""
    return ARCH_DIR
