"""Fuzz: every bad input of tests/fuzz/cases.py is refused cleanly (exit 2, field named, no traceback).

``make test`` runs the fast subset (the ``core`` cases and a seeded fifth of the
rest); ``make fuzz`` (``ACCELSIM_FUZZ=full``) runs all of them. The cases run
in-process in a child with a memory cap (tests/fuzz/harness.py); each must
finish within 20 s.
"""

import collections
import os

import pytest

from tests.fuzz.cases import Case, all_cases, fast_cases
from tests.fuzz.harness import problems_of, run_cases

FULL = os.environ.get("ACCELSIM_FUZZ", "").lower() == "full"
CASES = all_cases() if FULL else fast_cases()

pytestmark = pytest.mark.xdist_group("fuzz")


@pytest.fixture(scope="module")
def outcomes():
    """Every selected case run once (in child processes), ``{id: result}``."""
    return run_cases([c.id for c in CASES])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_cleanly(case, outcomes):
    result = outcomes[case.id]
    issues = problems_of(case, result)
    assert not issues, f"{' '.join(case.argv)[:300]}\n{issues}\nstderr:\n{result['stderr'][-2000:]}"


def test_the_full_set_covers_every_subcommand_and_input_kind():
    cases = all_cases()
    assert len(cases) >= 1000
    commands = collections.Counter(c.argv[0] for c in cases if c.argv)
    for cmd in ("arch", "encode", "simulate", "compare", "sweep", "copruning", "rtl", "verify", "demo"):
        assert commands[cmd] >= 5, (cmd, commands)
    groups = {c.id.split("/", 1)[0] for c in cases}
    for kind in ("arch-file", "cfg", "energy-table", "workload-yaml", "workload-size", "csv", "checkpoint-st",
                 "checkpoint-torch", "sweep", "option", "size"):
        assert kind in groups, kind
    assert len({c.id for c in cases}) == len(cases)
    assert 200 <= len(fast_cases()) < len(cases)


def test_the_checker_flags_a_run_that_is_not_a_clean_refusal(tmp_path):
    """The harness itself can fail: a valid input (exit 0) and a message without the field are reported."""
    from tests.accelsim_cli import run

    (tmp_path / "arch.yaml").write_text("name: x\n")
    good = Case("meta/valid", ("arch", "nm24-ws-32x32"), ("array.rows",))
    bad_field = Case("meta/wrong-field", ("arch", "arch.yaml"), ("no-such-field-name",))
    results = {}
    for case in (good, bad_field):
        r = run(*case.argv, cwd=tmp_path)
        results[case.id] = {"rc": r.returncode, "stdout": r.stdout, "stderr": r.stderr, "timeout": False}
    assert "exit status 0, not 2" in problems_of(good, results["meta/valid"])
    assert problems_of(bad_field, results["meta/wrong-field"]) == [
        "stderr names none of ['no-such-field-name']"]
