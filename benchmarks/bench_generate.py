"""Demo-world generation time and peak memory at the given scales.

    python benchmarks/bench_generate.py --scales 1 10 [--seed 42] [--out /tmp/bench-worlds]
"""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import measure  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", default=None, help="where to write the worlds (default: a temp folder, removed)")
    args = parser.parse_args()
    root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bench-worlds-"))
    print(f"{'scale':>6} {'seconds':>9} {'peak MB':>9} {'records':>12} {'files MB':>9}")
    for scale in args.scales:
        out = root / f"scale-{scale:g}"
        figures = measure(f"from demo_world.world import generate_world; "
                          f"generate_world({str(out)!r}, seed={args.seed}, scale={scale})")
        records = sum(int(x) for x in _rows(out))
        size_mb = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
        print(f"{scale:>6g} {figures['seconds']:>9.1f} {figures['peak_rss_mb']:>9.0f} {records:>12,} {size_mb:>9.0f}",
              flush=True)
    if not args.out:
        shutil.rmtree(root, ignore_errors=True)


def _rows(world: Path):
    import json
    manifest = json.loads((world / "manifest.json").read_text())
    return manifest["row_counts"].values()


if __name__ == "__main__":
    main()
