"""Plain-text tables for the terminal (aligned columns, no dependencies)."""

from __future__ import annotations

__all__ = ["format_table", "human_bits", "human_count"]


def format_table(headers, rows, align=None) -> str:
    """Render ``rows`` under ``headers`` as an aligned text table.

    Parameters
    ----------
    headers : sequence of str
    rows : sequence of sequence
        Cells are converted with ``str``.
    align : str, optional
        One character per column, ``"l"`` or ``"r"``; default: first column
        left, the rest right.
    """
    headers = [str(h) for h in headers]
    body = [[str(c) for c in row] for row in rows]
    if align is None:
        align = "l" + "r" * (len(headers) - 1)
    widths = [len(h) for h in headers]
    for row in body:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells):
        out = []
        for i, cell in enumerate(cells):
            out.append(cell.ljust(widths[i]) if align[i] == "l" else cell.rjust(widths[i]))
        return "  ".join(out).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep] + [line(r) for r in body])


def human_count(x: float) -> str:
    """Format a count with a k/M/G suffix (``1234567`` -> ``"1.23M"``)."""
    x = float(x)
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{unit}"
    return f"{x:.4g}"


def human_bits(bits: float) -> str:
    """Format a bit count as bytes with a binary suffix (``8192`` -> ``"1.00 KiB"``)."""
    nbytes = float(bits) / 8.0
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= scale:
            return f"{nbytes / scale:.2f} {unit}"
    return f"{nbytes:.0f} B"
