"""SIGKILL during a sweep, then resume: every point exactly once, no torn record, the same numbers."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pandas as pd
import psutil
import pytest

from accelsim.sweep import ResultStore, load_results, plan_sweep, run_sweep
from sweep_helpers import results, spec, stored_count, write_spec

KILL_SPEC = spec(dataflows=["ws", "os", "is"],
                 space={"array.rows": [4, 8, 16, 32], "array.cols": [4, 8, 16, 32],
                        "buffers.weight_kib": [16, 32, 64, 128]})
PLANNED = 2 * 64 * 3


def _start(path, out):
    return subprocess.Popen([sys.executable, "-m", "accelsim", "sweep", str(path), "--out", str(out), "--resume",
                             "--workers", "2", "--chunk-size", "1", "--quiet", "--no-report"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _kill_when(proc, out, stored_at_least: int | None, after_s: float | None):
    """SIGKILL ``proc`` once the store holds ``stored_at_least`` points (or after ``after_s``)."""
    start = time.monotonic()
    children = []
    while proc.poll() is None and time.monotonic() - start < 120:
        try:
            children = psutil.Process(proc.pid).children(recursive=True) or children
        except psutil.NoSuchProcess:
            break
        if (after_s is not None and time.monotonic() - start >= after_s) or \
                (stored_at_least is not None and stored_count(out) >= stored_at_least):
            break
        time.sleep(0.01)
    assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.communicate()}"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # the worker processes notice that their parent is gone and leave on their own
    gone, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, f"worker processes outlived the killed sweep: {alive}"


@pytest.mark.slow
def test_sigkill_at_several_moments_then_resume_gives_every_point_once_with_the_same_results(tmp_path):
    assert len(plan_sweep(KILL_SPEC).points) == PLANNED
    reference = load_results(run_sweep(KILL_SPEC, tmp_path / "reference", workers=2, quiet=True,
                                       report=False).folder)
    path = write_spec(tmp_path, KILL_SPEC)
    out = tmp_path / "killed"
    # while starting up (before any commit), after the first commits, and twice more in the middle
    moments = [(None, 0.8), (1, None), (PLANNED // 3, None), (2 * PLANNED // 3, None)]
    counts = []
    for stored_at_least, after_s in moments:
        _kill_when(_start(path, out), out, stored_at_least, after_s)
        counts.append(stored_count(out))
        if (out / "sweep.sqlite").exists():
            with ResultStore.open(out) as store:
                assert store.integrity() == "ok"
    assert counts[-1] < PLANNED, counts
    assert counts == sorted(counts), counts
    final = _start(path, out)
    stdout, stderr = final.communicate(timeout=300)
    assert final.returncode == 0, stderr
    assert f"{PLANNED - counts[-1]} points simulated" in stdout
    with ResultStore.open(out) as store:
        assert store.count() == PLANNED and store.duplicate_keys() == 0 and store.integrity() == "ok"
        records = list(store.records())
    assert all(r["status"] == "ok" and r["outputs"]["cycles"] > 0 for r in records)     # none torn
    frame = load_results(out)
    pd.testing.assert_frame_equal(results(frame), results(reference))
