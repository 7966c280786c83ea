"""Read a YAML file for the user, turning every failure into one clear message."""

from __future__ import annotations

from pathlib import Path

import yaml

from accelsim.errors import AccelsimInputError

__all__ = ["read_yaml_file"]


def read_yaml_file(path, what: str, hint: str | None = None):
    """Parse ``path`` as YAML and return the document.

    Parameters
    ----------
    path : str or os.PathLike
    what : str
        What the file is, for messages, e.g. ``"architecture file"``.
    hint : str, optional
        Appended to the message on a syntax error (e.g. an example of valid input).

    Raises
    ------
    AccelsimInputError
        If the file cannot be read or decoded, or is not valid YAML (with line and column).
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AccelsimInputError(f"cannot read {what} {str(path)!r}: {exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise AccelsimInputError(f"{what} {str(path)!r} is not valid YAML{where}: {problem}",
                                 hint=hint) from None
