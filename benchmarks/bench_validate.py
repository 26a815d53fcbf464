"""Benchmark of input validation at scale (not a test): reading and checking a large event catalog.

    python benchmarks/bench_validate.py                 # 100,000 events, timestamps and dates
    python benchmarks/bench_validate.py --events 1000000

Writes two synthetic catalogs of ``--events`` rows into a temporary folder (one of timed events
with UTC offsets, one of date-only events), then times :func:`eventstudy.load_events` on each in a
fresh process and prints the wall time and the peak resident memory of that process.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

CHILD = """
import resource, sys, time
t = time.perf_counter()
from eventstudy import load_events
events = load_events(sys.argv[1])
print(f"{len(events):,} events in {time.perf_counter() - t:.2f} s, "
      f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
"""


def catalogs(folder: Path, n: int) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    days = pd.Timestamp("2005-01-03") + pd.to_timedelta(rng.integers(0, 7000, n), unit="D")
    hours = rng.integers(0, 24, n)
    offsets = rng.choice(["-05:00", "-04:00", "+08:00", "+09:00", "Z"], n)
    ids = [f"e{i}" for i in range(n)]
    timed = folder / "timed.csv"
    pd.DataFrame({"event_id": ids, "timestamp": [f"{d:%Y-%m-%d}T{h:02d}:30:00{z}" for d, h, z in
                                                 zip(days, hours, offsets)], "category": "talks"}).to_csv(timed,
                                                                                                           index=False)
    dated = folder / "dated.csv"
    pd.DataFrame({"event_id": ids, "date": days.strftime("%Y-%m-%d")}).to_csv(dated, index=False)
    return {"timestamps with offsets": timed, "dates only": dated}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=100_000, help="rows per catalog (default 100,000)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in catalogs(Path(tmp), a.events).items():
            out = subprocess.run([sys.executable, "-c", CHILD, str(path)], check=True, capture_output=True, text=True)
            print(f"load_events, {name}: {out.stdout.strip()}", flush=True)


if __name__ == "__main__":
    main()
