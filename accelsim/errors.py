"""Exceptions raised for bad user input, collecting every problem at once."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem", "AccelsimInputError", "ProblemCollector"]


@dataclass(frozen=True)
class Problem:
    """One validation problem.

    Parameters
    ----------
    field : str
        Dotted path of the offending field, e.g. ``"array.rows"``.
    value : object
        The value that was given (``repr`` is shown to the user).
    allowed : str
        What would have been accepted, e.g. ``"an integer >= 1"``.
    """

    field: str
    value: object
    allowed: str

    def __str__(self) -> str:
        return f"{self.field}: got {self.value!r}; allowed: {self.allowed}"


class AccelsimInputError(ValueError):
    """Bad user input: a file, a scheme string, an argument.

    The message lists every problem found, one per line, and may end with a
    hint (for example an example of valid input). The CLI prints it and exits
    with status 2.

    Parameters
    ----------
    summary : str
        One line saying what was being read, e.g. ``"invalid architecture file arch.yaml"``.
    problems : sequence of Problem, optional
        Every problem found.
    hint : str, optional
        Extra guidance appended to the message.
    """

    def __init__(self, summary: str, problems=(), hint: str | None = None):
        self.summary = summary
        self.problems = tuple(problems)
        self.hint = hint
        lines = [summary]
        lines.extend(f"  - {p}" for p in self.problems)
        if hint:
            lines.append(hint)
        super().__init__("\n".join(lines))


class ProblemCollector:
    """Accumulates :class:`Problem` objects and raises them all together."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, field: str, value: object, allowed: str) -> None:
        """Record one problem."""
        self.problems.append(Problem(field, value, allowed))

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, summary: str, hint: str | None = None) -> None:
        """Raise :class:`AccelsimInputError` if any problem was recorded."""
        if self.problems:
            raise AccelsimInputError(summary, self.problems, hint)
