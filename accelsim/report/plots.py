"""PNG plots for design reviews (matplotlib, Agg backend, deterministic bytes)."""

from __future__ import annotations

import io

__all__ = ["pareto_front", "make_plots"]

_PARTS = ("mac", "pe_idle", "index_decode", "weight_sram", "input_sram", "output_sram", "dram")


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


def _figure(width=9.0, height=4.5):
    import matplotlib
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    plt.rcParams.update({"svg.hashsalt": "accelsim", "font.size": 8})
    fig, ax = plt.subplots(figsize=(width, height), dpi=100)
    return plt, fig, ax


def _png(plt, fig) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _short(label: str) -> str:
    return label.replace("/unpruned", "").replace("-32x32", "")


def make_plots(records, summaries, storage) -> dict[str, bytes]:
    """Render every plot; returns ``{file name: PNG bytes}``.

    Parameters
    ----------
    records : list of dict
        Per (config, layer) rows from :func:`~accelsim.report.records.layer_records`.
    summaries : list of dict
        Per-config rows from :func:`~accelsim.report.records.config_summaries`.
    storage : dict
        ``(prune, format) -> encode summary`` from the comparison.
    """
    out = {}
    labels = [s["config"] for s in summaries]
    short = [_short(l) for l in labels]
    bar_width_in = max(9.0, 0.32 * len(summaries) + 2.0)   # room for one label per bar

    # 1. per-layer cycles per config
    plt, fig, ax = _figure(10, 4.5)
    layer_names = list(dict.fromkeys(r["layer"] for r in records))
    index = {n: i for i, n in enumerate(layer_names)}
    for label, name in zip(labels, short):
        rows = [r for r in records if r["config"] == label]
        ax.plot([index[r["layer"]] for r in rows], [r["cycles"] for r in rows], marker=".", linewidth=1, label=name)
    ax.set_yscale("log")
    ax.set_xlabel("layer (network order)")
    ax.set_ylabel("cycles")
    ax.set_title("Cycles per layer")
    if len(layer_names) <= 30:
        ax.set_xticks(range(len(layer_names)), layer_names, rotation=90)
    ax.legend(fontsize=6, ncol=2)
    out["cycles_per_layer.png"] = _png(plt, fig)

    # 2. energy breakdown stacked bars
    plt, fig, ax = _figure(bar_width_in, 5.5)
    bottom = [0.0] * len(summaries)
    for part in _PARTS:
        values = [s[f"energy_pj_{part}"] / 1e6 for s in summaries]
        ax.bar(range(len(summaries)), values, bottom=bottom, label=part)
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_xticks(range(len(summaries)), short, rotation=90, fontsize=7)
    ax.set_ylabel("energy (uJ)")
    ax.set_title("Energy breakdown per config")
    ax.legend(fontsize=7)
    out["energy_breakdown.png"] = _png(plt, fig)

    # 3. utilization
    plt, fig, ax = _figure(bar_width_in, 5.0)
    ax.bar(range(len(summaries)), [100 * s["utilization"] for s in summaries], color="tab:green")
    ax.set_xticks(range(len(summaries)), short, rotation=90, fontsize=7)
    ax.set_ylabel("utilization (%)")
    ax.set_ylim(0, 100)
    ax.set_title("PE utilization (effectual MACs / (PEs x cycles))")
    out["utilization.png"] = _png(plt, fig)

    # 4. speedup and energy saving against dense
    plt, fig, ax = _figure(bar_width_in, 5.0)
    width = 0.4
    xs = list(range(len(summaries)))
    ax.bar([x - width / 2 for x in xs], [s["speedup_vs_dense"] or 0 for s in summaries], width, label="speedup (x)")
    ax.bar([x + width / 2 for x in xs], [1 / (1 - s["energy_saving_vs_dense"])
                                         if s["energy_saving_vs_dense"] is not None and s["energy_saving_vs_dense"] < 1
                                         else 0 for s in summaries], width, label="energy reduction (x)")
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(xs, short, rotation=90, fontsize=7)
    ax.set_ylabel("x versus dense (same arch and dataflow)")
    ax.set_title("Speedup and energy saving against dense")
    ax.legend()
    out["speedup_energy_vs_dense.png"] = _png(plt, fig)

    # 5. storage split
    plt, fig, ax = _figure()
    keys = sorted(storage, key=lambda k: (str(k[0]), k[1]))
    names = [f"{p or 'unpruned'}\n{f}" for p, f in keys]
    vals = [storage[k]["total"]["storage_bits"]["values"] / 8 / 2**20 for k in keys]
    meta = [storage[k]["total"]["storage_bits"]["metadata"] / 8 / 2**20 for k in keys]
    ax.bar(range(len(keys)), vals, label="values")
    ax.bar(range(len(keys)), meta, bottom=vals, label="metadata")
    ax.set_xticks(range(len(keys)), names, fontsize=7)
    ax.set_ylabel("weight storage (MiB)")
    ax.set_title("Weight storage: values and metadata")
    ax.legend()
    out["storage.png"] = _png(plt, fig)

    # 6. cycles vs energy with the Pareto front: colour = arch, marker = dataflow,
    #    only the front is labelled (every point is in the tables)
    plt, fig, ax = _figure(8, 5.5)
    pts = [(s["cycles"], s["energy_pj_total"] / 1e6) for s in summaries]
    front = pareto_front(pts)
    archs = list(dict.fromkeys(s["arch"] for s in summaries))
    markers = {"ws": "o", "os": "s", "is": "^"}
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for a_i, arch in enumerate(archs):
        for df, marker in markers.items():
            sel = [p for p, s in zip(pts, summaries) if s["arch"] == arch and s["dataflow"] == df]
            if sel:
                ax.scatter([p[0] for p in sel], [p[1] for p in sel], marker=marker, s=28,
                           color=colours[a_i % len(colours)], label=f"{arch} {df.upper()}", alpha=0.8)
    fp = sorted(pts[i] for i in front)
    ax.plot([p[0] for p in fp], [p[1] for p in fp], color="tab:red", linewidth=1.2, label="Pareto front")
    for i in front:
        ax.annotate(short[i], pts[i], fontsize=6, xytext=(4, 4), textcoords="offset points", color="tab:red")
    ax.set_xlabel("cycles")
    ax.set_ylabel("energy (uJ)")
    ax.set_title("Cycles versus energy (front labelled; colour = arch, marker = dataflow)")
    ax.legend(fontsize=6, ncol=2)
    out["pareto.png"] = _png(plt, fig)
    return out
