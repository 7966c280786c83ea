"""Mutants of emitted Verilog: text edits that plant one realistic fault in a generated top.

Each function takes the Verilog text (and the top's name) and returns the
mutated text, or raises ``LookupError`` when the mutation site is missing (a
test must never pass because a mutation silently did nothing).
"""

from __future__ import annotations

import re

from accelsim.rtl.verilator import parse_ports

__all__ = ["accumulate_subtracts", "narrow_accumulator", "drop_sign_extension", "extra_latency",
           "swap_index_lanes", "unsigned_activation", "ignore_out_ready", "MUTANTS"]

_ACC_REG = re.compile(r"^(\s*)reg \[31:0\] ((?:acc|acc_\d+_\d+|psum_\d+_\d+)) = 32'd0;$", re.MULTILINE)


def _accumulating_add(text: str) -> re.Match:
    """The first ``$signed(A) + $signed(`` whose ``A`` is an accumulator (or its clear mux) or a partial sum."""
    muxes = re.findall(r"assign (\\\$\d+ )\s*= clear \? 32'd0 : acc\w*;", text)
    names = [re.escape(m) for m in muxes] + [r"psum_\d+_\d+"]
    m = re.search(r"\$signed\((?:" + "|".join(names) + r")\) \+ \$signed\(([^)]*)\)", text)
    if m is None:
        raise LookupError("no accumulating adder found")
    return m


def accumulate_subtracts(text: str, top: str) -> str:
    """The accumulator (or partial-sum) adder becomes a subtractor."""
    m = _accumulating_add(text)
    s = m.group(0)
    return text[:m.start()] + s.replace(") + $signed(", ") - $signed(", 1) + text[m.end():]


def drop_sign_extension(text: str, top: str) -> str:
    """The product sum enters the accumulating add without ``$signed``: it is zero-extended."""
    m = _accumulating_add(text)
    operand = m.group(1)
    s = m.group(0).replace(f"+ $signed({operand})", f"+ {operand}", 1)
    return text[:m.start()] + s + text[m.end():]


def narrow_accumulator(text: str, top: str, bits: int = 24) -> str:
    """Every 32-bit accumulator / partial-sum register keeps only ``bits`` bits (read back sign-extended)."""
    names = _ACC_REG.findall(text)
    if not names:
        raise LookupError("no 32-bit accumulator register found")
    ext = 32 - bits
    for indent, name in names:
        decl = f"{indent}reg [31:0] {name} = 32'd0;"
        new = (f"{indent}reg [{bits - 1}:0] {name}__n = {bits}'d0;\n"
               f"{indent}wire [31:0] {name} = {{{{{ext}{{{name}__n[{bits - 1}]}}}}, {name}__n}};")
        text = text.replace(decl, new, 1)
        text, n = re.subn(rf"^(\s*){re.escape(name)} <= ", rf"\g<1>{name}__n <= ", text, flags=re.MULTILINE)
        if n == 0:
            raise LookupError(f"no register assignment of {name}")
    return text


def swap_index_lanes(text: str, top: str, signal: str, bits: int) -> str:
    """Lanes 0 and 1 of index vector ``signal`` (``bits`` each) trade places wherever they are read."""
    a, b = f"{signal}[{bits - 1}:0]", f"{signal}[{2 * bits - 1}:{bits}]"
    if bits == 1:
        a, b = f"{signal}[0]", f"{signal}[1]"
    if a not in text or b not in text:
        raise LookupError(f"index lanes {a} / {b} not found")
    return text.replace(a, "\0").replace(b, a).replace("\0", b)


def unsigned_activation(text: str, top: str) -> str:
    """Multiplies treat their activation operand as unsigned."""
    new, n = re.subn(r"\$signed\(([^()]+)\) \* \$signed\(([^()]+)\)", r"$signed(\1) * \2", text)
    if n == 0:
        raise LookupError("no signed multiply found")
    return new


def _wrap_top(text: str, top: str, ports, conn, body=()) -> str:
    """Rename module ``top`` to ``top__inner`` and add a ``top`` with the same ports around it.

    ``conn`` is the instance's port list (``.name(expr)``), ``body`` the wrapper's other lines.
    """
    inner = f"{top}__inner"
    text, n = re.subn(rf"^module {re.escape(top)}\(", f"module {inner}(", text, count=1,
                      flags=re.MULTILINE)
    if n != 1:
        raise LookupError(f"module {top} not found")
    decl = [f"  {'input' if p.direction == 'in' else 'output'} "
            f"{f'[{p.width - 1}:0] ' if p.width > 1 else ''}{p.name};" for p in ports]
    return text + (f"\nmodule {top}({', '.join(p.name for p in ports)});\n"
                   + "".join(line + "\n" for line in (*decl, *body))
                   + f"  {inner} u ({', '.join(conn)});\nendmodule\n")


def extra_latency(text: str, top: str) -> str:
    """The top's outputs leave through one more register (valid and data one cycle late)."""
    ports = parse_ports(text, top)
    conn, regs = [], []
    for p in ports:
        rng = f"[{p.width - 1}:0] " if p.width > 1 else ""
        if p.direction == "in":
            conn.append(f".{p.name}({p.name})")
            continue
        conn.append(f".{p.name}(i_{p.name})")
        regs.append(f"  wire {rng}i_{p.name};")
        if p.name.endswith("ready") or p.name == "a_addr":
            regs.append(f"  assign {p.name} = i_{p.name};")
        else:
            regs.append(f"  reg {rng}d_{p.name} = 0;\n  always @(posedge clk) d_{p.name} <= i_{p.name};\n"
                        f"  assign {p.name} = d_{p.name};")
    return _wrap_top(text, top, ports, conn, regs)


def ignore_out_ready(text: str, top: str, port: str = "o_ready") -> str:
    """The top ignores back-pressure: its ``port`` input is tied high inside (outputs are dropped
    when the consumer is not ready; identical to the original while ``port`` is high)."""
    ports = parse_ports(text, top)
    if not any(p.name == port and p.direction == "in" and p.width == 1 for p in ports):
        raise LookupError(f"no 1-bit input {port} on {top}")
    conn = [f".{p.name}(1'b1)" if p.name == port else f".{p.name}({p.name})" for p in ports]
    return _wrap_top(text, top, ports, conn)


MUTANTS = ("adder->subtractor", "accumulator 24 bits", "sign extension dropped", "extra latency",
           "index lanes swapped")
