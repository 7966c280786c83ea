"""`accelsim arch`: exit codes and messages for every kind of input, never a traceback."""

import pytest

from accelsim_cli import run


def test_valid_file(arch_dir):
    r = run("arch", str(arch_dir / "dense-ws-32x32.yaml"))
    assert r.returncode == 0, r.stderr
    assert "32 x 32 = 1024 PEs" in r.stdout and "valid" in r.stdout


@pytest.mark.parametrize("content", [None, "", "- a\n- b\n", ": : :\n  - [", "array: {rows: -3}\n",
                                     "\x00\x01binary"])
def test_bad_inputs_exit_2_without_traceback(tmp_path, content):
    path = tmp_path / "arch.yaml"
    if content is not None:
        path.write_text(content)
    r = run("arch", str(path))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.startswith("accelsim arch: ")


def test_directory_is_rejected(tmp_path):
    r = run("arch", str(tmp_path))
    assert r.returncode == 2 and "is a directory" in r.stderr


def test_no_command_prints_help():
    r = run()
    assert r.returncode == 2 and "simulate" in r.stdout


@pytest.mark.parametrize("cmd", ["arch", "encode", "simulate", "compare", "rtl", "verify", "demo"])
def test_help_of_each_subcommand(cmd):
    r = run(cmd, "--help")
    assert r.returncode == 0 and "usage: accelsim " + cmd in r.stdout


def test_unknown_option_exit_2():
    r = run("arch", "--bogus")
    assert r.returncode == 2 and "Traceback" not in r.stderr
