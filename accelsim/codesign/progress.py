"""Terminal progress of a co-pruning search: the step, the best so far, the time left."""

from __future__ import annotations

import sys
import time

__all__ = ["SearchProgress"]


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.0f}s"
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


class SearchProgress:
    """Prints one line per fine-tuned candidate to a stream (stderr by default).

    The time left is the mean time of a fine-tuning step so far times the
    steps still planned (the plan grows as each arch's path length is known).

    Parameters
    ----------
    quiet : bool
        Print nothing.
    stream : file, optional
    """

    def __init__(self, quiet: bool = False, stream=None):
        self.quiet = quiet
        self.stream = stream
        self.start = time.monotonic()
        self.step = 0
        self.planned = 0
        self.step_time = 0.0

    def plan(self, steps: int) -> None:
        """Add ``steps`` fine-tuning steps to the plan."""
        self.planned += max(0, int(steps))

    def unplan(self, steps: int) -> None:
        """Remove ``steps`` planned steps that will not run."""
        self.planned = max(self.step, self.planned - max(0, int(steps)))

    def note(self, text: str) -> None:
        """A line without a step (phases, warnings)."""
        if not self.quiet:
            self._write(f"copruning: {text}")

    def done_step(self, phase: str, result: str, best: str, seconds: float) -> None:
        """Report one fine-tuned candidate."""
        self.step += 1
        self.step_time += seconds
        self.planned = max(self.planned, self.step)
        if self.quiet:
            return
        elapsed = time.monotonic() - self.start
        left = (self.planned - self.step) * (self.step_time / self.step)
        self._write(f"copruning: step {self.step}/{self.planned} [{phase}] {result} | best {best} | "
                    f"{_duration(elapsed)} elapsed, ~{_duration(left)} left")

    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.monotonic() - self.start

    def _write(self, line: str) -> None:
        stream = self.stream if self.stream is not None else sys.stderr
        try:
            stream.write(line + "\n")
            stream.flush()
        except (OSError, ValueError):
            pass
