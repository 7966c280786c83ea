"""rtl.fast_stimulus: random PE events drawn in Numba, checked against the Python spec and the old generator.

Every cycle of a fast trace built from the drawn events is replayed through
PEModel; the events themselves are decoded into Job objects and run through
the Python ``pe_trace``, whose results must equal the drawn references; and
the draws must cover what ``random_pe_trials`` covers, with the same
statistics.
"""

import numpy as np
import pytest
from test_rtl_fast_reference import _replay_pe

from accelsim.errors import AccelsimInputError
from accelsim.rtl.arrays.stimulus import full_width_pe_trials
from accelsim.rtl.fast_pe import encode_jobs, fast_pe_trace
from accelsim.rtl.fast_stimulus import concat_events, pe_verify_events, random_pe_events, rows_events
from accelsim.rtl.stimulus import Job, WindowWrite, _random_row, job_from_row, random_operand, random_pe_trials
from accelsim.rtl.trace import pe_trace
from accelsim.sim.pe_model import Beat, PEConfig
from accelsim.spec import load_arch
from accelsim.spec.load import bundled_arch_dir

BUNDLED = sorted(p.stem for p in bundled_arch_dir().glob("*.yaml"))


def _cfg(name) -> PEConfig:
    return PEConfig.from_arch(load_arch(name))


def _jobs(cfg, ev) -> list:
    """Decode event arrays into trials of :class:`Job` (expected values from ``refs``)."""
    ni, na = cfg.indices_per_beat, cfg.acts_per_beat
    trials, out = [], 0
    for t in range(len(ev["outs"])):
        jobs, events = [], []
        for e in range(ev["starts"][t], ev["starts"][t + 1]):
            if ev["typ"][e]:
                events.append(WindowWrite(int(ev["addr"][e]), int(ev["val"][e])))
                continue
            events.append(Beat(tuple(int(v) for v in ev["w"][e]), tuple(int(v) for v in ev["idx"][e, :ni]),
                               tuple(int(v) for v in ev["acts"][e, :na]), int(ev["sub"][e]),
                               bool(ev["last"][e])))
            if ev["last"][e]:
                jobs.append(Job(tuple(events), int(ev["refs"][out]), 0))
                events, out = [], out + 1
        assert not events and len(jobs) == ev["outs"][t]
        trials.append(jobs)
    return trials


def _outputs(ev):
    """Per output: (first event, end event) ranges."""
    ends = np.flatnonzero((ev["typ"] == 0) & (ev["last"] == 1)) + 1
    return np.concatenate([[0], ends[:-1]]), ends


@pytest.mark.parametrize("name", BUNDLED)
def test_fast_stimulus_trace_equals_python_model(name):
    cfg = _cfg(name)
    ev = random_pe_events(cfg, 40, seed=7)
    tr = fast_pe_trace(cfg, ev, seed=4)
    assert len(tr.trial_starts) == 40 and tr.cycles > 40 * 3
    assert _replay_pe(cfg, tr) == []
    np.testing.assert_array_equal(tr.model_results, tr.reference_results)
    np.testing.assert_array_equal(tr.reference_results, ev["refs"])
    # back-pressure and bubbles happened
    assert 0 < tr.inputs["out_ready"][:, 0].sum() < tr.cycles
    assert np.any(tr.expected["in_ready"][:, 0] == 0)
    v = tr.inputs["in_valid"][:, 0]
    assert np.any((v[1:-1] == 0) & (v[:-2] == 1) & (v[2:] == 1))


@pytest.mark.parametrize("name", BUNDLED)
def test_drawn_references_equal_the_python_spec(name):
    """The events, decoded into Jobs and run through pe_trace (PEModel), give the drawn references."""
    cfg = _cfg(name)
    ev = random_pe_events(cfg, 30, seed=2)
    tr = pe_trace(cfg, _jobs(cfg, ev), seed=1)
    got = np.array([r for trial in tr.model_results for r in trial], dtype=np.int64)
    np.testing.assert_array_equal(got, ev["refs"])


def test_replay_and_spec_checks_catch_a_broken_trace():
    """The checks above have teeth: one wrong output word or one wrong reference is reported."""
    cfg = _cfg("nm24-ws-32x32")
    ev = random_pe_events(cfg, 12, seed=3)
    tr = fast_pe_trace(cfg, ev, seed=4)
    c = int(np.flatnonzero(tr.out_valid)[3])
    tr.expected["out_data"][c, 0] ^= 1
    assert _replay_pe(cfg, tr) == [c]
    ev["refs"][5] += 1
    tr = pe_trace(cfg, _jobs(cfg, ev), seed=1)
    got = np.array([r for trial in tr.model_results for r in trial], dtype=np.int64)
    assert np.flatnonzero(got != ev["refs"]).tolist() == [5]


@pytest.mark.parametrize("name", BUNDLED)
def test_stimulus_covers_extremes_lengths_zero_rows_and_garbage(name):
    cfg = _cfg(name)
    ev = random_pe_events(cfg, 200, seed=5)
    beat = ev["typ"] == 0
    w = ev["w"][beat]
    wlo, whi = -(1 << (cfg.weight_bits - 1)), (1 << (cfg.weight_bits - 1)) - 1
    alo, ahi = -(1 << (cfg.activation_bits - 1)), (1 << (cfg.activation_bits - 1)) - 1
    assert w.min() == wlo and w.max() == whi
    acts = ev["acts"][beat][:, :cfg.acts_per_beat] if cfg.acts_per_beat else ev["val"][~beat]
    assert acts.min() == alo and acts.max() == ahi and np.mean(acts == 0) > 0.2
    assert set(ev["outs"].tolist()) == {1, 2, 3, 4}
    first, end = _outputs(ev)
    beats = np.array([beat[a:b].sum() for a, b in zip(first, end)])
    assert beats.min() == 1 and len(set(beats.tolist())) >= 8
    all_zero = [not np.any(ev["w"][a:b][beat[a:b]]) for a, b in zip(first, end)]
    assert 0 < sum(all_zero) < len(all_zero)
    if cfg.kind == "nm":
        idx = ev["idx"][beat]
        nonzero = w != 0
        assert (nonzero.sum(axis=1) <= cfg.n).all() and np.any(nonzero.sum(axis=1) == cfg.n)
        assert np.all(idx[nonzero] < cfg.m)
        both = nonzero.all(axis=1)
        assert np.all(idx[both, 0] != idx[both, 1])
        assert len(set(idx[~nonzero].tolist())) > 1          # random indices on unused lanes
    if cfg.kind in ("unstructured", "block"):
        assert (~beat).sum() > 0 and ev["addr"][~beat].max() < cfg.window_words
        assert len(set(ev["idx"][beat][:, 0].tolist())) > 4
    if cfg.kind == "block":
        assert set(ev["sub"][beat].tolist()) == set(range(cfg.beats_per_block))


def _stats(cfg, ev) -> np.ndarray:
    """Outputs per trial, beats and window writes per output, zero and extreme weights per beat lane."""
    beat = ev["typ"] == 0
    w = ev["w"][beat]
    lo, hi = -(1 << (cfg.weight_bits - 1)), (1 << (cfg.weight_bits - 1)) - 1
    n_out = ev["outs"].sum()
    return np.array([ev["outs"].mean(), beat.sum() / n_out, (~beat).sum() / n_out + 1,
                     np.mean(w == 0), np.mean((w == lo) | (w == hi))])


@pytest.mark.parametrize("name", BUNDLED)
def test_same_distribution_as_the_job_generator(name):
    """Means of the drawn stimulus are those of random_pe_trials (the readable generator)."""
    cfg = _cfg(name)
    new = _stats(cfg, random_pe_events(cfg, 600, seed=9))
    old = _stats(cfg, encode_jobs(cfg, random_pe_trials(cfg, 600, seed=9)))
    np.testing.assert_allclose(new, old, rtol=0.15)


def test_seeded_and_deterministic():
    cfg = _cfg("block4x4-ws-32x32")
    a, b, c = (random_pe_events(cfg, 30, seed=s) for s in (3, 3, 4))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not all(np.array_equal(a[k], c[k]) for k in a if a[k].shape == c[k].shape) \
        or any(a[k].shape != c[k].shape for k in a)


def test_concat_keeps_directed_trials_first():
    cfg = _cfg("dense-ws-32x32")
    directed = encode_jobs(cfg, full_width_pe_trials(cfg))
    ev = concat_events(directed, random_pe_events(cfg, 5, seed=1))
    assert len(ev["outs"]) == len(directed["outs"]) + 5
    for key in ev:
        np.testing.assert_array_equal(ev[key], pe_verify_events(cfg, len(directed["outs"]) + 5, 1)[key])
    random_only = pe_verify_events(cfg, 5, 1, full_width=False)
    np.testing.assert_array_equal(random_only["refs"], random_pe_events(cfg, 5, seed=1)["refs"])
    n = len(directed["typ"])
    assert ev["starts"][len(directed["outs"])] == n
    np.testing.assert_array_equal(ev["w"][:n], directed["w"])
    tr = fast_pe_trace(cfg, ev, seed=2)
    np.testing.assert_array_equal(tr.model_results, tr.reference_results)
    assert np.abs(tr.reference_results[:len(directed["refs"])]).max() > 1 << 24


@pytest.mark.parametrize("name", BUNDLED)
def test_rows_are_encoded_as_job_from_row_does(name):
    """rows_events (the kernels' encoder) gives job_from_row's events, up to the random garbage."""
    cfg = _cfg(name)
    rng = np.random.default_rng(4)
    rows = []
    for k in list(range(1, 40)) + [97, 300]:
        w, stored = _random_row(cfg, rng, k)
        if cfg.kind == "block":       # rows_events stores the row's nonzero blocks
            c = cfg.block_cols
            w[[j for j in range(k) if not np.any(w[j // c * c:(j // c + 1) * c])]] = 0
        rows.append((w, random_operand(rng, cfg.activation_bits, k, zero_fraction=0.3)))
    new = rows_events(cfg, rows, seed=3)
    old = encode_jobs(cfg, [[job_from_row(cfg, w, a, rng)] for w, a in rows])
    for key in ("typ", "w", "acts", "addr", "val", "last", "starts", "outs", "refs"):
        np.testing.assert_array_equal(new[key], old[key], err_msg=key)
    beat = new["typ"] == 0
    first, end = _outputs(new)
    empty = np.zeros_like(beat)
    for a, b in zip(first, end):
        empty[a:b] = cfg.kind in ("unstructured", "block") and not np.any(~beat[a:b])
    used = (new["w"] != 0) if cfg.kind in ("nm", "unstructured") else np.ones_like(new["idx"], bool)
    used &= (beat & ~empty)[:, None]
    np.testing.assert_array_equal(new["idx"][used], old["idx"][used])
    np.testing.assert_array_equal(new["sub"][~empty], old["sub"][~empty])
    assert empty.any() == (cfg.kind in ("unstructured", "block"))


@pytest.mark.parametrize("bad", [dict(trials=-1), dict(seed=-2), dict(max_outputs=0), dict(max_k=0)])
def test_bad_arguments_are_named(bad):
    args = dict(trials=2, seed=0) | bad
    with pytest.raises(AccelsimInputError, match=f"invalid {next(iter(bad))}"):
        random_pe_events(_cfg("dense-ws-32x32"), **args)


@pytest.mark.verilator
@pytest.mark.parametrize("name", BUNDLED)
def test_verilator_fast_path_passes_and_catches_a_mutant(have_verilator, tmp_path, name):
    """verify(simulator="verilator") on a PE runs the drawn events: the emitted PE passes, a mutant fails."""
    import verilog_mutants as vm

    from accelsim.rtl.export import generate
    from accelsim.rtl.verify import verify

    arch = load_arch(name)
    cfg = PEConfig.from_arch(arch)
    manifest = generate(arch, tmp_path, array_shape=(2, 2))
    top = manifest["tops"][0]
    clean = verify(arch, trials=30, seed=6, simulator="verilator", verilog=tmp_path / top["file"])
    assert clean.ok and clean.kind == "pe" and clean.trials == 30, str(clean.first_mismatch)
    ev = pe_verify_events(cfg, 30, seed=6)
    assert len(ev["outs"]) == 30
    assert clean.cycles == fast_pe_trace(cfg, ev, seed=6).cycles
    broken = tmp_path / "mutant.v"
    broken.write_text(vm.accumulate_subtracts((tmp_path / top["file"]).read_text(), top["name"]))
    result = verify(arch, trials=30, seed=6, simulator="verilator", verilog=broken, top=top["name"])
    assert not result.ok and result.first_mismatch is not None


def test_a_trace_that_never_finishes_raises_instead_of_growing():
    """A trial waiting for an output that is never streamed is reported as a deadlock."""
    cfg = _cfg("dense-ws-32x32")
    ev = random_pe_events(cfg, 3, seed=1)
    ev["outs"] = ev["outs"] + np.array([0, 1, 0])
    with pytest.raises(RuntimeError, match="model deadlock"):
        fast_pe_trace(cfg, ev, seed=1)
