"""Read a YAML file for the user, turning every failure into one clear message.

Besides syntax errors this refuses documents that would exhaust memory or the
stack once a reader walks them (:mod:`accelsim.limits`): files over
``max_yaml_bytes``, more than ``max_yaml_nodes`` values counting every use of
an alias (a "billion laughs" alias bomb decodes into a small shared graph but
expands on the first walk), nesting deeper than ``max_yaml_depth``, aliases
that contain themselves, and integer literals too long to convert.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from accelsim.errors import AccelsimInputError

__all__ = ["read_yaml_file", "read_text_file", "load_yaml_text", "check_yaml_tree"]

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def check_yaml_tree(data, what: str) -> None:
    """Refuse a decoded document that is too big, too deep or self-referential.

    Sizes are counted with every alias expanded (memoised per shared object, so
    the check itself is linear in the decoded graph).

    Raises
    ------
    AccelsimInputError
        Naming the limit (``max_yaml_nodes`` or ``max_yaml_depth``) or the recursive alias.
    """
    from accelsim.limits import current, limit_problem

    limits = current()
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    active: set[int] = set()
    # iterative post-order walk: (object, children iterator) frames
    stack = [(data, None)]
    while stack:
        obj, it = stack[-1]
        key = id(obj)
        if it is None:
            if not isinstance(obj, (list, dict)) or key in sizes:
                stack.pop()
                continue
            if key in active:
                raise AccelsimInputError(f"{what} refers to itself: an alias (*name) is used inside "
                                         "the anchor (&name) it names; YAML inputs must be trees")
            active.add(key)
            if len(active) > limits.max_yaml_depth:
                raise AccelsimInputError(f"{what} is nested too deeply", [limit_problem(
                    "max_yaml_depth", "nesting depth", f"> {limits.max_yaml_depth}", "levels")])
            children = list(obj.keys()) + list(obj.values()) if isinstance(obj, dict) else obj
            stack[-1] = (obj, iter(children))
            continue
        child = next(it, _DONE)
        if child is _DONE:
            stack.pop()
            active.discard(key)
            children = list(obj.keys()) + list(obj.values()) if isinstance(obj, dict) else obj
            total = 1
            depth = 1
            for c in children:
                if isinstance(c, (list, dict)):
                    total += sizes[id(c)]
                    depth = max(depth, depths[id(c)] + 1)
                else:
                    total += 1
            sizes[key] = total
            depths[key] = depth
            if total > limits.max_yaml_nodes:
                raise AccelsimInputError(f"{what} is too large once its aliases are expanded", [
                    limit_problem("max_yaml_nodes", "values", f"> {limits.max_yaml_nodes:,}", "values")])
            if depth > limits.max_yaml_depth:
                raise AccelsimInputError(f"{what} is nested too deeply", [limit_problem(
                    "max_yaml_depth", "nesting depth", depth, "levels")])
            continue
        if isinstance(child, (list, dict)) and id(child) not in sizes:
            stack.append((child, None))


_DONE = object()


def load_yaml_text(text: str, what: str, hint: str | None = None):
    """Decode YAML ``text`` (safe loader) and check it with :func:`check_yaml_tree`.

    Raises
    ------
    AccelsimInputError
        Not valid YAML (with line and column), too large, too deep, self-referential,
        or an integer literal Python cannot convert.
    """
    from accelsim.limits import check_limit

    check_limit("max_yaml_bytes", len(text), "file size", "characters", f"{what} is too large")
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise AccelsimInputError(f"{what} is not valid YAML{where}: {problem}", hint=hint) from None
    except RecursionError:
        raise AccelsimInputError(f"{what} is nested too deeply to read",
                                 hint="YAML inputs are a few levels deep; see docs/limits.md") from None
    except (ValueError, OverflowError) as exc:  # e.g. an integer literal over 4,300 digits
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise AccelsimInputError(f"{what} has a value that cannot be read: {first}", hint=hint) from None
    check_yaml_tree(data, what)
    return data


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
        If the file cannot be read or decoded, or is not valid YAML (with line and column),
        or is refused by :func:`load_yaml_text`.
    """
    text = read_text_file(path, what)
    return load_yaml_text(text, f"{what} {str(path)!r}", hint)


def read_text_file(path, what: str, encoding: str = "utf-8") -> str:
    """Read a user's text file, refusing one over ``max_yaml_bytes`` before reading it."""
    from accelsim.limits import check_limit

    try:
        p = Path(path)
        size = p.stat().st_size
        check_limit("max_yaml_bytes", size, f"size of {str(path)!r}", "bytes", f"{what} is too large")
        return p.read_text(encoding=encoding)
    except (OSError, UnicodeDecodeError) as exc:
        raise AccelsimInputError(f"cannot read {what} {str(path)!r}: {_os_reason(exc)}") from None


def _os_reason(exc) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)
