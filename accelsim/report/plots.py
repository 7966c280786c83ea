"""The report's plots, built to stay readable at 40+ configurations.

Configurations are faceted by architecture (one panel each; dataflows are
groups inside a panel) and coloured by variant, the (pruning, format) pair,
so no axes carries more than :data:`~accelsim.report.figures.MAX_SERIES`
series. Legends sit outside the axes; long names are shortened
(:class:`~accelsim.report.labels.Labeller`, whose key the report prints).
Every plot has a title, axis labels with units and a caption.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from accelsim.report.figures import (LABEL_FONT, MAX_SERIES, TICK_FONT, TITLE_FONT, chunks, log_ticks,
                                     new_figure, outside_legend, plot_style, render_png)
from accelsim.report.labels import BASELINE_VARIANT, mpl_text
from accelsim.report.records import ENERGY_PARTS
from accelsim.report.units import BYTES, ENERGY, THROUGHPUT, TIME, format_number, pick_unit

__all__ = ["pareto_front", "PlotFigure", "Plot", "build_figures", "make_plots", "ENERGY_PART_NAMES"]

ENERGY_PART_NAMES = {"mac": "MAC", "pe_idle": "idle PEs", "index_decode": "index decode",
                     "weight_sram": "weight SRAM", "input_sram": "input SRAM", "output_sram": "output SRAM",
                     "dram": "DRAM"}
_PART_COLOURS = {"mac": "#1b9e77", "pe_idle": "#b3b3b3", "index_decode": "#e7298a", "weight_sram": "#7570b3",
                 "input_sram": "#66a61e", "output_sram": "#e6ab02", "dram": "#d95f02"}
_ARCH_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
_ARCH_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                 "#bcbd22", "#17becf")
#: Widest row of panels (inches); wider grids wrap.
MAX_ROW_IN = 12.5
#: Roofline panels per row of architectures.
ROOFLINE_COLUMNS = 4


def pareto_front(points) -> list[int]:
    """Indices of the points not dominated in (x, y), both minimised.

    A point is dominated if another is no worse in both coordinates and better
    in at least one.
    """
    front = []
    for i, (xi, yi) in enumerate(points):
        dominated = any((xj <= xi and yj <= yi) and (xj < xi or yj < yi) for j, (xj, yj) in enumerate(points) if j != i)
        if not dominated:
            front.append(i)
    return front


@dataclass
class PlotFigure:
    """A built figure: file name, title, HTML caption and the matplotlib figure."""

    name: str
    title: str
    caption: str
    figure: object


@dataclass(frozen=True)
class Plot:
    """A rendered plot: file name, title, caption and PNG bytes."""

    name: str
    title: str
    caption: str
    png: bytes


# ----------------------------------------------------------------------------- grouping
def _variant(s):
    return (s["prune"], s["format"])


def _panels(summaries, labeller, with_baseline=True):
    """``[(arch, [variants], suffix)]``: a panel per arch, split (suffix ``" (1/2)"``) past MAX_SERIES variants."""
    panels = []
    for arch in labeller.archs:
        variants = list(dict.fromkeys(_variant(s) for s in summaries if s["arch"] == arch
                                      and (with_baseline or _variant(s) != BASELINE_VARIANT)))
        if not variants:
            continue
        parts = chunks(variants, MAX_SERIES)
        for i, part in enumerate(parts):
            panels.append((arch, part, f" ({i + 1}/{len(parts)})" if len(parts) > 1 else ""))
    return panels


def _dataflows(summaries):
    order = {"ws": 0, "os": 1, "is": 2}
    return sorted(dict.fromkeys(s["dataflow"] for s in summaries), key=lambda d: order.get(d, 9))


def _pack_rows(widths, max_row_in):
    """Greedy rows of panel indices whose widths add up to at most ``max_row_in`` (one panel at least)."""
    rows, current, used = [], [], 0.0
    for i, w in enumerate(widths):
        if current and used + w > max_row_in:
            rows.append(current)
            current, used = [], 0.0
        current.append(i)
        used += w
    if current:
        rows.append(current)
    return rows


def _panel_axes(widths, *, metrics=1, row_height_in=2.6, max_row_in=MAX_ROW_IN, legend_in=2.0, extra_h=0.8):
    """A figure of panels of the given widths (inches), packed into rows, one block of rows per metric.

    Returns ``(fig, axes, rows)``: ``axes[metric][panel]`` (the panels of one
    metric share their y axis) and the panel indices of each row.
    """
    rows = _pack_rows(widths, max_row_in)
    row_w = max(sum(widths[i] for i in row) for row in rows)
    fig = new_figure(row_w + legend_in, extra_h + row_height_in * len(rows) * metrics)
    outer = fig.add_gridspec(len(rows) * metrics, 1)
    axes = [[None] * len(widths) for _ in range(metrics)]
    for m in range(metrics):
        ref = None
        for r, row in enumerate(rows):
            ratios = [widths[i] for i in row]
            filler = row_w - sum(ratios)
            if filler > 0.05 * row_w:
                ratios.append(filler)
            inner = outer[m * len(rows) + r, 0].subgridspec(1, len(ratios), width_ratios=ratios)
            for slot, i in enumerate(row):
                ax = fig.add_subplot(inner[0, slot], sharey=ref)
                ref = ref or ax
                if i != row[0]:
                    ax.tick_params(labelleft=False)
                axes[m][i] = ax
    return fig, axes, rows


def _variant_legend(fig, labeller, variants):
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=labeller.colour(*v), edgecolor="none") for v in variants]
    labels = [mpl_text(labeller.variant(*v)) for v in variants]
    return outside_legend(fig, handles, labels, title="pruning \u00b7 format")


# ----------------------------------------------------------------------------- grouped bars
def _grouped_bars(summaries, labeller, *, title, row_specs, with_baseline=True, ylim=None, reference=None):
    """Small multiples of grouped bars: a panel per arch, dataflow groups, a bar per variant.

    ``row_specs``: ``[(ylabel, value function)]``, one block of panels per metric.
    """
    panels = _panels(summaries, labeller, with_baseline)
    dataflows = _dataflows(summaries)
    by_key = {(s["arch"], s["dataflow"], _variant(s)): s for s in summaries}
    widths = [0.55 + len(dataflows) * (0.17 * len(v) + 0.3) for _, v, _ in panels]
    widths = [max(w, 1.9) for w in widths]
    fig, axes, rows = _panel_axes(widths, metrics=len(row_specs))
    row_starts = {row[0] for row in rows}
    for m, (row_label, fn) in enumerate(row_specs):
        for p, (arch, variants, part) in enumerate(panels):
            ax = axes[m][p]
            width = min(0.8 / len(variants), 0.3)
            for i, v in enumerate(variants):
                xs, ys = [], []
                for j, df in enumerate(dataflows):
                    s = by_key.get((arch, df, v))
                    y = fn(s) if s is not None else None
                    if y is not None:
                        xs.append(j + (i - (len(variants) - 1) / 2) * width)
                        ys.append(y)
                ax.bar(xs, ys, width * 0.92, color=labeller.colour(*v), label=mpl_text(labeller.variant(*v)))
            if reference is not None:
                ax.axhline(reference, color="black", linewidth=0.8)
            ax.set_xticks(range(len(dataflows)), [d.upper() for d in dataflows])
            ax.set_xlim(-0.5, len(dataflows) - 0.5)
            if ylim is not None:
                ax.set_ylim(*ylim)
            ax.set_title(mpl_text(arch + part), fontsize=TITLE_FONT)
            ax.grid(False, axis="x")
            if p in row_starts:
                ax.set_ylabel(row_label, fontsize=LABEL_FONT)
    fig.supxlabel("dataflow", fontsize=LABEL_FONT)
    all_variants = list(dict.fromkeys(v for _, vs, _ in panels for v in vs))
    _variant_legend(fig, labeller, all_variants)
    fig.suptitle(title, fontsize=TITLE_FONT + 1.5)
    return fig


def _latency_figure(d):
    unit, size = pick_unit([s["latency_s"] for s in d.summaries], TIME)
    fig = _grouped_bars(d.summaries, d.labeller, title=f"Latency of one {mpl_text(d.workload)} inference",
                        row_specs=[(f"latency ({unit})", lambda s: s["latency_s"] / size)])
    caption = (f"One panel per architecture, one group of bars per dataflow, one colour per pruning \u00b7 format "
               f"(grey: the unpruned dense baseline). Lower is better. Latency is all layers back to back at the "
               f"architecture's clock; every panel shares the {unit} axis.")
    return fig, caption


def _speedup_figure(d):
    if not any(not s["baseline"] for s in d.summaries):
        return None

    def energy_reduction(s):
        saving = s["energy_saving_vs_dense"]
        return 1.0 / (1.0 - saving) if saving is not None and saving < 1 else None

    fig = _grouped_bars(d.summaries, d.labeller, title="Speedup and energy reduction against the dense baseline",
                        with_baseline=False, reference=1.0,
                        row_specs=[("speedup vs dense (x)", lambda s: s["speedup_vs_dense"]),
                                   ("energy reduction vs dense (x)", energy_reduction)])
    caption = ("Top row: dense-baseline cycles / cycles; bottom row: dense-baseline energy / energy, each against "
               "the unpruned dense run on the same architecture and dataflow (the black line at 1x). Higher is "
               "better; a bar below the line is slower or costs more energy than dense.")
    return fig, caption


def _utilization_figure(d):
    top = max((100.0 * s["utilization"] for s in d.summaries), default=100.0)
    top = min(100.0, max(5.0, 10.0 * math.ceil(top * 1.15 / 10.0)) if top > 10 else max(1.0, math.ceil(top * 1.2)))
    fig = _grouped_bars(d.summaries, d.labeller, title="PE utilization", ylim=(0, top),
                        row_specs=[("utilization (%)", lambda s: 100.0 * s["utilization"])])
    caption = ("Effectual MACs / (multipliers x cycles), over the whole workload: the share of multiplier-cycles "
               "doing useful work. Stalls, fold fill/drain and lanes idling on a sparse PE all lower it. The axis "
               f"ends at {format_number(top, 3)}%, not 100%, so small values stay readable.")
    return fig, caption


# ----------------------------------------------------------------------------- energy per MAC
def _energy_per_mac_figure(d):
    per_arch = [(arch, [s for s in d.summaries if s["arch"] == arch]) for arch in d.labeller.archs]
    per_arch = [(a, ss) for a, ss in per_arch if ss]
    widths = [0.45 + 0.26 * max(len(ss), 3) for _, ss in per_arch]
    fig, axes, rows = _panel_axes(widths, row_height_in=4.4, legend_in=1.6)
    row_starts = {row[0] for row in rows}
    unit, size = pick_unit([s["pj_per_mac"] for s in d.summaries], ENERGY)
    for p, (arch, ss) in enumerate(per_arch):
        ax = axes[0][p]
        bottom = [0.0] * len(ss)
        for part in ENERGY_PARTS:
            vals = [(s[f"pj_per_mac_{part}"] or 0.0) / size for s in ss]
            ax.bar(range(len(ss)), vals, 0.8, bottom=bottom, color=_PART_COLOURS[part],
                   label=ENERGY_PART_NAMES[part])
            bottom = [b + v for b, v in zip(bottom, vals)]
        ax.set_xticks(range(len(ss)), [mpl_text(f"{s['dataflow'].upper()} {d.labeller.variant(*_variant(s))}")
                                       for s in ss], rotation=90, fontsize=TICK_FONT)
        ax.set_xlim(-0.6, max(len(ss), 3) - 0.4)
        ax.set_title(mpl_text(arch), fontsize=TITLE_FONT)
        ax.grid(False, axis="x")
        if p in row_starts:
            ax.set_ylabel(f"energy per dense MAC ({unit}/MAC)", fontsize=LABEL_FONT)
    fig.supxlabel("dataflow, pruning \u00b7 format", fontsize=LABEL_FONT)
    handles, labels = axes[0][0].get_legend_handles_labels()
    outside_legend(fig, handles[::-1], labels[::-1], title="component")
    fig.suptitle("Energy per MAC by component", fontsize=TITLE_FONT + 1.5)
    caption = (f"Energy of the whole workload divided by its dense MAC count, so every bar prices the same work "
               f"({unit} per MAC; TOPS/W = 2 / (pJ per MAC)). Stacks: MACs, idle PE cycles, sparse index decode, "
               f"the weight/input/output SRAMs and DRAM. Lower is better.")
    return fig, caption


# ----------------------------------------------------------------------------- heatmap
def _common_prefix(names, share: float = 0.75) -> str:
    """The longest dotted prefix (``"encoder.layer."``) that at least ``share`` of the names start with.

    A prefix is never a whole name, so every name keeps something after it.
    """
    if len(names) < 2:
        return ""
    counts: dict[str, int] = {}
    for name in names:
        parts = name.split(".")
        for k in range(1, len(parts)):
            prefix = ".".join(parts[:k]) + "."
            counts[prefix] = counts.get(prefix, 0) + 1
    shared = [p for p, c in counts.items() if c >= share * len(names)]
    return max(shared, key=lambda p: (len(p), p), default="")


def _strip(name: str, prefix: str) -> str:
    return name[len(prefix):] if prefix and name.startswith(prefix) else name


def _heatmap_figure(d):
    import numpy as np
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import FixedLocator, NullLocator

    rows = [s for s in d.summaries if not s["baseline"]]
    if not rows:
        return None
    layers = list(dict.fromkeys(r["layer"] for r in d.records))
    prefix = _common_prefix(layers)
    col = {name: j for j, name in enumerate(layers)}
    row_of = {s["config"]: i for i, s in enumerate(rows)}
    grid = np.full((len(rows), len(layers)), np.nan)
    for r in d.records:
        i = row_of.get(r["config"])
        if i is not None and r["speedup_vs_dense"]:
            grid[i, col[r["layer"]]] = r["speedup_vs_dense"]
    finite = grid[np.isfinite(grid)]
    span = max(float(np.max(finite)), 1.0 / float(np.min(finite)), 2.0) if finite.size else 2.0
    span = 2.0 ** math.ceil(math.log2(span))
    step = max(1, math.ceil(len(layers) / 100))
    shown = list(range(0, len(layers), step))
    longest = max((len(_strip(layers[j], prefix)) for j in shown), default=4)
    cell_w, cell_h = (0.13 if len(shown) <= 60 else 0.115), 0.17
    row_label_in = 0.075 * max(len(d.labeller.config(s["arch"], s["dataflow"], s["prune"], s["format"]))
                               for s in rows) + 0.4
    width = row_label_in + len(layers) * cell_w + 1.6
    height = 1.0 + len(rows) * cell_h + longest * 0.055 + 0.5
    fig = new_figure(max(width, 6.0), max(height, 3.0))
    ax = fig.subplots()
    cmap = _cmap("RdBu")
    mesh = ax.pcolormesh(np.ma.masked_invalid(grid), cmap=cmap, norm=LogNorm(vmin=1.0 / span, vmax=span),
                         edgecolors="white", linewidth=0.3)
    ax.set_xlim(0, len(layers))
    ax.set_ylim(len(rows), 0)
    ax.grid(False)
    ax.set_yticks([i + 0.5 for i in range(len(rows))],
                  [mpl_text(d.labeller.config(s["arch"], s["dataflow"], s["prune"], s["format"])) for s in rows],
                  fontsize=TICK_FONT)
    ax.set_xticks([j + 0.5 for j in shown], [mpl_text(_strip(layers[j], prefix)) for j in shown],
                  rotation=90, fontsize=TICK_FONT - 1)
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel(f"layer, network order{' (every %d th shown)' % step if step > 1 else ''}", fontsize=LABEL_FONT)
    ax.set_ylabel("configuration (arch, dataflow, pruning \u00b7 format)", fontsize=LABEL_FONT)
    bar = fig.colorbar(mesh, ax=ax, shrink=min(1.0, 4.0 / max(height, 4.0)) if height > 8 else 0.9,
                       aspect=25, pad=0.01)
    ticks = [2.0**e for e in range(-int(math.log2(span)), int(math.log2(span)) + 1)]
    if len(ticks) > 9:
        ticks = ticks[::2] if 1.0 in ticks[::2] else ticks[1::2]
    bar.ax.yaxis.set_major_locator(FixedLocator(ticks))
    bar.ax.yaxis.set_minor_locator(NullLocator())
    bar.ax.set_yticklabels([f"{format_number(t, 3)}x" for t in ticks], fontsize=TICK_FONT)
    bar.set_label("speedup vs dense baseline (x, log scale)", fontsize=LABEL_FONT)
    fig.suptitle("Per-layer speedup against the dense baseline", fontsize=TITLE_FONT + 1.5)
    prefix_note = (f" Layer names drop the prefix \u201c{prefix}\u201d most of them share." if prefix else "")
    caption = ("One row per configuration (dense baselines left out: they are 1x by definition), one column per "
               "layer in network order. Colour: the layer's cycles on its architecture's dense baseline (same "
               "dataflow) / its cycles here; blue is faster, red slower, white unchanged; grey: no baseline."
               + prefix_note)
    return fig, caption


def _cmap(name):
    import matplotlib

    return matplotlib.colormaps[name].with_extremes(bad="#d0d0d0")


# ----------------------------------------------------------------------------- roofline
def _roofline_figure(d):
    import numpy as np

    dataflows = _dataflows(d.summaries)
    panels = _panels(d.summaries, d.labeller)
    peaks, points = {}, {}
    for r in d.records:
        if r["utilization"] > 0 and r["cycles"]:
            rate = r["macs_effectual"] / (r["utilization"] * r["cycles"])
            peaks[r["arch"]] = max(peaks.get(r["arch"], 0.0), round(rate))
        if r["dram_bytes_total"] > 0 and r["latency_s"] > 0 and r["macs_effectual"] > 0:
            ops = 2.0 * r["macs_effectual"]
            points.setdefault((r["arch"], r["dataflow"], (r["prune"], r["format"])), []).append(
                (ops / r["dram_bytes_total"], ops / r["latency_s"]))
    if not points:
        return None
    peak_ops = {a: 2.0 * m * d.archs[a].clock_mhz * 1e6 for a, m in peaks.items()}
    bandwidth = {a: spec.dram_bandwidth_bytes_per_cycle * spec.clock_mhz * 1e6 for a, spec in d.archs.items()}
    ridges = [peak_ops[a] / bandwidth[a] for a in peak_ops if math.isfinite(bandwidth[a])]
    all_x = [x for pts in points.values() for x, _ in pts] + ridges
    all_y = [y for pts in points.values() for _, y in pts] + list(peak_ops.values())
    unit, size = pick_unit([max(all_y)], THROUGHPUT)
    x_lo, x_hi = min(all_x) / 2, max(all_x) * 2
    y_lo, y_hi = min(all_y) / size / 2, max(all_y) / size * 2
    blocks = chunks(range(len(panels)), ROOFLINE_COLUMNS)
    cols = len(blocks[0])
    panel_w, panel_h = 3.0, 2.55
    n_rows = len(blocks) * len(dataflows)
    fig = new_figure(cols * panel_w + 2.0, n_rows * panel_h + 0.8)
    grid = fig.subplots(n_rows, cols, squeeze=False, sharex=True, sharey=True)
    xs = np.geomspace(x_lo, x_hi, 256)
    for b_i, block in enumerate(blocks):
        for r_i, df in enumerate(dataflows):
            for c_i, p in enumerate(block):
                arch, variants, part = panels[p]
                ax = grid[b_i * len(dataflows) + r_i][c_i]
                ax.set_xscale("log")
                ax.set_yscale("log")
                bw, peak = bandwidth[arch], peak_ops.get(arch)
                if peak:
                    roof = np.minimum(peak, bw * xs) if math.isfinite(bw) else np.full_like(xs, peak)
                    ax.plot(xs, roof / size, color="black", linewidth=1.1)
                for v in variants:
                    pts = points.get((arch, df, v), [])
                    if pts:
                        ax.scatter([q[0] for q in pts], [q[1] / size for q in pts], s=16, alpha=0.9,
                                   color=d.labeller.colour(*v), edgecolors="#404040", linewidths=0.3)
                bw_text = "unlimited DRAM" if not math.isfinite(bw) else f"DRAM {format_number(bw / 1e9, 3)} GB/s"
                peak_text = f"peak {format_number(peak / size, 3)} {unit}" if peak else "no peak"
                ax.set_title(mpl_text(f"{arch}{part} \u00b7 {df.upper()}") + f"\n{peak_text}, {bw_text}",
                             fontsize=TICK_FONT + 0.5)
                if c_i == 0:
                    ax.set_ylabel(f"attained ({unit})", fontsize=LABEL_FONT)
            for c_i in range(len(block), cols):
                grid[b_i * len(dataflows) + r_i][c_i].set_visible(False)
    ax0 = grid[0][0]
    ax0.set_xlim(x_lo, x_hi)
    ax0.set_ylim(y_lo, y_hi)
    log_ticks(ax0.xaxis, x_lo, x_hi, panel_w - 0.6, horizontal=True)
    log_ticks(ax0.yaxis, y_lo, y_hi, panel_h - 0.9, horizontal=False)
    for row in grid:
        for ax in row:
            ax.label_outer()
    fig.supxlabel("operational intensity (ops per DRAM byte)", fontsize=LABEL_FONT)
    _variant_legend(fig, d.labeller, list(dict.fromkeys(v for _, vs, _ in panels for v in vs)))
    fig.suptitle("Roofline per architecture and dataflow (one point per layer)", fontsize=TITLE_FONT + 1.5)
    caption = ("Each point is a layer: x = 2 x effectual MACs / DRAM bytes moved (values and metadata), y = 2 x "
               "effectual MACs / the layer's time. The black roof is min(peak, DRAM bandwidth x intensity) of the "
               "architecture; points on the slope are DRAM-bound, points under the flat roof leave multipliers "
               "idle (fold fill/drain, load imbalance, SRAM limits). Both axes are logarithmic.")
    return fig, caption


# ----------------------------------------------------------------------------- storage
def _storage_figure(d):
    keys = list(d.storage)
    if not keys:
        return None
    vals = [d.storage[k]["total"]["storage_bits"]["values"] / 8 for k in keys]
    meta = [d.storage[k]["total"]["storage_bits"]["metadata"] / 8 for k in keys]
    unit, size = pick_unit([v + m for v, m in zip(vals, meta)], BYTES)
    fig = new_figure(8.5, 1.3 + 0.32 * len(keys))
    ax = fig.subplots()
    ys = range(len(keys))
    ax.barh(ys, [v / size for v in vals], 0.7, color="#4c72b0", label="values")
    ax.barh(ys, [m / size for m in meta], 0.7, left=[v / size for v in vals], color="#dd8452", label="metadata")
    ax.set_yticks(list(ys), [mpl_text(d.labeller.variant(p or "none", f)) for p, f in keys], fontsize=TICK_FONT)
    ax.set_ylim(len(keys) - 0.5, -0.5)
    ax.set_xlabel(f"weight storage ({unit})", fontsize=LABEL_FONT)
    ax.set_ylabel("pruning \u00b7 format", fontsize=LABEL_FONT)
    handles, labels = ax.get_legend_handles_labels()
    outside_legend(fig, handles, labels, title="stored")
    fig.suptitle("Weight storage: values and metadata", fontsize=TITLE_FONT + 1.5)
    caption = (f"Bits of every weight tensor in each (pruning, format) pair that ran, at the architectures' weight "
               f"width, in {unit}: stored values plus the format's metadata (indices, bitmaps, pointers).")
    return fig, caption


# ----------------------------------------------------------------------------- pareto
def _pareto_figure(d):
    pts = [(s["latency_s"], s["energy_pj_total"]) for s in d.summaries]
    front = set(pareto_front(pts))
    t_unit, t_size = pick_unit([p[0] for p in pts], TIME)
    e_unit, e_size = pick_unit([p[1] for p in pts], ENERGY)
    groups = chunks(d.labeller.archs, MAX_SERIES)
    fig = new_figure(4.6 * len(groups) + 2.4, 4.6)
    axes = fig.subplots(1, len(groups), squeeze=False, sharex=True, sharey=True)[0]
    handles, labels = [], []
    for ax, archs in zip(axes, groups):
        for a_i, arch in enumerate(archs):
            sel = [(p[0] / t_size, p[1] / e_size) for p, s in zip(pts, d.summaries) if s["arch"] == arch]
            h = ax.scatter([x for x, _ in sel], [y for _, y in sel], s=30, alpha=0.75,
                           marker=_ARCH_MARKERS[a_i % len(_ARCH_MARKERS)],
                           facecolors="none", edgecolors=_ARCH_COLOURS[a_i % len(_ARCH_COLOURS)], linewidths=1.1)
            handles.append(h)
            labels.append(mpl_text(arch))
        ring = [(pts[i][0] / t_size, pts[i][1] / e_size) for i in sorted(front)
                if d.summaries[i]["arch"] in archs]
        if ring:
            ax.scatter([x for x, _ in ring], [y for _, y in ring], s=110, facecolors="none", edgecolors="black",
                       linewidths=0.9)
        ax.set_xlabel(f"latency ({t_unit})", fontsize=LABEL_FONT)
        if len(groups) > 1:
            ax.set_title(f"architectures {archs[0]} to {archs[-1]}", fontsize=TITLE_FONT)
    fp = sorted((pts[i][0] / t_size, pts[i][1] / e_size) for i in front)
    for ax in axes:
        line = ax.plot([p[0] for p in fp], [p[1] for p in fp], color="black", linewidth=0.9, linestyle="--")
    handles.append(line[0])
    labels.append("Pareto front")
    axes[0].set_ylabel(f"energy ({e_unit})", fontsize=LABEL_FONT)
    outside_legend(fig, handles, labels, title="architecture")
    fig.suptitle("Latency versus energy, whole workload", fontsize=TITLE_FONT + 1.5)
    caption = ("One point per configuration, colour and marker by architecture (identical dense baselines of "
               "identical arrays overlap); big black rings mark the Pareto front (no "
               "other configuration is both faster and uses less energy), joined by the dashed line. Down and left "
               "is better. The summary table's \u201cPareto\u201d column names them.")
    return fig, caption


# ----------------------------------------------------------------------------- all plots
_BUILDERS = (
    ("latency.png", "Latency", _latency_figure),
    ("speedup_energy_vs_dense.png", "Speedup and energy reduction against dense", _speedup_figure),
    ("layer_speedup_heatmap.png", "Per-layer speedup heatmap", _heatmap_figure),
    ("energy_per_mac.png", "Energy per MAC by component", _energy_per_mac_figure),
    ("roofline.png", "Roofline per architecture", _roofline_figure),
    ("utilization.png", "PE utilization", _utilization_figure),
    ("pareto.png", "Latency versus energy (Pareto front)", _pareto_figure),
    ("storage.png", "Weight storage", _storage_figure),
)


def build_figures(data, *, draw: bool = True) -> list[PlotFigure]:
    """Build every plot of ``data`` (a :class:`~accelsim.report.result.ComparisonResult`).

    With ``draw`` each figure is drawn once, so its texts have their final
    positions (``get_window_extent``).

    Call inside :func:`~accelsim.report.figures.plot_style` to inspect the
    figures with the report's settings; :func:`make_plots` does that itself.
    """
    out = []
    for name, title, builder in _BUILDERS:
        built = builder(data)
        if built is None:
            continue
        fig, caption = built
        if draw:
            fig.canvas.draw()
        out.append(PlotFigure(name, title, caption, fig))
    return out


def make_plots(data) -> list[Plot]:
    """Render every plot of ``data`` to PNG bytes (deterministic), in report order."""
    plots = []
    with plot_style():
        for built in build_figures(data, draw=False):
            plots.append(Plot(built.name, built.title, built.caption, render_png(built.figure)))
    return plots
