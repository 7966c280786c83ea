"""Short, unique labels for plots (with the key that expands them) and one colour per variant.

A configuration is (arch, dataflow, pruning, format). Plots facet by arch and
dataflow and colour by *variant*, the (pruning, format) pair. Full names are
long (``unstructured-os-32x32/WS/unstructured:0.8/csr``), so plots use short
ones (``unstructured WS u80% · csr``) and the report prints the key.
Colours: one hue family per pruning scheme, one shade per format inside it;
the unpruned dense baseline is grey.
"""

from __future__ import annotations

import re

__all__ = ["Labeller", "short_prune", "short_format", "BASELINE_VARIANT", "mpl_text"]

#: The (pruning, format) pair of every dense baseline.
BASELINE_VARIANT = ("none", "dense")
_MAX_ARCH_CHARS = 14

# Hue families from ColorBrewer's sequential schemes (Blues, Oranges, Greens, Purples, Reds, ...),
# four shades each, alternating darker and lighter so neighbouring bars differ; none is too pale to
# see on white.
_FAMILIES = (
    ("#2171b5", "#6baed6", "#084594", "#9ecae1"),
    ("#d94801", "#fd8d3c", "#8c2d04", "#fdae6b"),
    ("#238b45", "#74c476", "#005a32", "#a1d99b"),
    ("#6a51a3", "#9e9ac8", "#4a1486", "#bcbddc"),
    ("#cb181d", "#fb6a4a", "#67000d", "#fc9272"),
    ("#7b4173", "#ce6dbd", "#4d1f48", "#de9ed6"),
    ("#8c6d31", "#e7ba52", "#5c4515", "#e7cb94"),
    ("#393b79", "#6b6ecf", "#1f2050", "#9c9ede"),
)
_BASELINE_COLOUR = "#636363"


def mpl_text(text: str) -> str:
    """A name as literal matplotlib text: ``$`` escaped, so it is never parsed as math."""
    return str(text).replace("$", r"\$")


def short_prune(scheme: str) -> str:
    """Short form of a canonical pruning scheme (``"unstructured:0.8"`` -> ``"u80%"``)."""
    if scheme in (None, "none"):
        return "unpruned"
    fields = scheme.split(":")
    kind = fields[0]

    def pct(text):
        try:
            return f"{float(text) * 100:g}%"
        except ValueError:
            return text

    if kind == "nm" and len(fields) >= 3:
        return f"{fields[1]}:{fields[2]}"
    if kind == "unstructured" and len(fields) >= 2:
        return "u" + pct(fields[1]) + ("g" if "global" in fields[2:] else "")
    if kind == "block" and len(fields) >= 3:
        return f"b{fields[1]} {pct(fields[2])}"
    if kind == "channel" and len(fields) >= 2:
        return "ch" + pct(fields[1])
    if kind == "kernel" and len(fields) >= 2:
        return "k" + pct(fields[1])
    return scheme


def short_format(fmt: str) -> str:
    """Short form of a canonical format (``"nm:2:4"`` -> ``"nm"``, ``"bsr:4x4"`` -> ``"bsr"``)."""
    return fmt.split(":")[0]


def _unique(full_names, shorten, fallback_prefix):
    """``{full: short}``, falling back to ``prefix1..n`` for all when the short forms collide."""
    short = {name: shorten(name) for name in full_names}
    if len(set(short.values())) == len(short):
        return short
    return {name: f"{fallback_prefix}{i + 1}" for i, name in enumerate(full_names)}


def _arch_short(name: str) -> str:
    head = re.split(r"[-_/ ]", name, maxsplit=1)[0] or name
    return head if len(head) <= _MAX_ARCH_CHARS else head[:_MAX_ARCH_CHARS - 1] + "\u2026"


class Labeller:
    """Short labels and colours for one comparison.

    Parameters
    ----------
    archs : sequence of str
        Architecture names, in report order.
    variants : sequence of (str, str)
        (pruning, format) pairs in report order; the baseline ``("none",
        "dense")`` may be among them.
    """

    def __init__(self, archs, variants):
        self.archs = list(dict.fromkeys(archs))
        self.variants = list(dict.fromkeys(variants))
        self.arch_short = _unique(self.archs, _arch_short, "A")
        prunes = list(dict.fromkeys(p for p, _ in self.variants))
        formats = list(dict.fromkeys(f for _, f in self.variants))
        self.prune_short = _unique(prunes, short_prune, "P")
        self.format_short = _unique(formats, short_format, "F")
        self._colours = self._assign_colours()

    def _assign_colours(self) -> dict:
        colours, families = {}, {}
        shade_used: dict[str, int] = {}
        for prune, fmt in self.variants:
            if (prune, fmt) == BASELINE_VARIANT:
                colours[(prune, fmt)] = _BASELINE_COLOUR
                continue
            family = families.setdefault(prune, len(families))
            shade = shade_used.get(prune, 0)
            shade_used[prune] = shade + 1
            shades = _FAMILIES[family % len(_FAMILIES)]
            colours[(prune, fmt)] = shades[shade % len(shades)]
        return colours

    def variant(self, prune: str, fmt: str) -> str:
        """Short label of a variant: ``"u80% · csr"``; the baseline is ``"dense baseline"``."""
        if (prune, fmt) == BASELINE_VARIANT:
            return "dense baseline"
        return f"{self.prune_short[prune]} \u00b7 {self.format_short[fmt]}"

    def colour(self, prune: str, fmt: str) -> str:
        """The colour of a variant (the same in every plot)."""
        return self._colours[(prune, fmt)]

    def config(self, arch: str, dataflow: str, prune: str, fmt: str) -> str:
        """Short label of a configuration: ``"unstructured WS u80% · csr"``."""
        return f"{self.arch_short[arch]} {dataflow.upper()} {self.variant(prune, fmt)}"

    def key_rows(self) -> list[list[str]]:
        """Rows ``[kind, short, full]`` for every short label whose full name differs."""
        rows = []
        for kind, table in (("architecture", self.arch_short), ("pruning", self.prune_short),
                            ("format", self.format_short)):
            for full, short in table.items():
                if short != full:
                    rows.append([kind, short, full])
        return rows
