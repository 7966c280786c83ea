"""Files of a co-pruning run: ``plan.json``, ``model.safetensors`` (+ ``model_state.safetensors``),
``pareto.png``, ``report.md/html``.

``plan.json`` holds only what the seed determines (no wall times), so the same
seed gives the same file byte for byte; the search time is in the report.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from accelsim.codesign.arch_search import plan_label
from accelsim.codesign.candidates import DENSE, candidate_family
from accelsim.codesign.export import save_pruned_model, save_state_dict
from accelsim.codesign.measure import format_label
from accelsim.fileio import atomic_write_bytes, atomic_write_json, atomic_write_text

__all__ = ["PLAN_SCHEMA", "OUTPUT_FILES", "plan_dict", "write_outputs", "reproduce_command", "pareto_png"]

PLAN_SCHEMA = "accelsim-copruning-plan/1"
#: Files a run writes (``check_output_dir`` recognises a folder holding them as an earlier run).
OUTPUT_FILES = ("plan.json", "model.safetensors", "model_state.safetensors", "pareto.png", "report.md",
                "report.html")
_MODELS = ("dense", "copruned", "magnitude_baseline", "nm24_baseline")


# ----------------------------------------------------------------------------- plan.json
def _module_layers(result, measure) -> dict:
    """``{module: (energy_pj, cycles)}`` summed over the traced layers of each module."""
    layer_module = result.trainer.layer_module
    out = {m: [0.0, 0] for m in result.modules}
    for row in measure.layers:
        module = layer_module.get(row["name"])
        if module is not None:
            out[module][0] += row["energy_pj"]
            out[module][1] += row["cycles"]
    return out


def _confirmation(result, trained) -> dict:
    check = result.confirm_check(trained)
    if check is None:
        return {"confirmed": None, "confirm_drop_pp": None, "confirm_drop_se_pp": None}
    return {"confirmed": check.within, "confirm_drop_pp": check.drop_pp, "confirm_drop_se_pp": check.se_pp}


def _summary(result, trained, measure, within_budget: bool) -> dict:
    check = result.budget_check(trained)
    conf = _confirmation(result, trained)
    if conf["confirmed"] is False:
        within_budget = False
    return {**conf, "accuracy": trained.accuracy, "val_accuracy": trained.val_accuracy, "val_loss": trained.val_loss,
            "val_drop_pp": check.drop_pp, "val_drop_se_pp": check.se_pp,
            "energy_pj": measure.energy_pj, "cycles": measure.cycles, "latency_s": measure.latency_s,
            "sparsity": trained.sparsity, "format": format_label(measure.format), "within_budget": within_budget,
            "plan": trained.label}


def _layers(result, trained, measure) -> list:
    costs = _module_layers(result, measure)
    rows = []
    for m in result.modules:
        info = result.layer_info[m]
        choice = trained.choices.get(m, DENSE)
        params = 1
        for s in info.weight_shape:
            params *= int(s)
        rows.append({"name": m, "kind": info.kind, "weight_shape": list(info.weight_shape), "params": params,
                     "choice": choice, "family": candidate_family(choice),
                     "sparsity": trained.module_sparsity[m], "energy_pj": costs[m][0], "cycles": costs[m][1]})
    return rows


def _ratio(a, b):
    return a / b if b else None


def _arch_block(result, arch) -> dict:
    name = arch.name
    outcome = result.outcomes[name]
    best = outcome.best
    dense_m = result.measure(result.dense, name, ("dense",))
    block = {"dense": _summary(result, result.dense, dense_m, True)}
    cop = _summary(result, best.trained, best.measure, best.feasible)
    cop["layers"] = _layers(result, best.trained, best.measure)
    block["copruned"] = cop
    for key, trained in result.baselines.items():
        m = result.measure(trained, name)
        block[key] = _summary(result, trained, m, result.budget_check(trained).within)
        block[key]["note"] = result.baseline_notes.get(key, "")
    mag = block["magnitude_baseline"]
    block["ratios"] = {
        "copruned_vs_dense": {"energy": _ratio(cop["energy_pj"], block["dense"]["energy_pj"]),
                              "latency": _ratio(cop["cycles"], block["dense"]["cycles"])},
        "copruned_vs_magnitude": {"energy": _ratio(cop["energy_pj"], mag["energy_pj"]),
                                  "latency": _ratio(cop["cycles"], mag["cycles"])},
    }
    block["accuracy_drop_pp"] = {k: 100.0 * (block["dense"]["accuracy"] - block[k]["accuracy"])
                                 for k in block if k not in ("dense", "ratios")}
    block["magnitude_trials"] = []
    for t in result.magnitude_trials:
        m = result.measure(t, name)
        block["magnitude_trials"].append({"plan": t.label, "accuracy": t.accuracy, "val_accuracy": t.val_accuracy,
                                          "sparsity": t.sparsity, "energy_pj": m.energy_pj, "cycles": m.cycles,
                                          "format": format_label(m.format)})
    block["path_length"] = outcome.path_length
    block["note"] = outcome.note
    block["reproduce"] = reproduce_command(name, best.measure.format)
    return block


def reproduce_command(arch: str, fmt) -> str:
    """The ``accelsim simulate`` command that re-measures the saved model on ``arch``."""
    return (f"accelsim simulate --workload model.safetensors --arch {arch}"
            + ("" if fmt is None else f" --format {fmt}"))


def plan_dict(result) -> dict:
    """Everything ``plan.json`` holds (see ``docs/codesign.md``): deterministic for a seed."""
    archs = {a.name: _arch_block(result, a) for a in result.archs}
    winner = archs[result.winner]
    plan = {
        "schema": PLAN_SCHEMA,
        "task": {"name": result.task.name, "description": result.task.description,
                 "finetune_budget": result.task.finetune_budget},
        "settings": result.settings,
        "archs": [a.name for a in result.archs],
        "winner": result.winner,
        "runner_up": result.runner_up,
        "arch": result.winner,
        "format": winner["copruned"]["format"],
        "layers": winner["copruned"]["layers"],
        "per_arch": archs,
        "candidates": [
            {"step": ev.step, "phase": ev.phase, "arch": ev.arch, "plan": ev.trained.label,
             "choices": dict(ev.trained.choices), "format": format_label(ev.measure.format),
             "planned_format": format_label(ev.fmt), "predicted": ev.predicted,
             "val_accuracy": ev.trained.val_accuracy, "accuracy": ev.trained.accuracy,
             "val_drop_pp": result.budget_check(ev.trained).drop_pp,
             "val_drop_se_pp": result.budget_check(ev.trained).se_pp,
             "sparsity": ev.trained.sparsity, "energy_pj": ev.measure.energy_pj, "cycles": ev.measure.cycles,
             "feasible": ev.feasible, **_confirmation(result, ev.trained)}
            for ev in result.evaluated],
        "magnitude_trials": [{"plan": t.label, "sparsity": t.sparsity, "val_accuracy": t.val_accuracy,
                              "accuracy": t.accuracy, "val_drop_pp": result.budget_check(t).drop_pp,
                              "val_drop_se_pp": result.budget_check(t).se_pp,
                              "within_budget": result.budget_check(t).within, **_confirmation(result, t)}
                             for t in result.magnitude_trials],
    }
    for key in _MODELS + tuple(k for k in result.baselines if k not in _MODELS):
        plan[key] = winner[key]
    return plan


# ----------------------------------------------------------------------------- plots
def _arch_trials(plan: dict, arch: str) -> list:
    """The magnitude baseline's fine-tuned sparsities as measured on ``arch``."""
    return plan["per_arch"][arch]["magnitude_trials"]


_MARKERS = {"dense": "s", "magnitude_baseline": "v", "nm24_baseline": "^", "copruned": "*"}


def pareto_png(result, plan: dict) -> bytes:
    """Accuracy against energy and against cycles: every candidate, the baselines, the fronts."""
    import io

    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    # names are text, never math: "$\\x$" in an arch name must not reach mathtext
    plt.rcParams.update({"font.size": 8, "svg.hashsalt": "accelsim", "text.parse_math": False})
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), dpi=100)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, metric, label in ((axes[0], "energy_pj", "simulated energy (uJ)"), (axes[1], "cycles", "cycles")):
        scale = 1e-6 if metric == "energy_pj" else 1.0
        all_pts = []
        for i, arch in enumerate(plan["archs"]):
            colour = colours[i % len(colours)]
            pts = [(c[metric] * scale, 100 * c["accuracy"]) for c in plan["candidates"] if c["arch"] == arch]
            all_pts += pts
            ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=14, color=colour, alpha=0.5,
                       label=f"{arch}: candidates")
            trials = [(t[metric] * scale, 100 * t["accuracy"]) for t in _arch_trials(plan, arch)]
            all_pts += trials
            ax.scatter([p[0] for p in trials], [p[1] for p in trials], s=14, marker="v", facecolors="none",
                       edgecolors=colour, alpha=0.6, label=f"{arch}: magnitude trials")
            block = plan["per_arch"][arch]
            for key, marker in _MARKERS.items():
                row = block[key]
                x, y = row[metric] * scale, 100 * row["accuracy"]
                all_pts.append((x, y))
                ax.scatter([x], [y], marker=marker, s=70 if key == "copruned" else 40, color=colour,
                           edgecolors="black", linewidths=0.6, label=f"{arch}: {key.replace('_', ' ')}")
        front = [p for p in all_pts if not any(q[0] <= p[0] and q[1] >= p[1] and q != p for q in all_pts)]
        front = sorted(set(front))
        ax.step([p[0] for p in front], [p[1] for p in front], where="post", color="tab:red", linewidth=1,
                label="Pareto front (all points)")
        floor = 100 * plan["dense"]["accuracy"] - plan["settings"]["max_accuracy_drop_pp"]
        ax.axhline(floor, color="grey", linestyle="--", linewidth=0.8,
                   label=f"dense test accuracy - {plan['settings']['max_accuracy_drop_pp']:g} pp")
        ax.set_xlabel(label)
        ax.set_ylabel("held-out test accuracy (%)")
        ax.set_title(f"Accuracy versus {label.split(' (')[0]}")
        ys = [p[1] for p in all_pts]
        ax.set_ylim(max(min(ys) - 1, floor - 10), min(100.5, max(ys) + 1))
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=6, frameon=False)
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


# ----------------------------------------------------------------------------- report
def _md_table(headers, rows) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _html_table(headers, rows) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _x(v) -> str:
    return "-" if v is None else f"{v:.3f}x"


def _summary_rows(block) -> list:
    dense = block["dense"]
    rows = []
    for key in [k for k in block if isinstance(block[k], dict) and "energy_pj" in block[k]]:
        r = block[key]
        rows.append([key.replace("_", " "), f"{100 * r['accuracy']:.2f}%", f"{100 * r['val_accuracy']:.2f}%",
                     f"{100 * r['sparsity']:.1f}%", f"{r['energy_pj'] / 1e6:.3f}", f"{r['cycles']:,}",
                     _x(r["energy_pj"] / dense["energy_pj"]), _x(dense["cycles"] / r["cycles"] if r["cycles"] else None),
                     r["format"], "yes" if r["within_budget"] else "no"])
    return rows


_SUMMARY_HEAD = ["model", "test acc.", "val acc.", "sparsity", "energy (uJ)", "cycles", "energy vs dense",
                 "speedup vs dense", "format", "within budget"]
_LAYER_HEAD = ["layer", "kind", "weights", "choice", "reached sparsity", "energy (uJ)", "cycles"]


def _layer_rows(layers) -> list:
    return [[l["name"], l["kind"], f"{l['params']:,}", l["choice"], f"{100 * l['sparsity']:.1f}%",
             f"{l['energy_pj'] / 1e6:.3f}", f"{l['cycles']:,}"] for l in layers]


def _sections(result, plan):
    s = plan["settings"]
    margin = (f", cleared by {s['margin_se']:g} standard errors of the paired difference" if s["paired_budget"]
              and s["margin_se"] else "")
    if s.get("confirm_folds"):
        margin += (f"; each arch's final plan and the magnitude baseline confirmed by the same rule on the "
                   f"validation set pooled with {s['confirm_folds']} re-split folds")
    budget = (f"validation accuracy at most {s['max_accuracy_drop_pp']:g} pp (percentage points) below the dense model"
              f"{margin}"
              if s["target"] is None else
              f"{s['target']['metric']} at most {s['target']['value']:,.0f} {s['target']['unit']}, most accurate plan")
    intro = [f"Task **{plan['task']['name']}**: {plan['task']['description']}.",
             f"Budget: {budget}; objective: {s['objective']}; seed {s['seed']}. Every model (dense, co-pruned, "
             f"baselines) was fine-tuned with the same budget: {plan['task']['finetune_budget'] or 'none'}. "
             "Energies and cycles are accelsim simulations of each fine-tuned model (batch 1), never FLOP counts.",
             f"Winner: **{plan['winner']}**" + (f"; runner-up: **{plan['runner_up']}**." if plan["runner_up"] else "."),
             f"Search time {result.search_seconds:.0f} s, {len(plan['candidates'])} fine-tuned candidates, "
             f"{result.simulations} per-layer simulations."]
    sections = [("Summary", None, intro)]
    rank_rows = []
    for i, name in enumerate(result.ranking):
        c = plan["per_arch"][name]["copruned"]
        r = plan["per_arch"][name]["ratios"]
        rank_rows.append([i + 1, name, f"{100 * c['accuracy']:.2f}%", f"{c['energy_pj'] / 1e6:.3f}", f"{c['cycles']:,}",
                          _x(r["copruned_vs_dense"]["energy"]), _x(r["copruned_vs_magnitude"]["energy"]),
                          _x(r["copruned_vs_dense"]["latency"]), _x(r["copruned_vs_magnitude"]["latency"])])
    sections.append(("Architectures, best first", (["rank", "arch", "test acc.", "energy (uJ)", "cycles",
                                                    "energy / dense", "energy / magnitude", "cycles / dense",
                                                    "cycles / magnitude"], rank_rows), []))
    for name in result.ranking:
        block = plan["per_arch"][name]
        notes = [f"Co-pruned plan: `{block['copruned']['plan']}`, {block['copruned']['format']} format. "
                 f"Re-measure the saved model with `{block['reproduce']}`"
                 + (" (the saved model is this arch's)." if name == plan["winner"] else
                    " after saving this arch's model (only the winner's is saved).")]
        for key in result.baselines:
            notes.append(f"{key.replace('_', ' ')}: {block[key]['note']}.")
        if block["note"]:
            notes.append(f"Note: {block['note']}.")
        sections.append((f"{name}", (_SUMMARY_HEAD, _summary_rows(block)), notes))
        sections.append((f"{name}: co-pruned layers", (_LAYER_HEAD, _layer_rows(block["copruned"]["layers"])), []))
    cand_rows = [[c["step"], c["arch"], c["phase"], c["plan"], c["format"], f"{100 * c['val_accuracy']:.2f}%",
                  f"{c['val_drop_pp']:+.2f} ± {c['val_drop_se_pp']:.2f}",
                  f"{100 * c['accuracy']:.2f}%", f"{c['energy_pj'] / 1e6:.3f}", f"{c['cycles']:,}",
                  "yes" if c["feasible"] else "no"] for c in plan["candidates"]]
    sections.append(("Every fine-tuned candidate", (["step", "arch", "phase", "plan", "format", "val acc.",
                                                    "val drop (pp) ± s.e.", "test acc.", "energy (uJ)", "cycles",
                                                    "within budget"], cand_rows), []))
    mag_rows = [[t["plan"], f"{100 * t['sparsity']:.1f}%", f"{100 * t['val_accuracy']:.2f}%",
                 f"{t['val_drop_pp']:+.2f} ± {t['val_drop_se_pp']:.2f}", f"{100 * t['accuracy']:.2f}%",
                 "yes" if t["within_budget"] else "no"] for t in plan["magnitude_trials"]]
    sections.append(("Magnitude baseline search", (["trial", "sparsity", "val acc.", "val drop (pp) ± s.e.",
                                                   "test acc.", "within budget"], mag_rows), []))
    return sections


def _report_md(result, plan) -> str:
    md = [f"# accelsim co-pruning: {plan['task']['name']}", ""]
    for title, table, notes in _sections(result, plan):
        md += [f"## {title}", ""]
        if table is not None:
            md += [_md_table(*table), ""]
        md += [n + "\n" for n in notes]
    md += ["## Pareto plot", "", "![Accuracy versus energy and latency](pareto.png)", "",
           "Search method and definitions: docs/codesign.md. Every number: `plan.json`.", ""]
    return "\n".join(md)


def _report_html(result, plan, png: bytes) -> str:
    style = ("body{font-family:sans-serif;margin:2em;max-width:1300px}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #bbb;padding:3px 8px;font-size:13px;text-align:right}"
             "td:first-child,th:first-child{text-align:left}img{max-width:100%;border:1px solid #ddd}")
    title = html.escape(f"accelsim co-pruning: {plan['task']['name']}")
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title><style>{style}</style>"
             f"</head><body><h1>{title}</h1>"]
    for heading, table, notes in _sections(result, plan):
        parts.append(f"<h2>{html.escape(heading)}</h2>")
        if table is not None:
            parts.append(_html_table(*table))
        parts += [f"<p>{html.escape(n).replace('**', '')}</p>" for n in notes]
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    parts += ["<h2>Pareto plot</h2>", f"<img alt='Accuracy versus energy and latency' src='{uri}'>", "</body></html>"]
    return "\n".join(parts)


def write_outputs(result, out_dir) -> dict:
    """Write every output file of ``result`` into ``out_dir``; returns ``{file name: path}``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plan = plan_dict(result)
    files = {"plan.json": atomic_write_json(out / "plan.json", plan)}
    best = result.best()
    files["model.safetensors"] = save_pruned_model(
        out / "model.safetensors", best.trained.workload,
        description=f"{result.task.name} for {result.winner}: {plan_label(best.trained.choices)}")
    files["model_state.safetensors"] = save_state_dict(out / "model_state.safetensors", result.model())
    png = pareto_png(result, plan)
    files["pareto.png"] = atomic_write_bytes(out / "pareto.png", png)
    files["report.md"] = atomic_write_text(out / "report.md", _report_md(result, plan))
    files["report.html"] = atomic_write_text(out / "report.html", _report_html(result, plan, png))
    return files
