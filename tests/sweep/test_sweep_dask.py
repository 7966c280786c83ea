"""A real Dask cluster on localhost (``dask scheduler`` and two ``dask worker`` from this venv): same results."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from accelsim.errors import AccelsimInputError
from accelsim.sweep import load_results, plan_sweep, run_sweep
from accelsim.sweep.dask_executor import DaskExecutor, check_scheduler_address
from accelsim_cli import run
from sweep_helpers import TINY_POINTS, results, spec, write_spec

DASK = Path(sys.executable).parent / "dask"


def _stop(procs) -> None:
    for proc in reversed(procs):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)        # its own session: the nanny and its worker
    for proc in reversed(procs):
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Address of a scheduler with two single-threaded workers, all on 127.0.0.1; stopped afterwards."""
    folder = tmp_path_factory.mktemp("dask")
    scheduler_file = folder / "scheduler.json"
    procs = []
    log = open(folder / "cluster.log", "w")

    def start(*args):
        procs.append(subprocess.Popen([str(DASK), *args], stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True, cwd=folder))

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", str(scheduler_file))
        deadline = time.monotonic() + 120
        while not scheduler_file.exists():
            assert time.monotonic() < deadline and procs[0].poll() is None, (folder / "cluster.log").read_text()
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        for i in range(2):
            start("worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard", "--host", "127.0.0.1",
                  "--name", f"w{i}", "--local-directory", str(folder / f"w{i}"), "--memory-limit", "4GiB")
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=180)
        yield address
    finally:
        _stop(procs)
        log.close()


@pytest.mark.slow
def test_a_sweep_on_dask_equals_the_local_run(cluster, tmp_path):
    local = run_sweep(spec(), tmp_path / "local", workers=2, quiet=True, report=False)
    remote = run_sweep(spec(), tmp_path / "dask", scheduler=cluster, quiet=True, report=False)
    assert remote.computed == local.computed == TINY_POINTS
    assert remote.executor == f"Dask cluster {cluster} (2 worker threads)"
    pd.testing.assert_frame_equal(results(load_results(tmp_path / "dask")), results(load_results(tmp_path / "local")))


@pytest.mark.slow
def test_the_cli_resumes_a_sweep_on_dask(cluster, tmp_path):
    small = spec(prune=["none"])
    run_sweep(small, tmp_path / "out", workers=1, quiet=True, report=False)
    from accelsim.sweep import ResultStore

    with ResultStore.open(tmp_path / "out") as store:
        store._db.execute("DELETE FROM points WHERE idx >= 10")
    path = write_spec(tmp_path, small)
    r = run("sweep", str(path), "--out", str(tmp_path / "out"), "--resume", "--scheduler", cluster, "-q",
            "--no-report")
    assert r.returncode == 0, r.stderr
    assert f"{TINY_POINTS // 2 - 10} points simulated" in r.stdout and "Dask cluster" in r.stdout
    frame = load_results(tmp_path / "out")
    assert frame["index"].tolist() == list(range(TINY_POINTS // 2)) and frame["key"].is_unique


def test_an_unreachable_scheduler_is_a_clear_error():
    plan = plan_sweep(spec())
    from accelsim.sweep.runner import SweepContext

    s = plan.spec
    context = SweepContext(s.sha256(), "x", s.base_arch_json, "", (), s.workloads)
    with pytest.raises(AccelsimInputError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        with DaskExecutor(context, "tcp://127.0.0.1:9", timeout_s=1.0):
            pass


@pytest.mark.parametrize("address, expected", [("tcp://127.0.0.1:8786", "tcp://127.0.0.1:8786"),
                                               ("localhost:8786", "tcp://localhost:8786"),
                                               ("tls://[::1]:8786", "tls://[::1]:8786")])
def test_scheduler_addresses(address, expected):
    assert check_scheduler_address(address) == expected


@pytest.mark.parametrize("address", ["", "8786", "http://host:8786", "tcp://host", "tcp://host:0", "tcp://h:99999"])
def test_bad_scheduler_addresses_are_refused(address):
    with pytest.raises(AccelsimInputError, match="invalid --scheduler"):
        check_scheduler_address(address)


@pytest.mark.slow
def test_the_clients_limits_reach_the_remote_workers(cluster):
    """A limit set in the client (set_limits or ACCELSIM_LIMIT_*) governs the points a remote worker runs."""
    from dataclasses import asdict, replace

    from distributed import Client

    from accelsim import __version__
    from accelsim.limits import current
    from accelsim.sweep.runner import SweepContext, run_chunk

    plan = plan_sweep(spec(prune=["none"]))
    s = plan.spec
    loose = SweepContext(s.sha256(), __version__, s.base_arch_json, s.base_arch_source, tuple(p.path for p in s.parameters),
                         s.workloads, tuple(asdict(current()).items()))
    tight = replace(loose, limits=tuple((n, 2 if n == "max_dimension" else v) for n, v in loose.limits))
    with Client(cluster, timeout="60s") as client:
        records = client.submit(run_chunk, loose, plan.points[:2], pure=False).result()
        assert [r["inputs"]["workload"] for r in records] == ["tiny-cnn"] * 2
        with pytest.raises(AccelsimInputError, match="max_dimension"):
            client.submit(run_chunk, tight, plan.points[:2], pure=False).result()
        # the next sweep's limits replace the previous one's on the same workers
        assert len(client.submit(run_chunk, loose, plan.points[:2], pure=False).result()) == 2
