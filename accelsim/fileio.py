"""Safe outputs: atomic files and folders, output paths checked before any work.

Guarantees
----------
* A file is written to a temporary sibling and renamed into place: a reader
  sees the old file or the new one, never half of one. Replacing a file keeps
  its permission bits.
* A run's folder of outputs (a report, Verilog plus its manifest) is built in a
  temporary sibling folder and swapped into place in one ``renameat2``
  exchange, so a killed run never leaves new files beside old ones
  (:func:`atomic_output_dir`). Files that a user keeps in an existing output
  folder and that the run does not produce are carried over.
* Temporaries are named ``.NAME.accelsim-PID-RANDOM.tmp``. They are removed
  when the write fails or the process is interrupted (SIGINT, SIGTERM: the
  CLI turns both into exceptions), and a later write beside them removes the
  ones whose process is gone (SIGKILL leaves them behind).
* :func:`check_output_file` and :func:`check_output_dir` reject an output path
  that cannot be written (empty, a folder where a file is wanted or the other
  way round, under a regular file, not writable, a name too long) *before* a
  command starts working, naming the option.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import json
import os
import re
import secrets
import shutil
import stat
import sys
from contextlib import contextmanager
from pathlib import Path

from accelsim.errors import AccelsimInputError

__all__ = ["atomic_write_bytes", "atomic_write_text", "atomic_write_json", "atomic_output_dir",
           "check_output_file", "check_output_dir", "write_json_output", "remove_stale_temporaries",
           "STDOUT", "OUTPUT_MARKER"]

#: The output path that means standard output (``--json -``).
STDOUT = "-"
#: File written into every folder made by :func:`atomic_output_dir`.
OUTPUT_MARKER = ".accelsim-output"
#: Characters a temporary name adds to the final one: ``.`` + ``.accelsim-PID-RANDOM.tmp``.
_TEMP_EXTRA = 40
_TEMP_RE = re.compile(r"^\.(?P<name>.+)\.accelsim-(?P<pid>\d+)-[0-9a-f]+\.(?:tmp|old)$")


# ----------------------------------------------------------------------------- temporaries
def _temp_name(name: str, kind: str = "tmp") -> str:
    return f".{name}.accelsim-{os.getpid()}-{secrets.token_hex(6)}.{kind}"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(folder, name: str | None = None) -> list[Path]:
    """Remove accelsim temporaries in ``folder`` whose process is gone; return what was removed.

    Parameters
    ----------
    folder : path
    name : str, optional
        Only temporaries of this final name (all of them when None).
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_RE.match(entry.name)
        if not match or (name is not None and match["name"] != name) or _pid_alive(int(match["pid"])):
            continue
        path = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except OSError:
            pass
    return removed


def _discard(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        pass


# ----------------------------------------------------------------------------- files
def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename).

    Parent folders are created. An existing file keeps its permission bits; a
    new one gets ``0o666`` minus the umask. Returns the path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path.parent, path.name)
    tmp = path.parent / _temp_name(path.name)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        _discard(tmp)
        raise
    return path


def atomic_write_text(path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _json_text(obj) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n"


def atomic_write_json(path, obj) -> Path:
    """Write an object as indented, key-sorted JSON atomically (deterministic output)."""
    return atomic_write_text(path, _json_text(obj))


def write_json_output(path, obj) -> str:
    """Write JSON to ``path`` atomically, or to standard output when ``path`` is ``"-"``.

    Returns a description of where it went (``"standard output"`` or the path).
    """
    if str(path) == STDOUT:
        sys.stdout.write(_json_text(obj))
        sys.stdout.flush()
        return "standard output"
    return str(atomic_write_json(path, obj))


# ----------------------------------------------------------------------------- folders
def _renameat2_exchange():
    """``renameat2(..., RENAME_EXCHANGE)`` from libc, or None where it is not available."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        func = libc.renameat2
    except (OSError, AttributeError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two existing paths; False if the platform or file system cannot."""
    func = _renameat2_exchange()
    if func is None:
        return False
    if func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EXDEV, errno.EPERM, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _carry_over(old: Path, new: Path) -> None:
    """Bring entries of ``old`` that ``new`` lacks into ``new`` without touching ``old``."""
    for entry in os.scandir(old):
        if _TEMP_RE.match(entry.name) or entry.name == OUTPUT_MARKER:
            continue
        target = new / entry.name
        if target.exists() or target.is_symlink():
            if entry.is_dir(follow_symlinks=False) and target.is_dir() and not target.is_symlink():
                _carry_over(Path(entry.path), target)
            continue
        if entry.is_symlink():
            os.symlink(os.readlink(entry.path), target)
        elif entry.is_dir():
            shutil.copytree(entry.path, target, symlinks=True)
        else:
            try:
                os.link(entry.path, target)
            except OSError:
                shutil.copy2(entry.path, target)


@contextmanager
def atomic_output_dir(path, *, command: str = "accelsim", recognise=()):
    """Build a folder of outputs in a temporary sibling and swap it into place on success.

    Use it as ``with atomic_output_dir(out) as staging: write files into staging``.
    When the block raises (or the process is interrupted), the staging folder is
    removed and ``path`` is untouched. On success the staging folder replaces
    ``path`` in one atomic exchange (Linux ``renameat2``; elsewhere two renames,
    between which ``path`` is briefly absent). Entries of an existing ``path``
    that the run did not write are carried over, so a user's own files survive.

    Parameters
    ----------
    path : path
        The output folder (created if missing).
    command : str
        Recorded in the folder's ``.accelsim-output`` marker.
    recognise : sequence of str
        File names that mark an existing folder as an earlier output (see
        :func:`check_output_dir`, which is called first).

    Yields
    ------
    pathlib.Path
        The staging folder to write into.
    """
    check_output_dir(path, "output folder", recognise=recognise)
    final = Path(os.path.abspath(path))
    if final.is_symlink():
        final = final.resolve()
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(final.parent, final.name)
    staging = final.parent / _temp_name(final.name)
    staging.mkdir()
    try:
        yield staging
        from accelsim import __version__

        (staging / OUTPUT_MARKER).write_text(json.dumps({"command": command, "version": __version__}) + "\n")
        if final.is_dir():
            _carry_over(final, staging)
            if not _exchange(staging, final):
                old = final.parent / _temp_name(final.name, "old")
                os.rename(final, old)
                os.rename(staging, final)
                staging = old
            _discard(staging)          # the old folder, now at the staging name
        else:
            os.rename(staging, final)
    except BaseException:
        _discard(staging)
        raise


# ----------------------------------------------------------------------------- checks
def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        try:
            if candidate.exists() or candidate.is_symlink():
                return candidate
        except OSError:
            continue
    return Path("/")


def _writable_folder(folder: Path) -> str | None:
    """None if a file can be created in ``folder``, else the reason (probed, then removed)."""
    probe = folder / _temp_name("probe")
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        return exc.strerror or str(exc)
    os.unlink(probe)
    return None


def _foreign_entries(folder: Path, recognise) -> list[str]:
    """Entries of an existing folder that show it is not an earlier output of this command."""
    try:
        names = sorted(e.name for e in os.scandir(folder) if not _TEMP_RE.match(e.name))
    except OSError:
        return []
    if not names or OUTPUT_MARKER in names or any(r in names for r in recognise):
        return []
    return names


def _invalid(option: str, hint: str) -> AccelsimInputError:
    return AccelsimInputError(f"invalid {option}", hint=hint)


def _check_path(path, option: str, want_dir: bool, recognise=()) -> Path:
    allowed = "a writable folder path" if want_dir else "a writable file path"
    if path is None or not isinstance(path, (str, os.PathLike)) or str(path).strip() == "":
        raise _invalid(option, f"got {path!r}; allowed: {allowed}, not empty")
    text = str(path)
    if "\x00" in text:
        raise _invalid(option, f"got {text!r}; allowed: a path without NUL bytes")
    p = Path(os.path.abspath(text))
    if len(os.fsencode(str(p))) >= 4000:
        raise _invalid(option, f"the path is {len(os.fsencode(str(p)))} bytes long; allowed: at most 4000")
    existing = _nearest_existing(p)
    name_max = _name_max(existing if existing.is_dir() else existing.parent)
    for i, part in enumerate(p.parts[1:]):
        limit = name_max - (_TEMP_EXTRA if i == len(p.parts) - 2 else 0)
        if len(os.fsencode(part)) > limit:
            raise _invalid(option, f"the name {part[:32]!r}... is {len(os.fsencode(part))} bytes long; "
                                   f"allowed: at most {limit} bytes")
    if existing == p:
        if want_dir and not p.is_dir():
            raise _invalid(option, f"{text!r} exists and is not a folder; allowed: {allowed}")
        if not want_dir and p.is_dir():
            raise _invalid(option, f"{text!r} is a folder; allowed: {allowed}")
        if want_dir:
            foreign = _foreign_entries(p, recognise)
            if foreign:
                shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
                raise _invalid(option, f"{text!r} is a folder that accelsim did not write (it holds {shown}), "
                                       "and its contents would be replaced; allowed: a new or empty folder, "
                                       "or one an earlier run of this command wrote")
        folder = p.parent
    else:
        if not existing.is_dir():
            raise _invalid(option, f"{str(existing)!r} (in {text!r}) is not a folder; allowed: {allowed}")
        folder = existing
    reason = _writable_folder(folder)
    if reason is not None:
        raise _invalid(option, f"cannot write in {str(folder)!r} ({reason}); allowed: {allowed}")
    return p


def check_output_file(path, option: str, *, allow_stdout: bool = False) -> str:
    """Check that an output file can be written, before any work; return the path (or ``"-"``).

    Raises
    ------
    AccelsimInputError
        Naming ``option``: empty, a folder, under a regular file, in a folder
        that cannot be written, or a name too long.
    """
    if allow_stdout and str(path) == STDOUT:
        return STDOUT
    return str(_check_path(path, option, want_dir=False))


def check_output_dir(path, option: str, *, recognise=()) -> str:
    """Check that an output folder can be created or replaced, before any work; return it.

    An existing folder must be empty, carry the ``.accelsim-output`` marker of an
    earlier run, or hold one of the file names in ``recognise`` (outputs of this
    command written before the marker existed): replacing anything else could
    destroy a user's files.
    """
    return str(_check_path(path, option, want_dir=True, recognise=recognise))
