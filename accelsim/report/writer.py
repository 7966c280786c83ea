"""Write a comparison as report.md, self-contained report.html, results.json/csv and PNGs."""

from __future__ import annotations

import base64
import csv
import html
import io
from pathlib import Path

from accelsim.fileio import atomic_write_bytes, atomic_write_json, atomic_write_text
from accelsim.report.plots import make_plots, pareto_front
from accelsim.report.records import CSV_COLUMNS, best_configs, config_summaries, layer_records

__all__ = ["write_report", "ReportFiles"]

_PLOT_TITLES = {
    "cycles_per_layer.png": "Cycles per layer",
    "energy_breakdown.png": "Energy breakdown",
    "utilization.png": "Utilization",
    "speedup_energy_vs_dense.png": "Speedup and energy saving against dense",
    "storage.png": "Weight storage: values and metadata",
    "pareto.png": "Cycles versus energy (Pareto front)",
}


class ReportFiles(dict):
    """Mapping of output kind -> path, returned by :func:`write_report`."""


def _fmt(value, kind):
    if value is None:
        return "-"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "x":
        return f"{value:.2f}x"
    if kind == "uj":
        return f"{value / 1e6:.3f}"
    return str(value)


def _summary_table(summaries, front_labels):
    headers = ["config", "cycles", "stall", "util.", "energy (uJ)", "speedup vs dense", "energy saving",
               "limited by", "Pareto"]
    rows = []
    for s in summaries:
        rows.append([s["config"] + ("" if s["exploited"] else " (ran dense)"), _fmt(s["cycles"], "int"),
                     _fmt(s["stall_cycles"], "int"), _fmt(s["utilization"], "pct"), _fmt(s["energy_pj_total"], "uj"),
                     _fmt(s["speedup_vs_dense"], "x"), _fmt(s["energy_saving_vs_dense"], "pct"), s["limited_by"],
                     "yes" if s["config"] in front_labels else ""])
    return headers, rows


def _storage_table(storage):
    headers = ["prune", "format", "sparsity", "values (bits)", "metadata (bits)", "total (bits)", "total / dense"]
    rows = []
    for (prune, fmt) in sorted(storage, key=lambda k: (str(k[0]), k[1])):
        t = storage[(prune, fmt)]["total"]
        b = t["storage_bits"]
        rows.append([prune or "none", fmt, _fmt(t["sparsity"], "pct"), _fmt(b["values"], "int"),
                     _fmt(b["metadata"], "int"), _fmt(b["total"], "int"), f"{t['vs_dense']:.3f}"])
    return headers, rows


def _md_table(headers, rows):
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _html_table(headers, rows):
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _csv_text(records):
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in records:
        writer.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    return buf.getvalue()


def write_report(comparison, out_dir) -> ReportFiles:
    """Write every report file for ``comparison`` into ``out_dir`` (atomically, file by file).

    Returns
    -------
    ReportFiles
        Paths of ``report.md``, ``report.html``, ``results.json``, ``results.csv`` and each PNG.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records = layer_records(comparison)
    summaries = config_summaries(comparison, records)
    front = pareto_front([(s["cycles"], s["energy_pj_total"]) for s in summaries])
    front_labels = {summaries[i]["config"] for i in front}
    best = best_configs(summaries)
    plots = make_plots(records, summaries, comparison.storage)
    files = ReportFiles()

    for name, data in plots.items():
        files[name] = atomic_write_bytes(out / name, data)

    results = {
        "workload": comparison.workload,
        "configs": summaries,
        "layers": records,
        "skipped": [{"config": c.label, "reason": why} for c, why in comparison.skipped],
        "pareto_front": sorted(front_labels),
        "best": [{"metric": m, "config": c, "value": v} for m, c, v in best],
        "storage": [{"prune": p or "none", "format": f, **comparison.storage[(p, f)]["total"]}
                    for (p, f) in sorted(comparison.storage, key=lambda k: (str(k[0]), k[1]))],
    }
    files["results.json"] = atomic_write_json(out / "results.json", results)
    files["results.csv"] = atomic_write_text(out / "results.csv", _csv_text(records))

    s_head, s_rows = _summary_table(summaries, front_labels)
    st_head, st_rows = _storage_table(comparison.storage)
    best_rows = [[m, c, f"{v:,.4g}" if isinstance(v, float) else f"{v:,}"] for m, c, v in best]
    skipped_rows = [[c.label, why] for c, why in comparison.skipped]
    intro = (f"Workload **{comparison.workload}**: {len(summaries)} configurations "
             f"({len(comparison.skipped)} skipped). Speedup and energy saving are against the unpruned dense "
             f"run on the same architecture and dataflow. \"Limited by\" follows the rule in docs/report.md.")

    md = [f"# accelsim design review: {comparison.workload}", "", intro, "", "## Summary", "",
          _md_table(s_head, s_rows), "", "## Best configuration per metric", "",
          _md_table(["metric", "config", "value"], best_rows), "", "## Weight storage", "",
          _md_table(st_head, st_rows), ""]
    if skipped_rows:
        md += ["## Skipped combinations", "", _md_table(["config", "reason"], skipped_rows), ""]
    md += ["## Plots", ""]
    md += [f"### {_PLOT_TITLES[n]}\n\n![{_PLOT_TITLES[n]}]({n})\n" for n in plots]
    md += ["Per-layer numbers: `results.csv` and `results.json`.", ""]
    files["report.md"] = atomic_write_text(out / "report.md", "\n".join(md))

    style = ("body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #bbb;padding:3px 8px;font-size:13px;text-align:right}"
             "td:first-child,th:first-child{text-align:left}img{max-width:100%;border:1px solid #ddd}")
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>accelsim: {html.escape(comparison.workload)}"
             f"</title><style>{style}</style></head><body>",
             f"<h1>accelsim design review: {html.escape(comparison.workload)}</h1>",
             f"<p>{html.escape(intro).replace('**', '')}</p>",
             "<h2>Summary</h2>", _html_table(s_head, s_rows),
             "<h2>Best configuration per metric</h2>", _html_table(["metric", "config", "value"], best_rows),
             "<h2>Weight storage</h2>", _html_table(st_head, st_rows)]
    if skipped_rows:
        parts += ["<h2>Skipped combinations</h2>", _html_table(["config", "reason"], skipped_rows)]
    parts.append("<h2>Plots</h2>")
    for name, data in plots.items():
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        parts.append(f"<h3>{html.escape(_PLOT_TITLES[name])}</h3><img alt='{html.escape(_PLOT_TITLES[name])}' "
                     f"src='{uri}'>")
    parts.append("</body></html>")
    files["report.html"] = atomic_write_text(out / "report.html", "\n".join(parts))
    return files
