"""Benchmark the weekly job and the CLI's start-up (not a test: it prints, it asserts nothing).

    python bench/run.py [--repeat N] [--peer REF]

Measures, in a throw-away data dir, each figure beside its target and a peer:

- `screener run --demo` with a warm store (the demo prices already stored: the weekly case),
  the median of N runs; target ≤ 2 s on a 2-core machine. With ``--peer REF`` (a git
  revision, e.g. the commit before an optimisation) the same command of that revision runs
  alternately with this one, each on its own warm store, so both see the same machine load;
  without it the peer is the floor any pandas tool pays, ``import pandas, scipy.stats``.
- the run's store read, in this process on the warm demo store: one read cut into the
  screen's and the event study's panels against reading the store twice (the run before it
  read once);
- the size of the report it writes (target < 2 MB) and `screener --help` against a bare
  `python -c pass` (target < 0.5 s: heavy libraries are imported lazily).

The machine may be shared: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCREENER = [sys.executable, "-m", "screener"]


def row(figure: str, value: str, target: str, ratio: str) -> None:
    print(f"{figure:<44} {value:>10}  {target:>9}  {ratio}")


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


CPU: dict[str, list[float]] = {}  # user + system seconds of each timed command, by label


def once(cmd: list[str], env: dict[str, str], cwd: Path, label: str = "") -> float:
    """Wall seconds of ``cmd``; its CPU seconds (which a shared machine inflates far less)
    are recorded under ``label``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    CPU.setdefault(label, []).append(used)
    if proc.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return took


def checkout(ref: str, into: Path) -> Path:
    """The files of git revision ``ref`` (package, universes, templates) in ``into``."""
    archive = into / "peer.tar"
    subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", "-o", str(archive), ref], check=True
    )
    with tarfile.open(archive) as tar:
        tar.extractall(into / "peer", filter="data")
    return into / "peer"


def read_once_vs_twice(home: Path, repeat: int) -> tuple[float, float]:
    """Median seconds of the run's store read: one read cut twice, and two reads."""
    sys.path.insert(0, str(REPO))
    from screener import settings
    from screener.screen.event_study import study_start, study_symbols
    from screener.screen.panel import default_start, panel_of, read_panel, read_store
    from screener.store import Store
    from screener.universe.scored import load_scored

    today = date.today()
    scored = load_scored(None, today=today)
    store = Store.open(settings.store_dir(home, demo=True))
    run_syms = scored.universe.priced_symbols()
    ev_syms, ev_start = study_symbols(scored), study_start(scored, today)

    def once_() -> None:
        read = read_store(
            store,
            [*run_syms, *ev_syms],
            start=min(default_start(today), ev_start),
            end=today,
        )
        p = panel_of(read, run_syms, as_of=None, start=default_start(today), end=today)
        panel_of(read, ev_syms, as_of=p.as_of, start=ev_start, end=p.as_of)

    def twice() -> None:
        p = read_panel(store, run_syms, as_of=None, today=today)
        read_panel(store, ev_syms, as_of=p.as_of, today=today, start=ev_start)

    times: dict[str, list[float]] = {"once": [], "twice": []}
    for _ in range(repeat):
        for name, fn in (("once", once_), ("twice", twice)):
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return statistics.median(times["once"]), statistics.median(times["twice"])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--peer", help="git revision to time alternately with this checkout")
    args = ap.parse_args()
    print(f"bench/run.py, {args.repeat} repetitions; {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        peer_dir = checkout(args.peer, work) if args.peer else None
        runs: dict[str, list[float]] = {"this": [], "peer": []}
        cold: dict[str, float] = {}
        setups = {"this": (REPO, work / "home")}
        if peer_dir is not None:
            setups["peer"] = (peer_dir, work / "peer-home")
        envs = {
            name: {**os.environ, "SCREENER_HOME": str(home), "PYTHONPATH": str(src)}
            for name, (src, home) in setups.items()
        }
        cmd = {name: [*SCREENER, "run", "--demo", "--out", str(work / name)] for name in setups}
        for name in setups:
            cold[name] = once(cmd[name], envs[name], work)
        for _ in range(args.repeat):
            for name in setups:  # alternate, so both see the same load
                runs[name].append(once(cmd[name], envs[name], work, name))
        floor = statistics.median(
            once([sys.executable, "-c", "import pandas, scipy.stats"], envs["this"], work)
            for _ in range(args.repeat)
        )
        read1, read2 = read_once_vs_twice(work / "home", args.repeat)
        size = (work / "this" / "report.html").stat().st_size
        helps = [once([*SCREENER, "--help"], envs["this"], work) for _ in range(5)]
        bare = [once([sys.executable, "-c", "pass"], envs["this"], work) for _ in range(5)]

    warm = statistics.median(runs["this"])
    print(f"warm runs: {', '.join(f'{t:.2f}' for t in runs['this'])}")
    if runs["peer"]:
        print(f"peer {args.peer} warm runs: {', '.join(f'{t:.2f}' for t in runs['peer'])}")
    cpu = {k: statistics.median(v) for k, v in CPU.items() if k in runs and v}
    print(
        "CPU seconds of a warm run (median, user + system): "
        + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items())
    )
    print()
    row("figure", "value", "target", "ratio")
    if runs["peer"]:
        peer = statistics.median(runs["peer"])
        versus = (
            f"{peer / warm:.2f}x faster than {args.peer} ({peer:.2f} s); "
            f"{cpu['peer'] / cpu['this']:.2f}x less CPU"
        )
    else:
        versus = f"{warm / floor:.1f}x the cost of `import pandas, scipy.stats` ({floor:.2f} s)"
    row("run --demo, warm store (median)", f"{warm:.2f} s", "≤ 2 s", versus)
    cold_peer = f"{args.peer}: {cold['peer']:.2f} s" if "peer" in cold else "-"
    row("run --demo, cold store (5 years generated)", f"{cold['this']:.2f} s", "-", cold_peer)
    row(
        "run's store read, once, cut in two panels",
        f"{read1:.3f} s",
        "-",
        f"{read2 / read1:.2f}x faster than reading twice ({read2:.3f} s)",
    )
    row("report.html size", f"{size / 1e6:.2f} MB", "< 2 MB", "-")
    h, b = statistics.median(helps), statistics.median(bare)
    row("screener --help", f"{h:.3f} s", "< 0.5 s", f"{h / b:.1f}x a bare python ({b:.3f} s)")
    print(f"\n{load()}")


if __name__ == "__main__":
    main()
