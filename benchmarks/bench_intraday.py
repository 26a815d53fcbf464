"""Benchmark of intraday event studies at scale (not a test): minute bars of many instruments.

    python benchmarks/bench_intraday.py                 # 500 assets x 20,000 bars, 200 events, both engines
    python benchmarks/bench_intraday.py memory          # one engine
    python benchmarks/bench_intraday.py chunked --memory 3GB

Synthetic 1-minute bars (market model on MKT, unregistered tickers, so each bar ends a minute after
it starts) of 500 assets and MKT, 20,000 bars each; 200 events at bar instants, 100,000
asset-events; market model, estimation -250:-11 bars, window 0:14, pooled battery. Each engine
runs in a fresh process; the script prints wall and CPU time of ``intraday_study`` and the peak
resident memory (the bars alone are about 1.5 GiB as a frame).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

N_ASSETS, N_BARS, N_EVENTS = 500, 20_000, 200


def bars_and_events(seed: int = 0):
    rng = np.random.default_rng(seed)
    # 20,000 one-minute bars over regular sessions of 390 minutes (14:30-21:00 UTC), business days
    days = pd.bdate_range("2025-01-02", periods=-(-N_BARS // 390))
    times = (days.values[:, None] + (np.timedelta64(14 * 60 + 30, "m") + np.arange(390) * np.timedelta64(1, "m")))
    times = pd.DatetimeIndex(times.ravel()[:N_BARS]).tz_localize("UTC")
    m = rng.normal(0, 0.0005, N_BARS)
    beta = rng.uniform(0.5, 1.5, N_ASSETS)
    r = beta * m[:, None] + rng.normal(0, 0.0008, (N_BARS, N_ASSETS))
    levels = 100 * np.exp(np.cumsum(np.log1p(np.column_stack([m, r])), axis=0))
    tickers = ["MKT"] + [f"S{i:03d}" for i in range(N_ASSETS)]
    bars = pd.DataFrame({"ticker": np.repeat(tickers, N_BARS), "time": np.tile(times, len(tickers)),
                         "close": levels.T.ravel()})
    at = np.linspace(1_000, N_BARS - 100, N_EVENTS).astype(int)
    events = pd.DataFrame({"event_id": [f"E{i:03d}" for i in range(N_EVENTS)],
                           "timestamp": [f"{times[j] + pd.Timedelta(seconds=20):%Y-%m-%dT%H:%M:%S}+00:00" for j in at]})
    return bars, events


def run_case(engine: str, memory: str) -> None:
    import eventstudy as es

    bars, events = bars_and_events()
    ev = es.load_events(frame=events)
    run = {} if engine == "memory" else {"backend": "chunked", "memory": memory}
    t0, c0 = time.perf_counter(), time.process_time()
    res = es.intraday_study(ev, bars, interval="1m", market="MKT", model="market", estimation=(-250, -11),
                            windows=((0, 14),), by_event=False, by_asset=False, n_boot=1000, **run)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    caar = res.caar.query("group == 'all'")["caar"].iloc[0]
    budget = f" budget {memory}" if engine == "chunked" else ""
    print(f"{len(res.members):,} asset-events on 1m bars  {engine:<8}{budget}: {dt:.1f} s wall ({cpu:.1f} s CPU), "
          f"peak RSS {peak:,.0f} MiB, {res.options.get('blocks', 1)} block(s)  [CAAR all {caar:+.6f}]", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("engine", nargs="?", choices=("memory", "chunked"), help="default: both")
    ap.add_argument("--memory", default="3GB", help="chunked budget (default 3GB)")
    a = ap.parse_args()
    if a.engine:
        run_case(a.engine, a.memory)
        return
    for engine in ("memory", "chunked"):
        subprocess.run([sys.executable, __file__, engine, "--memory", a.memory], check=True)


if __name__ == "__main__":
    main()
