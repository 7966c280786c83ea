"""``accelsim rtl``: generate Verilog and a manifest for an architecture's PE and array."""

from __future__ import annotations

__all__ = ["run_rtl"]


def run_rtl(args) -> int:
    """Generate the tops for ``args.arch`` into ``args.out`` and list what was written."""
    from accelsim.spec import load_arch
    from rtl.export import generate

    arch = load_arch(args.arch)
    manifest = generate(arch, args.out, stats=args.stats)
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
    print(f"  manifest: {args.out}/manifest.json")
    return 0
