"""The report of a sweep, built from its store alone: Pareto front, best points, sensitivities.

Written into ``DIR/report/`` in one atomic folder swap
(:func:`accelsim.fileio.atomic_output_dir`): ``report.html`` (self-contained,
plots embedded, in the style of ``accelsim compare``), ``report.md`` with the
PNGs beside it, ``pareto.csv`` (the front's rows) and ``summary.json``.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import numpy as np

from accelsim.errors import AccelsimInputError
from accelsim.fileio import atomic_output_dir, atomic_write_bytes, atomic_write_json, atomic_write_text
from accelsim.sweep.pareto import pareto_mask
from accelsim.sweep.plots import pareto_plot, sensitivity_plot
from accelsim.sweep.results import param_columns, records_frame

__all__ = ["build_report", "pareto_table", "REPORT_DIR", "REPORT_FILES"]

REPORT_DIR = "report"
REPORT_FILES = ("report.html", "report.md", "summary.json")

_STYLE = ("body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}"
          "td,th{border:1px solid #bbb;padding:3px 8px;font-size:13px;text-align:right}"
          "td:first-child,th:first-child{text-align:left}img{max-width:100%;border:1px solid #ddd}")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", str(text)).strip("_").lower() or "x"


def _fmt(value, kind: str = "") -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    if kind == "uj":
        return f"{value / 1e6:,.3f}"
    if kind == "ms":
        return f"{value * 1e3:,.4f}"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "mib":
        return f"{value / 2**20:,.2f}"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.6g}"
    return str(value)


def _md_table(headers, rows) -> str:
    def cell(c):
        return str(c).replace("|", "\\|")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _html_table(headers, rows) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def pareto_table(frame, objectives):
    """The Pareto front of each workload: ``frame`` rows (``ok`` only) with a boolean column ``pareto``.

    Points of different workloads are never compared (they are different
    networks); within a workload every point is, across prune schemes,
    dataflows and formats.
    """
    ok = frame[frame["status"] == "ok"].copy()
    ok["pareto"] = False
    for workload in dict.fromkeys(ok["workload"]):
        sel = (ok["workload"] == workload).to_numpy()
        values = ok.loc[sel, list(objectives)].to_numpy(dtype=float)
        ok.loc[sel, "pareto"] = pareto_mask(values)
    return ok


def _point_columns(meta):
    return ["prune", "dataflow", "format", *param_columns(meta)]


_RESULT_HEADERS = [("energy (uJ)", "energy_pj", "uj"), ("latency (ms)", "latency_s", "ms"),
                   ("multipliers", "multipliers", ""), ("SRAM KiB", "sram_kib", ""), ("cycles", "cycles", ""),
                   ("util.", "utilization", "pct"), ("DRAM MiB", "dram_bytes", "mib")]


def _rows(frame, meta, limit=None):
    columns = _point_columns(meta)
    headers = ["#", "key", "workload", *columns, *[h for h, _, _ in _RESULT_HEADERS]]
    rows = []
    for _, r in frame.head(limit).iterrows() if limit else frame.iterrows():
        rows.append([int(r["index"]), r["key"][:12], r["workload"], *[_fmt(r[c]) for c in columns],
                     *[_fmt(r[c], kind) for _, c, kind in _RESULT_HEADERS]])
    return headers, rows


def _parameter_rows(meta):
    rows = []
    for p in (meta.get("spec") or {}).get("space", []):
        if "choices" in p:
            values = ", ".join(p["labels"])
        else:
            values = (f"{p['min']:g} to {p['max']:g}" + (" (log)" if p["log"] else "")
                      + (" (integers)" if p["integer"] else ""))
        rows.append([p["path"], values])
    return rows


def _best_rows(ok):
    rows = []
    for label, column, kind, pick, unit in (("lowest energy", "energy_pj", "uj", "min", " uJ"),
                                            ("lowest latency", "latency_s", "ms", "min", " ms"),
                                            ("lowest energy-delay product", "edp_pj_s", "", "min", " pJ*s"),
                                            ("highest utilization", "utilization", "pct", "max", ""),
                                            ("least DRAM traffic", "dram_bytes", "mib", "min", " MiB")):
        for workload in dict.fromkeys(ok["workload"]):
            sub = ok[ok["workload"] == workload]
            if sub.empty:
                continue
            ranked = sub.sort_values([column, "index"], ascending=[pick == "min", True], kind="mergesort")
            r = ranked.iloc[0]
            rows.append([label, workload, int(r["index"]), r["key"][:12], _fmt(r[column], kind) + unit])
    return rows


def _sensitivity_columns(ok, meta):
    """Swept parameters, then dataflow/format/prune when they vary: ``(column, numeric, slot order)``."""
    spec = meta.get("spec") or {}
    labels = {p["path"]: [str(v) for v in p["labels"]] for p in spec.get("space", []) if "choices" in p}
    out = []
    for path in param_columns(meta):
        values = ok[path].tolist()
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        out.append((path, numeric, labels.get(path)))
    orders = {"dataflow": spec.get("dataflows") or ["ws", "os", "is"], "format": spec.get("formats"),
              "prune": [p or "none" for p in spec.get("prune", [])]}
    for column in ("dataflow", "format", "prune"):
        if ok[column].nunique() > 1:
            out.append((column, False, orders[column]))
    return out


def build_report(folder, *, plots: bool = True) -> Path:
    """(Re)build ``folder/report`` from the sweep store in ``folder``; returns the report.html path.

    Parameters
    ----------
    folder : path
        A sweep folder (holding ``sweep.sqlite``).
    plots : bool
        Render the PNG plots (the tables are always written).
    """
    from accelsim.sweep.store import ResultStore

    folder = Path(folder)
    with ResultStore.open(folder) as store:
        meta = store.meta()
        if not meta.get("spec_sha256"):
            raise AccelsimInputError(f"the sweep store in {str(folder)!r} holds no sweep yet (it was stopped "
                                     "before its first commit)", hint="run the sweep again with --resume")
        frame = records_frame(store.records(), meta)
    objectives = list(meta.get("objectives") or ("energy_pj", "latency_s", "multipliers", "sram_kib"))
    planned = int(meta.get("plan", {}).get("points", len(frame)))
    ok = pareto_table(frame, objectives)
    errors = frame[frame["status"] == "error"]
    front = ok[ok["pareto"]].sort_values(["workload", objectives[0], "index"], kind="mergesort")
    name = meta.get("name", "sweep")

    images = {}
    if plots and not ok.empty:
        workloads = list(dict.fromkeys(ok["workload"]))
        for workload in workloads:
            sub = ok[ok["workload"] == workload]
            file = "pareto.png" if len(workloads) == 1 else f"pareto_{_slug(workload)}.png"
            images[file] = (f"Pareto front: {workload}",
                            pareto_plot(sub, sub["pareto"].to_numpy(dtype=bool), objectives, workload))
        for column, numeric, order in _sensitivity_columns(ok, meta):
            images[f"sensitivity_{_slug(column)}.png"] = (f"Sensitivity: {column}",
                                                           sensitivity_plot(ok, column, numeric, order))

    plan = meta.get("plan", {})
    intro = (f"Sweep {name}: {len(frame):,} of {planned:,} planned points stored ({len(ok):,} ran, "
             f"{len(errors):,} refused by the simulator). Sampling: {meta['spec']['sampling']['method']}; "
             f"{plan.get('rejected_by_constraints', 0):,} architectures rejected by the constraints, "
             f"{plan.get('duplicates', 0):,} duplicate points dropped, "
             f"{sum(s['points'] for s in plan.get('skipped', [])):,} points skipped (format cannot run). "
             f"The Pareto front minimises {', '.join(objectives)} within each workload; "
             f"{int(ok['pareto'].sum()):,} points are on it. accelsim {meta.get('accelsim', '?')}.")
    p_rows = _parameter_rows(meta)
    f_head, f_rows = _rows(front, meta)
    best_rows = _best_rows(ok) if not ok.empty else []
    err_rows = [[int(r["index"]), r["key"][:12], str(r["error"]).splitlines()[0]] for _, r in errors.iterrows()]
    skip_rows = [[s["reason"], s["points"]] for s in plan.get("skipped", [])]

    summary = {
        "name": name, "planned": planned, "stored": len(frame), "ok": len(ok), "errors": len(errors),
        "objectives": objectives, "plan": plan,
        "pareto_front": [{"index": int(r["index"]), "key": r["key"], "workload": r["workload"],
                          **{o: (float(r[o]) if front[o].dtype.kind == "f" else int(r[o])) for o in objectives}}
                         for _, r in front.iterrows()],
    }
    md = [f"# accelsim sweep: {name}", "", intro, ""]
    if meta["spec"].get("description"):
        md += [meta["spec"]["description"], ""]
    md += ["## Parameters", "", _md_table(["parameter", "values"], p_rows) if p_rows else "(nothing swept)", "",
           f"## Pareto front ({len(front):,} points)", "", _md_table(f_head, f_rows), "",
           "## Best point per metric", "", _md_table(["metric", "workload", "#", "key", "value"], best_rows), ""]
    if skip_rows:
        md += ["## Skipped combinations", "", _md_table(["reason", "points"], skip_rows), ""]
    if err_rows:
        md += ["## Points the simulator refused", "", _md_table(["#", "key", "error"], err_rows), ""]
    if images:
        md += ["## Plots", ""] + [f"### {title}\n\n![{title}]({file})\n" for file, (title, _) in images.items()]
    md += ["Every point: `accelsim sweep --export points.csv DIR` (or `.parquet`).", ""]

    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>accelsim sweep: {html.escape(name)}</title>"
             f"<style>{_STYLE}</style></head><body>", f"<h1>accelsim sweep: {html.escape(name)}</h1>",
             f"<p>{html.escape(intro)}</p>"]
    if meta["spec"].get("description"):
        parts.append(f"<p>{html.escape(meta['spec']['description'])}</p>")
    parts += ["<h2>Parameters</h2>", _html_table(["parameter", "values"], p_rows) if p_rows else "<p>(nothing swept)</p>",
              f"<h2>Pareto front ({len(front):,} points)</h2>", _html_table(f_head, f_rows),
              "<h2>Best point per metric</h2>", _html_table(["metric", "workload", "#", "key", "value"], best_rows)]
    if skip_rows:
        parts += ["<h2>Skipped combinations</h2>", _html_table(["reason", "points"], skip_rows)]
    if err_rows:
        parts += ["<h2>Points the simulator refused</h2>", _html_table(["#", "key", "error"], err_rows)]
    if images:
        parts.append("<h2>Plots</h2>")
        for file, (title, data) in images.items():
            uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
            parts.append(f"<h3>{html.escape(title)}</h3><img alt='{html.escape(title)}' src='{uri}'>")
    parts.append("</body></html>")

    with atomic_output_dir(folder / REPORT_DIR, command="sweep", recognise=REPORT_FILES) as staging:
        for file, (_, data) in images.items():
            atomic_write_bytes(staging / file, data)
        atomic_write_text(staging / "pareto.csv", front.drop(columns=["pareto"]).to_csv(index=False,
                                                                                       lineterminator="\n"))
        atomic_write_json(staging / "summary.json", summary)
        atomic_write_text(staging / "report.md", "\n".join(md))
        atomic_write_text(staging / "report.html", "\n".join(parts))
    return folder / REPORT_DIR / "report.html"
