"""Scale benchmark (issue 5): time and peak memory against the number of asset-events, for the
in-memory engine, the chunked engine within a memory budget and Dask on a LocalCluster.

    python benchmarks/bench_scale.py                      # every size and engine (about 15 min)
    python benchmarks/bench_scale.py 1e5                  # one size, every engine
    python benchmarks/bench_scale.py 1e6 chunked          # one size, one engine
    python benchmarks/bench_scale.py --memory 1GB ...     # the chunked budget (default: 1GB, 3GB for 10^6)
    python benchmarks/bench_scale.py --workers 2 ...      # LocalCluster workers (default 2, 4GB each)

Synthetic market-model prices (size is the point, not a known truth): sizes 10^3 (20 assets x
50 events), 10^4 (100 x 100), 10^5 (500 x 200), 10^6 (2,000 x 500) asset-events over 1,000 to
2,600 sessions; market model, estimation -250:-11, window -1:1, the full battery pooled
(``all`` and two categories; ``by_event=False, by_asset=False``), 1,000 bootstrap draws, clean estimation windows.
Each case runs in a fresh process. ``fit`` is the wall time of ``EventStudy(...).fit()`` (CPU time
beside it); ``peak`` is the peak resident memory of this process (ru_maxrss) and, for Dask, the
largest worker's; prices are read from a Parquet file by the Dask workers. The in-memory engine
is skipped where its panel cannot fit in this machine's memory (it needs ~26 KB per member).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_engine  # noqa: E402  (the synthetic universe both benchmarks share)

SIZES = {1_000: (20, 50, 1000), 10_000: (100, 100, 1000), 100_000: (500, 200, 1400), 1_000_000: (2000, 500, 2600)}
# chunked budget per size: the prices, returns and alignment of 10^6 asset-events alone take ~1.3 GB
BUDGET = {1_000: "1GB", 10_000: "1GB", 100_000: "1GB", 1_000_000: "3GB"}
TASK_BUDGET, WORKER_MEMORY = "1GB", "4GB"  # Dask: members per task, and each worker's memory limit
ENGINES = ("memory", "chunked", "dask")


def synthetic(n_assets: int, n_events: int, n_days: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """bench_engine's market-model universe, with a group column (every third event escalation)."""
    prices, events = bench_engine.synthetic(n_assets, n_events, n_days, seed, start="2015-01-01")
    group = np.where(np.arange(n_events) % 3 == 0, "escalation", "de-escalation")
    return prices, events.assign(group=group)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_case(size: int, engine: str, memory: str, workers: int) -> None:
    import eventstudy as es
    from eventstudy.prices.parquet import ParquetSource

    n_assets, n_events, n_days = SIZES[size]
    prices, events = synthetic(n_assets, n_events, n_days)
    ev = es.load_events(frame=events)
    kw = dict(model="market", market="MKT", estimation=(-250, -11), windows=((-1, 1),), n_boot=1000, by_event=False,
              by_asset=False)
    run = {}
    client = cluster = None
    tmp = None
    if engine == "dask":
        from distributed import Client, LocalCluster

        tmp = tempfile.TemporaryDirectory()
        src = ParquetSource.write(prices, Path(tmp.name) / "prices.parquet")
        del prices
        prices = src
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                               memory_limit=WORKER_MEMORY)
        client = Client(cluster)
        run.update(backend="dask", client=client, memory=TASK_BUDGET, partition="asset")
    elif engine == "chunked":
        run.update(backend="chunked", memory=memory, partition="event")
    base = peak_mib()
    t0, c0 = time.perf_counter(), time.process_time()
    res = es.EventStudy(ev, prices, **kw).fit(**run)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = peak_mib()
    extra = ""
    if client is not None:
        wpeak = max(client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024).values())
        extra = f", largest worker {wpeak:,.0f} MiB ({workers} workers)"
        client.close()
        cluster.close()
    if tmp is not None:
        tmp.cleanup()
    blocks = res.options.get("blocks", 1)
    caar = res.caar.query("group == 'all'")["caar"].iloc[0]
    budget = f" budget {memory}" if engine == "chunked" else ""
    print(f"{size:>9,} asset-events  {engine:<8}{budget} fit {dt:7.1f} s wall ({cpu:6.1f} s CPU)  "
          f"peak {peak:7,.0f} MiB (data {base:,.0f} MiB)  {blocks} block(s){extra}  "
          f"[CAAR all {caar:+.6f}, {len(res.tests)} test rows]", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("size", nargs="?", help="1e3, 1e4, 1e5 or 1e6 (default: all)")
    ap.add_argument("engine", nargs="?", choices=ENGINES, help="default: all three")
    ap.add_argument("--memory", help="chunked budget (default 1GB, 3GB for 10^6)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--case", action="store_true", help=argparse.SUPPRESS)  # run one case in this process
    a = ap.parse_args()
    sizes = [int(float(a.size))] if a.size else list(SIZES)
    engines = [a.engine] if a.engine else list(ENGINES)
    if a.case:
        run_case(sizes[0], engines[0], a.memory or BUDGET[sizes[0]], a.workers)
        return
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    print(f"machine: {os.cpu_count()} CPUs, {total / 2**30:.0f} GiB; chunked budget {a.memory or BUDGET}; "
          f"Dask LocalCluster {a.workers} workers x 1 thread, {WORKER_MEMORY} each, {TASK_BUDGET} per task",
          flush=True)
    for size in sizes:
        for engine in engines:
            if engine == "memory" and size * 26e3 * 1.3 > total:
                print(f"{size:>9,} asset-events  memory   skipped: the panel needs ~{size * 26e3 / 2**30:.0f} GiB "
                      f"(the reason for the chunked engine)", flush=True)
                continue
            subprocess.run([sys.executable, __file__, str(size), engine, "--memory", a.memory or BUDGET[size],
                            "--workers", str(a.workers), "--case"], check=True)


if __name__ == "__main__":
    main()
