"""Benchmark the main job and the CLI's start-up (not a test: it prints, it asserts nothing).

    python bench/run.py [--repeat N]

Measures, in a throw-away data dir:
- `screener run --demo` on the shipped universe with a warm store (the demo prices already
  stored: the weekly case), wall time over N runs; target < 5 s on a 2-core machine;
- the size of the report it writes; target < 2 MB;
- `screener --help`; target < 0.5 s (heavy libraries are imported lazily);
each against a peer measured in the same process: a bare `python -c pass` start-up for the
CLI, and `import pandas, scipy` for the run (the floor any pandas tool pays).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCREENER = [sys.executable, "-m", "screener"]


def timed(cmd: list[str], env: dict[str, str], cwd: Path, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        if proc.returncode not in (0, 1):
            sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return statistics.median(times), times


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env = {**os.environ, "SCREENER_HOME": str(work / "home")}
        cold, _ = timed([*SCREENER, "run", "--demo", "--out", str(work / "out")], env, work, 1)
        warm, runs = timed(
            [*SCREENER, "run", "--demo", "--out", str(work / "out")], env, work, args.repeat
        )
        floor, _ = timed(
            [sys.executable, "-c", "import pandas, scipy.stats"], env, work, args.repeat
        )
        size = (work / "out" / "report.html").stat().st_size
        help_t, _ = timed([*SCREENER, "--help"], env, work, max(5, args.repeat))
        bare, _ = timed([sys.executable, "-c", "pass"], env, work, max(5, args.repeat))
    print(f"screener run --demo, cold store (5 years generated): {cold:.2f} s")
    print(
        f"screener run --demo, warm store: median {warm:.2f} s over {len(runs)} runs "
        f"({', '.join(f'{t:.2f}' for t in runs)}); target < 5 s; "
        f"{warm / floor:.1f}x the cost of importing pandas+scipy ({floor:.2f} s)"
    )
    print(f"report.html: {size / 1e6:.2f} MB; target < 2 MB")
    print(
        f"screener --help: {help_t:.3f} s; target < 0.5 s; "
        f"{help_t / bare:.1f}x a bare python start-up ({bare:.3f} s)"
    )


if __name__ == "__main__":
    main()
