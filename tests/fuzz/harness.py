"""Run fuzz cases through ``accelsim.cli.main`` in-process, in a child process with a memory cap.

A child process runs the cases one after another: for each one it writes the
case's input files into a fresh folder, makes it the working directory and
calls ``accelsim.cli.main(argv)`` with standard output and error captured. A
case still running after :data:`CASE_SECONDS` is interrupted by a timer (and
reported as a hang); a case stuck in compiled code, or one that kills the
child, is found by the parent, which records it and starts a new child for
the remaining cases. The child's data segment is capped (``RLIMIT_DATA``), so
an allocation that the limits should have refused fails as ``MemoryError``
(an "internal error") instead of swapping the machine.

Usage: ``python -m tests.fuzz.harness [--subset fast|full] [--only ID,...]`` prints
one JSON line per case and a summary.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASE_SECONDS = 20.0
#: Time a child may take to import accelsim and build the cases before it runs the first one.
STARTUP_SECONDS = 180.0
MEMORY_CAP_BYTES = 6 * 2 ** 30
REPO = Path(__file__).resolve().parents[2]


class CaseTimeout(BaseException):
    """Raised by the per-case timer (a BaseException, so no ``except Exception`` swallows it)."""


def _on_alarm(signum, frame):  # noqa: ARG001
    raise CaseTimeout()


def run_case_in_process(case, workdir: Path) -> dict:
    """Run one case here; return ``{id, rc, stdout, stderr, seconds, timeout}``."""
    from accelsim.cli import main

    folder = workdir / case.id
    folder.mkdir(parents=True)
    for name, content in case.materialise().items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_bytes(content)
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    env_saved = {k: os.environ.get(k) for k in case.env}
    os.environ.update(case.env)
    rc, timeout = None, False
    start = time.monotonic()
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, CASE_SECONDS)
    try:
        os.chdir(folder)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                rc = main(list(case.argv))
            except SystemExit as exc:
                rc = exc.code if isinstance(exc.code, int) else 1
    except CaseTimeout:
        timeout = True
    except BaseException as exc:  # noqa: BLE001 - anything escaping main is a finding
        import traceback
        err.write("ESCAPED main(): Traceback\n" + "".join(traceback.format_exception(exc)))
        rc = -1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        os.chdir(cwd)
        for key, value in env_saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    seconds = time.monotonic() - start
    shutil.rmtree(folder, ignore_errors=True)
    return {"id": case.id, "rc": rc, "stdout": out.getvalue()[-4000:], "stderr": err.getvalue()[-8000:],
            "seconds": round(seconds, 3), "timeout": timeout}


def _warm_up(workdir: Path) -> None:
    """Import the heavy modules and load the Numba kernels once, so a case's time is its own work."""
    import importlib

    for name in ("torch", "amaranth", "accelsim.workload.checkpoint", "accelsim.rtl.export", "accelsim.rtl.verify",
                 "accelsim.report", "accelsim.sweep.api", "accelsim.codesign.api"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    from tests.fuzz.cases import Case

    run_case_in_process(Case("warm-up", ("simulate", "--workload", "tiny-cnn", "--arch", "nm24-ws-32x32",
                                         "--prune", "nm:2:4"), ()), workdir)


def _child(ids: list[str], results_path: Path) -> None:
    """Child process body: run ``ids`` in order, appending one JSON line per case."""
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))
    except (ValueError, OSError):
        pass
    import warnings
    warnings.simplefilter("default")
    from tests.fuzz.cases import cases_by_id

    by_id = cases_by_id()
    workdir = Path(tempfile.mkdtemp(prefix="accelsim-fuzz-"))
    _warm_up(workdir)
    try:
        with open(results_path, "a", encoding="utf-8") as log:
            for case_id in ids:
                log.write(json.dumps({"start": case_id}) + "\n")
                log.flush()
                result = run_case_in_process(by_id[case_id], workdir)
                log.write(json.dumps(result) + "\n")
                log.flush()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_cases(ids: list[str], *, per_case_seconds: float = CASE_SECONDS + 10.0) -> dict[str, dict]:
    """Run ``ids`` in child processes; return ``{id: result}`` (a dead or stuck child's case included)."""
    results: dict[str, dict] = {}
    remaining = list(ids)
    with tempfile.TemporaryDirectory(prefix="accelsim-fuzz-log-") as tmp:
        log_path = Path(tmp) / "results.jsonl"
        while remaining:
            log_path.write_text("")
            ids_path = Path(tmp) / "ids.json"
            ids_path.write_text(json.dumps(remaining))
            env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
            proc = subprocess.Popen([sys.executable, "-m", "tests.fuzz.harness", "--child", str(ids_path),
                                     str(log_path)], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, text=True)
            last_progress, seen_lines = time.monotonic(), 0
            while proc.poll() is None:
                time.sleep(0.2)
                lines = log_path.read_text(encoding="utf-8").splitlines()
                if len(lines) != seen_lines:
                    seen_lines, last_progress = len(lines), time.monotonic()
                elif time.monotonic() - last_progress > (per_case_seconds if seen_lines else STARTUP_SECONDS):
                    proc.kill()
                    break
            proc.wait()
            child_err = proc.stderr.read() if proc.stderr else ""
            in_flight = None
            for line in log_path.read_text(encoding="utf-8").splitlines():
                item = json.loads(line)
                if "start" in item:
                    in_flight = item["start"]
                else:
                    results[item["id"]] = item
                    in_flight = None
            if in_flight is not None:
                results[in_flight] = {"id": in_flight, "rc": None, "stdout": "", "seconds": per_case_seconds,
                                      "timeout": True, "stderr": "child process died or hung: " + child_err[-4000:]}
            elif proc.returncode != 0 and not [i for i in remaining if i not in results]:
                break
            left = [i for i in remaining if i not in results]
            if left and len(left) == len(remaining) and in_flight is None:
                for i in left:  # the child could not start at all
                    results[i] = {"id": i, "rc": None, "stdout": "", "seconds": 0.0, "timeout": False,
                                  "stderr": "child process failed to start: " + child_err[-4000:]}
                break
            remaining = left
    return results


def problems_of(case, result: dict) -> list[str]:
    """What is wrong with a case's outcome (empty when it is a clean refusal naming its field)."""
    found = []
    err = result.get("stderr", "")
    text = (err + "\n" + result.get("stdout", "")).lower()
    if result.get("timeout"):
        found.append(f"did not finish within {CASE_SECONDS:g} s")
    if result.get("rc") != 2:
        found.append(f"exit status {result.get('rc')}, not 2")
    if "traceback" in text:
        found.append("a traceback was printed")
    if "internal error" in text:
        found.append("an internal error was reported")
    if not any(f.lower() in err.lower() for f in case.fields):
        found.append(f"stderr names none of {list(case.fields)}")
    return found


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--child", nargs=2, metavar=("IDS_JSON", "LOG"))
    p.add_argument("--subset", choices=("fast", "full"), default="fast")
    p.add_argument("--only", default=None, help="comma list of case ids (or id prefixes)")
    p.add_argument("--show", action="store_true", help="print every case's stderr")
    args = p.parse_args(argv)
    if args.child:
        _child(json.loads(Path(args.child[0]).read_text()), Path(args.child[1]))
        return 0
    from tests.fuzz.cases import all_cases, fast_cases

    cases = all_cases() if args.subset == "full" else fast_cases()
    if args.only:
        wanted = args.only.split(",")
        cases = [c for c in cases if any(c.id == w or c.id.startswith(w) for w in wanted)]
    t0 = time.monotonic()
    results = run_cases([c.id for c in cases])
    bad = 0
    for case in cases:
        res = results[case.id]
        issues = problems_of(case, res)
        if issues or args.show:
            bad += bool(issues)
            print(json.dumps({"id": case.id, "argv": list(case.argv), "issues": issues, "rc": res["rc"],
                              "seconds": res["seconds"], "stderr": res["stderr"][-1500:]}))
    print(f"{len(cases)} cases, {bad} with issues, {time.monotonic() - t0:.1f} s", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
