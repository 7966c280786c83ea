"""Where the bundled data (workloads, architecture files, sweep specs) lives.

In a source checkout (and an editable install) the data is the repository's
``workloads/`` folder; a built wheel installs the same files as
``accelsim/_bundled``. ``$ACCELSIM_WORKLOADS_DIR`` overrides both.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["WORKLOADS_DIR_ENV", "bundled_dir"]

WORKLOADS_DIR_ENV = "ACCELSIM_WORKLOADS_DIR"


def bundled_dir() -> Path:
    """Folder of the bundled data: ``$ACCELSIM_WORKLOADS_DIR``, the wheel's copy, or ``<repo>/workloads``."""
    env = os.environ.get(WORKLOADS_DIR_ENV)
    if env:
        return Path(env).expanduser()
    package = Path(__file__).resolve().parent
    installed = package / "_bundled"
    if installed.is_dir():
        return installed
    return package.parent / "workloads"
