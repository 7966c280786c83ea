"""Encode every ResNet-50 weight into each sparse format; report seconds and storage bits.

Run: ``PYTHONPATH=. python benchmarks/bench_formats.py [--repeat N] [--value-bits B]``

Weights come from ``accelsim.workload.loaders.load_workload("resnet50")``
(seeded synthetic weights of the bundled layer table). If that loader is not
available, the benchmark builds torchvision ResNet-50 v1.5 weight shapes
itself (seeded normal values) and says so. Pruning is done inline with NumPy:
90% magnitude sparsity per layer for dense/csr/csc/bsr/bitmap, and 2 of every
4 consecutive reduction-dimension weights kept by magnitude for ``nm:2:4``.
Timings are the best of ``--repeat`` runs, after one warm-up call per format
(JIT compilation or cache load).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from accelsim.formats import encode

__all__ = ["main", "resnet50_weights", "prune_magnitude", "prune_2_4"]

FORMATS = ("dense", "csr", "csc", "bsr:4x4", "nm:2:4", "bitmap")
SPARSITY = 0.9


def _fallback_resnet50_shapes() -> list[tuple[str, tuple[int, ...]]]:
    """Weight shapes of torchvision ResNet-50 v1.5 (stride on the 3x3 conv), fc last."""
    shapes = [("conv1", (64, 3, 7, 7))]
    in_ch = 64
    for stage, (blocks, width) in enumerate(((3, 64), (4, 128), (6, 256), (3, 512)), start=1):
        out_ch = width * 4
        for b in range(blocks):
            name = f"layer{stage}.{b}"
            shapes += [(f"{name}.conv1", (width, in_ch, 1, 1)),
                       (f"{name}.conv2", (width, width, 3, 3)),
                       (f"{name}.conv3", (out_ch, width, 1, 1))]
            if b == 0:
                shapes.append((f"{name}.downsample", (out_ch, in_ch, 1, 1)))
            in_ch = out_ch
    shapes.append(("fc", (1000, 2048)))
    return shapes


def resnet50_weights(seed: int = 0) -> tuple[list[tuple[str, np.ndarray]], str]:
    """``([(name, weight), ...], source description)``."""
    try:
        from accelsim.workload.loaders import load_workload
        net = load_workload("resnet50", seed=seed)
        weights = [(layer.name, np.asarray(layer.weight)) for layer in net if layer.weight is not None]
        if weights:
            return weights, "accelsim.workload.loaders.load_workload('resnet50') (synthetic seeded weights)"
    except ImportError:
        pass
    rng = np.random.default_rng(seed)
    weights = [(name, rng.standard_normal(shape, dtype=np.float32)) for name, shape in _fallback_resnet50_shapes()]
    return weights, "fallback: torchvision ResNet-50 v1.5 shapes, seeded normal values"


def prune_magnitude(weight: np.ndarray, sparsity: float) -> np.ndarray:
    """Zero the ``sparsity`` fraction of smallest-magnitude weights (ties may keep a few more)."""
    mag = np.abs(weight).ravel()
    k = int(sparsity * mag.size)
    if k == 0:
        return weight.copy()
    threshold = np.partition(mag, k - 1)[k - 1]
    return np.where(np.abs(weight) > threshold, weight, np.zeros((), weight.dtype))


def prune_2_4(weight: np.ndarray) -> np.ndarray:
    """Keep the 2 largest-magnitude weights of every 4 along the reduction dimension."""
    rows = weight.shape[0]
    matrix = weight.reshape(rows, -1)
    cols = matrix.shape[1]
    groups = -(-cols // 4)
    padded = np.zeros((rows, groups * 4), dtype=weight.dtype)
    padded[:, :cols] = matrix
    g = padded.reshape(rows, groups, 4)
    smallest = np.argsort(np.abs(g), axis=2, kind="stable")[:, :, :2]
    np.put_along_axis(g, smallest, 0, axis=2)
    return np.ascontiguousarray(padded[:, :cols]).reshape(weight.shape)


def _best_seconds(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv=None) -> int:
    """Run the benchmark and print a table; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per format (best is reported)")
    parser.add_argument("--value-bits", type=int, default=8, help="bits per stored value (default 8)")
    args = parser.parse_args(argv)

    weights, source = resnet50_weights()
    total_params = sum(w.size for _, w in weights)
    unstructured = [prune_magnitude(w, SPARSITY) for _, w in weights]
    structured = [prune_2_4(w) for _, w in weights]
    dense_bits = total_params * args.value_bits

    print(f"weights: {source}")
    print(f"{len(weights)} weights, {total_params:,} parameters; {SPARSITY:.0%} magnitude pruning "
          f"(2:4 magnitude pruning for nm:2:4); value_bits={args.value_bits}; best of {args.repeat}")
    header = (f"{'format':<9} {'encode s':>9} {'decode s':>9} {'nnz':>11} {'stored':>11} "
              f"{'value bits':>12} {'meta bits':>12} {'total bits':>12} {'vs dense':>9}")
    print(header)
    print("-" * len(header))
    for fmt in FORMATS:
        batch = structured if fmt.startswith("nm") else unstructured
        encode(batch[0][:2], fmt, args.value_bits)  # warm-up: JIT compile / cache load
        encoded = []

        def run_encode():
            encoded[:] = [encode(w, fmt, args.value_bits) for w in batch]

        enc_s = _best_seconds(run_encode, args.repeat)
        dec_s = _best_seconds(lambda: [t.to_dense() for t in encoded], args.repeat)
        for w, t in zip(batch, encoded):
            if not np.array_equal(t.to_dense(), w):
                print(f"ERROR: {fmt} round trip differs for a weight of shape {w.shape}", file=sys.stderr)
                return 1
        bits = [t.storage_bits() for t in encoded]
        values = sum(b["values"] for b in bits)
        meta = sum(b["metadata"] for b in bits)
        total = sum(b["total"] for b in bits)
        nnz = sum(t.nnz for t in encoded)
        stored = sum(t.stored_values for t in encoded)
        print(f"{fmt:<9} {enc_s:>9.3f} {dec_s:>9.3f} {nnz:>11,} {stored:>11,} {values:>12,} {meta:>12,} "
              f"{total:>12,} {total / dense_bits:>9.3f}")
    print(f"dense reference: {dense_bits:,} bits ({total_params:,} x {args.value_bits})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
