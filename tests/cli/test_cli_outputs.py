"""Output options of the CLI: '-' for standard output, paths checked before any work."""

import json

import pytest

from tests.accelsim_cli import run


@pytest.mark.parametrize("cmd", [["simulate", "--arch", "dense-ws-32x32"], ["encode"]])
def test_json_dash_writes_pure_json_to_stdout(cmd, tmp_path):
    r = run(*cmd, "--workload", "tiny-cnn", "--json", "-", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["workload"] == "tiny-cnn"
    assert "TOTAL" in r.stderr
    assert list(tmp_path.iterdir()) == []          # no file literally named '-'


@pytest.mark.parametrize("cmd", [
    ["simulate", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32", "--json", ""],
    ["encode", "--workload", "tiny-cnn", "--json", "/proc/nope/x.json"],
    ["compare", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32", "--out", "/etc/passwd"],
    ["compare", "--workload", "tiny-cnn", "--arch", "dense-ws-32x32", "--out", ""],
    ["rtl", "--arch", "dense-ws-32x32", "--out", "/etc/passwd/sub"],
    ["demo", "--quick", "--out", ""],
])
def test_unwritable_outputs_exit_2_naming_the_option(cmd):
    r = run(*cmd)
    assert r.returncode == 2, r.stderr
    option = cmd[-2]
    assert f"invalid {option}" in r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr


def test_warnings_print_one_line_without_source_and_messages_lose_escape_codes():
    import subprocess
    import sys

    code = ("import sys, warnings; from accelsim import cli; warnings.showwarning = cli._show_warning; "
            "warnings.warn('weights are \\x1b[31mnot\\x1b[0m 2:4'); sys.exit(0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stderr == "accelsim: warning: weights are not 2:4\n"
    r = run("arch", "/nonexistent/\x1b[31mred.yaml")
    assert r.returncode == 2 and "\x1b" not in r.stderr
