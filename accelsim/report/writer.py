"""Write a :class:`~accelsim.report.result.ComparisonResult` as report.md, report.html, results.json/csv, PNGs.

Every name that comes from the user (workload, arch, layer) is text: it is
HTML-escaped in the page, escaped for markdown tables, and never parsed as
math by matplotlib. The HTML is self-contained (images as ``data:`` URIs, no
script, no network) and fits a 1400-pixel-wide window.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from pathlib import Path

from accelsim.fileio import atomic_write_bytes, atomic_write_json, atomic_write_text
from accelsim.report.plots import make_plots
from accelsim.report.records import CSV_COLUMNS
from accelsim.report.tables import (arch_table, cycles_table, figures_of_merit_table, inputs_table, key_table,
                                    headline, layer_table, skipped_table, storage_table, winners_table)
from accelsim.report.units import ENERGY, TIME, format_scaled, pick_unit

__all__ = ["write_report_files", "write_report", "ReportFiles", "render_markdown", "render_html", "csv_text"]


class ReportFiles(dict):
    """Mapping of file name -> path, returned by the report writers."""


# ----------------------------------------------------------------------------- escaping
def _h(text) -> str:
    return html.escape(str(text), quote=True)


def _md(text) -> str:
    """A markdown table cell / inline text: HTML-escaped, pipes escaped, one line."""
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ").replace("\r", " ")


# ----------------------------------------------------------------------------- markdown
def _md_table(table) -> str:
    align = ["---:" if i in table.numeric else "---" for i in range(len(table.headers))]
    lines = ["| " + " | ".join(_md(h) for h in table.headers) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines)


def _intro(result) -> str:
    archs = len(result.archs)
    dataflows = list(dict.fromkeys(s["dataflow"].upper() for s in result.configs))
    skipped = len(result.skipped)
    not_run = (f"{skipped} combination{'s' if skipped != 1 else ''} not run (listed with the reason)"
               if skipped else "every combination ran")
    return (f"{len(result.configs)} configurations of {result.workload} on {archs} architecture"
            f"{'s' if archs != 1 else ''} ({', '.join(dataflows)}); {not_run}. Speedup and energy saving are "
            f"against the unpruned dense run on the same architecture and dataflow.")


def _provenance_line(result) -> str:
    p = result.provenance
    parts = [f"accelsim {p.accelsim_version}", f"seed {p.seed}"]
    if p.mapping is not None:
        parts.append(f"mapping {p.mapping}")
    if p.generated_at is not None:
        parts.append(f"written {p.generated_at}")
    return ", ".join(parts)


def render_markdown(result, plots) -> str:
    """The markdown report (images referenced by file name)."""
    front = set(result.pareto_front)
    command = result.provenance.command.replace("`", "'")
    md = [f"# accelsim design review: {_md(result.workload)}", "", _md(_intro(result)), "",
          f"Produced by {_md(_provenance_line(result))} with:", "", "```", command, "```", "",
          "## What changed", "", _md(headline(result.winners, result.summaries)), "",
          _md_table(winners_table(result.winners, result.summaries))]
    md += ["", "## Architectures", "", _md_table(arch_table(result.arch_parameters())), "",
           "## Inputs", "", _md_table(inputs_table(result.provenance)), "",
           "## Figures of merit", "", _md_table(figures_of_merit_table(result.summaries, front)), "",
           "## Cycles, traffic and limits", "", _md_table(cycles_table(result.summaries)), "",
           "## Plots", ""]
    for plot in plots:
        md += [f"### {_md(plot.title)}", "", f"![{_md(plot.title)}]({plot.name})", "", _md(plot.caption), ""]
    md += ["## Per-layer detail", "",
           "Every layer of every configuration (cycles, stalls, utilization, energy by component, DRAM bytes, "
           "limiter) is in `results.csv` and in the collapsible tables of `report.html`.", "",
           "## Weight storage", "", _md_table(storage_table(result.storage)), ""]
    if result.skipped:
        md += ["## Not run", "", _md_table(skipped_table(result.skipped)), ""]
    md += ["## Labels used in the plots", "", _md_table(key_table(result.labeller)), ""]
    return "\n".join(md)


# ----------------------------------------------------------------------------- html
_STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d1d1d;margin:0 auto;
max-width:1360px;padding:12px 20px 40px;line-height:1.4}
h1{font-size:26px;margin:10px 0 4px}h2{font-size:20px;margin:28px 0 8px;border-bottom:1px solid #ddd}
h3{font-size:16px;margin:18px 0 6px}p,li{font-size:14px;max-width:1100px}
code,pre{font-family:"DejaVu Sans Mono",monospace;font-size:12px}
pre{background:#f5f5f5;padding:8px;white-space:pre-wrap;overflow-wrap:anywhere;max-width:100%}
table{border-collapse:collapse;margin:6px 0 14px;font-size:12px;max-width:100%}
th,td{border:1px solid #c8c8c8;padding:2px 6px;vertical-align:top}
th{background:#f0f0f0;font-weight:600;text-align:left;overflow-wrap:normal}
td{white-space:nowrap}td.t{white-space:normal;overflow-wrap:anywhere;min-width:10em}
td.n{text-align:right;font-variant-numeric:tabular-nums}
td.hash{font-family:"DejaVu Sans Mono",monospace;font-size:11px;white-space:normal;word-break:break-all}
tr.base td{background:#efefef}span.nw{white-space:nowrap}
figure{margin:8px 0 22px}figure img{max-width:100%;height:auto;border:1px solid #e0e0e0;display:block}
figcaption{font-size:13px;color:#333;max-width:1100px;margin-top:4px}
table.layers{font-size:11px}table.layers td.t{min-width:7em}table.layers td,table.layers th{padding:2px 4px}
details{margin:3px 0}summary{cursor:pointer;font-size:13px}
nav{font-size:13px}nav a{margin-right:12px}
"""


def _cell_html(text: str) -> str:
    """A cell's text, escaped; a configuration label (``a/WS/p/f``) may wrap only after its slashes."""
    if "/" in text and " " not in text and len(text) > _WRAP_CHARS:
        pieces = text.split("/")
        return "<wbr>".join(f"<span class='nw'>{_h(p + ('/' if i < len(pieces) - 1 else ''))}</span>"
                            for i, p in enumerate(pieces))
    return _h(text)


#: Text cells longer than this may wrap; shorter ones stay on one line.
_WRAP_CHARS = 32


def _html_table(table, hash_col=None, baseline_rows=(), css_class=None) -> str:
    head = "".join(f"<th>{_h(h)}</th>" for h in table.headers)
    body = []
    for r, row in enumerate(table.rows):
        cells = []
        for i, c in enumerate(row):
            cls = (" class='n'" if i in table.numeric else " class='hash'" if i == hash_col
                   else " class='t'" if len(c) > _WRAP_CHARS else "")
            cells.append(f"<td{cls}>{_cell_html(c)}</td>")
        body.append(("<tr class='base'>" if r in baseline_rows else "<tr>") + "".join(cells) + "</tr>")
    opening = f"<table class='{css_class}'>" if css_class else "<table>"
    return f"{opening}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


_SECTIONS = (("changed", "What changed"), ("archs", "Architectures"), ("merit", "Figures of merit"),
             ("cycles", "Cycles and limits"), ("plots", "Plots"), ("layers", "Per-layer detail"),
             ("storage", "Weight storage"), ("notrun", "Not run"), ("inputs", "Inputs"), ("key", "Labels"))


def _layer_details(result) -> list[str]:
    by_config: dict[str, list] = {}
    for r in result.layers:
        by_config.setdefault(r["config"], []).append(r)
    t_unit, t_size = pick_unit([s["latency_s"] for s in result.configs], TIME)
    e_unit, e_size = pick_unit([s["energy_pj_total"] for s in result.configs], ENERGY)
    out = []
    for s in result.configs:
        rows = by_config.get(s["config"], [])
        summary = (f"{s['config']}: {len(rows)} layers, {format_scaled(s['latency_s'], t_size)} {t_unit}, "
                   f"{format_scaled(s['energy_pj_total'], e_size)} {e_unit}")
        out.append(f"<details><summary>{_h(summary)}</summary>{_html_table(layer_table(rows), css_class='layers')}</details>")
    return out


def render_html(result, plots) -> str:
    """The self-contained HTML report (images embedded)."""
    front = set(result.pareto_front)
    baselines = {i for i, s in enumerate(result.configs) if s["baseline"]}
    title = f"accelsim design review: {result.workload}"
    nav = "".join(f"<a href='#{key}'>{_h(name)}</a>" for key, name in _SECTIONS
                  if key != "notrun" or result.skipped)
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
             f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
             f"<link rel='icon' href='data:,'><title>{_h(title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{_h(title)}</h1>", f"<p>{_h(_intro(result))}</p>",
             f"<p>Produced by {_h(_provenance_line(result))} with:</p><pre>{_h(result.provenance.command)}</pre>",
             f"<nav>{nav}</nav>",
             "<h2 id='changed'>What changed</h2>",
             f"<p>{_h(headline(result.winners, result.summaries))}</p>",
             _html_table(winners_table(result.winners, result.summaries)),
             "<h2 id='archs'>Architectures</h2>", _html_table(arch_table(result.arch_parameters())),
             "<h2 id='merit'>Figures of merit</h2>",
             "<p>Grey rows are the unpruned dense baselines. Effective TOPS and TOPS/W count the dense workload's operations (2 per MAC, skipped zeros "
             "included); energy per MAC divides by the dense MAC count. Lower latency and energy are better.</p>",
             _html_table(figures_of_merit_table(result.summaries, front), baseline_rows=baselines),
             "<h2 id='cycles'>Cycles and limits</h2>",
             "<p>\u201cLimited by\u201d is the limiter of the layers that take most of the cycles "
             "(compute, DRAM bandwidth, SRAM bandwidth or load imbalance; see docs/report.md).</p>",
             _html_table(cycles_table(result.summaries), baseline_rows=baselines),
             "<h2 id='plots'>Plots</h2>"]
    for plot in plots:
        uri = "data:image/png;base64," + base64.b64encode(plot.png).decode("ascii")
        parts.append(f"<figure id='{_h(plot.name[:-4])}'><h3>{_h(plot.title)}</h3>"
                     f"<img alt='{_h(plot.title)}' src='{uri}'><figcaption>{_h(plot.caption)}</figcaption></figure>")
    parts += ["<h2 id='layers'>Per-layer detail</h2>",
              "<p>One table per configuration (click to open); the same rows are in results.csv.</p>",
              *_layer_details(result),
              "<h2 id='storage'>Weight storage</h2>", _html_table(storage_table(result.storage))]
    if result.skipped:
        parts += ["<h2 id='notrun'>Not run</h2>",
                  f"<details><summary>{len(result.skipped)} combinations not run, with the reason</summary>"
                  f"{_html_table(skipped_table(result.skipped))}</details>"]
    parts += ["<h2 id='inputs'>Inputs</h2>", _html_table(inputs_table(result.provenance), hash_col=3),
              "<h2 id='key'>Labels used in the plots</h2>", _html_table(key_table(result.labeller)),
              "</body></html>"]
    return "\n".join(parts) + "\n"


# ----------------------------------------------------------------------------- csv and files
def csv_text(records) -> str:
    """``results.csv``: one row per (configuration, layer), :data:`CSV_COLUMNS`."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in records:
        writer.writerow({k: ("" if v is None else repr(v) if isinstance(v, float) else v) for k, v in row.items()})
    return buf.getvalue()


def write_report_files(result, out_dir) -> ReportFiles:
    """Write every report file of ``result`` into the folder ``out_dir`` (each file atomically).

    :meth:`ComparisonResult.write_report` calls this inside a staging folder,
    so the report as a whole is replaced atomically too.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plots = make_plots(result)
    files = ReportFiles()
    for plot in plots:
        files[plot.name] = atomic_write_bytes(out / plot.name, plot.png)
    files["results.json"] = atomic_write_json(out / "results.json", result.to_dict())
    files["results.csv"] = atomic_write_text(out / "results.csv", csv_text(result.layers))
    files["report.md"] = atomic_write_text(out / "report.md", render_markdown(result, plots))
    files["report.html"] = atomic_write_text(out / "report.html", render_html(result, plots))
    return files


def write_report(result, out_dir, *, timestamp: bool = False) -> ReportFiles:
    """Same as ``result.write_report(out_dir)`` (the folder is replaced atomically)."""
    return result.write_report(out_dir, timestamp=timestamp)
