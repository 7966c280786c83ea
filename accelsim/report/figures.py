"""Figure helpers for the report's plots: style, facets, log axes, outside legends, PNG bytes.

Figures are :class:`matplotlib.figure.Figure` objects on an Agg canvas (no
pyplot state, no display needed), laid out with constrained layout so
titles, tick labels and legends get their own room. PNG bytes carry no
metadata, so the same figure gives the same bytes every run.
"""

from __future__ import annotations

import io
import math
from contextlib import contextmanager

from accelsim.report.units import format_number

__all__ = ["plot_style", "new_figure", "render_png", "chunks", "log_ticks", "tick_text", "outside_legend", "MAX_SERIES",
           "TICK_FONT", "LABEL_FONT", "TITLE_FONT", "DPI"]

#: At most this many data series share one axes; more are split over panels.
MAX_SERIES = 10
TICK_FONT = 7.5
LABEL_FONT = 8.5
TITLE_FONT = 9.5
DPI = 100

_STYLE = {
    "font.size": 8.0,
    "axes.titlesize": TITLE_FONT,
    "axes.labelsize": LABEL_FONT,
    "xtick.labelsize": TICK_FONT,
    "ytick.labelsize": TICK_FONT,
    "legend.fontsize": TICK_FONT,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.5,
    "axes.axisbelow": True,
    "svg.hashsalt": "accelsim",
    "text.parse_math": True,        # labels escape "$" (accelsim.report.labels), whatever others set
    "figure.constrained_layout.h_pad": 0.06,
    "figure.constrained_layout.w_pad": 0.06,
}


@contextmanager
def plot_style():
    """Matplotlib settings of the report's plots (build and render figures inside it)."""
    import matplotlib

    with matplotlib.rc_context(_STYLE):
        yield


def new_figure(width_in: float, height_in: float):
    """A constrained-layout figure on an Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def render_png(fig) -> bytes:
    """PNG bytes of ``fig`` without metadata (deterministic)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def chunks(items, size: int = MAX_SERIES) -> list[list]:
    """``items`` cut into consecutive lists of at most ``size``."""
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


def tick_text(value: float) -> str:
    """A tick label: two significant digits, trailing zeros dropped (``0.001``, ``20``, ``1,000``)."""
    text = format_number(value, 2)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def log_ticks(axis, lo: float, hi: float, length_in: float, horizontal: bool) -> None:
    """Major ticks at 1-2-5 (or 1, or every other decade) with plain-number labels that fit ``length_in``.

    No minor tick labels (they crowd short log axes).
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    lo, hi = max(lo, 1e-300), max(hi, lo * 1.0001)
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    # room per label along the axis: a horizontal label's width, a vertical axis' line height
    def candidates(subs, step):
        return [m * 10.0**e for e in range(first, last + 1, step) for m in subs if lo <= m * 10.0**e <= hi]

    for subs, step in (((1, 2, 5), 1), ((1, 3), 1), ((1,), 1), ((1,), 2), ((1,), 3), ((1,), 5)):
        ticks = candidates(subs, step)
        if not ticks:
            continue
        widest = max(len(tick_text(t)) for t in ticks)
        per_label = (widest * 0.62 + 1.5) * TICK_FONT / 72 if horizontal else 2.2 * TICK_FONT / 72
        if len(ticks) * per_label <= length_in:
            break
    if not ticks:
        ticks = [lo, hi]
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: tick_text(v)))
    axis.set_minor_locator(NullLocator())
    axis.set_minor_formatter(NullFormatter())


def outside_legend(fig, handles, labels, title: str | None = None, where: str = "outside right upper"):
    """One legend for the whole figure, outside every axes."""
    return fig.legend(handles, labels, loc=where, title=title, frameon=False, fontsize=TICK_FONT,
                      title_fontsize=LABEL_FONT)
