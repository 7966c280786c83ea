"""The plots of a 42-configuration comparison read: few series per axes, no overlapping labels, units, titles.

Overlaps are judged with matplotlib's own bounding boxes of the drawn texts.
"""

import re

import pytest

from accelsim.report.figures import MAX_SERIES, plot_style, render_png
from accelsim.report.plots import build_figures

EXPECTED = {"latency.png", "speedup_energy_vs_dense.png", "layer_speedup_heatmap.png", "energy_per_mac.png",
            "roofline.png", "utilization.png", "pareto.png", "storage.png"}
UNIT = re.compile(r"\([^()]+\)")
NUMBER = re.compile(r"^[\u2212-]?[\d,]*\.?\d+(e[+-]?\d+)?x?$")




def _axes(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def _is_colorbar(ax):
    return getattr(ax, "_colorbar", None) is not None


def _series(ax) -> int:
    return len(ax.containers) + len(ax.lines) + len(ax.collections) + len(ax.images)


def _tick_labels(ax, which):
    axis = ax.xaxis if which == "x" else ax.yaxis
    lo, hi = sorted(ax.get_xlim() if which == "x" else ax.get_ylim())
    out = []
    for loc, label in zip(axis.get_majorticklocs(), axis.get_majorticklabels()):
        if label.get_visible() and label.get_text().strip() and lo - 1e-9 * abs(hi - lo) <= loc <= hi + 1e-9 * abs(hi - lo):
            out.append(label)
    return out


def _overlap(a, b) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def _labelled_texts(fig):
    """(description, bbox) of every tick label, axis label, title and legend of the figure."""
    renderer = fig.canvas.get_renderer()
    texts = []
    for i, ax in enumerate(_axes(fig)):
        for which in "xy":
            texts += [(f"axes {i} {which} tick {t.get_text()!r}", t.get_window_extent(renderer))
                      for t in _tick_labels(ax, which)]
        for name, t in (("xlabel", ax.xaxis.label), ("ylabel", ax.yaxis.label), ("title", ax.title)):
            if t.get_visible() and t.get_text().strip():
                texts.append((f"axes {i} {name} {t.get_text()!r}", t.get_window_extent(renderer)))
    for name in ("_suptitle", "_supxlabel", "_supylabel"):
        t = getattr(fig, name, None)
        if t is not None and t.get_text().strip():
            texts.append((f"figure {name} {t.get_text()!r}", t.get_window_extent(renderer)))
    for legend in fig.legends:
        texts.append(("figure legend", legend.get_window_extent(renderer)))
    return texts


def _check_every_plot_is_built(figures):
    assert {f.name for f in figures} == EXPECTED


def _check_no_axes_has_more_than_twelve_series(figures):
    for built in figures:
        for ax in _axes(built.figure):
            assert _series(ax) <= 12, (built.name, ax.get_title(), _series(ax))
            if not _is_colorbar(ax):
                assert _series(ax) <= MAX_SERIES + 2, (built.name, ax.get_title())


def _check_no_labels_overlap(figures):
    for built in figures:
        texts = _labelled_texts(built.figure)
        assert texts, built.name
        for i, (name_a, a) in enumerate(texts):
            for name_b, b in texts[i + 1:]:
                assert _overlap(a, b) <= 1.0, f"{built.name}: {name_a} overlaps {name_b}"


def _check_labels_stay_inside_the_figure(figures):
    for built in figures:
        fig = built.figure
        width, height = fig.bbox.width, fig.bbox.height
        for name, box in _labelled_texts(fig):
            assert box.x0 >= -1 and box.y0 >= -1 and box.x1 <= width + 1 and box.y1 <= height + 1, \
                f"{built.name}: {name} is cut off"


def _check_legends_sit_outside_every_axes(figures):
    for built in figures:
        fig = built.figure
        renderer = fig.canvas.get_renderer()
        legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
        assert legends or any(_is_colorbar(ax) for ax in fig.axes), f"{built.name} has no legend nor colour bar"
        for legend in legends:
            box = legend.get_window_extent(renderer)
            for ax in _axes(fig):
                assert _overlap(box, ax.get_window_extent(renderer)) == 0.0, f"{built.name}: legend covers data"


def _check_titles_and_axis_labels_with_units(figures):
    for built in figures:
        fig = built.figure
        assert fig._suptitle is not None and fig._suptitle.get_text().strip(), built.name
        assert built.caption.strip() and built.title.strip()
        supx = fig._supxlabel.get_text() if getattr(fig, "_supxlabel", None) is not None else ""
        panels = [ax for ax in _axes(fig) if not _is_colorbar(ax)]
        for ax in _axes(fig):
            if _is_colorbar(ax):
                assert UNIT.search(ax.get_ylabel() or ax.get_xlabel()), f"{built.name}: colorbar without unit"
                continue
            if len(panels) > 1:
                assert ax.get_title().strip(), f"{built.name}: a panel without a title"
            for which, label in (("x", ax.get_xlabel() or supx), ("y", ax.get_ylabel())):
                ticks = _tick_labels(ax, which)
                shows_ticks = bool(ticks)
                quantitative = all(NUMBER.match(t.get_text()) for t in ticks)
                if quantitative and shows_ticks:
                    assert UNIT.search(label or ""), f"{built.name}: {which} axis {label!r} has no unit"
                elif which == "x" and shows_ticks:
                    assert label.strip(), f"{built.name}: categorical x axis without a label"


def _check_heatmap_is_configuration_by_layer(figures, review42):
    heat = next(f for f in figures if f.name == "layer_speedup_heatmap.png").figure
    ax = heat.axes[0]
    sparse = [s for s in review42.configs if not s["baseline"]]
    assert len(ax.get_yticklabels()) == len(sparse) == 30
    assert [t.get_text() for t in ax.get_xticklabels()] == ["conv1", "conv2", "conv3", "fc"]


def test_png_bytes_are_deterministic(review42):
    from accelsim.report.plots import _storage_figure

    with plot_style():
        first = render_png(_storage_figure(review42)[0])
        again = render_png(_storage_figure(review42)[0])
    assert first == again and first[:8] == b"\x89PNG\r\n\x1a\n"


def _check_render_png_has_no_metadata(figures):
    png = render_png(figures[-1].figure)
    assert b"Software" not in png and b"matplotlib" not in png.lower()


def test_the_overlap_check_catches_crowded_labels():
    """The checker above is not vacuous: 60 long labels on a 3-inch axis overlap and are caught."""
    from accelsim.report.figures import new_figure

    with plot_style():
        fig = new_figure(3, 2)
        ax = fig.subplots()
        ax.set_xticks(range(60), [f"configuration {i}" for i in range(60)])
        fig.canvas.draw()
    texts = _labelled_texts(fig)
    assert any(_overlap(a, b) > 1.0 for i, (_, a) in enumerate(texts) for _, b in texts[i + 1:])


def test_plots_of_a_42_configuration_compare_read(review42):
    """All the checks above on one build of the figures (drawing them is the slow part).

    They run with the report's matplotlib settings, as make_plots renders: ticks that matplotlib
    creates while they are inspected get the same fonts as in the PNG.
    """
    with plot_style():
        figures = build_figures(review42)
        _check_all(figures, review42)


def _check_all(figures, review42):
    _check_every_plot_is_built(figures)
    _check_no_axes_has_more_than_twelve_series(figures)
    _check_no_labels_overlap(figures)
    _check_labels_stay_inside_the_figure(figures)
    _check_legends_sit_outside_every_axes(figures)
    _check_titles_and_axis_labels_with_units(figures)
    _check_heatmap_is_configuration_by_layer(figures, review42)
    _check_render_png_has_no_metadata(figures)
