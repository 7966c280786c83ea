"""Progress of a running sweep on the terminal: points done, points per second, ETA, best point so far.

On a terminal one line is redrawn at most ten times a second; in a log (not a
terminal) a line is written at every tenth of the sweep and at least every
30 seconds. "Best" is the smallest energy-delay product among the points
stored so far (earlier runs of a resumed sweep included).
"""

from __future__ import annotations

import shutil
import sys
import time

__all__ = ["SweepProgress", "format_duration"]


def format_duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``2h07m``."""
    if seconds != seconds or seconds == float("inf"):
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"


class SweepProgress:
    """Progress display of one run.

    Parameters
    ----------
    total : int
        Points this run has to compute.
    label_of : callable
        ``index -> str``: a short description of a point (for "best").
    best : tuple (value, index) or None
        Best EDP already stored (a resumed sweep).
    stream : file, optional
        Default ``sys.stderr``.
    quiet : bool
        Print nothing.
    """

    def __init__(self, total: int, label_of, best=None, stream=None, quiet: bool = False):
        self.total, self.label_of, self.best = total, label_of, best
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.done = self.errors = 0
        self.start = time.monotonic()
        self._last_draw = 0.0
        self._next_log = 0
        self._last_log_time = self.start
        self._logged_done = -1
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def update(self, records) -> None:
        """Count finished records and redraw."""
        for r in records:
            self.done += 1
            if r["status"] != "ok":
                self.errors += 1
                continue
            edp = r["outputs"]["edp_pj_s"]
            if self.best is None or (edp, r["index"]) < self.best:
                self.best = (edp, r["index"])
        self._draw(final=False)

    def line(self) -> str:
        """The current progress line."""
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else float("inf")
        errors = f" ({self.errors} errors)" if self.errors else ""
        text = (f"sweep: {self.done}/{self.total} points{errors}, {rate:.1f} points/s, "
                f"ETA {format_duration(eta) if self.done < self.total else '0s'}")
        if self.best is not None:
            value, index = self.best
            text += f", best EDP {value:.4g} pJ*s: #{index} {self.label_of(index)}"
        return text

    def _draw(self, final: bool) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if self._tty:
            if not final and now - self._last_draw < 0.1 and self.done < self.total:
                return
            self._last_draw = now
            width = shutil.get_terminal_size((120, 20)).columns - 1
            self.stream.write("\r" + self.line()[:width].ljust(width) + ("\n" if final else ""))
            self.stream.flush()
            return
        step = max(1, self.total // 10)
        if final and self._logged_done == self.done:
            return
        if final or self.done >= self._next_log or now - self._last_log_time >= 30:
            self._logged_done = self.done
            self._next_log = (self.done // step + 1) * step
            self._last_log_time = now
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def finish(self) -> None:
        """Final line (always on a line of its own)."""
        self._draw(final=True)
