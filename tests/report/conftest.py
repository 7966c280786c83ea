"""Comparisons shared by the plot, table and browser tests, built once per test session.

pytest-xdist runs tests of one module on several workers, and session
fixtures run once per worker. The 42-configuration report takes a while to
draw, so the first worker builds it in the session's shared temporary folder
under a file lock and the others read it back (the pattern pytest-xdist's
documentation gives for "session fixtures that run only once").
"""

import fcntl
import pickle
from contextlib import contextmanager

import pytest

import accelsim
from report_inputs import hostile_inputs

ARCHS_42 = ["dense-ws-32x32", "nm24-ws-32x32", "unstructured-os-32x32", "block4x4-ws-32x32"]
PRUNES_42 = ["nm:2:4", "unstructured:0.8", "block:4x4:0.5:pad"]
FORMATS_42 = ["csr", "bitmap", "bsr:4x4", "nm:2:4"]


@contextmanager
def _locked(path):
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _shared_root(tmp_path_factory, worker_id):
    base = tmp_path_factory.getbasetemp()
    return base.parent if worker_id != "master" else base


def _build_once(tmp_path_factory, worker_id, name, build):
    """``(result, report folder)`` of ``build()``, built by the first worker that asks, read by the rest."""
    root = _shared_root(tmp_path_factory, worker_id)
    folder, pickled = root / name, root / f"{name}.pickle"
    with _locked(root / f"{name}.lock"):
        if not pickled.is_file():
            result = build()
            result.write_report(folder)
            pickled.write_bytes(pickle.dumps(result))
    return pickle.loads(pickled.read_bytes()), folder


@pytest.fixture(scope="session")
def review42_built(tmp_path_factory, worker_id):
    """``accelsim.compare`` of tiny-cnn: 4 archs x WS/OS/IS x 3 prunes x 4 formats = 42 configurations run."""
    return _build_once(tmp_path_factory, worker_id, "review42", lambda: accelsim.compare(
        "tiny-cnn", ARCHS_42, dataflows="all", prunes=PRUNES_42, formats=FORMATS_42))


@pytest.fixture(scope="session")
def review42(review42_built):
    result = review42_built[0]
    assert len(result.configs) == 42
    return result


@pytest.fixture(scope="session")
def review42_dir(review42_built):
    """The written report of :func:`review42` (shared: read it, do not change it)."""
    return review42_built[1]


@pytest.fixture(scope="session")
def hostile_report(tmp_path_factory, worker_id):
    """The written report of a comparison whose names are markup and math (shared: read only)."""
    def build():
        workload, archs = hostile_inputs()
        return accelsim.compare(workload, archs, prunes=["nm:2:4"])

    return _build_once(tmp_path_factory, worker_id, "hostile", build)[1]
