"""``accelsim copruning`` as a user runs it: clear errors (exit 2, naming the option) and the outputs."""

import json
import math

import pytest
from accelsim_cli import run


def _args(tmp_path, *extra):
    return ("copruning", "--out", str(tmp_path / "out"), "--pretrain-epochs", "1", "--finetune-epochs", "0", *extra)


def _fails(r, *fragments):
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    for f in fragments:
        assert f in r.stderr, r.stderr
    return r.stderr


def test_unknown_task(tmp_path):
    _fails(run(*_args(tmp_path, "--task", "mnist", "--arch", "nm24-ws-32x32")),
           "--task: got 'mnist'", "digits")


def test_arch_without_sparsity(tmp_path):
    _fails(run(*_args(tmp_path, "--task", "digits", "--arch", "dense-ws-32x32")),
           "--arch: got 'dense-ws-32x32'", "dense PE")


def test_impossible_target(tmp_path):
    err = _fails(run(*_args(tmp_path, "--task", "digits", "--arch", "nm24-ws-32x32", "--target-energy", "1000")),
                 "--target-energy: got 1000.0", "at least")
    assert not (tmp_path / "out").exists()


def test_bad_numbers_are_listed_together(tmp_path):
    _fails(run(*_args(tmp_path, "--task", "digits", "--arch", "nm24-ws-32x32", "--max-accuracy-drop", "-3",
                      "--objective", "speed", "--margin-se", "-1")),
           "--max-accuracy-drop: got -3.0", "--objective: got 'speed'", "--margin-se: got -1.0")


def test_targets_are_exclusive(tmp_path):
    r = run(*_args(tmp_path, "--task", "digits", "--arch", "nm24-ws-32x32", "--target-energy", "5e6",
                   "--target-latency", "3000"))
    assert r.returncode == 2 and "not allowed with argument" in r.stderr


def test_out_that_holds_user_files_is_refused_before_work(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "thesis.tex").write_text("mine")
    _fails(run(*_args(tmp_path, "--task", "digits", "--arch", "nm24-ws-32x32")), "--out", "thesis.tex")


@pytest.mark.slow
def test_end_to_end_outputs_and_reload(tmp_path):
    out = tmp_path / "out"
    r = run("copruning", "--task", "digits", "--arch", "nm24-ws-32x32", "--arch", "block4x4-ws-32x32",
            "--pretrain-epochs", "4", "--finetune-epochs", "1", "--refine-steps", "1", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "copruning: step" in r.stderr and "left" in r.stderr           # progress on the terminal
    for name in ("plan.json", "model.safetensors", "model_state.safetensors", "pareto.png", "report.md",
                 "report.html"):
        assert (out / name).stat().st_size > 0
    plan = json.loads((out / "plan.json").read_text())
    assert plan["winner"] in ("nm24-ws-32x32", "block4x4-ws-32x32") and plan["runner_up"] != plan["winner"]
    for key in ("dense", "copruned", "magnitude_baseline", "nm24_baseline"):
        for field in ("accuracy", "energy_pj", "cycles", "sparsity"):
            assert math.isfinite(plan[key][field]), (key, field)
    assert plan["copruned"]["energy_pj"] <= plan["dense"]["energy_pj"]
    assert "winner" in r.stdout and "report.html" in r.stdout

    # the saved model loads back through `accelsim simulate --workload` and measures what plan.json says
    block = plan["per_arch"][plan["winner"]]
    cmd = block["reproduce"].split()[1:]
    cmd[cmd.index("model.safetensors")] = str(out / "model.safetensors")
    sim = run(*cmd, "--json", str(tmp_path / "sim.json"))
    assert sim.returncode == 0, sim.stderr
    total = json.loads((tmp_path / "sim.json").read_text())["total"]
    assert total["cycles"] == plan["copruned"]["cycles"]
    assert total["energy_pj"] == plan["copruned"]["energy_pj"]


def test_help_and_a_light_parser():
    r = run("copruning", "--help")
    assert r.returncode == 0 and "--max-accuracy-drop" in r.stdout and "--target-energy" in r.stdout
    import subprocess
    import sys
    code = ("import sys, accelsim.cli as c; c.build_parser(); "
            "print('torch' in sys.modules, 'accelsim.codesign.search' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"], out.stdout + out.stderr


@pytest.mark.parametrize("value, fragment", [("1", "--confirm-folds: got 1; allowed: 0 (no confirmation) or an "
                                                     "integer from 2 to 8"),
                                             ("9", "--confirm-folds: got 9"),
                                             ("-1", "--confirm-folds: got -1"),
                                             ("x", "--confirm-folds")])
def test_bad_confirm_folds(tmp_path, value, fragment):
    _fails(run(*_args(tmp_path, "--task", "digits", "--arch", "nm24-ws-32x32", "--confirm-folds", value)), fragment)
    assert not (tmp_path / "out").exists()
