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


def test_input_read_bandwidth_shown_and_checked(tmp_path, arch_dir):
    r = run("arch", str(arch_dir / "dense-ws-32x32.yaml"))
    assert "input reads   32 B/cycle from the input SRAM (32 activations/cycle; default: one per array row)" \
        in r.stdout
    text = (arch_dir / "dense-ws-32x32.yaml").read_text()
    path = tmp_path / "arch.yaml"
    path.write_text(text.replace("output_kib: 128}", "output_kib: 128, input_read_bytes_per_cycle: 0}")
                    .replace("rows: 32", "rows: 0"))
    r = run("arch", str(path))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "array.rows: got 0" in r.stderr
    assert ('buffers.input_read_bytes_per_cycle: got 0; allowed: a number of bytes/cycle from 0.001 to 1000000, '
            'or "unlimited"') in r.stderr
    path.write_text(text.replace("output_kib: 128}", "output_kib: 128, input_read_bytes_per_cycle: 96}"))
    r = run("arch", str(path))
    assert r.returncode == 0 and "input reads   96 B/cycle from the input SRAM (96 activations/cycle)" in r.stdout
