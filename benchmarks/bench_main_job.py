"""Benchmark of what a new user meets first (not a test): ``import eventstudy`` and the main job.

    python benchmarks/bench_main_job.py            # import 7 times (bare, first use, process), the main job 3 times
    python benchmarks/bench_main_job.py --runs 5

Each run is a fresh process (so nothing is cached in memory between runs); the script prints the
median and the range of the wall times, the median CPU time (user + system, of the run and every
process it started: the main job draws its figures in a second process) and the peak resident
memory of the child processes (the largest single process, not their sum). On a shared machine
the wall time varies with other load, the CPU time less.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CPU: list[float] = []
"""CPU seconds of each timed run (user + system of the run and its descendants)."""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str]) -> float:
    t0, c0 = time.perf_counter(), children_cpu()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    CPU.append(children_cpu() - c0)
    return time.perf_counter() - t0


def report(name: str, times: list[float]) -> None:
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    cpu = statistics.median(CPU[-len(times):])
    print(f"{name}: median {statistics.median(times):.2f} s wall (min {min(times):.2f}, max {max(times):.2f}, "
          f"{len(times)} runs), median {cpu:.2f} s CPU, peak RSS of the children so far {peak:,.0f} MiB", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="main-job runs (import: twice as many plus one)")
    a = ap.parse_args()
    py = sys.executable
    import_in_process = [py, "-c", "import time; t = time.perf_counter(); import eventstudy; "
                                   "print(time.perf_counter() - t)"]
    inside = []
    for _ in range(2 * a.runs + 1):
        c0 = children_cpu()
        out = subprocess.run(import_in_process, check=True, capture_output=True, text=True).stdout
        CPU.append(children_cpu() - c0)
        inside.append(float(out))
    report("import eventstudy (inside the interpreter)", inside)
    first_use = [py, "-c", "import time; t = time.perf_counter(); import eventstudy; eventstudy.EventStudy; "
                           "print(time.perf_counter() - t)"]  # the names load their modules when first used
    used = []
    for _ in range(2 * a.runs + 1):
        c0 = children_cpu()
        used.append(float(subprocess.run(first_use, check=True, capture_output=True, text=True).stdout))
        CPU.append(children_cpu() - c0)
    report("import eventstudy and use eventstudy.EventStudy (inside the interpreter)", used)
    report("python -c 'import eventstudy' (whole process)", [timed([py, "-c", "import eventstudy"])
                                                             for _ in range(2 * a.runs + 1)])
    cli = str(Path(py).with_name("eventstudy"))
    with tempfile.TemporaryDirectory() as tmp:
        report("eventstudy run (the main job, bundled data)",
               [timed([cli, "run", "--out", str(Path(tmp) / "results")]) for _ in range(a.runs)])


if __name__ == "__main__":
    main()
