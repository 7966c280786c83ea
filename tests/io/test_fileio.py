"""Atomic files and folders, output-path checks, stale temporaries and signals (accelsim.fileio)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from accelsim.errors import AccelsimInputError
from accelsim.fileio import (OUTPUT_MARKER, atomic_output_dir, atomic_write_text, check_output_dir,
                             check_output_file, remove_stale_temporaries, write_json_output)


def _temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".accelsim-" in p.name)


def test_atomic_file_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    os.chmod(target, 0o640)
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert _temporaries(tmp_path) == []


def test_output_folder_is_swapped_in_whole(tmp_path):
    out = tmp_path / "report"
    with atomic_output_dir(out) as staging:
        (staging / "a.txt").write_text("1")
        assert not out.exists()                     # nothing visible before the end
    assert (out / "a.txt").read_text() == "1" and (out / OUTPUT_MARKER).is_file()
    (out / "notes.md").write_text("mine")           # a user's own file
    with atomic_output_dir(out) as staging:
        (staging / "a.txt").write_text("2")
        assert (out / "a.txt").read_text() == "1"   # the old run stays whole meanwhile
    assert (out / "a.txt").read_text() == "2"
    assert (out / "notes.md").read_text() == "mine"
    assert _temporaries(tmp_path) == []


def test_failed_run_leaves_the_old_folder_and_no_temporary(tmp_path):
    out = tmp_path / "report"
    with atomic_output_dir(out) as staging:
        (staging / "a.txt").write_text("1")
    with pytest.raises(RuntimeError):
        with atomic_output_dir(out) as staging:
            (staging / "a.txt").write_text("half")
            raise RuntimeError("killed half-way")
    assert (out / "a.txt").read_text() == "1"
    assert _temporaries(tmp_path) == []


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale_file = tmp_path / f".out.json.accelsim-{dead}-0123ab.tmp"
    stale_dir = tmp_path / f".report.accelsim-{dead}-0123ab.tmp"
    live = tmp_path / f".out.json.accelsim-{os.getpid()}-0123ab.tmp"
    stale_file.write_text("x")
    stale_dir.mkdir()
    live.write_text("x")
    atomic_write_text(tmp_path / "out.json", "{}")
    assert not stale_file.exists() and stale_dir.exists() and live.exists()
    remove_stale_temporaries(tmp_path)
    assert not stale_dir.exists() and live.exists()


@pytest.mark.parametrize("bad, why", [
    ("", "not empty"),
    ("/etc/passwd/x.json", "is not a folder"),
    ("/proc/x.json", "cannot write"),
    ("a" * 300 + ".json", "bytes long"),
])
def test_bad_output_files_are_refused_before_any_work(tmp_path, bad, why):
    with pytest.raises(AccelsimInputError, match="--json") as info:
        check_output_file(bad, "--json")
    assert why in str(info.value)


def test_output_file_that_is_a_folder_and_folder_that_is_a_file(tmp_path):
    with pytest.raises(AccelsimInputError, match="is a folder"):
        check_output_file(tmp_path, "--json")
    (tmp_path / "f").write_text("x")
    with pytest.raises(AccelsimInputError, match="not a folder"):
        check_output_dir(tmp_path / "f", "--out")
    assert check_output_file("-", "--json", allow_stdout=True) == "-"


def test_a_foreign_folder_is_not_replaced(tmp_path):
    (tmp_path / "thesis.tex").write_text("years of work")
    with pytest.raises(AccelsimInputError, match="did not write"):
        check_output_dir(tmp_path, "--out")
    assert check_output_dir(tmp_path / "new", "--out")
    (tmp_path / "results.json").write_text("{}")
    assert check_output_dir(tmp_path, "--out", recognise=("results.json",))


def test_json_dash_means_standard_output(capsys):
    assert write_json_output("-", {"b": 1, "a": [1.5]}) == "standard output"
    assert capsys.readouterr().out == '{\n  "a": [\n    1.5\n  ],\n  "b": 1\n}\n'


_WRITER = """
import signal, sys, time
from accelsim.cli import _install_signal_handlers
# as in an interactive shell: a background job or a test runner may start us with SIGINT ignored
signal.signal(signal.SIGINT, signal.default_int_handler)
from accelsim.fileio import atomic_output_dir
_install_signal_handlers()
try:
    with atomic_output_dir(sys.argv[1]) as staging:
        (staging / "part.txt").write_text("half")
        print("ready", flush=True)
        time.sleep(60)
except KeyboardInterrupt:
    sys.exit(143)
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_mid_write_leaves_no_temporary(tmp_path, signum):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(out)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signum)
    assert proc.wait(timeout=30) != 0
    assert not out.exists()
    assert _temporaries(tmp_path) == []


def test_sigterm_during_accelsim_rtl_leaves_old_or_new_never_a_mix(tmp_path):
    out = tmp_path / "rtl"
    cmd = [sys.executable, "-m", "accelsim", "rtl", "--arch", "dense-ws-32x32", "--out", str(out)]
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=120)
    after = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    if rc == 0:     # it finished before the signal: all files are new
        assert all(after[n] != before[n] for n in before if n in after)
    else:
        # 143: the handler ran and cleaned up; -SIGTERM: the signal came before the
        # interpreter had installed it (nothing was written yet). Either way: no mix.
        assert rc in (128 + signal.SIGTERM, -signal.SIGTERM), proc.stderr.read()
        assert after == before
    assert _temporaries(tmp_path) == []
