"""Benchmark of the estimation engine: wall time and peak memory (not a test).

    python benchmarks/bench_engine.py            # both cases
    python benchmarks/bench_engine.py small      # (a) 236 asset-events, full battery
    python benchmarks/bench_engine.py large      # (b) 100,000 asset-events (1,000 assets x 100 events), pooled
    python benchmarks/bench_engine.py large-by-event   # (b) plus the battery for each of the 100 events

Synthetic market-model prices (a known truth is not the point here, only size). Each case runs in
a fresh process so peak memory (ru_maxrss) belongs to that case alone. Two times are printed:
the first ``EventStudy(...).fit()`` of the process ("cold": it also imports what the fit needs and
``import eventstudy`` leaves out, scipy above all, about 0.5 s) and a second fit of the same study
("warm": the fit alone). Wall clock and process CPU time; on a shared 2-core machine the wall time
varies with other load, the CPU time much less.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd


def synthetic(n_assets: int, n_events: int, n_days: int, seed: int = 0,
              start: str = "2019-01-01") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Market-model prices of MKT and A0000, A0001, ... over ``n_days`` sessions, and date-only
    events spread evenly from session 300 to 20 sessions before the end."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=n_days)
    mkt = rng.normal(0.0003, 0.01, n_days)
    beta = rng.uniform(0.5, 1.5, n_assets)
    ret = 0.0001 + beta[None, :] * mkt[:, None] + rng.normal(0, 0.015, (n_days, n_assets))
    prices = np.exp(np.cumsum(np.log1p(np.column_stack([mkt, ret])), axis=0)) * 100
    tickers = ["MKT"] + [f"A{i:04d}" for i in range(n_assets)]
    long = pd.DataFrame({
        "ticker": np.repeat(tickers, n_days),
        "date": np.tile(dates.to_numpy(), len(tickers)),
        "close": prices.T.ravel(),
    })
    long["adj_close"] = long["close"]
    ev_pos = np.linspace(300, n_days - 20, n_events).astype(int)
    events = pd.DataFrame({"event_id": [f"E{i:03d}" for i in range(n_events)],
                           "date": dates[ev_pos].strftime("%Y-%m-%d")})
    return long, events


def run_case(name: str) -> None:
    import eventstudy as es

    by_event = name != "large"
    if name.startswith("small"):  # 59 events x 4 markets = 236 asset-events, the full battery
        prices, events = synthetic(4, 59, 1200)
        windows = ((-1, 1), (0, 0))
        by_event = name == "small-by-event"
    else:  # 1,000 assets x 100 events = 100,000 asset-events
        prices, events = synthetic(1000, 100, 1000)
        windows = ((-1, 1),)
    ev = es.load_events(frame=events)
    spec = es.EventStudy(ev, prices, model="market", market="MKT", estimation=(-250, -11), windows=windows,
                         n_boot=1000, by_event=by_event, by_asset=False)  # the README's figures: no per-asset battery
    times, res = [], None
    for _ in range(2):  # cold (first fit of the process), then warm
        res = None  # one result alive at a time: the peak memory is that of one fit
        t0, c0 = time.perf_counter(), time.process_time()
        res = spec.fit()
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    n = len(res.members)
    (cold, cold_cpu), (warm, warm_cpu) = times
    print(f"{name}: {n:,} asset-events, {len(windows)} window(s), {res.tests['group'].nunique()} groups, "
          f"{len(res.tests):,} test rows: fit {warm:.2f} s wall ({warm_cpu:.2f} s CPU) warm, {cold:.2f} s cold; "
          f"peak RSS {peak:,.0f} MiB")


if __name__ == "__main__":
    cases = sys.argv[1:] or ["small", "small-by-event", "large", "large-by-event"]
    if len(cases) == 1:
        run_case(cases[0])
    else:
        for c in cases:
            subprocess.run([sys.executable, __file__, c], check=True)
