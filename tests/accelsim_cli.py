"""Run the ``accelsim`` command line in a subprocess, as a user would (shared by the CLI tests)."""

import subprocess
import sys


def run(*args, cwd=None):
    """``python -m accelsim ARGS``; returns the CompletedProcess with text stdout/stderr."""
    return subprocess.run([sys.executable, "-m", "accelsim", *args], capture_output=True, text=True, cwd=cwd)
