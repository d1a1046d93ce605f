"""Benchmark of ``screener lookup TICKER --offline`` on the demo store (issue 13: ≤ 0.6 s warm).

Not a test: it prints medians. A demo run is made first in a temporary home (synthetic
prices, removed afterwards) unless ``--home`` names one that holds a demo run.

    python bench/lookup.py                        # LYC.AX, 7 repetitions
    python bench/lookup.py --query MP -n 11
    python bench/lookup.py --baseline /path/to/older/checkout   # before/after, back to back

1. In one process, warm: ``company_views`` through the stored run's context (the lookup's
   path) beside the full screen assembled as before (``full=True``), interleaved; the ratio.
2. The command as a user runs it: ``python -m screener lookup Q --demo --offline --json`` in
   fresh processes (imports included), median wall and CPU time beside the target. With
   ``--baseline``, the same command from that checkout, interleaved run by run, so both see
   the same machine load.

On a shared machine wall time swings with the load; CPU time (user + system of the child)
swings less. Compare medians measured back to back, never across sessions.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from click.testing import CliRunner  # noqa: E402

from screener.cli import cli  # noqa: E402
from screener.lookup.query import company_views  # noqa: E402

TARGET_S = 0.6


def demo_home(base: Path) -> Path:
    """A home holding a demo run (synthetic prices) made now."""
    home = base / "home"
    result = CliRunner().invoke(
        cli, ["run", "--demo", "--out", str(base / "out")], env={"SCREENER_HOME": str(home)}
    )
    if result.exit_code != 0:
        raise SystemExit(f"the demo run failed:\n{result.output}")
    return home


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def in_process(home: Path, query: str, n: int) -> tuple[list[float], list[float]]:
    """Seconds per call: the stored-run path and the full screen, interleaved, after a warm-up."""

    def call(full: bool) -> Callable[[], object]:
        return lambda: company_views(
            [query], universe=None, mode="offline", demo_store=True, data_dir=home, full=full
        )

    call(False)(), call(True)()  # warm: imports, file cache
    fast, full = [], []
    for _ in range(n):
        fast.append(timed(call(False)))
        full.append(timed(call(True)))
    return fast, full


def command(home: Path, query: str, code_root: Path, cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one ``lookup`` process running the code under ``code_root``."""
    env = {**os.environ, "SCREENER_HOME": str(home), "PYTHONPATH": str(code_root)}
    args = [sys.executable, "-m", "screener", "lookup", query, "--demo", "--offline", "--json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def processes(
    home: Path, query: str, n: int, cwd: Path, baseline: Path | None
) -> dict[str, list[tuple[float, float]]]:
    roots = {"now": ROOT, **({"baseline": baseline} if baseline else {})}
    for root in roots.values():  # warm: byte code, file cache
        command(home, query, root, cwd)
    out: dict[str, list[tuple[float, float]]] = {k: [] for k in roots}
    for _ in range(n):
        for name, root in roots.items():
            out[name].append(command(home, query, root, cwd))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--query", default="LYC.AX")
    parser.add_argument("-n", type=int, default=7, help="repetitions (medians are printed)")
    parser.add_argument("--home", type=Path, help="a home holding a demo run (default: make one)")
    parser.add_argument("--baseline", type=Path, help="an older checkout to compare with")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-lookup-"))
    try:
        home = args.home or demo_home(base)
        fast, full = in_process(home, args.query, args.n)
        mf, mu = statistics.median(fast), statistics.median(full)
        print(f"lookup {args.query} --demo --offline, median of {args.n} warm runs")
        print("in one process (imports excluded):")
        print(f"  stored-run context  {mf:6.3f} s")
        print(f"  full screen         {mu:6.3f} s   ratio {mu / mf:4.1f}x")
        runs = processes(home, args.query, args.n, base, args.baseline)
        print("the command, fresh processes (imports included):")
        for name, times in runs.items():
            wall = statistics.median(t[0] for t in times)
            cpu = statistics.median(t[1] for t in times)
            mark = "meets" if wall <= TARGET_S else "misses"
            print(f"  {name:<9} wall {wall:6.3f} s  cpu {cpu:6.3f} s  ({mark} {TARGET_S} s)")
        if args.baseline:
            now, old = runs["now"], runs["baseline"]
            for i, label in enumerate(("wall", "cpu")):
                ratio = statistics.median(t[i] for t in old) / statistics.median(t[i] for t in now)
                print(f"  baseline / now ({label}): {ratio:4.2f}x")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
