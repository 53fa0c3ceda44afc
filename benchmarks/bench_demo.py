"""The README's demo, timed: generation, then the pipeline (extract, dbt build, validation,
report), with peak memory.

    python benchmarks/bench_demo.py [--scale 1] [--seed 42] [--workdir /tmp/bench-demo]
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
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", default=None, help="demo folder (default: a temp folder, removed)")
    args = parser.parse_args()
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench-demo-"))
    figures = measure(
        "import io, contextlib, time\n"
        "from orchestration import cli\n"
        "buf = io.StringIO()\n"
        "t = time.monotonic()\n"
        "with contextlib.redirect_stdout(buf):\n"
        f"    code = cli.main(['demo', '--seed', '{args.seed}', '--scale', '{args.scale}',\n"
        f"                     '--workdir', {str(workdir)!r}])\n"
        "assert code == 0, buf.getvalue()\n"
        "steps = [l for l in buf.getvalue().splitlines() if 'done in' in l or l.startswith('[') or 'wrote' in l]\n"
        "print('\\n'.join(steps))\n"
    )
    print(figures["output"])
    print(f"demo at scale {args.scale:g}: {figures['seconds']:.1f}s in the demo command "
          f"({figures['wall_seconds']:.1f}s with interpreter start), peak memory {figures['peak_rss_mb']:.0f} MB")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
