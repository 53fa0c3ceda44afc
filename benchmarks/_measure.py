"""Run a command in a fresh Python process and report its wall time and peak memory."""

import json
import subprocess
import sys
import time

PROBE = """
import json, resource, sys, time
started = time.monotonic()
exec(sys.argv[1])
print("__MEASURE__" + json.dumps({"seconds": time.monotonic() - started,
      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(code: str) -> dict:
    """Wall time, peak resident memory and printed output of `code` run in its own interpreter."""
    wall = time.monotonic()
    result = subprocess.run([sys.executable, "-c", PROBE, code], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"benchmark run failed:\n{result.stderr[-2000:]}")
    line = next(line for line in result.stdout.splitlines() if line.startswith("__MEASURE__"))
    figures = json.loads(line.removeprefix("__MEASURE__"))
    figures["wall_seconds"] = time.monotonic() - wall
    figures["output"] = "\n".join(
        line for line in result.stdout.splitlines() if not line.startswith("__MEASURE__"))
    return figures
